# lib.sh: what the integration scripts share. Sourced, never run; the
# script sets fails=0 before its first check.

# check NAME EXPECTED ACTUAL: one line, ok or FAIL; counts failures in
# $fails. Returns 0 when ACTUAL is EXPECTED, 1 otherwise.
check() {
	if [ "$2" == "$3" ]; then echo "ok   $1"; return 0; fi
	echo "FAIL $1: expected [$2], got [$3]"
	fails=$((fails + 1))
	return 1
}

# delete_containers RUNSC ROOT...: force-deletes every container under
# each --root that exists (a failed test must leave no sandbox behind).
delete_containers() {
	local runsc=$1 r c
	shift
	for r in "$@"; do
		[ -d "$r" ] || continue
		for c in $("$runsc" --root "$r" list -q 2>/dev/null); do
			"$runsc" --root "$r" delete --force "$c" >/dev/null 2>&1
		done
	done
}
