#!/bin/bash
# lifecycle.sh: the OCI lifecycle of a container, as runc users drive it:
# create -> state (created) -> start -> state (running) -> kill -> wait ->
# state (stopped) -> delete, then run, with a static and a dynamic program
# and a --root of our own. Bundles are made in a scratch directory: a
# rootfs with busybox (static) and /bin/ls with its libraries (dynamic).
# Environment: RUNSC (required).
set -u
. "$(dirname "$0")/lib.sh"
[ -n "${RUNSC:-}" ] && [ -x "$RUNSC" ] || { echo "lifecycle.sh: RUNSC must name the runsc binary" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lifecycle.XXXXXX") || exit 2
root=$work/state
trap 'for id in $("$RUNSC" --root "$root" list --format json 2>/dev/null | python3 -c "import json,sys; [print(c[\"id\"]) for c in json.load(sys.stdin)]" 2>/dev/null); do "$RUNSC" --root "$root" delete --force "$id" >/dev/null 2>&1; done; rm -rf "$work"' EXIT
fails=0
rs() { "$RUNSC" --root "$root" "$@"; }
status_of() { rs state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo none; }

make_bundle() {	# make_bundle DIR ARGS-JSON
	local b=$1
	mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/dev" "$b/rootfs/tmp" "$b/rootfs/etc"
	cp /bin/busybox "$b/rootfs/bin/busybox"
	for a in sh echo sleep cat true false; do ln -sf busybox "$b/rootfs/bin/$a"; done
	cp /bin/ls "$b/rootfs/bin/ls"
	for lib in $(ldd /bin/ls | grep -o '/[^ ]*'); do
		mkdir -p "$b/rootfs$(dirname "$lib")"
		cp -L "$lib" "$b/rootfs$lib"
	done
	echo "hello from the bundle" >"$b/rootfs/etc/motd"
	(cd "$b" && "$RUNSC" spec) || return 1
	python3 - "$b/config.json" "$2" <<'PY'
import json, sys
path, args = sys.argv[1], json.loads(sys.argv[2])
c = json.load(open(path))
c["process"]["args"] = args
c["process"]["terminal"] = False
json.dump(c, open(path, "w"), indent=2)
PY
}

# Static program: the full create/start/kill/wait/delete cycle.
make_bundle "$work/b1" '["/bin/sleep", "100"]' || exit 2
rs create --bundle "$work/b1" --pid-file "$work/pid" c1 </dev/null >/dev/null
check "create" 0 $?
check "state after create" created "$(status_of c1)"
check "pid file names the sandbox" "$(rs state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" "$(cat "$work/pid")"
rs create --bundle "$work/b1" c1 </dev/null >/dev/null 2>"$work/err"
check "create with an existing id fails" 1 $?
rs start c1
check "start" 0 $?
check "state after start" running "$(status_of c1)"
rs start c1 2>/dev/null
check "start twice fails" 1 $?
rs ps c1 | grep -q sleep
check "ps lists the program" 0 $?
rs list | grep -q "^c1 .*running"
check "list shows it running" 0 $?
rs events --stats c1 | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["type"]=="stats" and e["data"]["memory"]["usage"]["usage"] > 0 and e["data"]["pids"]["current"] == 1'
check "events --stats" 0 $?
rs kill c1 KILL
check "kill" 0 $?
check "wait reports the signal" '{"id":"c1","exitStatus":137}' "$(rs wait c1)"
check "state after exit" stopped "$(status_of c1)"
rs kill c1 TERM 2>/dev/null
check "kill of a stopped container fails" 1 $?
rs delete c1
check "delete" 0 $?
check "state after delete" none "$(status_of c1)"
[ ! -e "$root/c1" ]
check "state directory removed" 0 $?

# Several processes: ps lists each with its parent, stats counts them, a
# signal to init alone leaves its children (init ignores it), kill --all
# reaches every one.
make_bundle "$work/bp" '["/bin/sh", "-c", "trap \"\" TERM; sleep 100 & sleep 100 & wait; echo done"]' || exit 2
rs create --bundle "$work/bp" cp </dev/null >/dev/null && rs start cp
check "start a shell with two children" 0 $?
for _ in $(seq 50); do [ "$(rs ps cp | grep -c sleep)" = 2 ] && break; sleep 0.1; done
check "ps lists init and its children" "1 0 sh|2 1 sleep|3 1 sleep" \
	"$(rs ps cp | awk 'NR > 1 { print $2, $3, $8 }' | sort -n | paste -sd'|')"
rs events --stats cp | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["data"]["pids"]["current"] == 3'
check "events --stats counts three pids" 0 $?
rs kill cp TERM
sleep 0.3
check "SIGTERM to init only: still running" running "$(status_of cp)"
check "  its children too" 2 "$(rs ps cp | grep -c sleep)"
rs kill --all cp KILL
check "kill --all" 0 $?
check "wait after kill --all" '{"id":"cp","exitStatus":137}' "$(rs wait cp)"
rs delete cp

# Dynamic program, run to completion with run.
make_bundle "$work/b2" '["/bin/ls", "/etc"]' || exit 2
out=$(rs run --bundle "$work/b2" c2 </dev/null)
check "run of a dynamic program: exit status" 0 $?
check "run of a dynamic program: output" motd "$out"
out=$(cd "$work/b2" && rs run c3 </dev/null)
check "run with the bundle in the cwd" motd "$out"
[ ! -e "$root/c2" ] && [ ! -e "$root/c3" ]
check "run removes its state" 0 $?

# Exit status and stdout of a program that fails.
make_bundle "$work/b3" '["/bin/sh", "-c", "read line </etc/motd; echo $line; exit 3"]' || exit 2
out=$(rs run --bundle "$work/b3" c4 </dev/null)
check "exit status of run" 3 $?
check "stdout of run" "hello from the bundle" "$out"

# A writable root: the container creates, writes and removes files, and
# the host sees the result with the right contents and mode.
make_bundle "$work/b5" '["/bin/sh", "-c", "echo written > /out.txt; echo more >> /out.txt; umask 027; echo x > /gone; echo y > /kept"]' || exit 2
python3 - "$work/b5/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["root"]["readonly"] = False; json.dump(c, open(sys.argv[1], "w"))
PY
rs run --bundle "$work/b5" c6 </dev/null
check "a container writes to its root" 0 $?
check "the host sees the contents" "written more" "$(tr '\n' ' ' <"$work/b5/rootfs/out.txt" | sed 's/ $//')"
check "umask applies to created files" 640 "$(stat -c %a "$work/b5/rootfs/kept")"
make_bundle "$work/b6" '["/bin/busybox", "mkdir", "-p", "/new/dir/deep"]' || exit 2
python3 - "$work/b6/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["root"]["readonly"] = False; json.dump(c, open(sys.argv[1], "w"))
PY
rs run --bundle "$work/b6" c7 </dev/null
check "mkdir -p in the container" 0 $?
[ -d "$work/b6/rootfs/new/dir/deep" ]
check "the host sees the directories" 0 $?
make_bundle "$work/b7" '["/bin/sh", "-c", "echo no > /denied"]' || exit 2
rs run --bundle "$work/b7" c8 </dev/null 2>"$work/err"
check "a read-only root refuses writes" 1 $?
grep -q "Read-only file system" "$work/err"
check "with EROFS" 0 $?
[ ! -e "$work/b7/rootfs/denied" ]
check "nothing written to a read-only root" 0 $?

# Bind mounts: a writable one the container writes into, a read-only one
# it can read but not write, and a source that does not exist.
mkdir -p "$work/shared" "$work/ro" && echo from-host >"$work/ro/in.txt"
make_bundle "$work/b8" '["/bin/sh", "-c", "read l </ro/in.txt; echo $l > /mnt/out.txt; echo no > /ro/x"]' || exit 2
mkdir -p "$work/b8/rootfs/mnt" "$work/b8/rootfs/ro"
python3 - "$work/b8/config.json" "$work/shared" "$work/ro" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] += [{"destination": "/mnt", "type": "bind", "source": sys.argv[2], "options": ["rbind", "rw"]},
                {"destination": "/ro", "type": "bind", "source": sys.argv[3], "options": ["rbind", "ro"]}]
