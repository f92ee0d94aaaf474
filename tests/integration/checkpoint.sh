#!/bin/bash
# Checkpoint and restore: a program checkpointed mid-run and restored (into
# a new id and a new --root, the original deleted first) prints what an
# uninterrupted run prints and exits the same way; one image restores twice
# side by side; --leave-running goes on untouched; a sleep keeps what it had
# left; a failed checkpoint leaves the container running and the earlier
# image intact; a bad image is refused with one line and leaves nothing.
#
# usage: checkpoint.sh STATIC_COUNTER DYNAMIC_COUNTER TMPFS_PROG FILES_PROG   (RUNSC in the environment)
set -u
. "$(dirname "$0")/lib.sh"
static_prog=$1
dynamic_prog=$2
tmpfs_prog=$3
files_prog=$4
work=$(mktemp -d /tmp/checkpoint.XXXXXX)
root=$work/state
root2=$work/state2
fails=0
cleanup() {
	delete_containers "$RUNSC" "$root" "$root2"
	rm -rf "$work"
}
trap cleanup EXIT

rs() { "$RUNSC" --root "$root" "$@"; }
rs2() { "$RUNSC" --root "$root2" "$@"; }
status_of() { "$RUNSC" --root "$1" state "$2" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo none; }

make_bundle() {	# make_bundle DIR PROGRAM ARGS-JSON
	local b=$1
	mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/dev" "$b/rootfs/tmp" "$b/rootfs/etc"
	cp /bin/busybox "$b/rootfs/bin/busybox"
	ln -sf busybox "$b/rootfs/bin/sleep"
	cp "$2" "$b/rootfs/counter"
	for lib in $(ldd "$2" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$b/rootfs$(dirname "$lib")"
		cp -L "$lib" "$b/rootfs$lib"
	done
	(cd "$b" && "$RUNSC" spec) || return 1
	python3 - "$b/config.json" "$3" <<'PY'
import json, sys
path, args = sys.argv[1], json.loads(sys.argv[2])
c = json.load(open(path))
c["process"]["args"] = args
c["process"]["terminal"] = False
json.dump(c, open(path, "w"), indent=2)
PY
}

# One program, checkpointed after DELAY and restored elsewhere: output and
# status equal to an uninterrupted run's.
round_trip() {	# round_trip NAME PROGRAM
	local name=$1 b=$work/$1
	make_bundle "$b" "$2" '["/counter", "8", "20", "100"]' || return 1
	rs run --bundle "$b" "$name-ref" </dev/null >"$work/$name.ref"
	check "$name: uninterrupted run exits 7" 7 $?
	rs create --bundle "$b" "$name" </dev/null >"$work/$name.out" 2>"$work/$name.err" && rs start "$name"
	sleep 1
	rs checkpoint --image-path "$work/$name.img" "$name" 2>"$work/$name.ckpt"
	check "$name: checkpoint" 0 $?
	check "$name: the summary line" 1 "$(grep -c '^checkpoint: .* pages .* ms$' "$work/$name.ckpt")"
	check "$name: stopped after the checkpoint" stopped "$(status_of "$root" "$name")"
	check "$name: the image's files" "inventory.img kernel.pb manifest pages" "$(ls "$work/$name.img" | tr '\n' ' ' | sed 's/ $//')"
	rs delete "$name"
	rs2 restore --image-path "$work/$name.img" --bundle "$b" "$name-r" </dev/null >>"$work/$name.out" 2>>"$work/$name.err"
	check "$name: restored run exits 7" 7 $?
	check "$name: checkpointed + restored output is the uninterrupted output" \
		"$(sha256sum <"$work/$name.ref")" "$(sha256sum <"$work/$name.out")"
	check "$name: no state left" "" "$(ls "$root2")"
}
round_trip static "$static_prog"
round_trip dynamic "$dynamic_prog"

# tmpfs: the tree, its data, links and an open file's offset are in the
# image (the bundle mounts a tmpfs on /tmp, as the restore's must).
make_bundle "$work/tmpfs" "$tmpfs_prog" '["/counter", "/tmp", "1500"]' || exit 2
python3 - "$work/tmpfs/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=64m"]})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
rs run --bundle "$work/tmpfs" tmpfs-ref </dev/null >"$work/tmpfs.ref" 2>/dev/null
check "tmpfs: uninterrupted run" 0 $?
rs create --bundle "$work/tmpfs" tm </dev/null >"$work/tmpfs.out" 2>"$work/tmpfs.err" && rs start tm
for _ in $(seq 100); do grep -q amber-cr-point "$work/tmpfs.err" && break; sleep 0.05; done
rs checkpoint --image-path "$work/tmpfs.img" tm 2>"$work/tmpfs.ckpt"
check "tmpfs: checkpoint" 0 $?
rs delete tm
rs2 restore --image-path "$work/tmpfs.img" --bundle "$work/tmpfs" tm2 </dev/null >>"$work/tmpfs.out" 2>/dev/null
check "tmpfs: restored run" 0 $?
check "tmpfs: what the program finds is what an uninterrupted run finds" "$(cat "$work/tmpfs.ref")" "$(cat "$work/tmpfs.out")"

