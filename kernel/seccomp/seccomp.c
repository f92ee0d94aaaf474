/* Application seccomp: checking classic BPF programs as Linux does and
 * running them on each system call (see seccomp.h). */
#include "kernel/seccomp/seccomp.h"
#include "kernel/signal/signal.h"
#include "kernel/task/task.h"
#include "kernel/lib/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#define DATA_SIZE	64		/* sizeof(struct seccomp_data) */
#define MEM_WORDS	16		/* BPF_MEMWORDS */
#define MAX_ERRNO	4095

void seccomp_filter_get(struct seccomp_filter *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void seccomp_filter_put(struct seccomp_filter *f)
{
	while (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct seccomp_filter *prev = f->prev;

		free(f);
		f = prev;
	}
}

static bool is_cond_jump(uint16_t code)
{
	switch (code) {
	case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	default:
		return false;
	}
}

/* One instruction of the set seccomp accepts, its operands in range;
 * length loads become loads of the constant size. */
static bool check_insn(struct sock_filter *in, size_t pc, size_t len)
{
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return in->k < DATA_SIZE && (in->k & 3) == 0;
	case BPF_LD | BPF_W | BPF_LEN:
		in->code = BPF_LD | BPF_IMM;
		in->k = DATA_SIZE;
		return true;
	case BPF_LDX | BPF_W | BPF_LEN:
		in->code = BPF_LDX | BPF_IMM;
		in->k = DATA_SIZE;
		return true;
	case BPF_ALU | BPF_DIV | BPF_K:
		return in->k != 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return in->k < 32;
	case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X: case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K: case BPF_RET | BPF_A:
		return true;
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
	case BPF_ST: case BPF_STX:
		return in->k < MEM_WORDS;
	case BPF_JMP | BPF_JA:
		return in->k < len - pc - 1;
	default:
		if (is_cond_jump(in->code))
			return pc + in->jt + 1 < len && pc + in->jf + 1 < len;
		return false;
	}
}

/* Scratch memory read only where every path to the read has written it:
 * each instruction's valid cells are those valid on all the edges that
 * reach it (jumps only go forward, so one pass sees every edge first). */
static bool check_memory(const struct sock_filter *f, size_t len)
{
	uint16_t *masks = malloc(len * sizeof(*masks)), valid = 0;
	bool ok = true;

	if (!masks)
		return false;
	memset(masks, 0xff, len * sizeof(*masks));
	for (size_t pc = 0; pc < len && ok; pc++) {
		valid &= masks[pc];
		switch (f[pc].code) {
		case BPF_ST: case BPF_STX:
			valid |= (uint16_t)(1U << f[pc].k);
			break;
		case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
			ok = (valid & (1U << f[pc].k)) != 0;
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + f[pc].k] &= valid;
			valid = 0xffff;
			break;
		default:
			if (is_cond_jump(f[pc].code)) {
				masks[pc + 1 + f[pc].jt] &= valid;
				masks[pc + 1 + f[pc].jf] &= valid;
				valid = 0xffff;
			}
			break;
		}
	}
	free(masks);
	return ok;
}

int seccomp_filter_alloc(size_t len, bool log, struct seccomp_filter **out)
{
	struct seccomp_filter *f;

	if (len == 0 || len > SECCOMP_MAX_INSNS)
		return -EINVAL;
	f = calloc(1, sizeof(*f) + len * sizeof(f->insns[0]));
	if (!f)
		return -ENOMEM;
	f->refs = 1;
	f->log = log;
	f->len = (uint16_t)len;
	*out = f;
	return 0;
}

int seccomp_filter_check(struct seccomp_filter *f)
{
	uint16_t last;

	for (size_t pc = 0; pc < f->len; pc++) {
		if (!check_insn(&f->insns[pc], pc, f->len))
			return -EINVAL;
	}
	last = f->insns[f->len - 1].code;
	if ((last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) || !check_memory(f->insns, f->len))
		return -EINVAL;
	return 0;
}

int seccomp_attach(struct task *t, struct seccomp_filter *f)
{
	size_t total = f->len;

	/* Linux charges each filter 4 instructions more than its length. */
	for (const struct seccomp_filter *p = t->seccomp; p; p = p->prev)
		total += p->len + 4;
	if (total > SECCOMP_MAX_PATH_INSNS)
		return -ENOMEM;
	f->prev = t->seccomp;
	t->seccomp = f;
	t->seccomp_mode = SECCOMP_MODE_FILTER;
	return 0;
}

static uint32_t load32(const uint8_t *data, uint32_t k)
{
	uint32_t v;

	memcpy(&v, data + k, 4);
	return v;
}

