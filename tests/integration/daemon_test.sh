#!/usr/bin/env bash
# pairgated as operators run it: in its own network namespace, driven through
# pairgatectl and signals. Usage: daemon_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl

ns="pgd$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-it.XXXXXX)
chmod 755 "$dir"
sock=$dir/control.sock
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces "$ns"
  rm -rf "$dir"
}
arm_cleanup

write_config() {  # write_config PRIORITY [EXTRA_LINE]
  cat >"$dir/pairgate.yaml" <<YAML
node: ittest
control: {socket: $sock, mode: "0660", group: root}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: V1, interface: lan0, vrid: 7, priority: $1, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $dir/dhcp4.leases
  subnets:
    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99]}
${2:-}
YAML
}

count() {
  local n
  n=$(grep -c "$1" "$dir/log" 2>/dev/null)
  echo "${n:-0}"
}
more_than() { (($(count "$1") > $2)); }
start() {  # returns once this daemon said it is ready (a stale socket file proves nothing)
  local before
  before=$(count "pairgated ready")
  ip netns exec "$ns" "$pairgated" --config "$dir/pairgate.yaml" >>"$dir/log" 2>&1 &
  pid=$!
  wait_for 5 more_than "pairgated ready" "$before"
}
# Not `ctl | grep -q` under pipefail: grep quits at the first match and the
# rest of a long status ends in EPIPE, which fails the pipeline.
priority_is() { grep -q "\"priority\": $1" <<<"$("$ctl" --socket "$sock" status --json)"; }

add_namespaces "$ns"
ip -n "$ns" link add lan0 type veth peer name lan1
ip -n "$ns" addr add 198.51.100.2/24 dev lan0
ip -n "$ns" link set lan0 up
ip -n "$ns" link set lan1 up

check "--check accepts beagle.yaml" quiet "$pairgated" --config "$src/../shared/design/beagle.yaml" --check
check "--check accepts primergy.yaml" quiet "$pairgated" --config "$src/../shared/design/primergy.yaml" --check
printf 'node: x\nvrrp:\n  instances:\n    - {name: V, interface: lan0, vrid: 0, virtual_addresses: [198.51.100.1/24]}\n' >"$dir/bad.yaml"
out=$("$pairgated" --config "$dir/bad.yaml" --check 2>&1)
check "--check exits 1 on errors" test $? -eq 1
check "--check prints FILE:LINE:COLUMN" grep -q "^$dir/bad.yaml:4:40: error: vrid: 0 is out of range 1..255$" <<<"$out"

mkfifo "$dir/fifo.yaml"
out=$(timeout 5 "$pairgated" --config "$dir/fifo.yaml" --check 2>&1)
check "--check refuses a FIFO at once (exit 1)" test $? -eq 1
check "and says why" grep -q "it is a FIFO (named pipe); the configuration must be a regular file" <<<"$out"
out=$(timeout 5 "$pairgated" --config /dev/zero --check 2>&1)
check "--check refuses /dev/zero at once (exit 1)" test $? -eq 1
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$dir/huge.yaml"
out=$(timeout 5 "$pairgated" --config "$dir/huge.yaml" --check 2>&1)
check "--check refuses a file over 1 MiB (exit 1)" test $? -eq 1
check "and says so" grep -q "it has 1048577 bytes; a configuration file may have at most 1048576" <<<"$out"

# SIGTERM ends a check at any moment (it was blocked, as for the daemon's
# loop, so the check ran to its end and exited 0): strace holds each read of
# the file for 2 s, and passes the signal on when the read goes on.
if command -v strace >/dev/null; then
  printf 'node: x\n' >"$dir/slow.yaml"
  strace -o /dev/null -P "$dir/slow.yaml" -e inject=read:delay_enter=2s \
    "$pairgated" --config "$dir/slow.yaml" --check >"$dir/slow.out" 2>&1 &
  tracer=$!
  checker=
  reading() {  # the traced pairgated has the file open
    checker=$(pgrep -P "$tracer") && ls -l "/proc/$checker/fd" 2>/dev/null | grep -q slow.yaml
  }
  wait_for 5 reading
  [[ -n $checker ]] && kill -TERM "$checker"
  wait "$tracer"
  rc=$?
  check "SIGTERM ends a slow --check (killed by SIGTERM)" test $rc -eq 143
  check "before it gave a verdict" fails grep -q OK "$dir/slow.out"
else
  echo "skip SIGTERM ends a slow --check: strace is not installed"
fi

out=$("$ctl" --socket "$sock" status 2>&1)
check "pairgatectl without a daemon exits 2" test $? -eq 2
check "pairgatectl says the daemon is not running" grep -q "pairgated is not running" <<<"$out"

