#!/bin/bash
# vdso_traps.sh: the vDSO answers the clocks without trapping. Runs
# vdso_loop (static and dynamic) under `runsc --strace do`, on ptrace and on
# systrap, and counts the clock calls the sentry saw between the loop's two
# getppid markers: none for a million reads. With the TSC refused
# (AMBER_FAULT=time.tsc) the vDSO must fall back to system calls, and the
# same count must see every read: that the counting can see traps at all.
# usage: vdso_traps.sh PROG...        Environment: RUNSC (required).
set -u
[ -n "${RUNSC:-}" ] || { echo "vdso_traps.sh: RUNSC is not set" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vdso_traps.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
fail=0

# traps PLATFORM PROG N [VAR=value...]: the clock calls inside the loop.
traps() {
	local platform=$1 prog=$2 n=$3
	shift 3
	if ! env "$@" "$RUNSC" --platform="$platform" --strace do "$prog" "$n" >"$work/out" 2>"$work/err"; then
		echo "FAIL: $prog $n ($*): exit status $?; stdout: $(cat "$work/out")" >&2
		tail -n 5 "$work/err" >&2
		echo -1
		return
	fi
	awk '/ E getppid\(/ { inside = !inside; next }
	     inside && / E (clock_gettime|clock_getres|gettimeofday|time|getcpu)\(/ { n++ }
	     END { print n + 0 }' "$work/err"
}

for platform in ptrace systrap; do
	for prog in "$@"; do
		got=$(traps "$platform" "$prog" 1000000)
		if [ "$got" = 0 ]; then
			echo "PASS: $platform: $prog: 1000000 clock reads, no trap"
		else
			echo "FAIL: $platform: $prog: 1000000 clock reads made $got clock system calls"
			fail=1
		fi
		got=$(traps "$platform" "$prog" 1000 AMBER_FAULT=time.tsc)
		if [ "$got" -ge 1000 ]; then
			echo "PASS: $platform: $prog: without a usable TSC, 1000 reads made $got clock system calls"
		else
			echo "FAIL: $platform: $prog: without a usable TSC, 1000 reads made $got clock system calls (expected >= 1000)"
			fail=1
		fi
	done
done
exit $fail