# Files deleted while open (cr_files): on the gofer's root and on a
# tmpfs, read-write at an offset, read-only, O_APPEND, one inode through
# two descriptions, and one only mapped. Checkpointed and restored, the
# program prints what a native run and an uninterrupted one print.
writable_bundle() {	# writable_bundle DIR: the root writable, a tmpfs on /tmp, /data made
	mkdir -p "$1/rootfs/data"
	python3 - "$1/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["readonly"] = False
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=64m"]})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
}
wait_point() {	# wait_point ERRFILE: until the program's amber_cr_point shows
	for _ in $(seq 100); do grep -q amber-cr-point "$1" && break; sleep 0.05; done
}
deleted_case() {	# deleted_case NAME DIR
	local name=$1 dir=$2 b=$work/$1
	make_bundle "$b" "$files_prog" "[\"/counter\", \"$dir\", \"1500\"]" || return 1
	writable_bundle "$b"
	mkdir -p "$work/$name.native"
	"$files_prog" "$work/$name.native" 0 >"$work/$name.native.out" 2>/dev/null
	check "$name: native run" 0 $?
	rs run --bundle "$b" "$name-ref" </dev/null >"$work/$name.ref" 2>/dev/null
	check "$name: uninterrupted run" 0 $?
	check "$name: the uninterrupted run prints what the native one prints" "$(cat "$work/$name.native.out")" "$(cat "$work/$name.ref")"
	rs create --bundle "$b" "$name" </dev/null >"$work/$name.out" 2>"$work/$name.err" && rs start "$name"
	wait_point "$work/$name.err"
	rs checkpoint --image-path "$work/$name.img" "$name" 2>"$work/$name.ckpt"
	check "$name: checkpoint" 0 $?
	check "$name: the image's files" "inventory.img kernel.pb manifest pages" "$(ls "$work/$name.img" | tr '\n' ' ' | sed 's/ $//')"
	check "$name: the inspector shows them deleted" 5 "$("$RUNSC" image inspect "$work/$name.img" | grep -c '(deleted, in the image)')"
	rs delete "$name"
	rs2 restore --image-path "$work/$name.img" --bundle "$b" "$name-r" </dev/null >>"$work/$name.out" 2>/dev/null
	check "$name: restored run" 0 $?
	check "$name: what the restored program finds is what an uninterrupted run finds" "$(cat "$work/$name.ref")" "$(cat "$work/$name.out")" ||
		diff "$work/$name.ref" "$work/$name.out"
	check "$name: no state left" "" "$(ls "$root2")"
}
deleted_case deleted-gofer /data
deleted_case deleted-tmpfs /tmp

