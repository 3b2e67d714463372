#!/usr/bin/env bash
# Firewall state sync in a real kernel: two routers, beagle (priority 200)
# and primergy (100), with VRRPv3 at 200 ms (100 ms flapped under ASan on
# a loaded 2-core machine) on a LAN (192.0.2.0/24, VIP
# .1) and a WAN (198.51.100.0/24, VIP .1) in one sync group, the peer
# channel over the LAN, and pairgate's firewall (WAN: eth1). A client C on
# the LAN, an "internet" host I on the WAN (no NAT: I routes the LAN prefix
# to the WAN VIP, as an AFTR's softwire would). Through beagle: a TCP
# download from I (the client only acknowledges) and a UDP stream from I
# that the client opened with one datagram and then only receives. primergy's
# cache must hold both; then beagle loses power (kill -9, both links down);
# primergy's kernel table must hold both entries after the takeover, and the
# UDP stream must keep reaching the client. The contrast: the same with
# state_sync off, where the forward chain's `ct state established,related`
# rule drops both flows at primergy. Then with NAT: both routers SNAT what
# leaves by the WAN to the WAN VIP, into ports 20000-29999 (a table of the
# test's own, as a MAP-E CE's NAT44 would), and I no longer routes the LAN:
# the flows survive only if the committed entries carry the NAT mapping
# (address and port) that beagle chose. Usage: state_sync_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl
flows=$here/state_sync_flows.py

command -v conntrack >/dev/null || { echo "SKIP: conntrack(8) is not installed"; exit 77; }

id="pss$$-$RANDOM"
lan=$id-lan wan=$id-wan beagle=$id-b primergy=$id-p client=$id-c inet=$id-i
all=("$lan" "$wan" "$beagle" "$primergy" "$client" "$inet")
dir=$(mktemp -d /tmp/pairgate-state-sync.XXXXXX)
declare -A pid
source "$here/lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces "${all[@]}"
  if ((${failed:-0} > 0)); then
    for n in beagle primergy; do echo "--- $n log"; tail -n 40 "$dir/$n.log"; done
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$dir"
}
arm_cleanup 400

plug() {  # plug SWITCH HOST IFNAME PORT: HOST's IFNAME on SWITCH's br0
  ip -n "$1" link add "$4" type veth peer name "$3" netns "$2"
  ip -n "$1" link set "$4" master br0 up
  ip -n "$2" link set "$3" up
}

topology() {
  add_namespaces "${all[@]}"
  for sw in "$lan" "$wan"; do
    ip -n "$sw" link add br0 type bridge
    ip -n "$sw" link set br0 up
  done
  plug "$lan" "$beagle" eth0 p1
  plug "$lan" "$primergy" eth0 p2
  plug "$lan" "$client" eth0 p3
  plug "$wan" "$beagle" eth1 p1
  plug "$wan" "$primergy" eth1 p2
  plug "$wan" "$inet" eth0 p3
  ip -n "$beagle" addr add 192.0.2.3/24 dev eth0
  ip -n "$beagle" addr add 198.51.100.3/24 dev eth1
  ip -n "$primergy" addr add 192.0.2.4/24 dev eth0
  ip -n "$primergy" addr add 198.51.100.4/24 dev eth1
  ip -n "$client" addr add 192.0.2.10/24 dev eth0
  ip -n "$client" route add default via 192.0.2.1
  ip -n "$inet" addr add 198.51.100.9/24 dev eth0
  if [[ $mode == nat ]]; then
    local r
    for r in "$beagle" "$primergy"; do
      ip netns exec "$r" nft -f - <<'NFT'
table ip sstest {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" ip saddr 192.0.2.0/24 meta l4proto { tcp, udp } snat to 198.51.100.1:20000-29999
	}
}
NFT
    done
  else
    ip -n "$inet" route add 192.0.2.0/24 via 198.51.100.1
  fi
}

config() {  # config NODE PRIORITY PEER STATE_SYNC
  cat <<YAML
node: $1
control: {socket: $dir/$1.sock}
logging: {target: stderr, level: info}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: LAN, interface: eth0, vrid: 1, priority: $2, version: 3, advert_interval: 200ms,
       virtual_addresses: [192.0.2.1/24], garp: {delay: 1s, repeat: 2}}
    - {name: WAN, interface: eth1, vrid: 2, priority: $2, version: 3, advert_interval: 200ms,
       virtual_addresses: [198.51.100.1/24], garp: {delay: 1s, repeat: 2}}
  sync_groups:
    - {name: G, instances: [LAN, WAN]}
