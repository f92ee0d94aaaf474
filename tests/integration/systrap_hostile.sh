#!/bin/bash
# systrap_hostile.sh PROG: runs each mode of systrap_hostile.c in the
# sandbox on the systrap platform and checks the outcome: the
# application's Linux behaviour or its death, and every time a runsc that
# exits on its own, with nothing left behind (the sentry neither crashes
# nor hangs). Environment: RUNSC (required).
set -u
prog=$1
fails=0
work=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# check MODE WANT_STATUS WANT_STDOUT_LINE: one run, 30 s at most.
check() {
	local mode=$1 want=$2 line=$3 status
	timeout -k 5 30 "$RUNSC" --platform=systrap do "$prog" "$mode" >"$work/out" 2>"$work/err"
	status=$?
	if [ "$status" != "$want" ]; then
		echo "FAIL $mode: exit status $status, want $want"; sed 's/^/  | /' "$work/out" "$work/err"
		fails=$((fails + 1))
	elif ! grep -qx -- "$line" "$work/out"; then
		echo "FAIL $mode: no line '$line' in stdout"; sed 's/^/  | /' "$work/out"
		fails=$((fails + 1))
	else
		echo "ok   $mode: exit $status, '$line'"
	fi
	if pgrep -f "$prog $mode\$" >/dev/null; then
		echo "FAIL $mode: processes left behind"; pgrep -af "$prog $mode"
		fails=$((fails + 1))
	fi
}

# The application finds the stub's region: it is its address space (the
# code, then the first thread's area: a read-only page, context, stack).
check find 0 "stub region found, 212 KiB"
# Garbage in the shared context: the handler rewrites what it posts and
# the sentry reads nothing it trusts, so the program goes on.
check ctx-garbage 0 "context zeroed, pid 1"
# The page that tells the trampoline where its thread's context is cannot
# be written: SIGSEGV, as for any page the program does not have.
check id-page 139 "writing the area's read-only page"
# A second thread reads the stub's key from the first one's context while
# the sentry has that stub map pages, and uses it through the stub's own
# syscall instruction: with a second thread the stub's keyed calls need
# the sentry's approval too, and only the thread it asked gets it.
check steal-key 0 "a sibling thread's mmap of the memory file with the key it read: EPERM"
# The guard's own program, or one of the program's, with a listener,
# installed through the stub's syscall instruction: a second listener
# would be asked before the guard. The guard's is refused by the guard
# (the stub's filter lets seccomp take no other program); any other traps
# and is the sentry's seccomp, which has no listeners (EINVAL).
check stub-seccomp 0 "the guard's program again, two threads: EPERM"
check stub-seccomp 0 "a program of its own: EINVAL"
# rt_sigreturn through the stub with rsp at an unmapped page: the frame
# cannot be read (SIGSEGV), nor can one be built for the application's
# handler on that stack: killed by SIGSEGV, as on Linux.
check jump-restorer 139 "jumping to the stub's rt_sigreturn"
# Host signals blocked through a forged frame, then a system call: the
# kernel forces SIGSYS on the stub, which dies; so does the task.
check block-syscall 137 "blocking the stub's signals"
# The stub's code unmapped through its own syscall instruction: the next
# trap cannot reach a handler; the stub dies, and the task with it.
check unmap-stub 137 "unmapping the stub's code"
# The stub's own syscall instruction, reached by a jump: mmap and mprotect
# need the stub's key there, so the program's calls trap and are the
# sentry's to answer -- fd 3 is closed in the program (EBADF); the write
# to a private file page stays private.
check stub-mmap 0 "mmap of fd 3 through the stub's syscall: EBADF"
check stub-mprotect 0 "mprotect through the stub's syscall: 0; the file's byte unchanged"
# seccomp(2) is the sentry's to apply: the application's calls fail as
# its filter says, and no filter reaches the host (the stub still works).
check seccomp 0 "seccomp returned 0; getpid EPERM; still running"

# The patching of hot sites (kernel/mm/syscall_patch.c): its region is the
# application's memory. The trampoline entered by hand is a system call
# like any other; returning from it to a junk address is the program's
# SIGSEGV, as after a real syscall to there.
check tramp-direct 0 "trampoline called directly, pid 1"
# Garbage in the context the trampoline reads (the vector state's layout,
# the spin budget, the fs/gs bases): the patched call still answers.
check ctx-garbage-patched 0 "context overwritten, then zeroed: pids 1 1"
check tramp-junk-rcx 139 "calling the trampoline with rcx 0x10"
check tramp-noncanonical-rcx 139 "calling the trampoline with rcx 0x8000000000000000"
# The program reaching for the region (to make the table writable, or to
# unmap it) finds Linux's empty address: the sentry puts every patched
# site back and removes the region first; the site still works.
check table-junk 0 "mprotect: ENOMEM; the site then returns pid 1"
check unmap-region 0 "patch region unmapped; the site then returns pid 1"
# The region's address (all of it, or its last page) is the program's own
# before anything is hot: no patching, the calls still right, its data
# there untouched.
check region-taken 0 "region taken (44 KiB): 1000 calls, pid 1, site unpatched, data intact"
check region-partly-taken 0 "region taken (4 KiB): 1000 calls, pid 1, site unpatched, data intact"

# Host signals blocked, then a loop with no system call: the sentry's
# kick cannot land. SIGTERM to runsc must still end it: the sentry kills
# a stub that ignores its kick for 5 s.
start=$(date +%s)
timeout -k 5 60 "$RUNSC" --platform=systrap do "$prog" block-signals >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 50); do grep -q blocking "$work/out" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
status=$?
took=$(($(date +%s) - start))
if [ "$status" = 137 ] && [ "$took" -lt 30 ]; then
	echo "ok   block-signals: SIGTERM ended it, exit $status after ${took}s"
else
	echo "FAIL block-signals: exit $status after ${took}s"; sed 's/^/  | /' "$work/out" "$work/err"
	fails=$((fails + 1))
fi

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" = 0 ]