# A deleted gofer file open only for writing has no readable fd to save its
# data from: the checkpoint fails in one line naming it, and the container
# runs on to its end.
b=$work/wronly
make_bundle "$b" "$files_prog" '["/counter", "/data", "1500", "wronly"]' || exit 2
writable_bundle "$b"
rs create --bundle "$b" wronly </dev/null >/dev/null 2>"$work/wronly.err" && rs start wronly
wait_point "$work/wronly.err"
rs checkpoint --image-path "$work/wronly.img" wronly 2>"$work/wronly.ckpt"
check "deleted write-only file: checkpoint fails" 1 $?
check "deleted write-only file: one line naming it" "1 1" "$(grep -c '/data/wronly' "$work/wronly.ckpt") $(wc -l <"$work/wronly.ckpt")" ||
	cat "$work/wronly.ckpt"
check "deleted write-only file: no image" "" "$(ls -d "$work/wronly.img" 2>/dev/null)"
check "deleted write-only file: the container runs on and exits 0" '{"id":"wronly","exitStatus":0}' "$(rs wait wronly)"
rs delete wronly

# A file reopened by path must be the one checkpointed. On the boot of the
# host that wrote the image, the same file restores; another put in its
# place with the same size and mtime (touch -r) is refused in one line
# naming it, with the image untouched and nothing left running.
b=$work/ident
make_bundle "$b" "$files_prog" '["/counter", "/data", "1500", "keep", "/data/f"]' || exit 2
mkdir -p "$b/rootfs/data"
echo "the checkpointed file" >"$b/rootfs/data/f"
rs create --bundle "$b" ident </dev/null >"$work/ident.out" 2>"$work/ident.err" && rs start ident
wait_point "$work/ident.err"
rs checkpoint --image-path "$work/ident.img" ident 2>/dev/null
check "identity: checkpoint" 0 $?
rs delete ident
check "identity: the inspector sees this boot of this host" 1 "$("$RUNSC" image inspect "$work/ident.img" | grep -c 'written on this boot of this host')"
cp -a "$work/ident.img" "$work/ident2.img"
rs2 restore --image-path "$work/ident2.img" --bundle "$b" ident-same </dev/null >>"$work/ident.out" 2>/dev/null
check "identity: the same file restores" 0 $?
check "identity: and reads the same" "read: the checkpointed file
mapped: the chec" "$(cat "$work/ident.out")"
echo "the replacement file!" >"$b/rootfs/data/f.new"
touch -r "$b/rootfs/data/f" "$b/rootfs/data/f.new"
mv "$b/rootfs/data/f.new" "$b/rootfs/data/f"
before=$(cd "$work/ident.img" && sha256sum *)
rs2 restore --image-path "$work/ident.img" --bundle "$b" ident-r </dev/null >/dev/null 2>"$work/ident.rerr"
check "identity: a replaced file (same size and mtime) is refused" 1 $?
check "identity: in one line naming it" "1 1" "$(grep -c '/data/f is another file' "$work/ident.rerr") $(wc -l <"$work/ident.rerr")" ||
	cat "$work/ident.rerr"
check "identity: the image untouched" "$before" "$(cd "$work/ident.img" && sha256sum *)"
check "identity: no state left" "" "$(ls "$root2")"
check "identity: nothing left running" "" "$(pgrep -f "runsc --root $root2" 2>/dev/null)"

# Two sandboxes from one image, side by side.
b=$work/dynamic
rs2 restore --image-path "$work/dynamic.img" --bundle "$b" twin1 </dev/null >"$work/twin1.out" 2>&1 &
p1=$!
rs2 restore --image-path "$work/dynamic.img" --bundle "$b" twin2 </dev/null >"$work/twin2.out" 2>&1 &
p2=$!
wait $p1
s1=$?
wait $p2
s2=$?
check "two restores from one image both exit 7" "7 7" "$s1 $s2"
check "and print the same continuation" "$(sha256sum <"$work/twin1.out")" "$(sha256sum <"$work/twin2.out")" ||
	diff "$work/twin1.out" "$work/twin2.out" | head -20
check "which is the uninterrupted run's tail" "$(tail -n 3 "$work/dynamic.ref")" "$(tail -n 3 "$work/twin1.out")"

