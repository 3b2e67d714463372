# The hitless scenario (issue 14), sourced after tests/integration/lib.sh and
# tests/guest/tunnel_lib.sh by tests/guest/hitless_test.sh and
# scripts/bench/hitless. On tunnel_lib's topology the AFTR becomes one that
# NATs per softwire, as a real one does (RFC 6333 §6.6): three softwires
# (beagle's own B4 address, primergy's, and the shared one), each its own
# conntrack zone and public address, so that a B4 that changes its address
# gets a new mapping and its open sessions die.
#
#   softwire  B4 address         zone  public address
#   sw1       beagle's SLAAC      1    203.0.113.101
#   sw2       primergy's SLAAC    2    203.0.113.102
#   sw3       2001:db8:1::b4      3    203.0.113.103   (SHARED_B4)

SHARED_B4=2001:db8:1::b4

# MAP-E (issue 17), mode "mape": both routers' tunnel mape0 (`type: mape`,
# `vrrp_instance: VRRP1`) maps the /64 they share, 2001:db8:1::/64, by the
# rule below (EA bits 44..47 of the prefix, 0x1, are the PSID; the IPv4
# prefix is a /32, so no address bits) to CE 198.18.0.1, PSID 1 of 4 bits,
# offset 4: 15 port sets of 256 ports, A*4096 + 256 .. A*4096 + 511 for
# A = 1..15 (`pairgated --check` with `prefix: 2001:db8:1::/64` prints
# "CE 198.18.0.1, PSID 0x1 (k=4), 15 port sets of 256 ports, CE IPv6
# 2001:db8:1::c612:1:1"). The AFTR's namespace is also the BR (hitless_br).
MAPE_RULE="{ipv6_prefix: 2001:db8::/44, ipv4_prefix: 198.18.0.1/32, ea_length: 4, psid_offset: 4}"
MAPE_CE4=198.18.0.1
MAPE_CE6=2001:db8:1::c612:1:1
MAPE_PSID=1
mape_sets() {  # the port sets as nft ranges: 4352-4607, 8448-8703, ...
  local a out=()
  for a in $(seq 1 15); do out+=("$((a * 4096 + MAPE_PSID * 256))-$((a * 4096 + MAPE_PSID * 256 + 255))"); done
  local IFS=,
  echo "${out[*]}"
}
mape_port_in_sets() {  # mape_port_in_sets PORT
  (($1 >= 4096 && ($1 >> 8 & 15) == MAPE_PSID))
}

# What the mode's tunnel is called and which WAN address the master holds
# for it (what a power loss takes away with the link): hitless_mode MODE.
HITLESS_LINK=ip6tnl1
HITLESS_HELD=$SHARED_B4/64
hitless_mode() {
  if [[ $1 == mape ]]; then
    HITLESS_LINK=mape0 HITLESS_HELD=$MAPE_CE6/128
  else
    HITLESS_LINK=ip6tnl1 HITLESS_HELD=$SHARED_B4/64
  fi
}
# The probes' interval (and timeout): not what detects these events (the
# WAN's carrier and VRRP do), and at 200 ms a guest under TCG, busy
# starting the other daemon, judged rounds lost that were only late.
HITLESS_ADVERT=${HITLESS_ADVERT:-100ms}

hitless_aftr() {
  ip netns exec $AFTR nft delete table ip aftr
  ip -n $AFTR rule del fwmark 1 table 101
  ip -n $AFTR rule del fwmark 2 table 102
  ip -n $AFTR link del tb
  ip -n $AFTR link del tp
  local i remote
  for i in 1 2 3; do
    case $i in 1) remote=$B_WAN ;; 2) remote=$P_WAN ;; 3) remote=$SHARED_B4 ;; esac
    ip -n $AFTR -6 tunnel add sw$i mode ipip6 local 2001:db8:a::1 remote "$remote" encaplimit none
    ip -n $AFTR link set sw$i up
    ip -n $AFTR addr add 203.0.113.10$i/32 dev inet0
    ip -n $AFTR rule add fwmark $i table 10$i
    ip -n $AFTR route add default dev sw$i table 10$i
  done
  ip netns exec $AFTR nft -f - <<'NFT'
