/* FUTEX_WAKE_OP: the operation on the second word (SET, ADD, OR, ANDN,
 * XOR, a negative operand, FUTEX_OP_OPARG_SHIFT and its operand past 31),
 * each comparison of the old value deciding whether the second word's
 * waiter is woken, glibc's old condvar use (SET 0, wake if old > 1),
 * FUTEX_WAKE with a count of 0 (one is woken, as in Linux), and the
 * errors: an unaligned or unmapped second word, a read-only one, an
 * unknown operation or comparison (the word is changed before the
 * comparison is found unknown, as in Linux).
 *
 * A waiter that is not asleep yet cannot be woken: a wake that must find
 * one is repeated until it does (until), and one that must not wake it
 * comes after a pause, then a plain wake must still find the waiter. */
#include "threadtest.h"

#include <sys/mman.h>

static int word1, word2, woken2;

enum { OR_SHIFT = FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, SET_SHIFT = FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT };

static long wake_op(int *w1, int n1, int n2, int *w2, int op)
{
	return sc(SYS_futex, w1, FUTEX_WAKE_OP_PRIVATE, n1, (long)n2, w2, op);
}

static void *waiter2(void *arg)
{
	long r;

	(void)arg;
	do
		r = futex(&word2, FUTEX_WAIT_PRIVATE, peek(&word2), NULL);
	while (r != 0);
	bump(&woken2, 1);
	return NULL;
}

/* Repeats a wake until it has woken one; returns the total. */
static long until_one(long (*op)(void))
{
	struct timespec ms = { 0, 1000 * 1000 };
	long r = 0;

	for (int i = 0; i < 3000; i++) {
		r = op();
		if (r != 0)
			return r;
		nanosleep(&ms, NULL);
	}
	return r;
}

static int cur_op;
static long do_wake_op(void) { return wake_op(&word1, 1, 1, &word2, cur_op); }
static long do_wake2(void) { return futex(&word2, FUTEX_WAKE_PRIVATE, 1, NULL); }
static long do_wake2_zero(void) { return futex(&word2, FUTEX_WAKE_PRIVATE, 0, NULL); }
/* The word back at 2 before each try: one that found the waiter awake
 * has set it to 0 under it. */
static long do_condvar(void)
{
	__atomic_store_n(&word2, 2, __ATOMIC_SEQ_CST);
	return wake_op(&word1, 1, 1, &word2, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1));
}

static const char *const op_names[] = { "SET", "ADD", "OR", "ANDN", "XOR" };
static const char *const cmp_names[] = { "EQ", "NE", "LT", "LE", "GT", "GE" };

/* The comparison cmp of word2's value (7) with arg: woken or not. ADD 0
 * leaves the word as the waiter expects it. */
static void compare(int cmp, int arg)
{
	struct timespec pause = { 0, 30 * 1000 * 1000 };
	bool pass;
	pthread_t t;
	long r;

	word2 = 7;
	woken2 = 0;
	pass = cmp == FUTEX_OP_CMP_EQ ? 7 == arg : cmp == FUTEX_OP_CMP_NE ? 7 != arg :
	       cmp == FUTEX_OP_CMP_LT ? 7 < arg : cmp == FUTEX_OP_CMP_LE ? 7 <= arg :
	       cmp == FUTEX_OP_CMP_GT ? 7 > arg : 7 >= arg;
	t = xthread("compare", waiter2, NULL);
	cur_op = FUTEX_OP(FUTEX_OP_ADD, 0, cmp, arg);
	if (pass) {
		r = until_one(do_wake_op);
		printf("CMP_%s %d, old 7: woke the second word's waiter: %ld\n", cmp_names[cmp], arg, r);
	} else {
		nanosleep(&pause, NULL);
		r = do_wake_op();
		printf("CMP_%s %d, old 7: woke %ld; a plain wake then finds the waiter: %ld\n", cmp_names[cmp], arg, r,
		       until_one(do_wake2));
	}
	pthread_join(t, NULL);
}

int main(void)
{
	static const int cmps[][2] = { { FUTEX_OP_CMP_EQ, 7 }, { FUTEX_OP_CMP_EQ, 8 }, { FUTEX_OP_CMP_NE, 8 },
				       { FUTEX_OP_CMP_NE, 7 }, { FUTEX_OP_CMP_LT, 8 }, { FUTEX_OP_CMP_LT, 7 },
				       { FUTEX_OP_CMP_LE, 7 }, { FUTEX_OP_CMP_LE, 6 }, { FUTEX_OP_CMP_GT, 6 },
				       { FUTEX_OP_CMP_GT, 7 }, { FUTEX_OP_CMP_GE, 7 }, { FUTEX_OP_CMP_GE, 8 },
				       { FUTEX_OP_CMP_GT, -1 }, { FUTEX_OP_CMP_LT, -2048 } };
	int *ro;

	thr_start();
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int op = FUTEX_OP_SET; op <= FUTEX_OP_XOR; op++) {
		word2 = 0x0f0;
		show(op_names[op], wake_op(&word1, 1, 1, &word2, FUTEX_OP(op, 0x35, FUTEX_OP_CMP_EQ, 0)));
		printf("  the word: %#x\n", (unsigned)word2);
	}
	word2 = 10;
	show("ADD -1", wake_op(&word1, 1, 1, &word2, FUTEX_OP(FUTEX_OP_ADD, 0xfff, FUTEX_OP_CMP_EQ, 0)));
	printf("  the word: %d\n", word2);
	word2 = 0;
	show("OR with OPARG_SHIFT 5", wake_op(&word1, 1, 1, &word2, FUTEX_OP(OR_SHIFT, 5, 0, 0)));
	printf("  the word: %#x\n", (unsigned)word2);
	word2 = 0;
	show("SET with OPARG_SHIFT 40", wake_op(&word1, 1, 1, &word2, FUTEX_OP(SET_SHIFT, 40, 0, 0)));
	printf("  the word: %#x\n", (unsigned)word2);

	for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
		compare(cmps[i][0], cmps[i][1]);

	/* glibc's condvar signal before 2.25: the second word to 0, its
	 * waiter woken if it was above 1. */
	{
		pthread_t t;

		word2 = 2;
		woken2 = 0;
		t = xthread("condvar", waiter2, NULL);
		printf("SET 0 if > 1, old 2: woke %ld\n", until_one(do_condvar));
		printf("  the word: %d\n", word2);
		pthread_join(t, NULL);
	}

	/* Linux counts after each wake-up: a count of 0 still wakes one. */
	{
		pthread_t t;

		word2 = 3;
		woken2 = 0;
		t = xthread("zero", waiter2, NULL);
		printf("FUTEX_WAKE with a count of 0: woke %ld\n", until_one(do_wake2_zero));
		pthread_join(t, NULL);
	}

	word2 = 5;
	show("unknown operation 6", wake_op(&word1, 1, 1, &word2, 6 << 28));
	printf("  the word: %d\n", word2);
	show("unknown comparison 7", wake_op(&word1, 1, 1, &word2, FUTEX_OP(FUTEX_OP_SET, 9, 7, 0)));
	printf("  the word: %d\n", word2);
	show("second word unaligned", wake_op(&word1, 1, 1, (int *)((char *)&word2 + 1), FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
	show("first word unaligned", wake_op((int *)((char *)&word1 + 2), 1, 1, &word2, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
	show("second word NULL", wake_op(&word1, 1, 1, NULL, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		return 1;
	show("second word read-only", wake_op(&word1, 1, 1, ro, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
	printf("  the read-only word: %d\n", *ro);
	return 0;
}