/* Runs one checked program. Jumps go forward only, so it ends. */
static uint32_t run(const struct seccomp_filter *f, const uint8_t *data)
{
	uint32_t a = 0, x = 0, mem[MEM_WORDS] = { 0 };

	for (size_t pc = 0; pc < f->len; pc++) {
		const struct sock_filter *in = &f->insns[pc];
		uint32_t k = in->k;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS: a = load32(data, k); break;
		case BPF_LD | BPF_IMM: a = k; break;
		case BPF_LDX | BPF_IMM: x = k; break;
		case BPF_LD | BPF_MEM: a = mem[k]; break;
		case BPF_LDX | BPF_MEM: x = mem[k]; break;
		case BPF_ST: mem[k] = a; break;
		case BPF_STX: mem[k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_ADD | BPF_K: a += k; break;
		case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
		case BPF_ALU | BPF_SUB | BPF_K: a -= k; break;
		case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
		case BPF_ALU | BPF_MUL | BPF_K: a *= k; break;
		case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
		case BPF_ALU | BPF_DIV | BPF_K: a /= k; break;
		case BPF_ALU | BPF_DIV | BPF_X:
			if (x == 0)
				return 0;	/* classic BPF: the program returns 0 */
			a /= x;
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
		case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= k; break;
		case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
		case BPF_ALU | BPF_LSH | BPF_K: a <<= k; break;
		case BPF_ALU | BPF_LSH | BPF_X: a <<= (x & 31); break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= k; break;
		case BPF_ALU | BPF_RSH | BPF_X: a >>= (x & 31); break;
		case BPF_ALU | BPF_NEG: a = 0 - a; break;
		case BPF_JMP | BPF_JA: pc += k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += a == x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += a >= x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += a > x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) ? in->jt : in->jf; break;
		case BPF_RET | BPF_K: return k;
		case BPF_RET | BPF_A: return a;
		default: return 0;	/* unreachable: checked at attach */
		}
	}
	return 0;
}

/* Orders actions as Linux does: the smaller as a signed value wins, so
 * KILL_PROCESS (0x80000000) beats everything and ALLOW loses to all. */
static int32_t action_rank(uint32_t ret)
{
	return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

static uint32_t run_filters(struct task *t, const struct seccomp_filter **which)
{
	uint8_t data[DATA_SIZE];
	uint32_t nr = (uint32_t)t->regs.orig_rax, arch = AUDIT_ARCH_X86_64, ret = SECCOMP_RET_ALLOW;
	uint64_t args[6];

	arch_syscall_args(&t->regs, args);
	memcpy(data, &nr, 4);
	memcpy(data + 4, &arch, 4);
	memcpy(data + 8, &t->regs.rip, 8);
	memcpy(data + 16, args, sizeof(args));
	*which = NULL;
	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev) {
		uint32_t cur = run(f, data);

		if (action_rank(cur) < action_rank(ret)) {
			ret = cur;
			*which = f;
		}
	}
	return ret;
}

static bool strict_allows(uint64_t nr)
{
	return nr == SYS_read || nr == SYS_write || nr == SYS_exit || nr == SYS_rt_sigreturn;
}

int seccomp_check(struct task *t)
{
	const struct seccomp_filter *f;
	uint64_t nr = t->regs.orig_rax;
	uint32_t ret, data;

	if (t->seccomp_mode == SECCOMP_MODE_STRICT) {
		if (strict_allows(nr))
			return 0;
		log_info("seccomp: task %d: call %lu in strict mode: killed", t->tid, (unsigned long)nr);
		task_exit_group(t, SIGKILL);
		return 1;
	}
	if (t->seccomp_mode != SECCOMP_MODE_FILTER)
		return 0;
	ret = run_filters(t, &f);
	data = ret & SECCOMP_RET_DATA;
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		return 0;
	case SECCOMP_RET_LOG:
		log_info("seccomp: task %d: call %lu logged", t->tid, (unsigned long)nr);
		return 0;
	case SECCOMP_RET_ERRNO:
		arch_set_return(&t->regs, -(long)(data > MAX_ERRNO ? MAX_ERRNO : data));
		t->syscall_return = true;
		return 1;
	case SECCOMP_RET_TRAP:
		/* The handler sees the registers of the call, rax its number,
		 * as Linux rolls them back. */
		t->regs.rax = nr;
		t->syscall_return = false;
		sig_force_seccomp(t, (int)nr, (int)data, t->regs.rip);
		return 1;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		/* No tracer, no listener: Linux fails the call with ENOSYS. */
		arch_set_return(&t->regs, -ENOSYS);
		t->syscall_return = true;
		return 1;
	default:
		/* KILL_THREAD, KILL_PROCESS and unknown actions; the task is
		 * its process's only thread. */
		if (f && f->log)
			log_info("seccomp: task %d: call %lu killed the process", t->tid, (unsigned long)nr);
		task_exit_group(t, SIGSYS);
		return 1;
	}
}

int seccomp_filter_count(const struct task *t)
{
	int n = 0;

	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev)
		n++;
	return n;
}
