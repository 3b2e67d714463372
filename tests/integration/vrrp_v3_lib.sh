# Shared by the VRRPv3 scripts (vrrp_v3_*_test.sh); sourced after lib.sh,
# never run. One LAN (bridge br0 in $SW) with two routers $R1 (192.0.2.3,
# 2001:db8::3, link-local fe80::ff:fe00:3) and $R2 (.4, ::4, fe80::ff:fe00:4)
# and a client $C (.10, ::a). Each router runs pairgated or keepalived with
# two VRRPv3 instances at 100 ms: V4 (VRID 1, 192.0.2.2/24) and V6 (VRID 1,
# the derived link-local fe80::200:5eff:fe00:201/64 and 2001:db8::2/64).
# The caller sets build, dir and id, and calls v3_topology.

VIP4=192.0.2.2 VIP6=2001:db8::2 VLL=fe80::200:5eff:fe00:201
declare -A ADDR4=() ADDR6=() LL=() DAEMON=()

v3_topology() {
  SW=$id-sw R1=$id-r1 R2=$id-r2 C=$id-c
  add_namespaces "$SW" "$R1" "$R2" "$C"
  local ns
  for ns in "$R1" "$R2" "$C"; do
    # No DAD: addresses (link-local ones too) are usable at once.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  done
  bridge "$SW" "$R1" "$R2" "$C"
  local n=2
  for ns in "$R1" "$R2" "$C"; do
    n=$((n + 1))
    ((n == 5)) && n=10
    ip -n "$ns" link set eth0 down
    ip -n "$ns" link set eth0 address "02:00:00:00:00:$(printf %02x $n)"
    ip -n "$ns" link set eth0 up
    ip -n "$ns" addr add "192.0.2.$n/24" dev eth0
    ip -n "$ns" addr add "2001:db8::$(printf %x $n)/64" dev eth0 nodad
    ADDR4[$ns]=192.0.2.$n ADDR6[$ns]=2001:db8::$(printf %x $n) LL[$ns]=fe80::ff:fe00:$(printf %x $n)
  done
}

# vip4_on NS / vip6_on NS: the router holds the address.
vip4_on() { [[ $(ip -n "$1" -4 -o addr show dev eth0) == *" $VIP4/24 "* ]]; }
vip6_on() { [[ $(ip -n "$1" -6 -o addr show dev eth0) == *" $VIP6/64 "* ]]; }
both_on() { vip4_on "$1" && vip6_on "$1"; }
neither_on() { ! vip4_on "$1" && ! vip6_on "$1"; }

# pg_start NS PRIORITY [UNICAST]: pairgated with V4 and V6 (in one sync
# group); UNICAST "yes" gives each the other router's addresses as peers.
pg_start() {
  local ns=$1 prio=$2 unicast=${3:-} other p4= p6=
  [[ $ns == "$R1" ]] && other=$R2 || other=$R1
  if [[ $unicast == yes ]]; then
    p4=", unicast_peers: [${ADDR4[$other]}]"
    p6=", unicast_peers: [${LL[$other]}]"
  fi
  cat >"$dir/$ns.yaml" <<YAML
node: pg
control: {socket: $dir/$ns.sock}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: V4, interface: eth0, vrid: 1, priority: $prio, version: 3, advert_interval: 100ms,
       virtual_addresses: [$VIP4/24]$p4, garp: {delay: 1s, repeat: 2}}
    - {name: V6, interface: eth0, vrid: 1, priority: $prio, version: 3, advert_interval: 100ms,
       virtual_addresses: [$VIP6/64]$p6, garp: {delay: 1s, repeat: 2}}
  sync_groups:
    - {name: G, instances: [V4, V6]}
YAML
  "$build/pairgated" --config "$dir/$ns.yaml" --check >>"$dir/$ns.log" 2>&1 || return 1
  rm -f "$dir/$ns.sock"
  ip netns exec "$ns" "$build/pairgated" --config "$dir/$ns.yaml" >>"$dir/$ns.log" 2>&1 &
  DAEMON[$ns]=$!
  wait_for 5 test -S "$dir/$ns.sock"
}

