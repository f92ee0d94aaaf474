#!/bin/bash
# docker.sh: Docker runs containers with Amber registered as a runtime in
# daemon.json ("runtimes": {"amber": {"path": <Amber's runsc>}}), as its
# users run them: `docker run --runtime=amber --network=none IMAGE
# /bin/echo hello`, and `run -d`, `stop`, `rm`. IMAGE is a busybox image
# built here and imported (tools/make-busybox-image), no registry.
#
# docker.io, containerd, runc and busybox-static are installed from Debian
# when missing. The test starts a docker daemon of its own (own socket,
# data root, exec root and managed containerd; no iptables, no bridge), so
# a docker daemon already on the host is neither needed nor touched, and
# stops it at the end. If that daemon cannot start here, or cannot run a
# container with runc either, the host is at fault, not Amber: the test
# says why and is skipped.
#
# The exec root is /run/amber-docker.XXXXXX, so runtime state paths
# (<exec-root>/runtime-runc/moby/<64-hex id>/...) are as long as under a
# stock daemon's /var/run/docker.
#
# With the argument "checkpoint", the daemon is started with
# "experimental": true (docker's checkpoints are experimental) and the
# test checkpoints and restores containers instead: `docker checkpoint
# create [--leave-running]` and `docker start --checkpoint`. containerd
# pauses a container around its checkpoint (runsc pause, runsc resume), so
# `docker pause` and `unpause` are checked as well.
#
#   docker.sh [checkpoint]
#
# Environment: RUNSC (required): Amber's runsc. DOCKER: the docker client
# (default: Debian's /usr/bin/docker, the daemon's version).
# AMBER_DEBUG_LOG=FILE registers runsc with --debug --debug-log FILE.
# Exit status: 0 all passed, 1 a check failed, 77 skipped.
set -u
. "$(dirname "$0")/lib.sh"
SKIP=77
name=docker.sh
mode=${1:-basic}
case $mode in basic|checkpoint) ;; *) echo "usage: $name [checkpoint]" >&2; exit 2 ;; esac
[ "$mode" = checkpoint ] && name="docker.sh checkpoint"
if [ -z "${RUNSC:-}" ] || [ ! -x "$RUNSC" ]; then echo "$name: RUNSC must name Amber's runsc binary" >&2; exit 2; fi
RUNSC=$(realpath "$RUNSC")
here=$(cd "$(dirname "$0")" && pwd)
mkimage=$here/../../tools/make-busybox-image
[ -x "$mkimage" ] || { echo "$name: $mkimage is missing" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$name: skipped: a docker daemon needs root"; exit $SKIP; }

# ---- packages -----------------------------------------------------------
need=()
for p in docker.io containerd runc busybox-static; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "$name: installing ${need[*]}"
	# docker.io's postinst would start the system daemon; a policy-rc.d
	# that says no keeps it stopped (we run our own).
	prc=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && prc=1
	fi
	ok=0
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
	  { apt-get update >/dev/null 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; }; } && ok=1
	[ -n "$prc" ] && rm -f /usr/sbin/policy-rc.d
	if [ $ok = 0 ]; then
		echo "$name: skipped: cannot install ${need[*]} with apt-get"
		exit $SKIP
	fi
fi
DOCKER=${DOCKER:-/usr/bin/docker}
if ! command -v dockerd >/dev/null || [ ! -x "$DOCKER" ]; then echo "$name: skipped: dockerd or $DOCKER is missing"; exit $SKIP; fi

