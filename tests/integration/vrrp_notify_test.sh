#!/usr/bin/env bash
# notify.exec and notify.email under a flapping instance and at stop: one
# program at a time per instance, in the order of the transitions; at
# SIGTERM the last programs and the last alert mail still go out, and what
# outlives the stop deadline (2 s) is killed with its process group.
# Usage: vrrp_notify_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
id="pgn$$-$RANDOM"
A=$id-a
dir=$(mktemp -d /tmp/pairgate-notify.XXXXXX)
chmod 755 "$dir"
pid= smtp_pids=()
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  for p in "${smtp_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces "$A"  # notify programs left behind run in there too
  rm -rf "$dir"
}
arm_cleanup

add_namespaces "$A"
ip -n "$A" link add eth0 type veth peer name eth1
ip -n "$A" addr add 192.0.2.3/24 dev eth0
ip -n "$A" link set eth0 up
ip -n "$A" link set eth1 up
# The tracked interface: taking trk0 down takes trk1's carrier down.
ip -n "$A" link add trk0 type veth peer name trk1
ip -n "$A" link set trk0 up
ip -n "$A" link set trk1 up

# The notify program: logs its start and end with the time and its
# arguments. $dir/mode says how long it takes; "slowstop" makes the run for
# the stop (to INIT) outlive the deadline, with a helper in its group.
cp /bin/sleep "$dir/napper"
cat >"$dir/notify.sh" <<SH
#!/bin/sh
echo "start \$(date +%s.%N) \$*" >>$dir/notify.log
case "\$(cat $dir/mode)-\$3" in
  slowstop-INIT) $dir/napper 60 & $dir/napper 60 ;;
  *) $dir/napper 0.15 ;;
esac
echo "end \$(date +%s.%N) \$*" >>$dir/notify.log
SH
chmod +x "$dir/notify.sh"
echo fast >"$dir/mode"

smtp_server() {  # smtp_server PORT OUTFILE [silent]
  ip netns exec "$A" python3 - "$1" "$2" "${3:-}" <<'PY' &
import socket, sys, time
port, out, silent = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(8)
while True:
    c, _ = s.accept()
    if silent:
        time.sleep(60); continue
    f = c.makefile("rb")
    def say(x): c.sendall(x.encode() + b"\r\n")
    say("220 fake ESMTP")
    data = False
    for line in f:
        t = line.decode().rstrip("\r\n")
        if data:
            open(out, "a").write(t + "\n")
            if t == ".": data = False; say("250 queued")
            continue
        cmd = t[:4].upper()
        if cmd == "EHLO": say("250-fake"); say("250 OK")
        elif cmd == "DATA": data = True; say("354 go")
        elif cmd == "QUIT": say("221 bye"); break
        else: say("250 OK")
    c.close()
PY
  smtp_pids+=($!)
  disown
}

write_config() {  # write_config SMTP_PORT
  cat >"$dir/a.yaml" <<YAML
node: a
control: {socket: $dir/a.sock}
logging: {target: stderr, level: info}
notify:
  exec: [$dir/notify.sh]
  email: {to: [ops@example.com], from: pairgate@example.com, server: "127.0.0.1:$1", timeout: 30s}
vrrp:
  instances:
    - {name: V1, interface: eth0, vrid: 1, priority: 200, virtual_addresses: [192.0.2.2/24], track: [{interface: trk1}]}
YAML
}
start() {
  : >"$dir/a.log"
  ip netns exec "$A" "$build/pairgated" --config "$dir/a.yaml" >>"$dir/a.log" 2>&1 &
  pid=$!
  wait_for 5 test -S "$dir/a.sock"
}
# Stops the daemon with SIGTERM; sets rc and ms (how long it took).
stop() {
  local t0=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  pid=
  ms=$((($(date +%s%N) - t0) / 1000000))
}
ends() { grep -c "^end " "$dir/notify.log" 2>/dev/null || echo 0; }
starts() { grep -c "^start " "$dir/notify.log" 2>/dev/null || echo 0; }
settled() { [[ $(starts) == $(ends) ]]; }

