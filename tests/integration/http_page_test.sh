#!/usr/bin/env bash
# The status page in a real browser: headless Chromium (Debian's chromium)
# loads each router's page for a running pair (beagle MASTER, primergy
# BACKUP, a tunnel each, a DHCP client with a lease) from a namespace whose
# only network is the LAN. The DOMs show each node, MASTER and BACKUP, a
# tunnel's state, the client's lease and the events; a screenshot of
# beagle's is kept as BUILD_DIR/http_page.png; Chromium's net log shows each
# page asked for nothing but its daemon's own URLs. Both routers on one page
# (the peer's status over the peer channel) is checked once the daemon has
# the peer-status command (issue 12), and skipped, said so, until then.
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

# The pair's channel: the same key on both, each dialling the other.
head -c 32 /dev/urandom | base64 >"$dir/peer.key"
chmod 600 "$dir/peer.key"
write_config() {  # NAME PRIORITY POOL
  local me=198.51.100.3 other=198.51.100.4
  [[ $1 == primergy ]] && me=198.51.100.4 other=198.51.100.3
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
  listen: [$me:9650]
  allow: [198.51.100.0/24]
peer: {address: $other, local: $me, key_file: $dir/peer.key}
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
echo "lease $lease from $server"
declare -A addr=([beagle]=198.51.100.3 [primergy]=198.51.100.4)

browse() {  # browse NODE OUT [chromium args...]: headless Chromium in C, with a fresh profile
  local url="http://${addr[$1]}:9650/" out=$2
  shift 2
  rm -rf "$dir/profile"
  ip netns exec "$C" timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --user-data-dir="$dir/profile" --virtual-time-budget=4000 "$@" "$url" >"$out" 2>>"$dir/chromium.log"
}
# The pair view sends each router's status to the other every 2 s.
peer_seen() { ip netns exec "$C" curl -s "http://${addr[$1]}:9650/api/peer" | grep -q '"status":{'; }
check "beagle has primergy's status over the peer channel" wait_for 15 peer_seen beagle
t0=$SECONDS
for node in beagle primergy; do
  browse $node "$dir/$node.html" --dump-dom --log-net-log="$dir/$node.netlog.json"
done
browse beagle /dev/null --screenshot="$build/http_page.png" --window-size=1280,1600
echo "chromium: $((SECONDS - t0)) s for two DOMs and the screenshot"
dom() { grep -q -- "$2" "$dir/$1.html"; }
check "beagle's page shows beagle" dom beagle '>beagle<'
check "beagle's page shows MASTER" dom beagle '>MASTER<'
check "primergy's page shows primergy" dom primergy '>primergy<'
check "primergy's page shows BACKUP" dom primergy '>BACKUP<'
check "the page shows the tunnel's state" \
  sh -c "grep -q '>ip6tnl1<' '$dir/beagle.html' && grep -Eq '>(UP|DEGRADED|DOWN)<' '$dir/beagle.html'"
check "$server's page shows the lease $lease" dom $server ">$lease<"
check "$server's page shows the client's hostname" dom $server '>lanclient<'
check "beagle's page shows the events" dom beagle 'Entering MASTER STATE'
check "a screenshot is kept ($build/http_page.png)" test -s "$build/http_page.png"
# Both routers side by side on one page needs the other's status over the
# peer channel: the command `peer-status` (issue 12's peer module). Until
# the daemon has it, /api/peer answers 400 and this part is skipped, said so.
peer_code=$(ip netns exec "$C" curl -s -o /dev/null -w '%{http_code}' "http://${addr[beagle]}:9650/api/peer")
if [[ $peer_code == 200 ]]; then
  check "beagle's page shows primergy beside it (the peer channel)" dom beagle '>primergy<'
  check "beagle's page shows BACKUP beside MASTER" dom beagle '>BACKUP<'
else
  echo "SKIP both routers on one page: /api/peer answers $peer_code (no peer-status command: issue 12's peer module)"
fi
# The requests each page caused: those whose initiator is the page's own
# origin, and the navigation. Chromium's own background requests (time,
# updates, autofill) have another initiator or none, and go nowhere: C's
# only network is the LAN.
for node in beagle primergy; do
  python3 - "$dir/$node.netlog.json" "http://${addr[$node]}:9650" >"$dir/$node.requests" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
origin = sys.argv[2]
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
for e in log["events"]:
    p = e.get("params") or {}
    if names.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
        continue
    if p.get("initiator") == origin or p["url"] == origin + "/":
        print(p["url"])
PY
  check "$node's page made its requests (the page and its API calls)" test "$(wc -l <"$dir/$node.requests")" -ge 4
  check "$node's page asked nothing of any other host" fails grep -v "^http://${addr[$node]}:9650/" "$dir/$node.requests"
done

# The exposition of a daemon with every module this test runs (VRRP, DHCP
# with a lease, a tunnel that is DOWN with its reason, the endpoint itself)
# passes promtool's lint.
if command -v promtool >/dev/null; then
  ip netns exec "$C" curl -sf --max-time 5 "http://${addr[$server]}:9650/metrics" >"$dir/metrics.txt"
  check "promtool check metrics passes on $server's exposition" sh -c "promtool check metrics <'$dir/metrics.txt'"
  check "... which has the tunnel's state" grep -q '^pairgate_tunnel_state{' "$dir/metrics.txt"
  check "... and the lease file's fsync histogram" grep -q '^pairgate_lease_file_sync_seconds_bucket{' "$dir/metrics.txt"
else
  echo "SKIP promtool check metrics: promtool missing"
fi

if ((failed)); then
  promtool check metrics <"$dir/metrics.txt" 2>&1 | head -20
  for node in beagle primergy; do echo "--- $node's requests"; cat "$dir/$node.requests"; done
  echo "--- beagle's DOM (head)"; head -c 3000 "$dir/beagle.html"; echo
  echo "--- beagle log"; tail -20 "$dir/beagle.log"
fi
summary