# --leave-running: the container goes on untouched; the image restores too.
# (The longer run of ff below, so that it outlives two checkpoints.)
make_bundle "$work/ff" "$dynamic_prog" '["/counter", "8", "60", "100"]' || exit 2
rs run --bundle "$work/ff" ff-ref </dev/null >"$work/ff.ref"
rs create --bundle "$work/ff" lr </dev/null >"$work/lr.out" 2>&1 && rs start lr
sleep 1
rs checkpoint --leave-running --image-path "$work/lr.img" lr >/dev/null
check "checkpoint --leave-running" 0 $?
check "still running" running "$(status_of "$root" lr)"
rs checkpoint --leave-running --image-path "$work/lr.img" lr >/dev/null
check "a second checkpoint over the first" 0 $?
check "exit status after --leave-running" '{"id":"lr","exitStatus":7}' "$(rs wait lr)"
check "its output is the uninterrupted run's" "$(sha256sum <"$work/ff.ref")" "$(sha256sum <"$work/lr.out")"
rs delete lr
rs2 restore --image-path "$work/lr.img" --bundle "$work/ff" lr2 </dev/null >"$work/lr2.out" 2>&1
check "the --leave-running image restores" 7 $?
check "and continues the same way" "$(tail -n 3 "$work/ff.ref")" "$(tail -n 3 "$work/lr2.out")"

# Repeated checkpoint/restore of one sandbox (CR_ITERS times, default 3),
# each restore into a new id under a new --root: the output is still the
# uninterrupted run's.
iters=${CR_ITERS:-3}
rs create --bundle "$work/ff" it0 </dev/null >"$work/it.out" 2>/dev/null && rs start it0
prev_root=$root
prev=it0
for i in $(seq 1 "$iters"); do
	sleep 0.6
	"$RUNSC" --root "$prev_root" checkpoint --image-path "$work/it$i.img" "$prev" 2>/dev/null
	st=$?
	"$RUNSC" --root "$prev_root" delete "$prev" 2>/dev/null
	[ $st -eq 0 ] || break
	"$RUNSC" --root "$work/it-root$i" restore --detach --image-path "$work/it$i.img" --bundle "$work/ff" "it$i" </dev/null >>"$work/it.out" 2>/dev/null
	prev_root=$work/it-root$i
	prev=it$i
done
check "$iters checkpoint/restore round trips of one sandbox" 0 $st
check "after them it exits 7" "{\"id\":\"$prev\",\"exitStatus\":7}" "$("$RUNSC" --root "$prev_root" wait "$prev")"
check "and its output is the uninterrupted run's" "$(sha256sum <"$work/ff.ref")" "$(sha256sum <"$work/it.out")"
"$RUNSC" --root "$prev_root" delete "$prev" 2>/dev/null

# A sleep keeps what it had left: sleep 3, checkpointed after 1 s, ends
# about 2 s after the restore.
make_bundle "$work/sleep" "$static_prog" '["/bin/sleep", "3"]' || exit 2
rs create --bundle "$work/sleep" sl </dev/null >/dev/null 2>&1 && rs start sl
sleep 1
rs checkpoint --image-path "$work/sleep.img" sl >/dev/null
rs delete sl
t0=$(date +%s%N)
rs2 restore --image-path "$work/sleep.img" --bundle "$work/sleep" sl2 </dev/null
st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "the restored sleep exits 0" 0 $st
check "and sleeps what was left (1500-2900 ms, took $ms)" 1 "$([ $ms -ge 1500 ] && [ $ms -le 2900 ] && echo 1)"

