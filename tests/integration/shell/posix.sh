# Processes as a POSIX shell makes them: run by dash, bash and busybox sh,
# natively and in the sandbox, with the same output. Forks, execs, pipes,
# command substitution, subshells, background jobs, wait, traps, exit codes.
echo start
x=$(echo sub; exit 3)
echo "command substitution: $x, status $?"
(exit 7)
echo "subshell: $?"
seq 1 1000 | sort -rn | head -3
printf 'b\na\nc\n' | sort | tr a-z A-Z
for i in 1 2 3; do echo "loop $i" | cat; done
sleep 0.1 &
pid=$!
wait $pid
echo "background sleep: $?"
( sleep 0.05; exit 4 ) &
wait $!
echo "background subshell: $?"
false | true
echo "pipeline status is the last command's: $?"
true | false
echo "and again: $?"
sh -c 'exit 5'
echo "nested shell: $?"
trap 'echo trapped USR1' USR1
kill -USR1 $$
echo "after the trap"
i=0
while [ $i -lt 40 ]; do i=$((i + 1)); /bin/true; done
echo "forked and exec'd $i times"
echo "a pipe of $(seq 1 20000 | wc -l) lines"
ls /usr/bin | grep -c '^z' > /dev/null && echo "ls | grep ok"
read -r line < /etc/passwd && echo "read a line: ${line%%:*}"
{ echo one; echo two >&2; } 2>&1 | sort
exec 3>&1
echo "to fd 3" >&3
exec 3>&-
sh -c 'kill -TERM $$'
echo "child killed by SIGTERM: $?"
sh -c 'echo $$ > /dev/null; exec /bin/echo "exec replaced the shell"'
echo end