json.dump(c, open(sys.argv[1], "w"))
PY
rs run --bundle "$work/b8" c9 </dev/null 2>"$work/err"
check "write to a read-only bind mount fails" 1 $?
check "the host sees a file written into a bind mount" from-host "$(cat "$work/shared/out.txt" 2>/dev/null)"
[ ! -e "$work/ro/x" ]
check "nothing written through a read-only bind mount" 0 $?
python3 - "$work/b8/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/cat", "/proc/self/mountinfo"]; json.dump(c, open(sys.argv[1], "w"))
PY
out=$(rs run --bundle "$work/b8" c11 </dev/null)
echo "$out" | grep -q " / /mnt rw,relatime - bind " && echo "$out" | grep -q " / /ro ro,relatime - bind "
check "mountinfo lists the bind mounts" 0 $?
python3 - "$work/b8/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["mounts"][-1]["source"] = "/nonexistent/dir"; json.dump(c, open(sys.argv[1], "w"))
PY
rs create --bundle "$work/b8" c10 </dev/null >/dev/null 2>"$work/err"
check "a bind mount of a missing source fails" 1 $?
grep -q "mounts\[[0-9]*\].source" "$work/err"
check "the error names the JSON path" 0 $?
[ ! -e "$root/c10" ]
check "and leaves no state" 0 $?

