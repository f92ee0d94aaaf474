#!/bin/bash
# sysfs.sh: the /sys of containers made by `runsc spec`: the CPU list
# programs read, the sysfs mount in mountinfo (read-only, as the default
# spec asks), writes refused, /sys/firmware masked; a spec without a
# sysfs mount still gets one on /sys, read-write, as gVisor does. Bundles
# hold a static busybox only; its sh runs the checks with builtins.
# Environment: RUNSC (required).
set -u
. "$(dirname "$0")/lib.sh"
[ -n "${RUNSC:-}" ] && [ -x "$RUNSC" ] || { echo "sysfs.sh: RUNSC must name the runsc binary" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sysfs.XXXXXX") || exit 2
root=$work/state
trap 'for id in $("$RUNSC" --root "$root" list --format json 2>/dev/null | python3 -c "import json,sys; [print(c[\"id\"]) for c in json.load(sys.stdin)]" 2>/dev/null); do "$RUNSC" --root "$root" delete --force "$id" >/dev/null 2>&1; done; rm -rf "$work"' EXIT
fails=0
rs() { "$RUNSC" --root "$root" "$@"; }

# make_bundle DIR SCRIPT [PYTHON]: a bundle running sh -c SCRIPT, its
# config.json from `runsc spec` then changed by the python statements
# (c is the config).
make_bundle() {
	local b=$1
	mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/dev"
	cp /bin/busybox "$b/rootfs/bin/busybox"
	ln -sf busybox "$b/rootfs/bin/sh"
	(cd "$b" && "$RUNSC" spec) || return 1
	python3 - "$b/config.json" "$2" "${3:-pass}" <<'PY'
import json, sys
path, script, change = sys.argv[1:4]
c = json.load(open(path))
c["process"]["args"] = ["/bin/sh", "-c", script]
c["process"]["terminal"] = False
exec(change)
json.dump(c, open(path, "w"), indent=2)
PY
}

# What the sandbox reports: as many CPUs as runsc may run on, numbered
# from 0 (nproc counts the same affinity mask the sentry counts).
n=$(nproc)
if [ "$n" -eq 1 ]; then cpus=0; else cpus=0-$((n - 1)); fi

# The default spec: sysfs on /sys with "ro"; the rootfs has no /sys, so
# the mount point is made, as runc does.
make_bundle "$work/b1" 'read l </sys/devices/system/cpu/online; echo $l' || exit 2
out=$(rs run --bundle "$work/b1" c1 </dev/null)
check "run: exit status" 0 $?
check "/sys/devices/system/cpu/online" "$cpus" "$out"
# A rootfs with a /sys: kernel_init's sysfs takes the spec's "ro" rather
# than being covered by a second one.
make_bundle "$work/b2" 'while read l; do case $l in *" /sys "*|*" /sys/firmware "*) echo "$l";; esac; done </proc/self/mountinfo' || exit 2
mkdir -p "$work/b2/rootfs/sys"
out=$(rs run --bundle "$work/b2" c2 </dev/null)
echo "$out" | grep -q " / /sys ro,[^ ]* - sysfs sysfs ro$"
check "mountinfo: a read-only sysfs on /sys" 0 $?
echo "$out" | grep -q " / /sys/firmware ro,[^ ]* - tmpfs "
check "mountinfo: /sys/firmware masked" 0 $?
check "one sysfs mount only" 1 "$(echo "$out" | grep -c " - sysfs ")"
make_bundle "$work/b3" 'echo 1 >/sys/devices/system/cpu/online' || exit 2
rs run --bundle "$work/b3" c3 </dev/null 2>"$work/err"
[ $? -ne 0 ]
check "a write to /sys fails" 0 $?
grep -q "Read-only file system" "$work/err"
check "with EROFS" 0 $?
make_bundle "$work/b4" 'cd /sys/devices/system/cpu/cpu0/topology && read l <core_id && echo $l' || exit 2
check "cpu0's topology" 0 "$(rs run --bundle "$work/b4" c4 </dev/null)"

# No sysfs in the spec: kernel_init's on /sys (where the rootfs has one)
# stays, read-write; a write then gets EACCES, as on Linux.
make_bundle "$work/b5" 'read l </sys/devices/system/cpu/possible; echo $l; echo 1 >/sys/devices/system/cpu/online' \
	'c["mounts"] = [m for m in c["mounts"] if m["type"] != "sysfs"]' || exit 2
mkdir -p "$work/b5/rootfs/sys"
out=$(rs run --bundle "$work/b5" c5 </dev/null 2>"$work/err")
check "a spec without sysfs: /sys is there" "$cpus" "$out"
grep -q "Permission denied" "$work/err"
check "a write to the read-write sysfs gets EACCES" 0 $?

# A sysfs elsewhere: a second, separate mount.
make_bundle "$work/b6" 'read l </host-sys/devices/system/cpu/present; echo $l' \
	'c["mounts"].append({"destination": "/host-sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]})' || exit 2
check "a sysfs on another directory" "$cpus" "$(rs run --bundle "$work/b6" c6 </dev/null)"

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" -eq 0 ]