table ip aftr {
  chain zone {
    type filter hook prerouting priority raw;
    iifname "sw1" ct zone set 1
    iifname "sw2" ct zone set 2
    iifname "sw3" ct zone set 3
    iifname "inet0" ip daddr 203.0.113.101 ct zone set 1
    iifname "inet0" ip daddr 203.0.113.102 ct zone set 2
    iifname "inet0" ip daddr 203.0.113.103 ct zone set 3
  }
  chain softwire {
    type filter hook prerouting priority mangle;
    iifname "inet0" ip daddr 203.0.113.101 meta mark set 1
    iifname "inet0" ip daddr 203.0.113.102 meta mark set 2
    iifname "inet0" ip daddr 203.0.113.103 meta mark set 3
  }
  chain pre { type nat hook prerouting priority dstnat; }
  chain post {
    type nat hook postrouting priority srcnat;
    oifname "inet0" ct zone 1 snat to 203.0.113.101
    oifname "inet0" ct zone 2 snat to 203.0.113.102
    oifname "inet0" ct zone 3 snat to 203.0.113.103
  }
}
NFT
}

# hitless_config NAME PRIORITY MODE DIR [SYNC]; MODE shared (the B4 address
# VRRP1 carries), own (each router its SLAAC address, today's way) or mape
# (MAP-E, the CE address and link held by VRRP1's master; its NAT needs the
# firewall, with or without SYNC). SYNC "sync": the firewall on both
# routers with its conntrack state sync over the peer channel (on the LAN;
# one key file for both), and beagle waits 2 s before preempting on its
# return, so that the master's dump is in its cache when it takes over
# (docs/configuration.md, firewall.state_sync).
hitless_config() {
  local name=$1 prio=$2 mode=$3 dir=$4 sync=${5:-} excluded="" extra="" preempt="" tunnel tun=ip6tnl1
  if [[ $mode == mape ]]; then
    tun=mape0
    tunnel="    type: mape
    br: 2001:db8:a::1
    vrrp_instance: VRRP1
    rules: [$MAPE_RULE]"
  else
    tunnel="    aftr: 2001:db8:a::1"
  fi
  if [[ $mode == shared ]]; then
    excluded=", excluded_addresses: [$SHARED_B4/64]"
    tunnel+="
    local: $SHARED_B4"
  fi
  local firewall="firewall: {enabled: true, wan_interfaces: [eth0, $tun]"
  if [[ $sync == sync ]]; then
    [[ -e $dir/peer.key ]] || { head -c 32 /dev/urandom | base64 >"$dir/peer.key"; chmod 600 "$dir/peer.key"; }
    local me=198.51.100.2 other=198.51.100.3
    [[ $name == primergy ]] && { me=198.51.100.3; other=198.51.100.2; }
    extra="peer: {address: $other, local: $me, key_file: $dir/peer.key}
$firewall, state_sync: true}"
    preempt=", preempt_delay: 2s"
  elif [[ $mode == mape ]]; then
    extra="$firewall}"
  fi
  cat >"$dir/$name.yaml" <<YAML
node: $name
control: {socket: $dir/$name.sock}
logging: {target: stderr, level: ${HITLESS_LOG_LEVEL:-info}}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: VRRP1, interface: eth0, vrid: 1, priority: $prio, version: 3, advert_interval: $HITLESS_ADVERT,
       virtual_addresses: [192.0.2.2/24]$excluded, garp: {delay: 1s, repeat: 2}, track: [{tunnel: $tun}]$preempt}
    - {name: VRRP2, interface: eth1, vrid: 2, priority: $prio, version: 3, advert_interval: $HITLESS_ADVERT,
       virtual_addresses: [198.51.100.1/24], garp: {delay: 1s, repeat: 2}, track: [{tunnel: $tun}]$preempt}
  sync_groups: [{name: LAN, instances: [VRRP1, VRRP2]}]
tunnels:
  - name: $tun
    wan_interface: eth0
$tunnel
    health: {interval: ${HITLESS_HEALTH_INTERVAL:-1s}, down_after: 3, up_after: 2, targets: [203.0.113.1]}
$extra
YAML
}

