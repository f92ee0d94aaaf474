#!/bin/bash
# cr_run.sh: the sandboxed side of a comparison in checkpoint/restore mode.
# Runs CMD in a container whose root is the host's, read-only (what
# `runsc do` gives), checkpoints it at its first amber_cr_point() -- or, for
# a program without one, at a random moment -- deletes it, and restores the
# image into a new container id under a new --root. The exit status is the
# program's; its stdout and stderr go where this script's go. A program
# that ended before the moment came is simply not checkpointed.
#
# usage: cr_run.sh RUNSC SCRATCH ENVFILE -- CMD [ARGS...]
# ENVFILE holds the program's environment, NUL-separated (this script's own
# has bash's additions). AMBER_CR_PLATFORMS="P1 P2": run the container on
# platform P1 and restore it on P2 (the platform is not in the image).
set -u
. "$(dirname "$0")/lib.sh"
runsc=$1
scratch=$2
envfile=$3
shift 4
work=$(mktemp -d "$scratch/cr.XXXXXX") || exit 125
cleanup() {
	delete_containers "$runsc" "$work/r1" "$work/r2"
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${CR_KEEP:-}" ] && trap "" EXIT

mkdir -p "$work/b"
(cd "$work/b" && "$runsc" spec) || exit 125
# The same sandbox `runsc do` makes: the host's root read-only, the
# sentry's own /proc, /dev and /sys, its default rlimits, the host's name.
python3 - "$work/b/config.json" "$PWD" "$(uname -n)" "$envfile" "$@" <<'PY' || exit 125
import json, os, sys
path, cwd, host, envfile, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
c = json.load(open(path))
c["root"] = {"path": "/", "readonly": True}
c["hostname"] = host
c["mounts"] = []
p = c["process"]
p["args"] = args
p["cwd"] = cwd
p["terminal"] = False
p["env"] = [e for e in open(envfile, "rb").read().decode().split("\0") if e]
p.pop("rlimits", None)
p.pop("capabilities", None)
l = c["linux"]
for k in ("maskedPaths", "readonlyPaths", "resources", "seccomp"):
    l.pop(k, None)
json.dump(c, open(path, "w"))
PY

# The container's stdio are create's: ours.
read -r p1 p2 <<<"${AMBER_CR_PLATFORMS:-}"
plat1=() plat2=()
[ -n "${p1:-}" ] && plat1=(--platform "$p1")
[ -n "${p2:-}" ] && plat2=(--platform "$p2")
"$runsc" --root "$work/r1" "${plat1[@]}" create --bundle "$work/b" c1 || exit 125
"$runsc" --root "$work/r1" start c1 || exit 125
# The container's stderr is ours (a file runguard keeps): checkpoint when
# the program's marker shows there, or at a random moment in 200-600 ms,
# whichever comes first.
random_ms=$((200 + RANDOM % 400))
t0=$(date +%s%N)
waited=0
errfile=$(readlink -f /proc/$$/fd/2)
while [ $waited -lt $random_ms ]; do
	grep -q "amber-cr-point" "$errfile" 2>/dev/null && break
	sleep 0.01
	waited=$((($(date +%s%N) - t0) / 1000000))
done
if "$runsc" --root "$work/r1" checkpoint --image-path "$work/img" c1 >/dev/null 2>"$work/ckpt.err"; then
	if grep -q "amber-cr-point" "$errfile" 2>/dev/null; then at="at amber_cr_point()"; else at="after ${waited} ms"; fi
	echo "cr_run.sh: checkpointed $at" >&2
	"$runsc" --root "$work/r1" delete c1 2>/dev/null
	"$runsc" --root "$work/r2" "${plat2[@]}" restore --image-path "$work/img" --bundle "$work/b" c2
	exit $?
fi
# The program can also end while the checkpoint is under way: the sentry
# then goes with it and the request finds the connection closed.
state=$("$runsc" --root "$work/r1" state c1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)
if grep -qE "it is stopped|not running|no task to checkpoint" "$work/ckpt.err" ||
	{ grep -q "did not answer" "$work/ckpt.err" && [ "$state" = stopped ]; }; then
	# Ended before the moment came: nothing to checkpoint.
	echo "cr_run.sh: not checkpointed: the program ended first" >&2
	ws=$("$runsc" --root "$work/r1" wait c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["exitStatus"])')
	"$runsc" --root "$work/r1" delete c1 2>/dev/null
	exit "$ws"
fi
echo "cr_run.sh: $(cat "$work/ckpt.err")" >&2
exit 125
