#!/bin/bash
# syscall_patch.sh PATCH_LOOP: system-call patching on the systrap platform
# (kernel/mm/syscall_patch.c, platform/systrap/stub_entry.S). patch_loop
# makes getpid() calls from hot sites; the sentry's debug log says which
# sites it patched ("syscall_patch: site ...") and, when a stub goes, how
# many calls came through the trampoline instead of a trap.
#  a. systrap: nearly every call comes through the trampoline;
#  b. --systrap-disable-syscall-patching, and ptrace: the same output, no
#     site patched, no call through the trampoline;
#  f. patching survives fork: a child inherits the patched sites (and the
#     table, in its copy of the memory) and its own stub's trampoline
#     takes its calls; a site it makes hot itself goes into the inherited
#     table's next entry;
#  c. a container checkpointed after its sites are patched, in a sleep
#     made from a patched site (restarted from the syscall instruction the
#     site's jump ends with), and restored on systrap (the entry is bound
#     to the new stub's trampoline), on systrap without patching (the
#     region's own trap path) and on ptrace: the uninterrupted run's
#     output and status;
#  d. pause/resume 30 times in quick succession of a container whose
#     patched loop checks every register after each call: each pause kicks
#     the stub, often inside the trampoline (kick_in_stub); then SIGTERM
#     ends the loop, which exits 0 if every call came back right.
# Environment: RUNSC (required).
set -u
. "$(dirname "$0")/lib.sh"
[ -n "${RUNSC:-}" ] || { echo "syscall_patch.sh: RUNSC is not set" >&2; exit 2; }
prog=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/syscall_patch.XXXXXX") || exit 2
fails=0
cleanup() {
	delete_containers "$RUNSC" "$work"/root*
	rm -rf "$work"
}
trap cleanup EXIT

ok_if() {	# ok_if NAME CONDITION-STATUS (0: passed)
	if [ "$2" = 0 ]; then echo "ok   $1"; return 0; fi
	echo "FAIL $1"
	fails=$((fails + 1))
	return 1
}
# The calls through the trampoline, over every stub of a debug log, and
# how many stubs reported them (a run whose stub never reported proves
# nothing about the count).
through() { awk '/calls through the trampoline/ { for (i = 2; i <= NF; i++) if ($i == "calls" && $(i + 1) == "through") n += $(i - 1) } END { print n + 0 }' "$1"; }
stubs() { grep -c 'calls through the trampoline' "$1"; }
sites() { grep -c 'syscall_patch: site' "$1"; }
getpid_sites() { grep -c 'syscall_patch: site .* (call 39) patched' "$1"; }
status_of() { "$RUNSC" --root "$1" state "$2" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo none; }
left_behind() { pgrep -af "$work" | grep -v pgrep; }

# do_run NAME RUNSC-FLAGS...: patch_loop N under runsc do, with a debug log.
N=20000
do_run() {
	local name=$1
	shift
	timeout -k 5 60 "$RUNSC" "$@" --debug --debug-log="$work/$name.log" do "$prog" "$N" >"$work/$name.out" 2>"$work/$name.err"
	check "$name: exit status" 0 $?
	check "$name: output" "patch_loop: $N getpid() calls returned pid 1" "$(cat "$work/$name.out")"
}

# a. Patched: all but the first few calls through the trampoline.
do_run systrap --platform=systrap
n=$(through "$work/systrap.log")
ok_if "systrap: $n of $N calls through the trampoline (>= $((N - 100)))" "$([ "$n" -ge $((N - 100)) ]; echo $?)"
ok_if "systrap: getpid's site patched ($(getpid_sites "$work/systrap.log") line(s))" "$([ "$(getpid_sites "$work/systrap.log")" -ge 1 ]; echo $?)"

# b. Not patched: every call traps.
do_run no-patching --platform=systrap --systrap-disable-syscall-patching
check "no-patching: the stub reported" 1 "$(stubs "$work/no-patching.log")"
check "no-patching: calls through the trampoline" 0 "$(through "$work/no-patching.log")"
check "no-patching: sites patched" 0 "$(sites "$work/no-patching.log")"
do_run ptrace --platform=ptrace
check "ptrace: sites patched" 0 "$(sites "$work/ptrace.log")"

# f. Fork: parent and child each make 2N calls; nearly all of them come
# through the trampoline of their own stub.
timeout -k 5 60 "$RUNSC" --platform=systrap --debug --debug-log="$work/fork.log" do "$prog" fork "$N" \
	>"$work/fork.out" 2>"$work/fork.err"
check "fork: exit status" 0 $?
check "fork: output" "patch_loop: parent and forked child made $((2 * N)) getpid() calls each, the child $N checked ones" \
	"$(cat "$work/fork.out")"
check "fork: stubs that reported" 2 "$(stubs "$work/fork.log")"
n=$(through "$work/fork.log")
ok_if "fork: $n of $((4 * N)) calls through the trampolines (>= $((4 * N - 200)))" "$([ "$n" -ge $((4 * N - 200)) ]; echo $?)"
ok_if "fork: the child patched a site of its own ($(sites "$work/fork.log") sites in all)" \
	"$([ "$(sites "$work/fork.log")" -ge 2 ]; echo $?)"

# c. Checkpoint after the sites are patched, restore three ways.
N1=20000 N2=20000
b=$work/bundle
mkdir -p "$b"
(cd "$b" && "$RUNSC" spec) || exit 2
python3 - "$b/config.json" "$prog" "$N1" "$N2" <<'PY' || exit 2
import json, sys
path, prog, n1, n2 = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": "/", "readonly": True}
c["mounts"] = []
p = c["process"]
p["args"] = [prog, "cr", n1, n2]
p["cwd"] = "/"
p["terminal"] = False
for k in ("maskedPaths", "readonlyPaths", "resources", "seccomp"):
    c["linux"].pop(k, None)
