#!/bin/bash
# restart.sh: blocking calls interrupted by signals, natively and in the
# sandbox. Runs restart_prog [restart] with stdin a FIFO held open, sends
# SIGUSR1 at 0.5 s and 1.0 s, closes stdin at 1.5 s; passes when both runs
# print the same and exit 0.
# usage: restart.sh PROG [restart]      Environment: RUNSC (required).
set -u
prog=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/restart.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

run() {
	local out=$1 pid status
	shift
	mkfifo "$work/in"
	"$@" <"$work/in" >"$out" 2>"$out.err" &
	pid=$!
	exec 3>"$work/in"
	sleep 0.5
	kill -USR1 "$pid"
	sleep 0.5
	kill -USR1 "$pid"
	sleep 0.5
	exec 3>&-
	wait "$pid"
	status=$?
	rm -f "$work/in"
	echo "exit: $status" >>"$out"
}

run "$work/native" "$prog" "$@"
run "$work/sandbox" "$RUNSC" do "$prog" "$@"
if ! diff -u "$work/native" "$work/sandbox"; then
	echo "restart.sh: native and sandboxed runs differ (sandbox stderr follows)"
	cat "$work/sandbox.err"
	exit 1
fi
cat "$work/sandbox"