write_config 120
check "daemon starts and creates its socket" start
check "socket mode is 0660" test "$(stat -c %a "$sock")" = 660
check "status --json has the node" grep -q '"node": "ittest"' <<<"$("$ctl" --socket "$sock" status --json)"
check "status table shows the instance" grep -qE "V1 +lan0 +7 +(BACKUP|MASTER) +120" <<<"$("$ctl" --socket "$sock" status)"
check "leases answers" test "$("$ctl" --socket "$sock" leases)" = "no leases"

out=$(ip netns exec "$ns" "$pairgated" --config "$dir/pairgate.yaml" 2>&1)
check "a second daemon refuses to start" test $? -eq 1
check "it says why" grep -q "another pairgated is running" <<<"$out"
check "the first one still answers" quiet "$ctl" --socket "$sock" status --json

write_config 150
check "reload over the socket applies a good file" grep -q "reloaded: vrrp changed \[V1\]" <<<"$("$ctl" --socket "$sock" reload)"
check "the new priority is in force" grep -q '"priority": 150' <<<"$("$ctl" --socket "$sock" status --json)"

write_config 160 "bogus: 1"
out=$("$ctl" --socket "$sock" reload 2>&1)
check "reload of a broken file exits 1" test $? -eq 1
check "and lists the error" grep -q "pairgate.yaml:11:1: error: configuration: unknown key 'bogus'" <<<"$out"
check "the old configuration stays" grep -q '"priority": 150' <<<"$("$ctl" --socket "$sock" status --json)"

rejected=$(count "reload rejected")
kill -HUP "$pid"
check "SIGHUP with a broken file is logged" wait_for 5 more_than "reload rejected" "$rejected"
check "the daemon survives it" kill -0 "$pid"
check "and keeps the old priority" priority_is 150
# A file that reads endlessly or never: refused off the loop, the daemon and
# its configuration stay.
mv "$dir/pairgate.yaml" "$dir/kept.yaml"
for bad in /dev/zero "$dir/fifo.yaml"; do
  ln -s "$bad" "$dir/pairgate.yaml"
  rejected=$(count "reload rejected")
  kill -HUP "$pid"
  check "SIGHUP with $bad as the file is refused" wait_for 5 more_than "reload rejected" "$rejected"
  check "the daemon survives it" kill -0 "$pid"
  check "and keeps its priority" priority_is 150
  rm "$dir/pairgate.yaml"
done
mv "$dir/kept.yaml" "$dir/pairgate.yaml"

# A storm of SIGHUPs: one reload at a time, the rest coalesced.
write_config 150
reloaded=$(count "reloaded: ")
for _ in $(seq 20); do kill -HUP "$pid"; done
check "a SIGHUP storm reloads" wait_for 5 more_than "reloaded: " "$reloaded"
check "and the daemon survives it" kill -0 "$pid"
check "and answers" quiet "$ctl" --socket "$sock" status --json

write_config 170
reloaded=$(count "reloaded: vrrp changed \[V1\]")
kill -HUP "$pid"
check "SIGHUP with a good file reloads" wait_for 5 priority_is 170
check "SIGHUP reload is logged" wait_for 5 more_than "reloaded: vrrp changed \[V1\]" "$reloaded"

out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" --socket "$sock" status 2>&1)
check "a user outside the group is refused (exit 2)" test $? -eq 2
check "with a clear message" grep -q "permission denied" <<<"$out"
chmod 0666 "$sock"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" --socket "$sock" reload 2>&1)
check "reload by a non-root user is refused (exit 1)" test $? -eq 1
check "because it needs root" grep -q "reload needs root" <<<"$out"
check "status still works for them" quiet setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" --socket "$sock" status
chmod 0660 "$sock"

# A hostile client: connects and sends nothing, and another floods a line.
python3 - "$sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(3)
PY
idle=$!
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect('$sock'); s.sendall(b'x' * 100000)
print(s.recv(200).decode())" >"$dir/flood" 2>&1
check "an over-long request is refused" grep -q "longer than 4096" "$dir/flood"
check "an idle client does not stall others" quiet "$ctl" --socket "$sock" --timeout 1 status --json
kill "$idle" 2>/dev/null

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit 0" test $rc -eq 0
check "SIGTERM: socket removed" test ! -e "$sock"
check "SIGTERM: stop logged" grep -q "pairgated stopped" "$dir/log"

start
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
check "kill -9 leaves the socket behind" test -S "$sock"
check "a new daemon replaces the stale socket" start
check "and serves" quiet "$ctl" --socket "$sock" status --json
check "the replacement is logged" grep -q "replacing stale socket" "$dir/log"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
check "SIGINT: exit 0" test $rc -eq 0

((failed)) && tail -n 30 "$dir/log"
summary
