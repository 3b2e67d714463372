#!/usr/bin/env bash
# The status page in a real browser: headless Chromium (Debian's chromium)
# loads http://beagle:9650/ for a running pair (beagle MASTER, primergy
# BACKUP, a tunnel each, a DHCP client with a lease) from a namespace whose
# only network is the LAN. The DOM shows both routers, MASTER and BACKUP, a
# tunnel's state and the client's lease; a screenshot is kept as
# BUILD_DIR/http_page.png; Chromium's net log shows the page asked for
# nothing but the daemon's own URLs.
# Usage: http_page_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
command -v chromium >/dev/null || { echo "chromium missing: scripts/setup installs it"; exit 77; }
id="pgw$$-$RANDOM"
SW=$id-sw A=$id-a B=$id-b C=$id-c
dir=$(mktemp -d /tmp/pairgate-page.XXXXXX)
chmod 755 "$dir"
declare -A pid=()
source "$(dirname "$0")/lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces $SW $A $B $C
  rm -rf "$dir"
}
arm_cleanup 150

add_namespaces $SW $A $B $C
bridge $SW $A $B $C
ip -n "$A" addr add 198.51.100.3/24 dev eth0
ip -n "$B" addr add 198.51.100.4/24 dev eth0
for ns in $A $B; do
  # The WAN side of each router: the tunnel's link (which this host's
  # kernel may not be able to make: then it shows DOWN with its reason).
  ip -n "$ns" link add wan0 type veth peer name wan1
  ip -n "$ns" addr add 2001:db8:1::$([[ $ns == "$A" ]] && echo 3 || echo 4)/64 dev wan0 nodad
  ip -n "$ns" link set wan0 up
  ip -n "$ns" link set wan1 up
done

write_config() {  # NAME PRIORITY POOL
  cat >"$dir/$1.yaml" <<YAML
node: $1
control: {socket: $dir/$1.sock}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: LAN, interface: eth0, vrid: 1, priority: $2, version: 3, advert_interval: 100ms,
       virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $dir/$1.leases
  subnets:
    - interface: eth0
      subnet: 198.51.100.0/24
      pools: [$3]
      options: {routers: [198.51.100.1]}
tunnels:
  - name: ip6tnl1
    wan_interface: wan0
    aftr: [2001:db8:a::1]
    health: {interval: 1s, targets: [203.0.113.1]}
http:
  listen: [198.51.100.$([[ $1 == beagle ]] && echo 3 || echo 4):9650]
  allow: [198.51.100.0/24]
YAML
}
write_config beagle 200 198.51.100.100-198.51.100.149
write_config primergy 100 198.51.100.150-198.51.100.199
ip netns exec "$A" "$build/pairgated" --config "$dir/beagle.yaml" >"$dir/beagle.log" 2>&1 &
pid[a]=$!
ip netns exec "$B" "$build/pairgated" --config "$dir/primergy.yaml" >"$dir/primergy.log" 2>&1 &
pid[b]=$!
state() { "$build/pairgatectl" --socket "$dir/$1.sock" status --json |
  python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["vrrp"][0]["state"]==sys.argv[1] else 1)' "$2"; }
check "beagle is MASTER" wait_for 15 state beagle MASTER
check "primergy is BACKUP" wait_for 15 state primergy BACKUP

# A LAN client with a lease (only beagle's half answers first: primergy's
# pool is there too, so wait for whichever; the page is beagle's).
cat >"$dir/udhcpc.sh" <<'SH'
#!/bin/sh
case $1 in bound|renew) ip addr replace "$ip/$mask" dev "$interface"; echo "$ip" >"$LEASE_OUT" ;; esac
exit 0
SH
chmod +x "$dir/udhcpc.sh"
LEASE_OUT=$dir/lease ip netns exec "$C" busybox udhcpc -f -q -n -t 8 -T 1 -i eth0 -x hostname:lanclient \
  -s "$dir/udhcpc.sh" >"$dir/udhcpc.log" 2>&1
check "the client got a lease" test -s "$dir/lease"
lease=$(cat "$dir/lease" 2>/dev/null)
server=beagle
[[ ${lease##*.} -ge 150 ]] && server=primergy
ip=198.51.100.3
[[ $server == primergy ]] && ip=198.51.100.4
echo "lease $lease from $server"

browse() {  # browse OUT [chromium args...]: headless Chromium in C, with a fresh profile
  local out=$1
  shift
  rm -rf "$dir/profile"
  ip netns exec "$C" timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --user-data-dir="$dir/profile" --virtual-time-budget=4000 "$@" "http://$ip:9650/" >"$out" 2>>"$dir/chromium.log"
}
t0=$SECONDS
browse "$dir/dom.html" --dump-dom --log-net-log="$dir/netlog.json"
browse /dev/null --screenshot="$build/http_page.png" --window-size=1280,1600
echo "chromium: $((SECONDS - t0)) s for the DOM and the screenshot"
dom() { grep -q -- "$1" "$dir/dom.html"; }
check "the DOM shows beagle" dom '>beagle<'
check "the DOM shows primergy (the peer, over the peer channel)" dom '>primergy<'
check "the DOM shows MASTER" dom '>MASTER<'
check "the DOM shows BACKUP" dom '>BACKUP<'
check "the DOM shows the tunnel's state" sh -c "grep -q '>ip6tnl1<' '$dir/dom.html' && grep -Eq '>(UP|DEGRADED|DOWN)<' '$dir/dom.html'"
check "the DOM shows the lease $lease" dom ">$lease<"
check "the DOM shows the client's hostname" dom '>lanclient<'
check "the DOM shows the events" dom 'Entering MASTER STATE'
check "a screenshot is kept ($build/http_page.png)" test -s "$build/http_page.png"
# Every request a page made (those with a network isolation key: Chromium's
# own background requests have none) went to the daemon.
python3 - "$dir/netlog.json" "http://$ip:9650/" >"$dir/requests.txt" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
for e in log["events"]:
    p = e.get("params") or {}
    if names.get(e["type"]) == "URL_REQUEST_START_JOB" and p.get("network_isolation_key", "null") != "null":
        print(p["url"])
PY
check "the page made requests (the page and its API calls)" test "$(wc -l <"$dir/requests.txt")" -ge 4
check "every one of them to the daemon" fails grep -v "^http://$ip:9650/" "$dir/requests.txt"
check "no request went to another host at all" \
  sh -c "grep -q . '$dir/requests.txt' && ! grep -qv '^http://$ip:9650/' '$dir/requests.txt'"

if ((failed)); then
  echo "--- requests"; cat "$dir/requests.txt"
  echo "--- DOM (head)"; head -c 3000 "$dir/dom.html"; echo
  echo "--- beagle log"; tail -20 "$dir/beagle.log"
fi
summary