# The BR of mode mape, in the AFTR's namespace (as tests/guest/mape_test.sh's
# br_for): an ipip6 softwire from 2001:db8:a::1 to the CE address, the CE's
# IPv4 /32 routed into it, no NAT (the aftr table's SNAT is per zone 1-3;
# this is zone 0). nft counts what comes out of it: IPv4 packets, and TCP/UDP
# ones whose source is not the CE address or whose source port is outside
# its port sets (RFC 7597 §8: the BR's check).
hitless_br() {
  ip -n $AFTR link show br0 >/dev/null 2>&1 && return 0
  ip -n $AFTR -6 tunnel add br0 mode ipip6 local 2001:db8:a::1 remote $MAPE_CE6 encaplimit none
  ip -n $AFTR link set br0 up
  ip -n $AFTR route add $MAPE_CE4/32 dev br0
  ip netns exec $AFTR nft -f - <<NFT
table inet br {
  counter from_ce {}
  counter outside {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname "br0" meta nfproto ipv4 counter name from_ce
    iifname "br0" meta nfproto ipv4 ip saddr != $MAPE_CE4 counter name outside
    iifname "br0" meta l4proto { tcp, udp } th sport != { $(mape_sets) } counter name outside
  }
}
NFT
}
# A named counter's packets: br_count TABLE NAME.
br_count() {
  ip netns exec $AFTR nft -j list counter inet "$1" "$2" |
    python3 -c "import json,sys; print([o['counter']['packets'] for o in json.load(sys.stdin)['nftables'] if 'counter' in o][0])"
}
# From now on, count at the BR the client's packets of the interactive
# session (to port 7000) and of the download (7001) from SOURCE_PORT and
# from any other port: br_watch PORT_INTERACTIVE PORT_DOWNLOAD.
br_watch() {
  ip netns exec $AFTR nft delete table inet brwatch 2>/dev/null
  ip netns exec $AFTR nft -f - <<NFT
table inet brwatch {
  counter same7000 {}
  counter other7000 {}
  counter same7001 {}
  counter other7001 {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname "br0" tcp dport 7000 tcp sport $1 counter name same7000
    iifname "br0" tcp dport 7000 tcp sport != $1 counter name other7000
    iifname "br0" tcp dport 7001 tcp sport $2 counter name same7001
    iifname "br0" tcp dport 7001 tcp sport != $2 counter name other7001
  }
}
NFT
}

# A router's namespace by name.
ns_of() { [[ $1 == beagle ]] && echo $BEAGLE || echo $PRIMERGY; }

# The events; each leaves primergy the master. power_loss: the process
# dies with both links (a real power loss takes the kernel's state too:
# the link, the shared address or CE address and the routes go, as at a
# reboot; hitless_mode says which).
event_power_loss() {
  ip -n $SW link set d2 down
  ip -n $SW link set l1 down
  kill -9 "${pid[beagle]}" 2>/dev/null
  wait "${pid[beagle]}" 2>/dev/null
  unset 'pid[beagle]'
  ip -n $BEAGLE link del $HITLESS_LINK 2>/dev/null
  ip -n $BEAGLE addr del $HITLESS_HELD dev eth0 2>/dev/null
  ip -n $BEAGLE addr del 192.0.2.2/24 dev eth0 2>/dev/null
  ip -n $BEAGLE addr del 198.51.100.1/24 dev eth1 2>/dev/null
}
event_uplink_cut() { ip -n $SW link set d2 down; }
event_graceful_stop() {
  kill -TERM "${pid[beagle]}"
  wait "${pid[beagle]}"
  unset 'pid[beagle]'
}
# beagle comes back (cables in, the daemon running) and takes over again.
beagle_back() {
  ip -n $SW link set d2 up
  ip -n $SW link set l1 up
  ip -n $BEAGLE route replace default via 192.0.2.1 2>/dev/null
  if [[ -z ${pid[beagle]:-} ]]; then
    start_router beagle
  fi
}
start_router() {
  local ns
  ns=$(ns_of "$1")
  ip netns exec $ns "$build/pairgated" --config "$dir/$1.yaml" >>"$dir/$1.log" 2>&1 &
  pid[$1]=$!
}

# master ROUTER: its VRRP2 (LAN) is MASTER (the log's last VRRP2 line says so).
is_master() {
  grep -E '\(VRRP2\) Entering [A-Z]+ STATE' "$dir/$1.log" | tail -1 | grep -q 'Entering MASTER'
}
