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
# Environment: RUNSC (required): Amber's runsc. Its name must end in
# /runsc: podman passes --log-format=json --log FILE to runtimes it knows
# by name. AMBER_DEBUG_LOG=FILE adds --debug --debug-log FILE to runsc.
# Exit status: 0 all passed, 1 a check failed, 77 skipped (not root,
# packages cannot be installed, or podman cannot run containers here).
set -u
SKIP=77
name=podman.sh
if [ -z "${RUNSC:-}" ] || [ ! -x "$RUNSC" ]; then echo "$name: RUNSC must name Amber's runsc binary" >&2; exit 2; fi
RUNSC=$(realpath "$RUNSC")
here=$(cd "$(dirname "$0")" && pwd)
mkimage=$here/../../tools/make-busybox-image
[ -x "$mkimage" ] || { echo "$name: $mkimage is missing" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$name: skipped: podman with an OCI runtime of our choice needs root here"; exit $SKIP; }

# ---- packages -----------------------------------------------------------
need=()
for p in podman conmon runc busybox-static; do
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
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
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

if [ $fails -ne 0 ]; then
	echo "$name: $fails check(s) failed"
	exit 1
fi
echo "$name: all passed"