# create, then restore (containerd's way): the image (of the longer ff run)
# is loaded into the created container's sandbox, which keeps its pid (pid
# file and state) and its stdio (create's), and runs on from where the
# checkpoint was.
b=$work/ff
rs2 create --bundle "$b" made --pid-file "$work/made.pid" </dev/null >"$work/made.out" 2>"$work/made.err"
check "create then restore: created" created "$(status_of "$root2" made)"
check "create then restore: list -q names it" made "$(rs2 list -q)"
pid=$(cat "$work/made.pid")
rs2 restore --detach --image-path "$work/lr.img" --bundle "$b" --pid-file "$work/made.pid2" made </dev/null
check "create then restore: restore" 0 $?
# One look at the state, at once: the program has about 1.5 s left, and a
# stopped container's state has pid 0.
st=$(rs2 state made | python3 -c 'import json,sys; s = json.load(sys.stdin); print(s["status"], s["pid"])')
check "create then restore: running, the same sandbox (state)" "running $pid" "$st" ||
	{ rs2 state made; ps -o pid,stat,etime,cmd -p "$pid"; }
check "create then restore: the same sandbox (pid file)" "$pid" "$(cat "$work/made.pid2")"
check "create then restore: exits 7" '{"id":"made","exitStatus":7}' "$(rs2 wait made)"
n=$(wc -l <"$work/made.out")
check "create then restore: it went on from the checkpoint ($n of $(wc -l <"$work/ff.ref") lines)" 1 \
	"$([ "$n" -gt 0 ] && [ "$n" -lt "$(wc -l <"$work/ff.ref")" ] && echo 1)"
check "create then restore: with the uninterrupted run's output" "$(tail -n "$n" "$work/ff.ref")" "$(cat "$work/made.out")"
rs2 delete made
# Only a created container: one line for a running, a stopped or a paused
# one, which is left as it was; a bad image or another bundle leave a
# created one created, and it still starts.
refused() {	# refused NAME ID EXPECTED-STATUS [ARGS...]
	local name=$1 id=$2 want=$3
	shift 3
	rs2 restore --detach --image-path "$work/lr.img" "$@" "$id" </dev/null >/dev/null 2>"$work/refused.err"
	check "restore into a $name container fails" 1 $?
	check "in one line ($name)" 1 "$(wc -l <"$work/refused.err")" || cat "$work/refused.err"
	check "and leaves it $want ($name)" "$want" "$(status_of "$root2" "$id")"
}
rs2 create --bundle "$work/sleep" busy </dev/null >/dev/null 2>&1 && rs2 start busy
refused running busy running --bundle "$work/sleep"
rs2 pause busy
refused paused busy paused --bundle "$work/sleep"
rs2 kill busy KILL
rs2 wait busy >/dev/null
refused stopped busy stopped --bundle "$work/sleep"
rs2 delete busy
rs2 create --bundle "$b" fresh </dev/null >"$work/fresh.out" 2>&1
refused "created (another bundle)" fresh created --bundle "$work/sleep"
rs2 restore --detach --image-path "$work/nope.img" --bundle "$b" fresh </dev/null >/dev/null 2>"$work/refused.err"
check "restore of a missing image into a created container fails in one line" "1 1" "$? $(wc -l <"$work/refused.err")"
check "and leaves it created" created "$(status_of "$root2" fresh)"
rs2 start fresh
check "which still runs from the start" '{"id":"fresh","exitStatus":7}' "$(rs2 wait fresh)"
check "and prints the uninterrupted output" "$(sha256sum <"$work/ff.ref")" "$(sha256sum <"$work/fresh.out")"
rs2 delete fresh
# A failure once the created task is dropped (the file the identity test
# replaced) ends the container: one line naming the file, nothing left.
rs2 create --bundle "$work/ident" --pid-file "$work/late.pid" late </dev/null >/dev/null 2>&1
before=$(cd "$work/ident.img" && sha256sum *)
rs2 restore --detach --image-path "$work/ident.img" --bundle "$work/ident" late </dev/null >/dev/null 2>"$work/late.err"
check "create then a restore that fails loading: fails in one line naming the file" "1 1 1" \
	"$? $(wc -l <"$work/late.err") $(grep -c '/data/f is another file' "$work/late.err")" || cat "$work/late.err"