# File bind mounts, as Podman and Docker make for /etc/hosts and friends,
# onto an existing file and onto one that has to be created.
echo "127.0.0.1 amber-test" >"$work/hosts"
echo "written by the host" >"$work/containerenv"
make_bundle "$work/b12" '["/bin/sh", "-c", "read a </etc/hosts; read b </run/.containerenv; echo $a / $b; echo appended >> /etc/hosts"]' || exit 2
touch "$work/b12/rootfs/etc/hosts"
python3 - "$work/b12/config.json" "$work/hosts" "$work/containerenv" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] += [{"destination": "/etc/hosts", "type": "bind", "source": sys.argv[2], "options": ["rbind", "rprivate"]},
                {"destination": "/run/.containerenv", "type": "bind", "source": sys.argv[3], "options": ["bind", "ro"]}]
json.dump(c, open(sys.argv[1], "w"))
PY
out=$(rs run --bundle "$work/b12" c18 </dev/null)
check "file bind mounts" "127.0.0.1 amber-test / written by the host" "$out"
check "a write through a file bind mount reaches the host" appended "$(tail -1 "$work/hosts")"

# tmpfs mounts: /dev/shm from the default spec, /tmp added, and a small
# one whose size= is enforced.
make_bundle "$work/b9" '["/bin/sh", "-c", "echo abc > /tmp/f; read l < /tmp/f; echo x$l > /dev/shm/y; read m < /dev/shm/y; echo $m"]' || exit 2
python3 - "$work/b9/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1777"]})
c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["size=8k"]})
json.dump(c, open(sys.argv[1], "w"))
PY
out=$(rs run --bundle "$work/b9" c12 </dev/null)
check "tmpfs on /tmp and /dev/shm" xabc "$out"
[ ! -e "$work/b9/rootfs/tmp/f" ]
check "tmpfs data stays in the sandbox" 0 $?
python3 - "$work/b9/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/busybox", "dd", "if=/dev/zero", "of=/etc/big", "bs=4096", "count=4"]
json.dump(c, open(sys.argv[1], "w"))
PY
rs run --bundle "$work/b9" c13 </dev/null 2>"$work/err"
check "tmpfs size= is enforced" 1 $?
grep -q "No space left" "$work/err"
check "with ENOSPC" 0 $?

# maskedPaths and readonlyPaths on a writable root.
make_bundle "$work/b10" '["/bin/sh", "-c", "read l </etc/motd; echo m[$l]; echo w > /data/f; echo $?; echo ok > /tmp/f"]' || exit 2
mkdir -p "$work/b10/rootfs/data"
python3 - "$work/b10/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["readonly"] = False
c["linux"]["maskedPaths"] = ["/etc/motd", "/nonexistent"]
c["linux"]["readonlyPaths"] = ["/data"]
json.dump(c, open(sys.argv[1], "w"))
PY
out=$(rs run --bundle "$work/b10" c14 </dev/null 2>/dev/null | tr '\n' ' ')
check "masked and read-only paths" "m[] 1 " "$out"
[ ! -e "$work/b10/rootfs/data/f" ] && [ -e "$work/b10/rootfs/tmp/f" ]
check "read-only path refused, the rest writable" 0 $?

# Hooks run at their points with the state on stdin; a failing prestart
# hook fails create and leaves nothing behind.
make_bundle "$work/b11" '["/bin/true"]' || exit 2
cat >"$work/hook" <<HOOK
#!/bin/sh
python3 -c 'import json,sys; s=json.load(sys.stdin); print(sys.argv[1], s["id"], s["status"])' "\$1" >>"$work/hooks.log"
HOOK
chmod +x "$work/hook"
python3 - "$work/b11/config.json" "$work/hook" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); h = sys.argv[2]
c["hooks"] = {k: [{"path": h, "args": ["hook", k]}] for k in
              ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]}
