#!/bin/bash
# signal.sh: send a signal to `$RUNSC do CMD...` while the program runs, and
# pass iff runsc ends with the expected status and no process of the sandbox
# (sentry, stub, gofer, or anything they started) is left.
#
# usage: signal.sh SIGNAL DELAY EXPECTED_STATUS -- CMD [ARGS...]
#   e.g. signal.sh KILL 0.5 137 -- /bin/busybox sleep 100
# The signal goes out DELAY seconds after the start, once runsc has at least
# two descendant processes (the stub and the gofer; waiting at most 10 s more),
# so that a slow start under ASan does not make it arrive before the program
# runs. Those processes are recorded just before the signal; after runsc exits
# they must all be gone within 2 s (runguard's grace time).
# Environment: RUNSC (required), RUNSC_FLAGS, RUNGUARD, COMPARE_TMPDIR as for
# compare.sh.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 5 ] && [ "$4" = -- ] || { echo "usage: signal.sh SIGNAL DELAY EXPECTED_STATUS -- CMD [ARGS...]" >&2; exit 2; }
sig=$1 delay=$2 expected=$3
shift 4
[ -n "${RUNSC:-}" ] && [ -x "$RUNSC" ] || { echo "signal.sh: RUNSC must name the runsc binary" >&2; exit 2; }
read -r -a runsc_flags <<<"${RUNSC_FLAGS:-}"

work=$(mktemp -d "${COMPARE_TMPDIR:-${TMPDIR:-/tmp}}/signal.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
runguard=${RUNGUARD:-}
if [ -z "$runguard" ]; then
	runguard=$work/runguard
	cc -O2 -o "$runguard" "$here/runguard.c" || exit 2
fi

"$runguard" --timeout 30 --signal "$sig" --after "$delay" --min-descendants 2 \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env HOME=/root --env LC_ALL=C \
	--stdout "$work/out" --stderr "$work/err" --result "$work/result" -- "$RUNSC" do "${runsc_flags[@]}" "$@"
get() { awk -v k="$1" '$1 == k { print $2 }' "$work/result"; }
[ -s "$work/result" ] || { echo "signal.sh: runguard failed" >&2; exit 2; }

fail=()
[ "$(get signal_sent)" = 1 ] || fail+=("runsc exited before the signal was sent (after ${delay}s)")
[ "$(get timed_out)" = 0 ] || fail+=("runsc did not exit within 30s of starting")
[ "$(get status)" = "$expected" ] || fail+=("exit status $(get status), expected $expected")
[ "$(get descendants_before_signal)" -ge 1 ] || fail+=("runsc had no child process when signalled: was the program running?")
[ "$(get strays)" = 0 ] || fail+=("$(get strays) processes were left behind")
[ "$(get leftovers)" = 0 ] || fail+=("$(get leftovers) of the processes seen before the signal were still alive")

if [ ${#fail[@]} -eq 0 ]; then
	echo "PASS: SIG$sig to runsc do $* after ${delay}s: exit status $expected," \
		"$(get descendants_before_signal) sandbox processes seen before the signal, none left"
	exit 0
fi
echo "FAIL: SIG$sig to runsc do $* after ${delay}s"
for f in "${fail[@]}"; do echo "  - $f"; done
grep '^stray ' "$work/result" | sed 's/^/  /'
echo "--- runsc stderr (last 50 lines) ---"
tail -n 50 "$work/err"
exit 1
