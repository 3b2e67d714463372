#!/usr/bin/env bash
# In a guest kernel with ip6_tunnel (ctest runs this through scripts/vmtest):
# a B4 whose host has no IPv4 address of its own (beagle of
# tests/guest/tunnel_lib.sh with every IPv4 address and route taken away).
# With `ipv4_address: none` its probes through the tunnel have no source and
# the tunnel never comes UP (the defect this test was written for); with
# the default, 192.0.0.2/29 (RFC 6333 §5.7) is on the link, the tunnel
# comes UP, the default route carries `src 192.0.0.2`, and the host's own
# ping reaches 203.0.113.1 through the AFTR. A reload moves the address.
# Usage: tunnel_b4_address_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
id="pgb$$"
dir=$(mktemp -d /var/tmp/pairgate-b4.XXXXXX)
TUNNEL_LOG_DIR=$dir
pid=
source "$here/../integration/lib.sh"
source "$here/tunnel_lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  tunnel_topology_down
  rm -rf "$dir"
}
arm_cleanup 400
start=$SECONDS

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
tunnel_topology_up "$id" || { echo "topology failed"; cat "$dir/dnsmasq.log"; exit 1; }
# No IPv4 on beagle at all: no address on any interface, no route.
ip -n $BEAGLE -4 addr flush dev eth0
ip -n $BEAGLE -4 addr flush dev eth1
ip -n $BEAGLE -4 route flush table main
echo "# topology up in $((SECONDS - start)) s: beagle $B_WAN, IPv4: $(ip -n $BEAGLE -4 -o addr show | awk '{print $4}' | tr '\n' ' ')"
check "beagle has no IPv4 address but loopback's" test -z "$(ip -n $BEAGLE -4 -o addr show scope global)"

config() {  # config IPV4_ADDRESS_LINE
  cat >"$dir/b4.yaml" <<YAML
node: beagle
control: {socket: $dir/b4.sock}
logging: {target: stderr, level: debug}
tunnels:
  - name: ip6tnl1
    wan_interface: eth0
    aftr: 2001:db8:a::1
$1
    health: {interval: 200ms, down_after: 3, up_after: 2, targets: [203.0.113.1]}
YAML
}
run() {
  ip netns exec $BEAGLE "$build/pairgated" --config "$dir/b4.yaml" >>"$dir/b4.log" 2>&1 &
  pid=$!
}
stop() {
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  pid=
  return $rc
}
b4() { "$build/pairgatectl" --socket "$dir/b4.sock" status --json; }
field_is() { b4 | python3 -c 'import json,sys; v=eval("json.load(sys.stdin)"+sys.argv[1]); sys.exit(0 if str(v)==sys.argv[2] else 1)' "$1" "$2"; }

# Without the B4 address: the probes leave without a source.
config "    ipv4_address: none"
run
check "ready (ipv4_address: none)" wait_for 30 grep "pairgated ready" "$dir/b4.log"
check "the link is up" wait_for 20 bash -c "ip -n $BEAGLE link show ip6tnl1 | grep -q ',UP'"
sleep 4  # 20 probe rounds
check "without an address the tunnel stays DOWN" field_is '["tunnels"][0]["state"]' DOWN
check "no IPv4 default route" test -z "$(ip -n $BEAGLE -4 route show default)"
check "stops with 0" stop

# With the default: 192.0.0.2/29.
: >"$dir/b4.log"
config ""
run
check "ready (default ipv4_address)" wait_for 30 grep "pairgated ready" "$dir/b4.log"
check "UP" wait_for 30 grep "tunnel ip6tnl1 UP" "$dir/b4.log"
check "192.0.0.2/29 on the link" bash -c "ip -n $BEAGLE -4 -o addr show dev ip6tnl1 | grep -q 'inet 192.0.0.2/29'"
route=$(ip -n $BEAGLE -4 route show default)
echo "# default route: $route"
check "the default route goes through the tunnel from 192.0.0.2" grep -q "dev ip6tnl1.*src 192.0.0.2" <<<"$route"
check "status shows the address" field_is '["tunnels"][0]["ipv4_address"]' 192.0.0.2/29
# The AFTR counts echo requests arriving through beagle's softwire from
# 192.0.0.2: pairgated's probes (36 bytes) and ping -s 200's (228 bytes).
ip netns exec $AFTR nft -f - <<'NFT'
table ip b4src {
  counter probes {}
  counter pings {}
  chain in {
    type filter hook prerouting priority filter;
    iifname "tb" ip saddr 192.0.0.2 icmp type echo-request ip length 36 counter name probes
    iifname "tb" ip saddr 192.0.0.2 icmp type echo-request ip length 228 counter name pings
  }
}
NFT
from_b4() { ip netns exec $AFTR nft list counter ip b4src "$1" | grep -o 'packets [0-9]*' | awk '{print $2}'; }
check "beagle's own ping reaches 203.0.113.1 through the tunnel" wait_for 10 ip netns exec $BEAGLE ping -c1 -s 200 -W2 203.0.113.1
ip netns exec $BEAGLE ping -c3 -s 200 -i 0.2 -W2 203.0.113.1 >/dev/null
check "its echo requests came through the softwire from 192.0.0.2" test "$(from_b4 pings)" -ge 4
check "and so do the health probes" test "$(from_b4 probes)" -ge 2

# A reload moves the address and the route's source.
sed -i 's/^    health:/    ipv4_address: 192.0.0.3\/29\n    health:/' "$dir/b4.yaml"
kill -HUP "$pid"
check "after a reload 192.0.0.3/29 is on the link" wait_for 10 bash -c "ip -n $BEAGLE -4 -o addr show dev ip6tnl1 | grep -q 'inet 192.0.0.3/29'"
check "and 192.0.0.2 is gone" bash -c "! ip -n $BEAGLE -4 -o addr show dev ip6tnl1 | grep -q '192.0.0.2/'"
check "the route's source follows" wait_for 5 bash -c "ip -n $BEAGLE -4 route show default | grep -q 'dev ip6tnl1.*src 192.0.0.3'"
check "the ping still works" wait_for 10 ip netns exec $BEAGLE ping -c1 -W2 203.0.113.1

# Someone removes it: it comes back, with the route.
ip -n $BEAGLE addr del 192.0.0.3/29 dev ip6tnl1
check "a removed address is put back" wait_for 10 bash -c "ip -n $BEAGLE -4 -o addr show dev ip6tnl1 | grep -q 'inet 192.0.0.3/29'"
check "with its route" wait_for 5 bash -c "ip -n $BEAGLE -4 route show default | grep -q 'dev ip6tnl1.*src 192.0.0.3'"

check "stops with 0" stop
check "the link is gone" fails ip -n $BEAGLE link show ip6tnl1
echo "# took $((SECONDS - start)) s"
summary || { echo "== b4"; tail -60 "$dir/b4.log"; exit 1; }