json.dump(c, open(path, "w"))
PY
want="patch_loop: $N1 + $N2 getpid() calls returned pid 1"
timeout -k 5 60 "$RUNSC" --root "$work/root0" --platform=systrap run --bundle "$b" ref </dev/null >"$work/ref.out" 2>/dev/null
check "cr: uninterrupted run exits 0" 0 $?
check "cr: uninterrupted output" "$want" "$(cat "$work/ref.out")"
rs1() { "$RUNSC" --root "$work/root1" --platform=systrap --debug --debug-log="$work/cr.log" "$@"; }
rs1 create --bundle "$b" c1 </dev/null >"$work/cr.out" 2>"$work/cr.err" && rs1 start c1
for _ in $(seq 200); do grep -q "checkpoint me" "$work/cr.err" && break; sleep 0.05; done
rs1 checkpoint --image-path "$work/img" c1 >/dev/null 2>"$work/ckpt.err"
check "cr: checkpoint" 0 $? || cat "$work/ckpt.err"
check "cr: checkpointed after its marker (the sites patched)" 1 "$(grep -c "checkpoint me" "$work/cr.err")"
ok_if "cr: getpid's site patched before the checkpoint" "$([ "$(getpid_sites "$work/cr.log")" -ge 1 ]; echo $?)"
ok_if "cr: clock_nanosleep's site patched before the checkpoint" \
	"$([ "$(grep -c 'syscall_patch: site .* (call 230) patched' "$work/cr.log")" -ge 1 ]; echo $?)"
rs1 delete c1
# restore_as NAME RUNSC-FLAGS...: the image restored under a new --root.
restore_as() {
	local name=$1 st
	shift
	cp "$work/cr.out" "$work/$name.out"
	timeout -k 5 60 "$RUNSC" --root "$work/root-$name" "$@" --debug --debug-log="$work/$name.log" \
		restore --image-path "$work/img" --bundle "$b" "$name" </dev/null >>"$work/$name.out" 2>"$work/$name.err"
	st=$?
	check "$name: exit status is the uninterrupted run's" 0 "$st" || sed 's/^/  | /' "$work/$name.err"
	check "$name: output is the uninterrupted run's" "$(cat "$work/ref.out")" "$(cat "$work/$name.out")"
	check "$name: no state left" "" "$(ls "$work/root-$name" 2>/dev/null)"
}
restore_as restore-systrap --platform=systrap
n=$(through "$work/restore-systrap.log")
ok_if "restore-systrap: $n calls through the new stub's trampoline (>= $((N2 - 100)))" "$([ "$n" -ge $((N2 - 100)) ]; echo $?)"
restore_as restore-no-patching --platform=systrap --systrap-disable-syscall-patching
check "restore-no-patching: the stub reported" 1 "$(stubs "$work/restore-no-patching.log")"
check "restore-no-patching: calls through the trampoline" 0 "$(through "$work/restore-no-patching.log")"
restore_as restore-ptrace --platform=ptrace --strace
# Not a check: the checkpoint comes in one of the sleeps nearly always, but
# may come between two.
echo "info restore-ptrace: $(grep -c ' E restart_syscall()' "$work/restore-ptrace.log") interrupted sleep(s) made again from the patched site"

# d. pause/resume while a patched loop checks its registers; SIGTERM
# ends the loop (which prints its line and exits 0) once the 30 rounds are
# done, 20 s at most.
python3 - "$b/config.json" "$prog" <<'PY' || exit 2
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = [sys.argv[2], "stress", "20"]
json.dump(c, open(sys.argv[1], "w"))
PY
rs3() { "$RUNSC" --root "$work/root3" --platform=systrap --debug --debug-log="$work/stress.log" "$@"; }
rs3 create --bundle "$b" st </dev/null >"$work/stress.out" 2>"$work/stress.err" && rs3 start st
sleep 0.5	# the sites patched, the loop under way
check "stress: running before the rounds" running "$(status_of "$work/root3" st)"
bad=0
t0=$(date +%s%N)
for _ in $(seq 30); do
	rs3 pause st 2>>"$work/pause.err" || bad=$((bad + 1))
	rs3 resume st 2>>"$work/pause.err" || bad=$((bad + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "stress: 30 pause/resume rounds in $ms ms, none failed" 0 "$bad" || sed 's/^/  | /' "$work/pause.err"
check "stress: still running after them" running "$(status_of "$work/root3" st)"
rs3 kill st TERM
check "stress: exit status" '{"id":"st","exitStatus":0}' "$(timeout 60 "$RUNSC" --root "$work/root3" wait st)"
check "stress: output" "patch_loop: every checked call returned pid 1 with the registers intact" "$(cat "$work/stress.out")" ||
	sed 's/^/  | /' "$work/stress.err"
rs3 delete st
n=$(through "$work/stress.log")
ok_if "stress: $n calls through the trampoline" "$([ "$n" -gt 0 ]; echo $?)"
# glibc's getpid and the program's own site (and clock_nanosleep's).
ok_if "stress: both getpid sites patched ($(getpid_sites "$work/stress.log"))" "$([ "$(getpid_sites "$work/stress.log")" -ge 2 ]; echo $?)"
check "stress: nothing left running" "" "$(left_behind)"
check "stress: no state left" "" "$(ls "$work/root3")"

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" = 0 ]