firewall:
  wan_interfaces: [eth1]
  state_sync: $4
peer: {address: $3, key_file: $dir/$1.key}
YAML
}

start() {  # start NODE
  local ns=${!1}
  rm -f "$dir/$1.sock"
  ip netns exec "$ns" "$pairgated" --config "$dir/$1.yaml" >>"$dir/$1.log" 2>&1 &
  pid[$1]=$!
}
sync_status() {  # sync_status NODE PYTHON-EXPRESSION-OF-s
  "$ctl" --socket "$dir/$1.sock" status --json 2>/dev/null |
    python3 -c "import json, sys; s = json.load(sys.stdin)['firewall']['state_sync']; print($2)"
}
vrrp_state() {  # vrrp_state NODE INSTANCE
  "$ctl" --socket "$dir/$1.sock" status --json 2>/dev/null |
    python3 -c "import json, sys; v = json.load(sys.stdin)['vrrp']; print([i['state'] for i in v if i['name'] == '$2'][0])"
}
is_master() { [[ $(vrrp_state "$1" WAN) == MASTER && $(vrrp_state "$1" LAN) == MASTER ]]; }
peer_in_sync() { [[ $("$ctl" --socket "$dir/$1.sock" status --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['peer']['state'])") == in-sync ]]; }
cached_at_least() { test "$(sync_status "$1" 's["cached"]')" -ge "$2"; }
count() { cut -d' ' -f1 "$dir/$1" 2>/dev/null || echo 0; }
grows() {  # grows FILE SECONDS MIN: FILE's count grows by MIN within SECONDS
  local before
  before=$(count "$1")
  wait_for "$2" test "$(count "$1")" -ge $((before + $3)) 2>/dev/null || {
    local end=$((SECONDS + $2))
    while ((SECONDS <= end)); do
      (($(count "$1") >= before + $3)) && return 0
      sleep 0.1
    done
    return 1
  }
}
in_table() {  # in_table NS PROTO PORT: conntrack -L in NS lists a PROTO flow to I's PORT
  local table  # read whole first: grep -q closing the pipe early would fail conntrack (pipefail)
  table=$(ip netns exec "$1" conntrack -L -p "$2" 2>/dev/null)
  grep -q "dst=198.51.100.9 .*dport=$3 " <<<"$table"
}

# nat_in_table NS PROTO PORT: NS's entry of that flow is SNATed to the VIP
# and a port of the test's range; prints the mapped port.
nat_in_table() {
  local table
  table=$(ip netns exec "$1" conntrack -L -p "$2" 2>/dev/null)
  grep "dst=198.51.100.9 .*dport=$3 " <<<"$table" | grep -Eo 'src=198.51.100.9 dst=198.51.100.1 sport=[0-9]+ dport=(2[0-9]{4})' |
    grep -Eo '[0-9]+$'
}

# scenario true|false|nat: one run (nat: state sync on, both routers NAT);
# sets $udp_after (packets in 3 s after the takeover)
scenario() {
  local mode=$1 sync=$1
  [[ $mode == nat ]] && sync=true
  topology
  head -c 32 /dev/urandom | base64 >"$dir/beagle.key"
  cp "$dir/beagle.key" "$dir/primergy.key"
  chmod 600 "$dir"/*.key
  config beagle 200 192.0.2.4 "$sync" >"$dir/beagle.yaml"
  config primergy 100 192.0.2.3 "$sync" >"$dir/primergy.yaml"
  if ! ip netns exec "$beagle" conntrack -L >/dev/null 2>&1; then
    echo "SKIP: ctnetlink (nf_conntrack_netlink) is not available"
    exit 77
  fi
  start beagle
  start primergy
  check "[$mode] beagle becomes master" wait_for 10 is_master beagle
  check "[$mode] the peer channel is in sync" wait_for 10 peer_in_sync primergy
  if [[ $sync == true ]]; then
    check "[$mode] primergy caches as backup" test "$(sync_status primergy 's["role"]')" = backup
    check "[$mode] primergy asked beagle for a dump" wait_for 5 test "$(sync_status beagle 's["dump_requests_received"]')" -ge 1
  fi
  rm -f "$dir/tcp.log" "$dir/udp.log"
  ip netns exec "$inet" python3 "$flows" tcp-server 8080 &
  pid[tcp_server]=$!
  ip netns exec "$inet" python3 "$flows" udp-source 9000 &
  pid[udp_source]=$!
  sleep 0.3
  ip netns exec "$client" python3 "$flows" tcp-client 198.51.100.9 8080 "$dir/tcp.log" &
  pid[tcp_client]=$!
  ip netns exec "$client" python3 "$flows" udp-sink 198.51.100.9 9000 5000 "$dir/udp.log" &
  pid[udp_sink]=$!
  check "[$mode] the TCP download flows through beagle" grows tcp.log 5 2000
  check "[$mode] the UDP stream flows through beagle" grows udp.log 5 50
  check "[$mode] beagle's kernel table has both flows" eval 'in_table "$beagle" tcp 8080 && in_table "$beagle" udp 9000'
  if [[ $mode == nat ]]; then
    beagle_tcp_port=$(nat_in_table "$beagle" tcp 8080)
    beagle_udp_port=$(nat_in_table "$beagle" udp 9000)
    echo "[$mode] beagle mapped TCP to port ${beagle_tcp_port:-none}, UDP to ${beagle_udp_port:-none}"
    check "[$mode] beagle NATs both flows into the range" test -n "$beagle_tcp_port" -a -n "$beagle_udp_port"
  fi
  if [[ $sync == true ]]; then
    check "[$mode] beagle marks and sends them" wait_for 5 test "$(sync_status beagle 's["sent"]')" -ge 2
    check "[$mode] primergy's cache holds both" wait_for 5 cached_at_least primergy 2
    [[ -n ${DEBUG:-} ]] && { "$ctl" --socket "$dir/beagle.sock" status --json; "$ctl" --socket "$dir/primergy.sock" status --json; } >"$dir/debug.json"
    if ((${BULK:-0} > 0)); then
      # A measurement, not a check (BULK=N): N more marked UDP entries made by hand on beagle.
      for ((i = 0; i < BULK; i++)); do
        echo "-I -p udp -s 192.0.2.$((100 + i / 60000)) -d 198.51.100.9 --sport $((1024 + i % 60000)) --dport 53 --timeout 600 --mark 0x10000"
      done | ip netns exec "$beagle" xargs -L1 conntrack >/dev/null 2>&1
      wait_for 30 cached_at_least primergy $((BULK + 2))
      echo "[$mode] with BULK=$BULK: primergy caches $(sync_status primergy 's["cached"]')"
    fi
    check "[$mode] primergy's kernel table has neither before the takeover" \
      fails eval 'in_table "$primergy" tcp 8080 || in_table "$primergy" udp 9000'
  fi
  if [[ $mode == nat ]]; then
    # A packet of the TCP flow reaching primergy before the commit (the
    # client's next segment, right after the LAN's gratuitous ARP) makes an
    # entry of its own with a mapping of primergy's choice: one made by hand
    # here, to port 19999. The commit must replace it with beagle's mapping
    # (an update cannot change NAT), or the flow leaves from a port the
    # server does not know.
    local orig
    orig=$(ip netns exec "$beagle" conntrack -L -p tcp 2>/dev/null | grep -Eo 'src=[0-9.]+ dst=198.51.100.9 sport=[0-9]+ dport=8080 ' | head -1)
    read -r csrc _ csport _ <<<"$(sed 's/[a-z]*=//g' <<<"$orig")"
    check "[$mode] a pickup entry with another mapping is in primergy's table first" ip netns exec "$primergy" conntrack -I -p tcp \
      -s "$csrc" -d 198.51.100.9 --sport "$csport" --dport 8080 -r 198.51.100.9 -q 198.51.100.1 --reply-port-src 8080 \
      --reply-port-dst 19999 --state ESTABLISHED -u SEEN_REPLY -t 120 --mark 0x10000
  fi
  # beagle loses power: the daemon dies at once, and so do its links.
  kill -9 "${pid[beagle]}"
  unset "pid[beagle]"
  ip -n "$beagle" link set eth0 down
  ip -n "$beagle" link set eth1 down
  check "[$mode] primergy takes over" wait_for 5 is_master primergy
  # DEBUG=1 KEEP=1: what primergy's kernel holds right after the takeover.
  if [[ -n ${DEBUG:-} ]]; then ip -n "$primergy" link show eth1; ip netns exec "$primergy" conntrack -L; ip netns exec "$primergy" conntrack -S; ip netns exec "$primergy" nft list ruleset; ip netns exec "$inet" ip neigh; fi >"$dir/debug-$mode.txt" 2>&1
  local before
  before=$(count udp.log)
  sleep 3
  udp_after=$(($(count udp.log) - before))
  tcp_gap=$(cut -d' ' -f2 "$dir/tcp.log")
  udp_gap=$(cut -d' ' -f2 "$dir/udp.log")
  # A flow that stopped for good has no stall that ended: say how long ago it last got anything.
  local tcp_age udp_age
  tcp_age=$(python3 -c "import os,sys,time; print(f'{max(0.0, time.time() - os.path.getmtime(sys.argv[1])):.1f}')" "$dir/tcp.log")
  udp_age=$(python3 -c "import os,sys,time; print(f'{max(0.0, time.time() - os.path.getmtime(sys.argv[1])):.1f}')" "$dir/udp.log")
  echo "[$mode] after the takeover: $udp_after UDP packets in 3 s; longest ended stall TCP ${tcp_gap} s, UDP ${udp_gap} s; last data TCP ${tcp_age} s ago, UDP ${udp_age} s ago"
  if [[ $sync == true ]]; then
    check "[$mode] primergy committed the cache" wait_for 3 test "$(sync_status primergy 's["committed"]')" -ge 2
    check "[$mode] status shows the commit's duration and count" \
      test "$(sync_status primergy 's["last_commit_ms"] is not None and s["last_commit_entries"] >= 2')" = True
    check "[$mode] primergy's kernel table holds the TCP flow" in_table "$primergy" tcp 8080
    check "[$mode] primergy's kernel table holds the UDP flow" in_table "$primergy" udp 9000
    if [[ $mode == nat ]]; then
      check "[$mode] the TCP flow keeps beagle's NAT mapping" \
        test -n "$beagle_tcp_port" -a "$(nat_in_table "$primergy" tcp 8080)" = "$beagle_tcp_port"
      check "[$mode] the UDP flow keeps beagle's NAT mapping" \
        test -n "$beagle_udp_port" -a "$(nat_in_table "$primergy" udp 9000)" = "$beagle_udp_port"
      check "[$mode] the commit says it replaced the pickup" grep -q 'committed .*(1 in place of an entry with another mapping)' "$dir/primergy.log"
    fi
    check "[$mode] the inbound-only UDP stream keeps reaching the client" test "$udp_after" -ge 100
    check "[$mode] the TCP download keeps flowing" grows tcp.log 3 2000
    echo "[$mode] $(grep -o 'firewall state sync: committed.*' "$dir/primergy.log" | tail -1)"
    check "[$mode] primergy is master and sends" test "$(sync_status primergy 's["role"]')" = master
    check "[$mode] nothing malformed, nothing over the cap" \
      test "$(sync_status primergy 's["dropped"]["malformed"] + s["dropped"]["cap"]')" -eq 0
  else
    check "[$mode] without state sync the UDP stream is dropped at primergy" test "$udp_after" -le 5
    # The client only acknowledges what arrives: nothing arrives, so nothing
    # from the LAN lets primergy pick the connection up.
    check "[$mode] and so is the TCP download" fails grows tcp.log 2 1
    check "[$mode] primergy's forward chain counted the drops" \
      eval 'ip netns exec "$primergy" nft list counter inet pairgate forward_drops | grep -Eq "packets [1-9]"'
  fi
  kill -TERM "${pid[primergy]}"
  wait "${pid[primergy]}"
  check "[$mode] primergy exits 0 on SIGTERM" test $? -eq 0
  unset "pid[primergy]"
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  pid=()
  del_namespaces "${all[@]}"
}

for m in ${SCENARIOS:-true false nat}; do scenario "$m"; done
summary
