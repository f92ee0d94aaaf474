#!/bin/bash
# gofer_confine.sh: the gofers confine themselves to what they serve.
# A container with a directory and a file bind mount of each kind (rw, ro)
# is started with create/start; while it runs, each gofer is looked at
# from the host: its root is what it serves (the rootfs, the bind's
# directory, or a tmpfs holding only the bound file), its mount table
# holds nothing of the host's, it runs under seccomp with few
# capabilities. In the container, symlinks planted in the rootfs towards
# host files read nothing of the host's; the bind mounts work; extended
# attributes of files, directories and symlinks read as on the host. Then
# `runsc do`: its gofer serves "/" read-only, and attributes read the same
# natively and in the sandbox.
# Environment: RUNSC and XATTR_LIST (required). Needs root: exits 77 without.
set -u
. "$(dirname "$0")/lib.sh"
export LC_ALL=C	# one sort order for mount tables
[ -n "${RUNSC:-}" ] && [ -x "$RUNSC" ] || { echo "gofer_confine.sh: RUNSC must name the runsc binary" >&2; exit 2; }
[ -n "${XATTR_LIST:-}" ] && [ -x "$XATTR_LIST" ] || { echo "gofer_confine.sh: XATTR_LIST must name the helper" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "gofer_confine.sh: needs root (runsc create)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/gofer_confine.XXXXXX") || exit 2
work=$(cd "$work" && pwd -P)	# as create's realpath names the sources
root=$work/state
dopid=
cleanup() {
	[ -n "$dopid" ] && kill "$dopid" 2>/dev/null
	"$RUNSC" --root "$root" delete --force g1 >/dev/null 2>&1
	"$RUNSC" --root "$root" delete --force g2 >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fails=0
rs() { "$RUNSC" --root "$root" "$@"; }
# The pid of the gofer serving --root-path $1 (and --file $2, if given).
gofer_of() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case "$args" in
		*" gofer --root-path $1 "*) ;;
		*) continue ;;
		esac
		if [ -n "${2:-}" ]; then
			case "$args" in *" --file $2 "*|*" --file $2") ;; *) continue ;; esac
		else
			case "$args" in *" --file "*) continue ;; esac
		fi
		echo "${p#/proc/}"
		return
	done
}
# "mount point|root within its filesystem|first mount option" of each of
# a process's mounts, sorted.
mounts_of() { awk '{ split($6, o, ","); print $5 "|" $4 "|" o[1] }' "/proc/$1/mountinfo" | sort; }
# What mountinfo calls the root of a bind mount of the host path $1: its
# path within the filesystem that holds it.
fsroot_of() {
	local t f
	t=$(findmnt -n -o TARGET -T "$1") && f=$(findmnt -n -o FSROOT -T "$1") || return
	echo "${f%/}${1#"${t%/}"}"
}
# dev:inode of a path, following symlinks (so /proc/PID/root is the root).
ident() { stat -L -c %d:%i "$1" 2>/dev/null; }
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# The capabilities a gofer keeps: CHOWN, DAC_OVERRIDE, FOWNER, FSETID.
gofer_caps=000000000000001b

# ---- the bundle ----
b=$work/bundle
mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/dev" "$b/rootfs/tmp" "$b/rootfs/etc" "$b/rootfs/mnt"
cp /bin/busybox "$b/rootfs/bin/busybox"
for a in sh echo sleep cat ls; do ln -sf busybox "$b/rootfs/bin/$a"; done
cp "$XATTR_LIST" "$b/rootfs/bin/xattr_list"
echo "hello from the rootfs" >"$b/rootfs/etc/motd"
# Host files the container must never read, and symlinks towards them:
# absolute, relative past the rootfs, very deep, and to the host's root.
echo HOST-SECRET >"$work/secret.txt"
ln -s "$work/secret.txt" "$b/rootfs/s_abs"
ln -s ../secret.txt "$b/rootfs/s_rel"
ln -s "../../../../../../../../..$work/secret.txt" "$b/rootfs/s_deep"
ln -s /etc/shadow "$b/rootfs/s_shadow"
ln -s / "$b/rootfs/s_root"
ln -s motd "$b/rootfs/etc/link"
# Bind mount sources: a directory and a file of each kind, and a file
# beside the bound ones that no gofer may serve.
mkdir -p "$work/rw_dir" "$work/ro_dir" "$work/files"
echo rw-dir >"$work/rw_dir/f"
echo ro-dir >"$work/ro_dir/f"
echo rw-file >"$work/files/rw.txt"
echo ro-file >"$work/files/ro.txt"
echo SIBLING >"$work/files/sibling.txt"
# Attributes, where the host's filesystem takes them.
xattrs=yes
python3 - "$b/rootfs" "$work" <<'PY' || xattrs=no
import os, sys
r, w = sys.argv[1], sys.argv[2]
os.setxattr(r + "/etc/motd", "user.amber", b"rootfs-file")
os.setxattr(r + "/etc", "user.amber", b"rootfs-dir")
os.setxattr(w + "/rw_dir/f", "user.amber", b"rw-dir-file")
os.setxattr(w + "/ro_dir/f", "user.amber", b"ro-dir-file")
os.setxattr(w + "/files/rw.txt", "user.amber", b"rw-file-bind")
# A symlink may carry security.* (not user.*), which needs no capability
# to read; root may set it.
os.setxattr(r + "/etc/link", "security.amber", b"rootfs-link", follow_symlinks=False)
PY
[ "$xattrs" = yes ] || echo "note: the host refuses user.* or security.* attributes here; their checks are skipped"