# The log, read back: never two programs at once, each starting after the
# previous one ended, and their arguments chained (each old state is the
# previous new state) in the order of the "Entering" lines of the daemon's log.
ordered() {
  python3 - "$dir/notify.log" "$dir/a.log" <<'PY'
import re, sys
lines = [l.split() for l in open(sys.argv[1])]
running, prev_to, ends, last_end = None, "INIT", [], 0.0
for kind, t, *args in lines:
    t = float(t)
    if kind == "start":
        if running is not None: sys.exit(f"two at once: {running} and {args}")
        if t < last_end: sys.exit(f"started before the previous one ended: {args}")
        if args[1] != prev_to: sys.exit(f"out of order: {args} after ... -> {prev_to}")
        running = args
    else:
        if running != args: sys.exit(f"end of {args} while {running} ran")
        running, last_end, prev_to = None, t, args[2]
        ends.append(args[2])
entering = re.findall(r"\(V1\) Entering (\w+) STATE", open(sys.argv[2]).read())
if ends != entering: sys.exit(f"notify saw {ends}, the log {entering}")
print(f"{len(ends)} programs, one at a time, in order")
PY
}

smtp_server 2525 "$dir/mail"
sleep 0.3

echo "-- a flapping instance"
write_config 2525
start
check "the instance starts (BACKUP)" wait_for 3 grep -q "(V1) Entering BACKUP STATE" "$dir/a.log"
for _ in $(seq 12); do
  ip -n "$A" link set trk0 down
  sleep 0.05
  ip -n "$A" link set trk0 up
  sleep 0.05
done
transitions=$(grep -c "(V1) Entering" "$dir/a.log")
echo "     $transitions transitions, each program takes 0.15 s"
check "more transitions than could run at once ($transitions)" test "$transitions" -ge 20
# The last flap's transition may come after the count above: wait until
# every transition in the log, counted afresh each time, has its program's end.
check "every program ran to its end" wait_for 15 sh -c \
  "[ \$(grep -c '^end ' $dir/notify.log) -ge \$(grep -c '(V1) Entering' $dir/a.log) ]"
check "never two at once, in the order of the transitions" ordered
ordered | sed 's/^/     /'
check "nothing dropped: exec_dropped 0" sh -c "$build/pairgatectl --socket $dir/a.sock status --json | grep -q '\"exec_dropped\": 0'"

echo "-- stop: the last program and the last mail still go out"
check "the mail queue is idle first" wait_for 10 sh -c "[ \$(grep -c '^Subject:' $dir/mail) -ge $transitions ]"
stop
check "exit 0 (${ms} ms)" test "$rc" -eq 0
check "the program for the stop (MASTER/BACKUP/FAULT -> INIT) ran to its end" grep -qE "^end .* V1 [A-Z]+ INIT$" "$dir/notify.log"
check "the stop's alert mail was sent" grep -q "Subject: \[a\] VRRP Instance V1 - Entering INIT state" "$dir/mail"
check "no notify process is left" fails pgrep -f "^$dir/"

echo "-- stop: what outlives the deadline is killed, a silent mail server given up"
smtp_server 2526 "$dir/mail.silent" silent
sleep 0.3
write_config 2526
echo slowstop >"$dir/mode"
: >"$dir/notify.log"
start
check "the instance starts" wait_for 3 grep -q "(V1) Entering BACKUP STATE" "$dir/a.log"
wait_for 3 settled
stop
check "exit 0" test "$rc" -eq 0
check "within the deadline: ${ms} ms <= 3500" test "$ms" -le 3500
check "the program for the stop had started" grep -qE "^start .* V1 [A-Z]+ INIT$" "$dir/notify.log"
check "it was killed, with its helper: no notify process is left" fails pgrep -f "^$dir/"
check "the kill is logged" grep -q "notify $dir/notify.sh: killed at stop" "$dir/a.log"
check "the unsent mail is logged" grep -qE "mail to 127.0.0.1:2526 failed: stopped before the exchange ended|mail: not sent, stopping" "$dir/a.log"

((failed)) && tail -n 30 "$dir/a.log" "$dir/notify.log"
summary