st=$(ps -o stat= -p "$(cat "$work/late.pid")" 2>/dev/null)
check "and the sandbox is gone" gone "$([ -n "$st" ] && [ "${st#Z}" = "$st" ] && echo alive || echo gone)"
check "and the image untouched" "$before" "$(cd "$work/ident.img" && sha256sum *)"
check "no state left" "" "$(ls "$root2")"

# A tree deleted and made again (podman restore --import with its vfs
# driver copies the image's files anew) is another tree, even where its
# root gets back the inode number of the one checkpointed, as ext4 gives
# it here: its files are taken as on another host, by size and mtime.
t=$work/ident/rootfs
ino=$(stat -c %i "$t")
mkdir "$work/ident.copy" && cp -a "$t/." "$work/ident.copy/" && rm -rf "${t:?}"/* && rmdir "$t" && mkdir "$t" &&
	mv "$work/ident.copy"/* "$t/" && rmdir "$work/ident.copy"
[ "$(stat -c %i "$t")" = "$ino" ] || echo "note: the new tree's root has another inode number; the reuse case is not exercised"
rs2 restore --image-path "$work/ident.img" --bundle "$work/ident" ident-again </dev/null >"$work/again.out" 2>"$work/again.err"
check "identity: a tree made again restores, its files checked by size and mtime" "0 read: the replacement file!
mapped: the repl" "$? $(cat "$work/again.out")" || cat "$work/again.err"

# A failed checkpoint: the container runs on, the earlier image is intact.
rs create --bundle "$work/ff" ff </dev/null >"$work/ff.out" 2>&1 && rs start ff
sleep 0.5
cp -a "$work/lr.img" "$work/keep.img"
for fault in image.write image.fsync image.rename; do
	AMBER_FAULT=$fault rs checkpoint --image-path "$work/lr.img" ff >/dev/null 2>"$work/ff.err"
	check "checkpoint with $fault failing fails" 1 $?
	check "and says so in one line ($fault)" 1 "$(wc -l <"$work/ff.err")"
	check "the container still runs ($fault)" running "$(status_of "$root" ff)"
	check "the earlier image is intact ($fault)" "" "$(diff -r "$work/keep.img" "$work/lr.img")"
done
check "nothing left beside the image" "" "$(ls -A "$work" | grep '^\.' )"
check "after failed checkpoints the run's output is the uninterrupted one" '{"id":"ff","exitStatus":7}' "$(rs wait ff)"
check "and its output too" "$(sha256sum <"$work/ff.ref")" "$(sha256sum <"$work/ff.out")"
rs delete ff

# Bad images: one line, non-zero, nothing left running, image untouched.
bad_image() {	# bad_image NAME DIR
	local before
	before=$(cd "$2" 2>/dev/null && sha256sum * 2>/dev/null)
	rs2 restore --image-path "$2" --bundle "$b" bad </dev/null >/dev/null 2>"$work/bad.err"
	check "restore of $1 fails" 1 $?
	check "with one line ($1)" 1 "$(wc -l <"$work/bad.err")"
	check "and no state ($1)" "" "$(ls "$root2")"
	check "and the image untouched ($1)" "$before" "$(cd "$2" 2>/dev/null && sha256sum * 2>/dev/null)"
}
bad_image "a missing image" "$work/nope.img"
cp -a "$work/lr.img" "$work/flip.img"
python3 - "$work/flip.img/kernel.pb" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 0x40; open(p, "wb").write(d)
PY
bad_image "a bit flip in kernel.pb" "$work/flip.img"
cp -a "$work/lr.img" "$work/trunc.img"
truncate -s 100 "$work/trunc.img/pages"
bad_image "a truncated pages file" "$work/trunc.img"
cp -a "$work/lr.img" "$work/manifest.img"
python3 - "$work/manifest.img/manifest" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[4] ^= 0xff; open(p, "wb").write(d)
PY
bad_image "a wrong manifest version" "$work/manifest.img"

"$RUNSC" checkpoint --help >/dev/null
check "checkpoint --help exits 0" 0 $?

echo "$fails failed"
[ "$fails" -eq 0 ]
