# The seed's network with its DS-Lite uplink, in namespaces; sourced (after
# tests/integration/lib.sh) by tests/guest/tunnel_*_test.sh,
# scripts/bench/wan-failover and scripts/demo. Needs a kernel with
# ip6_tunnel: run through scripts/vmtest on this host.
#
#   inet      203.0.113.1/24            the IPv4 Internet (one host)
#    |
#   aftr      AFTRs 2001:db8:a::1 (beagle's, "aftr.example") and
#    |        2001:db8:a::2 (primergy's), one ip6tnl per B4; replies go back
#    |        through the tunnel the connection came in on (conntrack mark)
#   hgw       home gateway: 2001:db8:1::1/64 + 192.0.2.1/24 on the DMZ,
#    |        dnsmasq: router adverts with RDNSS, DNS for aftr.example
#   DMZ       bridge in "sw": beagle eth0 (192.0.2.3), primergy eth0 (192.0.2.4),
#    |        each with a SLAAC address (use_tempaddr 2: a "mngtmpaddr" template)
#   LAN       bridge in "sw": beagle eth1 (198.51.100.2), primergy eth1
#             (198.51.100.3), client 198.51.100.10 via the VIP 198.51.100.1
#
# Variables set: SW HGW AFTR INET BEAGLE PRIMERGY CLIENT (namespace names),
# B_WAN P_WAN (the routers' SLAAC addresses). tunnel_topology_down removes
# everything.