# ka_start NS PRIORITY [UNICAST]: keepalived 2.2.7 with the same instances.
ka_start() {
  local ns=$1 prio=$2 unicast=${3:-} other u4= u6=
  [[ $ns == "$R1" ]] && other=$R2 || other=$R1
  if [[ $unicast == yes ]]; then
    u4="unicast_peer {
    ${ADDR4[$other]}
  }"
    u6="unicast_peer {
    ${LL[$other]}
  }"
  fi
  cat >"$dir/$ns.conf" <<KA
global_defs {
  router_id ka
  enable_script_security
  vrrp_version 3
}
vrrp_sync_group G {
  group {
    V4
    V6
  }
}
vrrp_instance V4 {
  state BACKUP
  interface eth0
  virtual_router_id 1
  priority $prio
  advert_int 0.1
  $u4
  virtual_ipaddress {
    $VIP4/24
  }
}
vrrp_instance V6 {
  state BACKUP
  interface eth0
  virtual_router_id 1
  priority $prio
  advert_int 0.1
  $u6
  virtual_ipaddress {
    $VLL/64
    $VIP6/64
  }
}
KA
  rm -f "$dir/$ns.pid" "$dir/$ns-vrrp.pid"
  ip netns exec "$ns" keepalived -n -l -D -f "$dir/$ns.conf" -p "$dir/$ns.pid" -r "$dir/$ns-vrrp.pid" \
    >>"$dir/$ns.log" 2>&1 &
  DAEMON[$ns]=$!
  wait_for 5 test -s "$dir/$ns-vrrp.pid"
}

# stop NS: SIGTERM, and wait for every process of the namespace to go.
stop() {
  local ns=$1
  [[ -n ${DAEMON[$ns]:-} ]] && kill -TERM "${DAEMON[$ns]}" 2>/dev/null && wait "${DAEMON[$ns]}" 2>/dev/null
  DAEMON[$ns]=
  wait_for 5 sh -c "[ -z \"\$(ip netns pids $ns)\" ]"
}

# crash NS: host loss. Every process of the namespace killed at once (a
# keepalived VRRP child left alive would resign with priority 0), and the
# addresses it held go with it.
crash() {
  local ns=$1
  ip netns pids "$ns" | xargs -r kill -9
  [[ -n ${DAEMON[$ns]:-} ]] && { wait "${DAEMON[$ns]}"; } 2>/dev/null
  DAEMON[$ns]=
  ip -n "$ns" addr del "$VIP4/24" dev eth0 2>/dev/null
  ip -n "$ns" addr del "$VIP6/64" dev eth0 2>/dev/null
  ip -n "$ns" addr del "$VLL/64" dev eth0 2>/dev/null
  return 0
}

# pg_json NS EXPR: a Python expression over s, the status object.
pg_json() {
  "$build/pairgatectl" --socket "$dir/$1.sock" status --json 2>/dev/null |
    python3 -c "import json, sys; s = json.load(sys.stdin); v = {i['name']: i for i in s['vrrp']}; print($2)"
}
pg_field_is() { [[ $(pg_json "$1" "$2") == "$3" ]]; }
pg_state() { pg_json "$1" "v['$2']['state']"; }
pg_is() { [[ $(pg_state "$1" V4) == "$2" && $(pg_state "$1" V6) == "$2" ]]; }
# No advert of the peer was dropped (own_advert aside).
pg_no_drops() {
  [[ $(pg_json "$1" "sum(n for i in s['vrrp'] for k, n in i['counters']['drops'].items() if k != 'own_advert')") == 0 ]]
}
ka_clean_log() { ! grep -qiE 'invalid|mismatch|bad |error|checksum' "$dir/$1.log"; }

# The client reaches both virtual addresses (IPv6: the master answers the
# neighbour solicitation for it).
client_reaches() {
  ip netns exec "$C" ping -c1 -W1 -n $VIP4 && ip netns exec "$C" ping -6 -c1 -W1 -n $VIP6
}