(cd "$b" && "$RUNSC" spec) || exit 2
python3 - "$b/config.json" "$work" <<'PY'
import json, sys
path, w = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
# Shell builtins only, and one exec at the end: the sentry has no fork yet.
c["process"]["args"] = ["/bin/sh", "-c", """
for s in /s_abs /s_rel /s_deep /s_shadow /s_root/etc/shadow /s_root$WORK/secret.txt; do
	{ read l <$s; } 2>/dev/null && echo "read $s: $l"
done
[ -L /s_root/s_abs ] && [ -e /s_root/bin/busybox ] && [ ! -e /s_root$WORK ] && echo root-is-root
echo new >/mnt/rw/new.txt && echo rw-dir-written
{ echo no >/mnt/ro/x; } 2>/dev/null || echo ro-dir-refused
read l </mnt/ro/f; echo $l
echo appended >>/etc/rw.txt && echo rw-file-written
{ echo no >>/etc/ro.txt; } 2>/dev/null || echo ro-file-refused
read l </etc/ro.txt; echo $l
echo ready
exec sleep 100
"""]
c["process"]["env"].append("WORK=" + w)
c["mounts"] += [
    {"destination": "/mnt/rw", "type": "bind", "source": w + "/rw_dir", "options": ["rbind", "rw"]},
    {"destination": "/mnt/ro", "type": "bind", "source": w + "/ro_dir", "options": ["rbind", "ro"]},
    {"destination": "/etc/rw.txt", "type": "bind", "source": w + "/files/rw.txt", "options": ["bind", "rw"]},
    {"destination": "/etc/ro.txt", "type": "bind", "source": w + "/files/ro.txt", "options": ["bind", "ro"]},
]
json.dump(c, open(path, "w"), indent=2)
PY

# ---- the container, and its gofers seen from the host ----
rs create --bundle "$b" g1 </dev/null >"$work/out" 2>&1
check "create" 0 $?
rs start g1
check "start" 0 $?
for _ in $(seq 100); do grep -q '^ready$' "$work/out" && break; sleep 0.1; done
check "the container ran its checks" ready "$(grep -x ready "$work/out")"

rootfs=$(cd "$b/rootfs" && pwd -P)
g=$(gofer_of "$rootfs")
check "the rootfs gofer is the one create recorded" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gofer_pid"])' "$root/g1/state.json")" "$g"
if [ -n "$g" ]; then
	check "rootfs gofer: its root reads as /" / "$(readlink "/proc/$g/root")"
	check "rootfs gofer: its root is the rootfs" "$(ident "$rootfs")" "$(ident "/proc/$g/root")"
	check "rootfs gofer: one mount, the rootfs, at /" "/|$(fsroot_of "$rootfs")|rw" "$(mounts_of "$g")"
	[ ! -e "/proc/$g/root$work/secret.txt" ] && [ ! -e "/proc/$g/root/bin/bash" ] && [ ! -e "/proc/$g/root/etc/shadow" ]
	check "rootfs gofer: no host file under its root" 0 $?
	check "rootfs gofer: under seccomp" 2 "$(status_field "$g" Seccomp)"
	check "rootfs gofer: capabilities" "$gofer_caps" "$(status_field "$g" CapEff)"
fi
g=$(gofer_of "$work/rw_dir")
check "rw dir gofer: its root is the directory" "$(ident "$work/rw_dir")" "$(ident "/proc/${g:-0}/root")"
check "rw dir gofer: one mount, read-write" "/|$(fsroot_of "$work/rw_dir")|rw" "$(mounts_of "${g:-0}")"
g=$(gofer_of "$work/ro_dir")
check "ro dir gofer: its root is the directory" "$(ident "$work/ro_dir")" "$(ident "/proc/${g:-0}/root")"
check "ro dir gofer: one mount, read-only" "/|$(fsroot_of "$work/ro_dir")|ro" "$(mounts_of "${g:-0}")"
g=$(gofer_of "$work/files" rw.txt)
check "rw file gofer: its root holds the file alone" rw.txt "$(ls -A "/proc/${g:-0}/root" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check "rw file gofer: the file is the host's" "$(ident "$work/files/rw.txt")" "$(ident "/proc/${g:-0}/root/rw.txt")"
check "rw file gofer: a read-only tmpfs and the file, read-write" \
	"$(printf '%s\n' "/|/|ro" "/rw.txt|$(fsroot_of "$work/files/rw.txt")|rw" | sort)" "$(mounts_of "${g:-0}")"