# ---- a docker daemon of our own -------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/docker-amber.XXXXXX") || exit 2
execroot=$(mktemp -d /run/amber-docker.XXXXXX) || exit 2
sock=$work/docker.sock
image=amber-busybox:test
dpid=
dk() { timeout 120 "$DOCKER" -H "unix://$sock" "$@"; }
cleanup() {
	local ids p
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		ids=$(dk ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1
		dk rmi -f "$image" >/dev/null 2>&1
		kill -TERM "$dpid"
		for _ in $(seq 1 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$dpid" 2>/dev/null && kill -KILL "$dpid"
	fi
	# Our containerd's shims, if a container outlived its daemon: they
	# name our exec root on their command line.
	for p in $(pgrep -f -- "-address $execroot/" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	findmnt -rn -o TARGET | grep -E "^($work|$execroot)/" | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$work" "$execroot"
}
trap cleanup EXIT

runtime_args=
[ -n "${AMBER_DEBUG_LOG:-}" ] && runtime_args=", \"runtimeArgs\": [\"--debug\", \"--debug-log\", \"$AMBER_DEBUG_LOG\"]"
experimental=false
[ "$mode" = checkpoint ] && experimental=true
cat >"$work/daemon.json" <<EOF
{
  "runtimes": { "amber": { "path": "$RUNSC"$runtime_args } },
  "iptables": false,
  "ip6tables": false,
  "bridge": "none",
  "experimental": $experimental
}
EOF
dockerd --config-file "$work/daemon.json" --data-root "$work/data" --exec-root "$execroot" \
	--pidfile "$work/dockerd.pid" -H "unix://$sock" >"$work/dockerd.log" 2>&1 &
dpid=$!
for _ in $(seq 1 150); do
	dk version >/dev/null 2>&1 && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.2
done
if ! dk version >/dev/null 2>&1; then
	tail -n 20 "$work/dockerd.log"
	echo "$name: skipped: the docker daemon cannot start here (log above)"
	exit $SKIP
fi
dk info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"amber"' ||
	{ echo "$name: the daemon did not register the amber runtime"; exit 1; }

fails=0
finish() {	# prints the verdict; returns the exit status
	if [ $fails -ne 0 ]; then
		echo "$name: $fails check(s) failed"
		return 1
	fi
	echo "$name: all passed"
}

if ! DOCKER="$DOCKER" DOCKER_FLAGS="-H unix://$sock" "$mkimage" --docker "$image" >"$work/mkimage.log" 2>&1; then
	cat "$work/mkimage.log"
	echo "$name: skipped: cannot build or import the busybox image"
	exit $SKIP
fi

# ---- the host can run docker containers (runc, the default runtime) ------
out=$(dk run --rm --network=none "$image" /bin/echo hello 2>"$work/err")
if [ "$out" != hello ]; then
	cat "$work/err"
	echo "$name: skipped: docker cannot run a container with runc on this host either"
	exit $SKIP
fi
echo "ok   docker runs the image with runc (host check)"

# ---- checkpoint and restore -----------------------------------------------
# A counter that never forks (a sandbox holds one process): ash builtins
# only, with `read -t` on the silent stdin that `run -i` keeps open as its
# sleep. Its log must read 1, 2, 3 ... across every checkpoint and restore:
# no restart from 1, no gap, no repeat.
# shellcheck disable=SC2016  # expanded by the container's shell
counter='i=0; while :; do i=$((i+1)); echo $i; read -t 0.2 x; done'
last_count() { dk logs "$1" 2>/dev/null | tail -n 1; }
wait_count() {	# wait_count NAME N: until NAME printed N (at most 30 s)
	for _ in $(seq 1 150); do
		[ "$(last_count "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
goes_on() {	# goes_on NAME N: "yes" once the log is 1..M with M > N + 3, else what is wrong
	wait_count "$1" $(($2 + 4))
	dk logs "$1" 2>/dev/null | awk -v n="$2" '
		$0 != NR { print "line " NR " is [" $0 "]"; bad = 1; exit }
		END { if (!bad) print (NR > n + 3 ? "yes" : "stuck at " NR) }'
}
status_of() { dk inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
run_ok() {	# run_ok NAME COMMAND...: checks COMMAND exits 0, shows its stderr if not
	local what=$1 rc
	shift
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	check "$what" 0 $rc
	[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
	return $rc
}
# docker start --checkpoint NAME CONTAINER. Docker uploads the checkpoint
# directory to containerd as a tar, which is byte for byte the blob that
# containerd made of it at checkpoint create; docker deletes only that
# blob's index, and until containerd's garbage collector has taken the
# blob too, the upload fails ("commit failed: content sha256:...: already
# exists") before any runtime is asked. A client's quirk, not Amber's:
# the start is tried again while that is the error, for 5 s at most.
start_checkpoint() {
	local i
	for i in $(seq 1 25); do
		dk start --checkpoint "$1" "$2" && return 0
		grep -q "already exists" "$work/err" || return 1
		sleep 0.2
	done
	return 1
}
checkpoint_tests() {
	local n a cid

	run_ok "counter: run -d -i" dk run -d -i --runtime=amber --network=none --name cr-count "$image" /bin/sh -c "$counter" ||
		return
	cid=$(cat "$work/out")
	wait_count cr-count 5

	# What containerd does around a checkpoint.
	run_ok "pause" dk pause cr-count
	check "pause: paused" paused "$(status_of cr-count)"
	a=$(last_count cr-count)
	sleep 0.6
	check "pause: the counter stands still" "$a" "$(last_count cr-count)"
	run_ok "unpause" dk unpause cr-count
	check "unpause: running" running "$(status_of cr-count)"
	check "unpause: the count goes on" yes "$(goes_on cr-count "$a")"

	# (docker start on a running container succeeds: a restore is only
	# checked after a checkpoint that stopped the container.)
	if run_ok "checkpoint create" dk checkpoint create cr-count cp1; then
		check "checkpoint create: exited" exited "$(status_of cr-count)"
		n=$(last_count cr-count)
		sleep 0.6
		check "checkpoint create: the counter stopped at $n" "$n" "$(last_count cr-count)"
		check "checkpoint ls" cp1 "$(dk checkpoint ls cr-count 2>/dev/null | tail -n +2 | tr -d ' ')"
		run_ok "start --checkpoint" start_checkpoint cp1 cr-count
		check "start --checkpoint: running" running "$(status_of cr-count)"
		check "start --checkpoint: the count goes on from $n" yes "$(goes_on cr-count "$n")"
	fi

	if run_ok "checkpoint create --leave-running" dk checkpoint create --leave-running cr-count cp2; then
		check "--leave-running: still running" running "$(status_of cr-count)"
		check "--leave-running: the count goes on" yes "$(goes_on cr-count "$(last_count cr-count)")"
	fi

	run_ok "rm -f" dk rm -f cr-count
	[ ! -e "$execroot/runtime-runc/moby/$cid" ]
	check "rm: Amber's state directory is removed" 0 $?
	pgrep -f -- "^runsc .*$cid" >/dev/null
	check "rm: no runsc process is left" 1 $?

	# A plain program: busybox sleep.
	run_ok "sleep: run -d" dk run -d --runtime=amber --network=none --name cr-sleep "$image" /bin/sleep 1000 || return
	if run_ok "sleep: checkpoint create" dk checkpoint create cr-sleep cp1; then
		run_ok "sleep: start --checkpoint" start_checkpoint cp1 cr-sleep
		check "sleep: running after the restore" running "$(status_of cr-sleep)"
	fi
	run_ok "sleep: stop" dk stop -t 10 cr-sleep
	check "sleep: exited" exited "$(status_of cr-sleep)"
	dk rm cr-sleep >/dev/null 2>&1
}
if [ "$mode" = checkpoint ]; then
	checkpoint_tests
	finish
	exit
fi

# ---- Amber ----------------------------------------------------------------
out=$(dk run --rm --runtime=amber --network=none "$image" /bin/echo hello 2>"$work/err")
rc=$?
check "run --rm: exit status" 0 $rc
check "run --rm: output" hello "$out"
[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"

dk run --rm --runtime=amber --network=none "$image" /bin/sh -c 'exit 3' 2>"$work/err"
check "run --rm: the program's exit status" 3 $?

cid=$(dk run -d --runtime=amber --network=none --name amber-detached "$image" /bin/sleep 300 2>"$work/err")
rc=$?
check "run -d" 0 $rc
[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
if [ $rc -eq 0 ]; then
	check "run -d: running" running "$(dk inspect -f '{{.State.Status}}' amber-detached 2>/dev/null)"
	check "run -d: the amber runtime" amber "$(dk inspect -f '{{.HostConfig.Runtime}}' amber-detached 2>/dev/null)"
	dk stop -t 10 amber-detached >/dev/null 2>"$work/err"
	rc=$?
	check "stop" 0 $rc
	[ $rc -ne 0 ] && sed 's/^/     /' "$work/err"
	check "stop: exited" exited "$(dk inspect -f '{{.State.Status}}' amber-detached 2>/dev/null)"
	dk rm amber-detached >/dev/null 2>"$work/err"
	check "rm" 0 $?
	dk inspect amber-detached >/dev/null 2>&1
	check "rm: the container is gone" 1 $?
	# Nothing of the sandbox is left: no state, no process.
	[ ! -e "$execroot/runtime-runc/moby/$cid" ]
	check "rm: Amber's state directory is removed" 0 $?
	pgrep -f -- "^runsc .*$cid" >/dev/null
	check "rm: no runsc process is left" 1 $?
fi

# A detached container's output reaches docker logs; wait reports the status.
dk run -d --runtime=amber --network=none --name amber-logs "$image" /bin/echo hello >/dev/null 2>"$work/err"
rc=$?
check "run -d echo" 0 $rc
if [ $rc -eq 0 ]; then
	check "wait" 0 "$(dk wait amber-logs 2>/dev/null)"
	check "logs" hello "$(dk logs amber-logs 2>/dev/null)"
	dk rm amber-logs >/dev/null 2>&1
fi

finish