json.dump(c, open(sys.argv[1], "w"))
PY
rs run --bundle "$work/b11" c15 </dev/null
check "run with hooks" 0 $?
check "hooks ran in order with the state" "prestart c15 created,createRuntime c15 created,createContainer c15 created,startContainer c15 created,poststart c15 running,poststop c15 stopped" "$(paste -sd, "$work/hooks.log")"
python3 - "$work/b11/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["hooks"] = {"prestart": [{"path": "/bin/false"}]}
json.dump(c, open(sys.argv[1], "w"))
PY
rs create --bundle "$work/b11" c16 </dev/null 2>"$work/err"
check "a failing prestart hook fails create" 1 $?
[ ! -e "$root/c16" ]
check "and leaves no state" 0 $?

# The sentry killed from outside: stopped, delete cleans up, the gofer exits.
rs create --bundle "$work/b1" c17 </dev/null >/dev/null && rs start c17
spid=$(rs state c17 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
gpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gofer_pid"])' "$root/c17/state.json")
kill -KILL "$spid"
sleep 0.3
check "a killed sentry reads as stopped" stopped "$(status_of c17)"
rs delete c17
check "delete after the sentry died" 0 $?
sleep 0.3
[ "$(ps -o stat= -p "$gpid" 2>/dev/null | cut -c1)" != S ] && [ "$(ps -o stat= -p "$gpid" 2>/dev/null | cut -c1)" != R ]
check "the gofer is gone" 0 $?

# Bad input: unknown id, id with a slash, missing program.
rs state nope >/dev/null 2>&1
check "state of an unknown id fails" 1 $?
rs create --bundle "$work/b1" "a/b" </dev/null >/dev/null 2>&1
check "an id with a slash is refused" 1 $?
make_bundle "$work/b4" '["/bin/nonexistent"]' || exit 2
rs create --bundle "$work/b4" c5 </dev/null >/dev/null 2>"$work/err"
check "create of a missing program fails" 1 $?
[ ! -e "$root/c5" ]
check "a failed create leaves no state" 0 $?
grep -q "no such file" "$work/err"
check "a failed create says why" 0 $?


# Namespaces: the sentry is the init of its own pid namespace, and with
# uidMappings it runs as the mapped root of its own user namespace.
rs create --bundle "$work/b1" c18 </dev/null >/dev/null && rs start c18
spid=$(rs state c18 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "the sentry is pid 1 of its pid namespace" 1 "$(awk '/^NSpid:/ {print $3}' /proc/$spid/status)"
check "the sentry has a pid namespace of its own" 1 "$([ "$(readlink /proc/$spid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && echo 1)"
rs delete --force c18
make_bundle "$work/b13" '["/bin/sh", "-c", "while read l; do echo $l; done </proc/self/status; exec sleep 100"]' || exit 2
python3 - "$work/b13/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
rs create --bundle "$work/b13" c19 </dev/null >"$work/out19" 2>"$work/err19"
check "create with a user namespace" 0 $?
rs start c19
sleep 0.3
spid=$(rs state c19 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "the sentry runs as the mapped root" "100000 100000" "$(awk '/^Uid:/ {print $2, $3}' /proc/$spid/status)"
check "the sentry has a user namespace of its own" 1 "$([ -n "$(readlink /proc/$spid/ns/user)" ] && [ "$(readlink /proc/$spid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && echo 1)"
check "the uid map is the spec's" "0 100000 65536" "$(awk '{print $1, $2, $3}' /proc/$spid/uid_map)"
check "the container's ids" "0 0" "$(awk '/^Uid:/ {u=$2} /^Gid:/ {g=$2} END {print u, g}' "$work/out19")"
rs delete --force c19
check "delete with a user namespace" 0 $?
python3 - "$work/b13/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 10}, {"containerID": 5, "hostID": 200000, "size": 10}]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
rs create --bundle "$work/b13" c20 </dev/null >/dev/null 2>"$work/err20"
check "an overlapping uid mapping is refused" 1 $?
check "and the error names it" 1 "$(grep -c "linux.uidMappings: cannot be applied" "$work/err20")"
[ ! -e "$root/c20" ]
check "and leaves no state" 0 $?

echo "$fails failed"
[ "$fails" -eq 0 ]
