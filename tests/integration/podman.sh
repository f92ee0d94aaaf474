#!/bin/bash
# podman.sh: Podman runs containers with Amber as its OCI runtime, as its
# users run them: `podman --runtime <Amber's runsc> run --rm --network=none
# IMAGE /bin/echo hello`, and `run -d`, `stop`, `rm`. IMAGE is a busybox
# image built here and imported (tools/make-busybox-image), no registry.
#
# Podman, conmon, runc and busybox-static are installed from Debian when
# missing. Podman keeps its images, containers and database in a private
# store under a scratch directory (vfs driver: no overlay mounts to clean
# up), so the host's podman is left alone; Amber's own state goes where
# podman tells it (runsc's default root, as for any user).
#
# Before Amber, the same container runs with Debian's runc: if that fails
# the host cannot run podman containers at all (no cgroups, rlimits ...),
# which is not Amber's fault, and the test is skipped.
#
# With the argument "checkpoint", the same setup then checkpoints and
# restores containers instead: `podman container checkpoint` and
# `podman container restore`, with --leave-running, --print-stats,
# --export and --import (see "checkpoint and restore" below). Podman
# refuses to checkpoint without CRIU installed, though Amber never runs
# it, so criu is installed too in that mode.
#
#   podman.sh [checkpoint]
#
# Environment: RUNSC (required): Amber's runsc. Its name must end in
# /runsc: podman passes --log-format=json --log FILE to runtimes it knows
# by name. AMBER_DEBUG_LOG=FILE adds --debug --debug-log FILE to runsc.
# Exit status: 0 all passed, 1 a check failed, 77 skipped (not root,
# packages cannot be installed, or podman cannot run containers here).
set -u
. "$(dirname "$0")/lib.sh"
SKIP=77
name=podman.sh
mode=${1:-basic}
case $mode in basic|checkpoint) ;; *) echo "usage: $name [checkpoint]" >&2; exit 2 ;; esac
[ "$mode" = checkpoint ] && name="podman.sh checkpoint"
if [ -z "${RUNSC:-}" ] || [ ! -x "$RUNSC" ]; then echo "$name: RUNSC must name Amber's runsc binary" >&2; exit 2; fi
RUNSC=$(realpath "$RUNSC")
here=$(cd "$(dirname "$0")" && pwd)
mkimage=$here/../../tools/make-busybox-image
[ -x "$mkimage" ] || { echo "$name: $mkimage is missing" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$name: skipped: podman with an OCI runtime of our choice needs root here"; exit $SKIP; }

# ---- packages -----------------------------------------------------------
need=()
pkgs=(podman conmon runc busybox-static)
[ "$mode" = checkpoint ] && pkgs+=(criu)
for p in "${pkgs[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "$name: installing ${need[*]}"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; }; }; then
		echo "$name: skipped: cannot install ${need[*]} with apt-get"
		exit $SKIP
	fi
fi

# ---- a private podman store ---------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/podman-amber.XXXXXX") || exit 2
image=localhost/amber-busybox:test
# Global flags for every podman command, the exit command conmon runs
# included (podman passes them on).
pflags=(--root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp"
	--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
pm() { timeout 120 podman "${pflags[@]}" "$@"; }
rflags=()
[ -n "${AMBER_DEBUG_LOG:-}" ] && rflags=(--runtime-flag debug --runtime-flag "debug-log=$AMBER_DEBUG_LOG")
amber() { pm --runtime "$RUNSC" "${rflags[@]}" "$@"; }
cleanup() {
	local ids
	ids=$(pm ps -aq 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$ids" ] && pm --runtime "$RUNSC" rm -f -t 0 $ids >/dev/null 2>&1
	pm rmi -af >/dev/null 2>&1
	# Anything podman left mounted under the store (shm of a container
	# whose cleanup failed), deepest first, then the store itself.
	findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
finish() {	# prints the verdict; returns the exit status
	if [ $fails -ne 0 ]; then
		echo "$name: $fails check(s) failed"
		return 1
	fi
	echo "$name: all passed"
}

if ! PODMAN="podman" PODMAN_FLAGS="${pflags[*]}" "$mkimage" --podman "$image" >"$work/mkimage.log" 2>&1; then
	cat "$work/mkimage.log"
	echo "$name: skipped: cannot build or import the busybox image"
	exit $SKIP
fi

# ---- the host can run podman containers (Debian's runc) ------------------
# This host's quirks are for runc, not Amber: the hard RLIMIT_NOFILE is
# below podman's default of 1048576, so runc's setrlimit would fail.
out=$(pm --runtime "$(command -v runc)" run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	"$image" /bin/echo hello 2>"$work/err")
if [ "$out" != hello ]; then
	cat "$work/err"
	echo "$name: skipped: podman cannot run a container with runc on this host either"
	exit $SKIP
fi
echo "ok   podman runs the image with runc (host check)"

# ---- checkpoint and restore -----------------------------------------------
# A counter that never forks (a sandbox holds one process): ash builtins
# only, with `read -t` on the silent stdin that `run -i` keeps open as its
# sleep. Its log must read 1, 2, 3 ... across every checkpoint and restore:
# no restart from 1, no gap, no repeat.
# shellcheck disable=SC2016  # expanded by the container's shell
counter='i=0; while :; do i=$((i+1)); echo $i; read -t 0.2 x; done'
last_count() { pm logs "$1" 2>/dev/null | tail -n 1; }
wait_count() {	# wait_count NAME N: until NAME printed N (at most 30 s)
	for _ in $(seq 1 150); do
		[ "$(last_count "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
goes_on() {	# goes_on NAME N: "yes" once the log is 1..M with M > N + 3, else what is wrong
	wait_count "$1" $(($2 + 4))
	pm logs "$1" 2>/dev/null | awk -v n="$2" '
		$0 != NR { print "line " NR " is [" $0 "]"; bad = 1; exit }
		END { if (!bad) print (NR > n + 3 ? "yes" : "stuck at " NR) }'
}
status_of() { pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
run_ok() {	# run_ok NAME COMMAND...: checks COMMAND exits 0, shows its stderr if not
	local what=$1 rc
	shift
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	check "$what" 0 $rc
	[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
	return $rc
}
stats_field() {	# stats_field FIELD < --print-stats output: criu_statistics.FIELD of the first container
	python3 -c 'import json, sys
text = sys.stdin.read()
try:
	# From the first "{": the JSON is checked here, what precedes it below.
	stats = json.loads(text[text.index("{"):])
	print(stats["container_statistics"][0]["criu_statistics"].get(sys.argv[1], 0))
except Exception as e:
	print("unreadable:", e)' "$1"
}
checkpoint_tests() {
	local n stopped cid

	run_ok "counter: run -d -i" amber run -d -i --network=none --name cr-count "$image" /bin/sh -c "$counter" || return
	wait_count cr-count 5
	run_ok "container checkpoint" amber container checkpoint cr-count || return
	# Podman hands the runtime its own stdout: a runtime that prints
	# changes what scripts read from podman (runc prints nothing).
	check "checkpoint prints the container's name only" cr-count "$(cat "$work/out")"
	check "checkpoint: exited" exited "$(status_of cr-count)"
	n=$(last_count cr-count)
	sleep 0.6
	stopped=$(last_count cr-count)
	check "checkpoint: the counter stopped at $n" "$n" "$stopped"
	run_ok "container restore" amber container restore cr-count || return
	check "restore: running" running "$(status_of cr-count)"
	check "restore: the count goes on from $n" yes "$(goes_on cr-count "$n")"

	run_ok "container checkpoint --leave-running" amber container checkpoint --leave-running cr-count
	check "--leave-running: still running" running "$(status_of cr-count)"
	check "--leave-running: the count goes on" yes "$(goes_on cr-count "$(last_count cr-count)")"

	# --print-stats reads CRIU's statistics files from the work path.
	run_ok "container checkpoint --print-stats" amber container checkpoint --print-stats cr-count
	check "--print-stats: pages written" 1 "$([ "$(stats_field pages_written <"$work/out")" -gt 0 ] 2>/dev/null && echo 1)"
	n=$(last_count cr-count)
	run_ok "container restore --print-stats" amber container restore --print-stats cr-count
	check "--print-stats: a restore time" 1 "$([ "$(stats_field restore_time <"$work/out")" -gt 0 ] 2>/dev/null && echo 1)"
	check "restore: the count goes on from $n" yes "$(goes_on cr-count "$n")"

	# To an archive, the container removed, and back.
	run_ok "container checkpoint --export" amber container checkpoint --export "$work/cr-count.tar" cr-count
	grep -q 'Tar: ' "$work/err"
	check "--export: no complaint about missing files" 1 $?
	n=$(last_count cr-count)
	run_ok "rm the checkpointed container" amber rm cr-count
	run_ok "container restore --import" amber container restore --import "$work/cr-count.tar"
	check "--import: running" running "$(status_of cr-count)"
	check "--import: the count goes on from $n" yes "$(goes_on cr-count "$n")"
	cid=$(pm inspect -f '{{.Id}}' cr-count 2>/dev/null)
	amber rm -f -t 0 cr-count >/dev/null 2>&1
	[ -n "$cid" ] && [ ! -e "/var/run/runsc/$cid" ]
	check "rm: Amber's state directory is removed" 0 $?
	pgrep -f -- "^runsc .*$cid" >/dev/null
	check "rm: no runsc process is left" 1 $?

	# A plain program: busybox sleep.
	run_ok "sleep: run -d" amber run -d --network=none --name cr-sleep "$image" /bin/sleep 1000 || return
	run_ok "sleep: checkpoint" amber container checkpoint cr-sleep
	run_ok "sleep: restore" amber container restore cr-sleep
	check "sleep: running after the restore" running "$(status_of cr-sleep)"
	run_ok "sleep: stop" amber stop -t 10 cr-sleep
	check "sleep: exited" exited "$(status_of cr-sleep)"
	amber rm cr-sleep >/dev/null 2>&1
}
if [ "$mode" = checkpoint ]; then
	checkpoint_tests
	finish
	exit
fi

# ---- Amber ----------------------------------------------------------------
out=$(amber run --rm --network=none "$image" /bin/echo hello 2>"$work/err")
rc=$?
check "run --rm: exit status" 0 $rc
check "run --rm: output" hello "$out"
[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"

amber run --rm --network=none "$image" /bin/sh -c 'exit 3' 2>"$work/err"
check "run --rm: the program's exit status" 3 $?

cid=$(amber run -d --network=none --name amber-detached "$image" /bin/sleep 300 2>"$work/err")
rc=$?
check "run -d" 0 $rc
[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
if [ $rc -eq 0 ]; then
	check "run -d: running" running "$(pm inspect -f '{{.State.Status}}' amber-detached 2>/dev/null)"
	amber stop -t 10 amber-detached >/dev/null 2>"$work/err"
	rc=$?
	check "stop" 0 $rc
	[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
	check "stop: exited" exited "$(pm inspect -f '{{.State.Status}}' amber-detached 2>/dev/null)"
	amber rm amber-detached >/dev/null 2>"$work/err"
	check "rm" 0 $?
	pm container exists amber-detached
	check "rm: the container is gone" 1 $?
	# Nothing of the sandbox is left: no state, no process.
	[ ! -e "/var/run/runsc/$cid" ]
	check "rm: Amber's state directory is removed" 0 $?
	pgrep -f -- "^runsc .*$cid" >/dev/null
	check "rm: no runsc process is left" 1 $?
fi

# A detached container's output reaches podman logs; wait reports the status.
amber run -d --network=none --name amber-logs "$image" /bin/echo hello >/dev/null 2>"$work/err"
rc=$?
check "run -d echo" 0 $rc
if [ $rc -eq 0 ]; then
	check "wait" 0 "$(amber wait amber-logs 2>/dev/null)"
	check "logs" hello "$(pm logs amber-logs 2>/dev/null)"
	amber rm amber-logs >/dev/null 2>&1
fi

finish
