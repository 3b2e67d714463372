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
# VRRP1 carries) or own (each router its SLAAC address, today's way). SYNC
# "sync": the firewall on both routers with its conntrack state sync over
# the peer channel (on the LAN; one key file for both), and beagle waits 2 s
# before preempting on its return, so that the master's dump is in its
# cache when it takes over (docs/configuration.md, firewall.state_sync).
hitless_config() {
  local name=$1 prio=$2 mode=$3 dir=$4 sync=${5:-} excluded="" local="" extra="" preempt=""
  if [[ $mode == shared ]]; then
    excluded=", excluded_addresses: [$SHARED_B4/64]"
    local="    local: $SHARED_B4"
  fi
  if [[ $sync == sync ]]; then
    [[ -e $dir/peer.key ]] || { head -c 32 /dev/urandom | base64 >"$dir/peer.key"; chmod 600 "$dir/peer.key"; }
    local me=198.51.100.2 other=198.51.100.3
    [[ $name == primergy ]] && { me=198.51.100.3; other=198.51.100.2; }
    extra="peer: {address: $other, local: $me, key_file: $dir/peer.key}
firewall: {enabled: true, wan_interfaces: [eth0, ip6tnl1], state_sync: true}"
    preempt=", preempt_delay: 2s"
  fi
  cat >"$dir/$name.yaml" <<YAML
node: $name
control: {socket: $dir/$name.sock}
logging: {target: stderr, level: ${HITLESS_LOG_LEVEL:-info}}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: VRRP1, interface: eth0, vrid: 1, priority: $prio, version: 3, advert_interval: $HITLESS_ADVERT,
       virtual_addresses: [192.0.2.2/24]$excluded, garp: {delay: 1s, repeat: 2}, track: [{tunnel: ip6tnl1}]$preempt}
    - {name: VRRP2, interface: eth1, vrid: 2, priority: $prio, version: 3, advert_interval: $HITLESS_ADVERT,
       virtual_addresses: [198.51.100.1/24], garp: {delay: 1s, repeat: 2}, track: [{tunnel: ip6tnl1}]$preempt}
  sync_groups: [{name: LAN, instances: [VRRP1, VRRP2]}]
tunnels:
  - name: ip6tnl1
    wan_interface: eth0
    aftr: 2001:db8:a::1
$local
    health: {interval: ${HITLESS_HEALTH_INTERVAL:-1s}, down_after: 3, up_after: 2, targets: [203.0.113.1]}
$extra
YAML
}

# A router's namespace by name.
ns_of() { [[ $1 == beagle ]] && echo $BEAGLE || echo $PRIMERGY; }

# The events; each leaves primergy the master. power_loss: the process
# dies with both links (a real power loss takes the kernel's state too:
# the link, the shared address and the routes go, as at a reboot).
event_power_loss() {
  ip -n $SW link set d2 down
  ip -n $SW link set l1 down
  kill -9 "${pid[beagle]}" 2>/dev/null
  wait "${pid[beagle]}" 2>/dev/null
  unset 'pid[beagle]'
  ip -n $BEAGLE link del ip6tnl1 2>/dev/null
  ip -n $BEAGLE addr del $SHARED_B4/64 dev eth0 2>/dev/null
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