tunnel_topology_up() {  # tunnel_topology_up ID
  local id=$1
  SW=$id-sw HGW=$id-hgw AFTR=$id-aftr INET=$id-inet BEAGLE=$id-beagle PRIMERGY=$id-primergy CLIENT=$id-client
  add_namespaces $SW $HGW $AFTR $INET $BEAGLE $PRIMERGY $CLIENT
  local ns
  for ns in $BEAGLE $PRIMERGY; do
    ip netns exec $ns sysctl -qw net.ipv6.conf.default.use_tempaddr=2 net.ipv6.conf.all.use_tempaddr=2
  done
  ip -n $SW link add dmz type bridge
  ip -n $SW link add lan type bridge
  ip -n $SW link set dmz up
  ip -n $SW link set lan up
  plug() {  # plug BRIDGE NS IFNAME PORT
    ip -n $SW link add "$4" type veth peer name "$3" netns "$2"
    ip -n $SW link set "$4" master "$1" up
  }
  plug dmz $HGW eth0 d1
  plug dmz $BEAGLE eth0 d2
  plug dmz $PRIMERGY eth0 d3
  plug lan $BEAGLE eth1 l1
  plug lan $PRIMERGY eth1 l2
  plug lan $CLIENT eth0 l3
  ip -n $HGW link add up0 type veth peer name eth0 netns $AFTR
  ip -n $AFTR link add inet0 type veth peer name eth0 netns $INET

  ip netns exec $HGW sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
  ip -n $HGW addr add 192.0.2.1/24 dev eth0
  ip -n $HGW addr add 2001:db8:1::1/64 dev eth0 nodad
  ip -n $HGW addr add 2001:db8:ff::1/64 dev up0 nodad
  ip -n $AFTR addr add 2001:db8:ff::2/64 dev eth0 nodad
  ip -n $AFTR addr add 2001:db8:a::1/128 dev lo
  ip -n $AFTR addr add 2001:db8:a::2/128 dev lo
  ip -n $AFTR addr add 203.0.113.254/24 dev inet0
  ip netns exec $AFTR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n $INET addr add 203.0.113.1/24 dev eth0

  ip -n $BEAGLE addr add 192.0.2.3/24 dev eth0
  ip -n $BEAGLE addr add 198.51.100.2/24 dev eth1
  ip -n $PRIMERGY addr add 192.0.2.4/24 dev eth0
  ip -n $PRIMERGY addr add 198.51.100.3/24 dev eth1
  ip -n $CLIENT addr add 198.51.100.10/24 dev eth0
  for ns in $HGW $AFTR $INET $BEAGLE $PRIMERGY $CLIENT; do
    for dev in $(ip -n $ns -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'); do
      ip -n $ns link set "$dev" up
    done
  done
  ip -n $HGW -6 route add 2001:db8:a::/64 via 2001:db8:ff::2
  ip -n $AFTR -6 route add default via 2001:db8:ff::1
  ip -n $INET route add default via 203.0.113.254
  ip -n $CLIENT route add default via 198.51.100.1
  # The seed's netplan: an IPv4 default route via the home gateway, which
  # the tunnel's route replaces while it is up.
  ip -n $BEAGLE route add default via 192.0.2.1
  ip -n $PRIMERGY route add default via 192.0.2.1

  # dnsmasq: RAs for 2001:db8:1::/64 carrying RDNSS (itself), and the
  # AFTR's name. Nothing upstream: --no-resolv.
  ip netns exec $HGW dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
    --pid-file= --interface=eth0 --bind-interfaces --listen-address=2001:db8:1::1 --listen-address=192.0.2.1 \
    --enable-ra --dhcp-range=2001:db8:1::,ra-only,64,1h --ra-param=eth0,10,1800 \
    --host-record=aftr.example,2001:db8:a::1 --host-record=aftr2.example,2001:db8:a::2 \
    --log-facility=- >"${TUNNEL_LOG_DIR:-/tmp}/dnsmasq.log" 2>&1 </dev/null &
  DNSMASQ_PID=$!
  B_WAN=$(wait_slaac $BEAGLE) || return 1
  P_WAN=$(wait_slaac $PRIMERGY) || return 1
  aftr_tunnel tb 2001:db8:a::1 "$B_WAN" 1
  aftr_tunnel tp 2001:db8:a::2 "$P_WAN" 2
  # Replies go back through the tunnel their connection last came in on
  # (a real AFTR keeps per-softwire NAT state instead).
  ip netns exec $AFTR nft -f - <<'NFT'
table ip aftr {
  chain pre {
    type filter hook prerouting priority mangle;
    iifname "tb" ct mark set 1
    iifname "tp" ct mark set 2
    iifname "inet0" meta mark set ct mark
  }
}
NFT
  ip -n $AFTR rule add fwmark 1 table 101
  ip -n $AFTR rule add fwmark 2 table 102
  ip -n $AFTR route add default dev tb table 101
  ip -n $AFTR route add default dev tp table 102
}

# Beagle's AFTR goes dark (its address and beagle's softwire gone), and
# comes back (with the return route that went down with the softwire).
aftr_dark() {
  ip -n $AFTR addr del 2001:db8:a::1/128 dev lo
  ip -n $AFTR link set tb down
}
aftr_light() {
  ip -n $AFTR addr add 2001:db8:a::1/128 dev lo
  ip -n $AFTR link set tb up
  ip -n $AFTR route replace default dev tb table 101
}

# The AFTR's end of one softwire: NAME LOCAL REMOTE MARK.
aftr_tunnel() {
  ip -n $AFTR -6 tunnel add "$1" mode ipip6 local "$2" remote "$3" encaplimit none
  ip -n $AFTR link set "$1" up
}

# The SLAAC template address of eth0 ("mngtmpaddr", as the seed's awk).
slaac_of() {
  ip -n "$1" -6 -o addr show dev eth0 scope global | awk '/mngtmpaddr/ && !/tentative/ {sub("/.*", "", $4); print $4; exit}'
}
wait_slaac() {
  local end=$((SECONDS + 20)) a
  while ((SECONDS <= end)); do
    a=$(slaac_of "$1")
    [[ -n $a ]] && { echo "$a"; return 0; }
    sleep 0.2
  done
  echo "no SLAAC address in $1" >&2
  return 1
}

# pairgated's file for one router: tunnel_config NAME PRIORITY AFTR_LINES INTERVAL DOWN_AFTER DIR
tunnel_config() {
  local name=$1 prio=$2 aftr=$3 interval=$4 down=$5 dir=$6
  cat >"$dir/$name.yaml" <<YAML
node: $name
control: {socket: $dir/$name.sock}
logging: {target: stderr, level: ${TUNNEL_LOG_LEVEL:-info}}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: VRRP1, interface: eth0, vrid: 1, priority: $prio, advert_interval: 1s,
       virtual_addresses: [192.0.2.2/24], garp: {delay: 1s, repeat: 2}, track: [{tunnel: ip6tnl1}]}
    - {name: VRRP2, interface: eth1, vrid: 2, priority: $prio, advert_interval: 1s,
       virtual_addresses: [198.51.100.1/24], garp: {delay: 1s, repeat: 2}, track: [{tunnel: ip6tnl1}]}
  sync_groups: [{name: LAN, instances: [VRRP1, VRRP2]}]
tunnels:
  - name: ip6tnl1
    wan_interface: eth0
$aftr
    health: {interval: $interval, down_after: $down, up_after: 2, targets: [203.0.113.1]${TUNNEL_TIMEOUT:+, timeout: $TUNNEL_TIMEOUT}}
YAML
}

# The routers' status as JSON, and one value from it: jq-like PATH as Python.
tunnel_status() { "$build/pairgatectl" --socket "$dir/$1.sock" status --json; }
status_is() {  # status_is ROUTER PYEXPR VALUE, e.g. status_is beagle '["tunnels"][0]["state"]' UP
  tunnel_status "$1" | python3 -c 'import json,sys; v=eval("json.load(sys.stdin)"+sys.argv[1]); sys.exit(0 if str(v)==sys.argv[2] else 1)' "$2" "$3"
}

# The longest gap between replies in `ping -D` output, in ms.
longest_gap_ms() {
  awk -F'[][]' '/bytes from/ {t=$2+0; if (last && t-last > gap) gap=t-last; last=t} END {printf "%d\n", gap*1000}' "$1"
}

tunnel_topology_down() {
  [[ -n ${DNSMASQ_PID:-} ]] && kill "$DNSMASQ_PID" 2>/dev/null
  del_namespaces ${SW:-} ${HGW:-} ${AFTR:-} ${INET:-} ${BEAGLE:-} ${PRIMERGY:-} ${CLIENT:-}
}