check "rw file gofer: tmpfs at the root" tmpfs "$(awk '$5 == "/" { print $(NF - 2) }' "/proc/${g:-0}/mountinfo")"
g=$(gofer_of "$work/files" ro.txt)
check "ro file gofer: its root holds the file alone" ro.txt "$(ls -A "/proc/${g:-0}/root" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check "ro file gofer: the file, read-only" \
	"$(printf '%s\n' "/|/|ro" "/ro.txt|$(fsroot_of "$work/files/ro.txt")|ro" | sort)" "$(mounts_of "${g:-0}")"
[ ! -e "/proc/${g:-0}/root/sibling.txt" ]
check "ro file gofer: the file's sibling is not there" 0 $?

# ---- what the container saw ----
check "no symlink in the rootfs reads a host file" "" "$(grep -e HOST-SECRET -e '^read ' -e '^root:' "$work/out")"
check "/ through a symlink is the container's root" root-is-root "$(grep -x root-is-root "$work/out")"
check "rw dir bind: written" rw-dir-written "$(grep -x rw-dir-written "$work/out")"
check "rw dir bind: the host sees the file" new "$(cat "$work/rw_dir/new.txt" 2>/dev/null)"
check "ro dir bind: refused, and readable" "ro-dir-refused ro-dir" "$(grep -x -e ro-dir-refused -e ro-dir "$work/out" | tr '\n' ' ' | sed 's/ $//')"
[ ! -e "$work/ro_dir/x" ]
check "ro dir bind: nothing written on the host" 0 $?
check "rw file bind: written" rw-file-written "$(grep -x rw-file-written "$work/out")"
check "rw file bind: the host sees the write" "rw-file appended" "$(tr '\n' ' ' <"$work/files/rw.txt" | sed 's/ $//')"
check "ro file bind: refused, and readable" "ro-file-refused ro-file" "$(grep -x -e ro-file-refused -e ro-file "$work/out" | tr '\n' ' ' | sed 's/ $//')"
check "ro file bind: the host file is unchanged" ro-file "$(cat "$work/files/ro.txt")"
rs kill g1 KILL
rs wait g1 >/dev/null
rs delete g1
check "delete" 0 $?

# ---- attributes through the gofers: each kind of file, each kind of gofer ----
if [ "$xattrs" = yes ]; then
	python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/xattr_list", "/etc/motd", "/etc", "/etc/link", "/mnt/rw/f", "/mnt/ro/f", "/etc/rw.txt"]
json.dump(c, open(sys.argv[1], "w"))
PY
	check "xattrs: rootfs file, dir and symlink, dir and file binds" "$(printf '%s\n' \
		"/etc/motd user.amber=rootfs-file" "/etc user.amber=rootfs-dir" \
		"/etc/link security.amber=rootfs-link" "/mnt/rw/f user.amber=rw-dir-file" \
		"/mnt/ro/f user.amber=ro-dir-file" "/etc/rw.txt user.amber=rw-file-bind")" \
		"$(rs run --bundle "$b" g2 </dev/null 2>&1)"
fi

# ---- runsc do: the gofer serves "/" read-only, and reads the same ----
"$RUNSC" do /bin/busybox sleep 30 </dev/null >/dev/null 2>&1 &
dopid=$!
g=
for _ in $(seq 50); do
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = runsc-gofer ] || continue
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$dopid" ] && g=${p#/proc/}
	done
	[ -n "$g" ] && break
	sleep 0.1
done
check "do: its gofer's root is the host's /" "$(ident /)" "$(ident "/proc/${g:-0}/root")"
check "do: every mount of its gofer is read-only" "" \
	"$(awk '{ split($6, o, ","); if (o[1] != "ro") print $5 }' "/proc/${g:-0}/mountinfo" 2>/dev/null; [ -n "$g" ] || echo none)"
check "do: its gofer's capabilities" "$gofer_caps" "$(status_field "${g:-0}" CapEff 2>/dev/null)"
kill "$dopid" 2>/dev/null
wait "$dopid" 2>/dev/null
dopid=
if [ "$xattrs" = yes ]; then
	native=$("$XATTR_LIST" "$b/rootfs/etc/motd" "$b/rootfs/etc" "$b/rootfs/etc/link" "$work/files/rw.txt" 2>&1)
	sandbox=$("$RUNSC" do "$XATTR_LIST" "$b/rootfs/etc/motd" "$b/rootfs/etc" "$b/rootfs/etc/link" "$work/files/rw.txt" 2>&1)
	check "do: xattrs read as natively" "$native" "$sandbox"
fi

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" -eq 0 ]
