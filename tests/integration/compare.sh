#!/bin/bash
# compare.sh: run a command natively and in the Amber sandbox (`$RUNSC do`),
# and pass iff both give the same stdout and the same exit status, and the
# sandbox leaves no process behind.
#
# usage: compare.sh [options] -- CMD [ARGS...]
#   --stdin FILE        both runs read FILE (default /dev/null)
#   --expect-exit N     both runs must exit with status N
#   --sandbox-only      skip the native run: for inputs the host kernel accepts
#                       but the sandbox must refuse (a 32-bit ELF); the
#                       expected stdout is then empty
#   --expect-error      the sandboxed run must print exactly one line on stderr
#   --env K=V           the environment of both runs (repeatable). Without it
#                       both get PATH, HOME=/root, LC_ALL=C and TZ=UTC. Any
#                       ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS are added to
#                       both sides, so that the two stay equal.
#   --hash-stdout       compare the size and sha256 of stdout, not its text
#   --filter ERE        drop lines matching ERE from both stdouts first; only
#                       for lines that differ between two native runs too
#   --timeout SEC       limit for each run (default $COMPARE_TIMEOUT or 60)
#   --cr                checkpoint/restore mode: the sandboxed run is a
#                       container checkpointed mid-run (at its first
#                       amber_cr_point(), or at a random moment) and restored
#                       into a new id and --root (cr_run.sh); both runs get
#                       AMBER_CR=1
#
# Environment: RUNSC (required) the runsc binary under test; RUNSC_FLAGS extra
# flags for `runsc do` (split on spaces); AMBER_CR_PLATFORMS for --cr (see
# cr_run.sh); RUNGUARD the runguard binary (built
# from runguard.c here when unset); COMPARE_TMPDIR where to keep scratch files
# (default $TMPDIR or /tmp); COMPARE_ERR_LINES how much of a failed run's
# stderr to show (default its last 50 lines; a sanitizer's report is longer).
#
# Each run goes through runguard (see runguard.c): its own session, a time
# limit, and as a child subreaper it finds every process the run left behind.
# Exit status: 0 pass, 1 fail, 2 usage or setup error.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "compare.sh: $*" >&2
	exit 2
}

stdin=/dev/null
expect_exit=
sandbox_only=0
expect_error=0
hash_stdout=0
filters=()
envs=()
timeout=${COMPARE_TIMEOUT:-60}
cr=0
while [ $# -gt 0 ]; do
	case $1 in
	--stdin) stdin=${2?}; shift 2 ;;
	--expect-exit) expect_exit=${2?}; shift 2 ;;
	--sandbox-only) sandbox_only=1; shift ;;
	--expect-error) expect_error=1; shift ;;
	--env) envs+=("${2?}"); shift 2 ;;
	--hash-stdout) hash_stdout=1; shift ;;
	--filter) filters+=("${2?}"); shift 2 ;;
	--timeout) timeout=${2?}; shift 2 ;;
	--cr) cr=1; shift ;;
	--) shift; break ;;
	*) die "unknown option '$1' (usage: compare.sh [options] -- CMD [ARGS...])" ;;
	esac
