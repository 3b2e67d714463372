#!/usr/bin/env bash
# pairgated speaks sd_notify(3) as a Type=notify service must: READY, then
# RELOADING + READY around a SIGHUP, WATCHDOG pings at half WatchdogSec, and
# STOPPING on SIGTERM. A Python listener stands in for systemd.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
ns="pgn$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-notify.XXXXXX)
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces "$ns"
  rm -rf "$dir"
}
arm_cleanup
add_namespaces "$ns"
cat >"$dir/pairgate.yaml" <<YAML
node: notifytest
control: {socket: $dir/control.sock}
logging: {target: stderr}
YAML

python3 - "$dir/notify" >"$dir/messages" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.time() + 4
while time.time() < end:
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        pass
PY
listener=$!
for _ in $(seq 50); do [[ -S $dir/notify ]] && break; sleep 0.05; done

NOTIFY_SOCKET=$dir/notify WATCHDOG_USEC=400000 ip netns exec "$ns" \
  "$build/pairgated" --config "$dir/pairgate.yaml" 2>"$dir/log" &
pid=$!
for _ in $(seq 50); do [[ -S $dir/control.sock ]] && break; sleep 0.1; done
sleep 0.5
kill -HUP "$pid"
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
wait "$listener"

passed=0
failed=0
expect() {  # expect NAME REGEX
  if grep -qE "$2" "$dir/messages"; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
expect "READY=1 after start" "^READY=1"
expect "RELOADING=1 with MONOTONIC_USEC on SIGHUP" "^RELOADING=1 STATUS=reloading MONOTONIC_USEC=[0-9]+"
expect "STOPPING=1 on SIGTERM" "^STOPPING=1"
pings=$(grep -c "^WATCHDOG=1" "$dir/messages")
if ((pings >= 3)); then passed=$((passed + 1)); echo "ok   watchdog pinged $pings times"; else failed=$((failed + 1)); echo "FAIL watchdog pinged $pings times"; fi
order=$(grep -oE "^(READY|RELOADING|STOPPING)" "$dir/messages" | tr '\n' ' ')
if [[ $order == "READY RELOADING READY STOPPING " ]]; then passed=$((passed + 1)); echo "ok   order: $order"; else failed=$((failed + 1)); echo "FAIL order: $order"; fi
if ((rc == 0)); then passed=$((passed + 1)); echo "ok   exit 0"; else failed=$((failed + 1)); echo "FAIL exit $rc"; fi
((failed)) && cat "$dir/messages" "$dir/log"
echo "$passed passed, $failed failed"
((failed == 0))
