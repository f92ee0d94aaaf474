# What bash adds over POSIX sh: PIPESTATUS, process substitution (pipes
# named /dev/fd/N), coprocesses, here-strings, jobs, wait -n.
echo "bash ${BASH_VERSINFO[0]}"
false | true | (exit 3)
echo "PIPESTATUS: ${PIPESTATUS[*]}"
set -o pipefail
false | true
echo "pipefail: $?"
set +o pipefail
diff <(seq 1 5) <(seq 1 5) && echo "process substitution: same"
mapfile -t lines < <(printf 'x\ny\nz\n')
echo "mapfile: ${#lines[@]} ${lines[2]}"
coproc UPPER { tr a-z A-Z; }
cpid=$UPPER_PID
echo "coprocess" >&"${UPPER[1]}"
exec {UPPER[1]}>&-
read -r reply <&"${UPPER[0]}"
wait "$cpid" 2>/dev/null
echo "coproc: $reply"
tr a-z A-Z <<< "here-string"
sleep 0.3 &
slow=$!
(sleep 0.05; exit 6) &
wait -n
echo "wait -n: the first to end: $?"
wait "$slow"
echo "the slow one: $?"
f() { local n=$1; [ "$n" -le 0 ] && return 0; echo "depth $n" | cat; f $((n - 1)); }
f 3
out=$( (trap 'echo child got HUP' HUP; kill -HUP $BASHPID) )
echo "subshell trap: $out"
echo end