done
[ $# -ge 1 ] || die "no command (usage: compare.sh [options] -- CMD [ARGS...])"
[ "$sandbox_only" = 0 ] || [ -n "$expect_exit" ] || die "--sandbox-only needs --expect-exit"
[ -n "${RUNSC:-}" ] || die "RUNSC is not set: it names the runsc binary under test"
[ -x "$RUNSC" ] || die "RUNSC=$RUNSC is not an executable file"
[ -r "$stdin" ] || die "cannot read --stdin $stdin"

if [ ${#envs[@]} -eq 0 ]; then
	envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C TZ=UTC)
fi
[ "$cr" = 0 ] || envs+=(AMBER_CR=1)
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	if [ -n "${!v:-}" ]; then envs+=("$v=${!v}"); fi
done
guard_args=(--timeout "$timeout" --stdin "$stdin")
for e in "${envs[@]}"; do guard_args+=(--env "$e"); done
read -r -a runsc_flags <<<"${RUNSC_FLAGS:-}"

work=$(mktemp -d "${COMPARE_TMPDIR:-${TMPDIR:-/tmp}}/compare.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
runguard=${RUNGUARD:-}
if [ -z "$runguard" ]; then
	runguard=$work/runguard
	cc -O2 -o "$runguard" "$here/runguard.c" || die "cannot build runguard.c"
fi

# run SIDE CMD...: runs CMD under runguard, output in $work/SIDE.*
run() {
	local side=$1
	shift
	"$runguard" "${guard_args[@]}" --stdout "$work/$side.out" \
		--stderr "$work/$side.err" --result "$work/$side.result" -- "$@"
	[ -s "$work/$side.result" ] || die "runguard failed for the $side run"
}

# get SIDE KEY: a value from the runguard result of SIDE
get() {
	awk -v k="$2" '$1 == k { print $2 }' "$work/$1.result"
}

# stdout_of SIDE: the stdout to compare, after --filter and --hash-stdout
stdout_of() {
	local f=$work/$1.out
	if [ "$hash_stdout" = 1 ]; then
		echo "$(stat -c %s "$f") bytes, sha256 $(sha256sum <"$f" | cut -d' ' -f1)"
		return
	fi
	if [ ${#filters[@]} -eq 0 ]; then
		cat "$f"
		return
	fi
	local args=()
	for re in "${filters[@]}"; do args+=(-e "$re"); done
	grep -a -v -E "${args[@]}" "$f" || true
}

if [ "$sandbox_only" = 0 ]; then
	run native "$@"
else
	: >"$work/native.out"
	: >"$work/native.err"
	printf 'status %s\ntimed_out 0\nstrays 0\nleftovers 0\n' "$expect_exit" >"$work/native.result"
fi
if [ "$cr" = 1 ]; then
	printf '%s\0' "${envs[@]}" >"$work/cr.env"
	run sandbox env "AMBER_CR_PLATFORMS=${AMBER_CR_PLATFORMS:-}" "$here/cr_run.sh" "$RUNSC" "$work" "$work/cr.env" -- "$@"
else
	run sandbox "$RUNSC" do "${runsc_flags[@]}" "$@"
fi

fail=()
native_status=$(get native status)
sandbox_status=$(get sandbox status)
[ "$(get native timed_out)" = 0 ] || fail+=("the native run timed out after ${timeout}s")
[ "$(get sandbox timed_out)" = 0 ] || fail+=("the sandboxed run timed out after ${timeout}s")
[ "$(get native strays)" = 0 ] || fail+=("the native run left processes behind")
[ "$(get sandbox strays)" = 0 ] || fail+=("the sandbox left processes behind after runsc exited")
if [ -n "$expect_exit" ]; then
	[ "$native_status" = "$expect_exit" ] || fail+=("native exit status $native_status, expected $expect_exit")
	[ "$sandbox_status" = "$expect_exit" ] || fail+=("sandboxed exit status $sandbox_status, expected $expect_exit")
elif [ "$native_status" != "$sandbox_status" ]; then
	fail+=("exit status differs: native $native_status, sandboxed $sandbox_status")
fi
stdout_of native >"$work/native.cmp"
stdout_of sandbox >"$work/sandbox.cmp"
cmp -s "$work/native.cmp" "$work/sandbox.cmp" || fail+=("stdout differs")
if [ "$expect_error" = 1 ]; then
	lines=$(awk 'END { print NR }' "$work/sandbox.err")
	if [ "$lines" != 1 ] || ! grep -q '[^[:space:]]' "$work/sandbox.err"; then
		fail+=("expected one error line on the sandbox's stderr, got $lines lines")
	fi
fi

what="$*"
if [ ${#fail[@]} -eq 0 ]; then
	echo "PASS: $what (exit status $sandbox_status, $(stat -c %s "$work/sandbox.out") bytes of stdout)"
	if [ "$expect_error" = 1 ]; then echo "  runsc said: $(head -c 300 "$work/sandbox.err")"; fi
	if [ "$cr" = 1 ]; then grep -a "^cr_run.sh: " "$work/sandbox.err" | sed 's/^/  /'; fi
	exit 0
fi

echo "FAIL: $what"
for f in "${fail[@]}"; do echo "  - $f"; done
echo "exit status: native $native_status, sandboxed $sandbox_status"
if ! cmp -s "$work/native.cmp" "$work/sandbox.cmp"; then
	echo "--- stdout diff (native vs sandboxed, first 200 lines) ---"
	diff -u --label native --label sandboxed -a "$work/native.cmp" "$work/sandbox.cmp" | head -n 200
fi
grep -h "^stray " "$work/sandbox.result" "$work/native.result" 2>/dev/null | sed 's/^/  /'
echo "--- sandboxed stderr (last 50 lines) ---"
tail -n ${COMPARE_ERR_LINES:-50} "$work/sandbox.err"
if [ -s "$work/native.err" ]; then
	echo "--- native stderr (last 20 lines) ---"
	tail -n 20 "$work/native.err"
fi
exit 1
