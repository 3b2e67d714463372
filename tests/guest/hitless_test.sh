#!/usr/bin/env bash
# In a guest kernel with ip6_tunnel (ctest runs this through scripts/vmtest):
# issue 14's hitless failover. The seed's topology (tests/guest/tunnel_lib.sh)
# with an AFTR that NATs per softwire (tests/guest/hitless_lib.sh), beagle
# (priority 200) and primergy (100) running pairgated with VRRPv3 at 100 ms
# and the shared B4 address 2001:db8:1::b4 (VRRP1's excluded address on the
# WAN). Three flows through the pair (tests/guest/hitless_flows.py): an
# interactive TCP session, a download that only receives, a UDP stream
# Internet -> client at 50 packets/s. Three events, each followed by beagle
# coming back and taking over again: beagle loses power (both links and the
# process at once), beagle's uplink is cut, beagle stops gracefully. Every
# flow must survive every event and return; the longest stall of each is
# printed. Then the contrast: the same power loss with per-router B4
# addresses (today's way) resets the sessions.
#
# Both routers run the firewall with its conntrack state sync over the peer
# channel (the flows that only receive need it: the new master's
# `ct state established,related` rule would drop their first packet);
# HITLESS_STATE_SYNC=0 leaves firewall and peer out.
#
# Mode mape (issue 17): the same pair with MAP-E instead (`type: mape`,
# `vrrp_instance: VRRP1`; the AFTR's namespace is also the BR, hitless_lib's
# hitless_br): both routers compute CE 198.18.0.1, PSID 1 from the /64 they
# share; only the master holds the CE address and link; the client's flows
# leave NATed into the port sets; beagle's power loss and return
# (HITLESS_MAPE_EVENTS, default power_loss) must leave the flows alive,
# the new master having committed the synced NAT entries with beagle's
# mapped ports (the BR sees the sessions' packets keep their source port).
# HITLESS_MODES (default "shared own mape"), HITLESS_EVENTS (default all
# three, for shared).
# Usage: hitless_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
id="pgh$$"
dir=$(mktemp -d /var/tmp/pairgate-hitless.XXXXXX)
TUNNEL_LOG_DIR=$dir
declare -A pid=()
source "$here/../integration/lib.sh"
source "$here/tunnel_lib.sh"
source "$here/hitless_lib.sh"
flows="$here/hitless_flows.py"
server_pid=
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  tunnel_topology_down
  rm -rf "$dir"
}
arm_cleanup "${HITLESS_CLEANUP_AFTER:-1400}"
start=$SECONDS
max_stall=${HITLESS_MAX_STALL_MS:-4000}  # TCG: see the ping RTT printed below
sync=sync
[[ ${HITLESS_STATE_SYNC:-1} == 0 ]] && sync=

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
tunnel_topology_up "$id" || { echo "topology failed"; cat "$dir/dnsmasq.log"; exit 1; }
hitless_aftr
echo "# topology up in $((SECONDS - start)) s: beagle $B_WAN, primergy $P_WAN, shared $SHARED_B4"
ip netns exec $INET python3 "$flows" server 203.0.113.1 >"$dir/server.log" 2>&1 &
server_pid=$!
rtt=$(ip netns exec $CLIENT ping -c 10 -i 0.2 -q 198.51.100.2 | awk -F/ '/rtt/ {print $5}')
echo "# plain ping RTT client -> beagle in this guest: $rtt ms (QEMU TCG's inflation)"

# How many takeovers committed synced flows (ctsync's log line), and whether
# that number grew past $2 (read afresh on each call of wait_for).
state_commits() { grep -c 'firewall state sync: committed [1-9]' "$dir/$1.log"; }
state_commits_above() { (($(state_commits "$1") > $2)); }

# One window: the flows for SECONDS, ACTION after 3 s, wait for NEW_MASTER.
window() {  # window MODE NAME ACTION NEW_MASTER
  local mode=$1 name=$2 action=$3 master=$4 out="$dir/$1-$2.json"
  ip netns exec $CLIENT python3 "$flows" client 203.0.113.1 "${HITLESS_WINDOW_S:-15}" "$out" &
  local client=$!
  wait_for 30 test -e "$out.ready" || { echo "# $mode $name: the flows never started"; debug_dump; }
  sleep 1
  local _p src_i port_i src_d port_d src_u port_u
  if [[ $mode == mape ]]; then
    # The sources the server sees: the CE address, ports inside the sets.
    read -r _p _p src_i port_i <<<"$(grep '^tcp 7000 ' "$dir/server.log" | tail -1)"
    read -r _p _p src_d port_d <<<"$(grep '^tcp 7001 ' "$dir/server.log" | tail -1)"
    read -r _p _p src_u port_u <<<"$(grep '^udp 7002 ' "$dir/server.log" | tail -1)"
    echo "# $mode $name: the server sees interactive $src_i:$port_i, download $src_d:$port_d, udp $src_u:$port_u"
    check "$mode $name: the flows leave from the CE address" test "$src_i $src_d $src_u" = "$MAPE_CE4 $MAPE_CE4 $MAPE_CE4"
    check "$mode $name: their source ports are inside the port sets" \
      bash -c "$(declare -f mape_port_in_sets); MAPE_PSID=$MAPE_PSID; mape_port_in_sets ${port_i:-0} && mape_port_in_sets ${port_d:-0} && mape_port_in_sets ${port_u:-0}"
    br_watch "${port_i:-0}" "${port_d:-0}"
  fi
  local commits
  commits=$(state_commits "$master")
  touch "$out.event"
  $action
  wait_for 20 is_master "$master" || echo "# $mode $name: $master did not become master"
  if [[ -n $sync ]]; then
    # The new master put the flows it had cached into its kernel table.
    check "$mode $name: $master committed the synced firewall state" wait_for 10 state_commits_above "$master" "$commits"
    echo "# $mode $name: $(grep -o 'firewall state sync: committed.*' "$dir/$master.log" | tail -1)"
    if [[ $mode == mape ]]; then
      # The committed entry's reply tuple: to the CE address and the port
      # the old master had mapped the session to.
      check "$mode $name: $master's conntrack has the session with its mapped port $port_i" wait_for 5 \
        bash -c "ip netns exec $(ns_of "$master") conntrack -L -p tcp 2>/dev/null | grep -q 'src=203.0.113.1 dst=$MAPE_CE4 sport=7000 dport=$port_i '"
    fi
  fi
  wait $client
  echo "# $mode $name: hgw's neighbour $(ip -n $HGW -6 neigh show "${HITLESS_HELD%/*}" | tr '\n' ' ')"
  if [[ $mode == mape ]]; then
    echo "# $mode $name: BR after the event: 7000 from $port_i $(br_count brwatch same7000), other $(br_count brwatch other7000); 7001 from $port_d $(br_count brwatch same7001), other $(br_count brwatch other7001)"
    check "$mode $name: after the event the BR sees the interactive session from port $port_i only" \
      test "$(br_count brwatch same7000)" -gt 0 -a "$(br_count brwatch other7000)" = 0
    check "$mode $name: after the event the BR sees the download's ACKs from port $port_d only" \
      test "$(br_count brwatch same7001)" -gt 0 -a "$(br_count brwatch other7001)" = 0
  fi
  python3 "$flows" verdict "$out" | while read -r flow state stall n rest; do
    echo "RESULT $mode $name $flow $state $stall $rest"
  done | tee -a "$dir/results"
}

run_mode() {  # run_mode MODE EVENTS...
  local mode=$1 ev
  shift
  hitless_mode "$mode"
  local tun=$HITLESS_LINK
  [[ $mode == mape ]] && hitless_br
  : >"$dir/beagle.log"
  : >"$dir/primergy.log"
  hitless_config beagle 200 "$mode" "$dir" $sync
  hitless_config primergy 100 "$mode" "$dir" $sync
  "$build/pairgated" --config "$dir/beagle.yaml" --check | sed 's/^/# /'
  start_router beagle
  start_router primergy
  check "$mode: beagle is master" wait_for 60 is_master beagle
  check "$mode: beagle's tunnel is UP" wait_for 30 grep -q "tunnel $tun UP" "$dir/beagle.log"
  check "$mode: primergy's tunnel is UP (its underlay)" wait_for 30 grep -q "tunnel $tun UP" "$dir/primergy.log"
  check "$mode: the client reaches the Internet" wait_for 20 ip netns exec $CLIENT ping -c1 -W1 203.0.113.1
  if [[ $mode == shared ]]; then
    check "shared: the AFTR's shared softwire carries it" python3 -c 'import json,subprocess,sys; j=json.loads(subprocess.run(sys.argv[1:], capture_output=True).stdout); sys.exit(0 if j[0]["stats64"]["rx"]["packets"] > 0 else 1)' ip -n $AFTR -s -j link show sw3
    check "shared: beagle's status says held" status_is beagle '["tunnels"][0]["held"]' True
    check "shared: primergy's status: not held" status_is primergy '["tunnels"][0]["held"]' False
    check "shared: primergy's status: shared with VRRP1" status_is primergy '["tunnels"][0]["shared_with"]' VRRP1
    check "shared: primergy has no link" fails ip -n $PRIMERGY link show ip6tnl1
  fi
  if [[ $mode == mape ]]; then
    local t='["tunnels"][0]'
    check "mape: beagle's mapping: CE $MAPE_CE4, PSID $MAPE_PSID, 15 sets, 3840 ports, CE IPv6 $MAPE_CE6" \
      wait_for 10 map_is beagle "$MAPE_CE4 $MAPE_PSID 15 3840 $MAPE_CE6 $(mape_sets)"
    check "mape: primergy computed the same mapping" same_map
    check "mape: beagle's status says held" status_is beagle "$t"'["held"]' True
    check "mape: primergy's status: not held" status_is primergy "$t"'["held"]' False
    check "mape: primergy's status: shared with VRRP1" status_is primergy "$t"'["shared_with"]' VRRP1
    check "mape: beagle has the CE address on eth0" bash -c "ip -n $BEAGLE -6 -o addr show dev eth0 | grep -q ' $MAPE_CE6/128 '"
    check "mape: beagle's mape0 goes from it to the BR" bash -c "ip -n $BEAGLE -6 tunnel show mape0 | grep -q 'remote 2001:db8:a::1 *local $MAPE_CE6'"
    check "mape: beagle's mape0 carries $MAPE_CE4/32" bash -c "ip -n $BEAGLE -4 -o addr show dev mape0 | grep -q 'inet $MAPE_CE4/32'"
    check "mape: primergy has no CE address" bash -c "! ip -n $PRIMERGY -6 -o addr show dev eth0 | grep -q ' $MAPE_CE6/128 '"
    check "mape: primergy has no link" fails ip -n $PRIMERGY link show mape0
    check "mape: the BR's softwire carries it" test "$(br_count br from_ce)" -gt 0
  fi
  for ev in "$@"; do
    window "$mode" "$ev" "event_$ev" primergy
    [[ $mode == shared ]] && show_takeover primergy
    # the daemon needs the tunnel UP again before it can take over.
    window "$mode" "$ev-return" beagle_back beagle
  done
  for r in beagle primergy; do
    [[ -n ${pid[$r]:-} ]] && kill -TERM "${pid[$r]}" && wait "${pid[$r]}"
    unset "pid[$r]"
  done
  if [[ $mode == mape ]]; then
    echo "# mape: BR: $(br_count br from_ce) IPv4 packets from the CE, $(br_count br outside) outside the CE address and port sets"
    check "mape: nothing outside the CE address and port sets at the BR" test "$(br_count br outside)" = 0
  fi
  cp "$dir/beagle.log" "$dir/$mode-beagle.log"
  cp "$dir/primergy.log" "$dir/$mode-primergy.log"
}

# map_is ROUTER "IPV4 PSID SETS PORTS CE_IPV6 FIRST-LAST,...": its status's mapping.
map_is() {
  [[ $(tunnel_status "$1" | python3 -c '
import json, sys
m = json.load(sys.stdin)["tunnels"][0]["map"]
print(m["ipv4"], m["psid"], len(m["port_sets"]), m["port_count"], m["ce_ipv6"],
      ",".join("%d-%d" % tuple(s) for s in m["port_sets"]))') == "$2" ]]
}
# Both routers computed the same mapping (the backup without holding it).
same_map() {
  python3 -c 'import json,sys; a,b=[json.loads(x)["tunnels"][0]["map"] for x in sys.argv[1:3]]; sys.exit(0 if a and a==b else 1)' \
    "$(tunnel_status beagle)" "$(tunnel_status primergy)"
}

debug_dump() {
  {
    echo "== client"; ip -n $CLIENT neigh; ip netns exec $CLIENT ping -c2 -W1 203.0.113.1
    for r in beagle primergy; do
      echo "== $r"; ip -n $(ns_of $r) -br addr; ip -n $(ns_of $r) route; ip -n $(ns_of $r) -d link show $HITLESS_LINK
      grep -v debug "$dir/$r.log" | tail -25
    done
    echo "== hgw"; ip -n $HGW -6 neigh
    echo "== aftr"; ip netns exec $AFTR conntrack -L 2>/dev/null | tail -20; ip -n $AFTR -s link show sw3
  } 2>&1 | sed 's/^/#   /'
}

show_takeover() {  # the last takeover's steps, as logged
  grep -E "takeover \+" "$dir/$1.log" | tail -6 | sed 's/^/# /'
}

# HITLESS_MONITOR=1: twice a second, who holds the shared address, what the
# home gateway's neighbour entry says and the AFTR's shared softwire
# counters; printed when a check fails.
if [[ ${HITLESS_MONITOR:-0} == 1 ]]; then
  (while :; do
     echo "$(date +%T.%N | cut -c1-12) b=$(ip -n $BEAGLE -br addr show eth0 | grep -c $SHARED_B4) p=$(ip -n $PRIMERGY -br addr show eth0 | grep -c $SHARED_B4)" \
       "hgw: $(ip -n $HGW -6 neigh show $SHARED_B4 | tr -s ' ' | cut -d' ' -f4-) sw3 rx/tx: $(ip netns exec $AFTR cat /sys/class/net/sw3/statistics/rx_packets /sys/class/net/sw3/statistics/tx_packets | tr '\n' ' ')" \
       "neigh-on-hgw-eth0: $(ip -n $HGW -6 neigh show dev eth0 | grep -c .)"
     sleep 0.5
   done >"$dir/monitor.log" 2>&1) &
  monitor_pid=$!
  pid[monitor]=$monitor_pid
fi

events=${HITLESS_EVENTS:-power_loss uplink_cut graceful_stop}
modes=${HITLESS_MODES:-shared own mape}
for mode in $modes; do
  if [[ $mode == own ]]; then
    run_mode own ${HITLESS_CONTRAST_EVENTS:-power_loss}
  elif [[ $mode == mape ]]; then
    run_mode mape ${HITLESS_MAPE_EVENTS:-power_loss}
  else
    run_mode shared $events
  fi
done

echo "# mode event flow verdict longest-stall-ms"
sed 's/^RESULT /# /' "$dir/results"
while read -r _ mode name flow state stall rest; do
  if [[ $mode == shared || $mode == mape ]]; then
    check "$mode $name: $flow survived (stall $stall ms)" test "$state" = survived
    check "$mode $name: $flow stall under $max_stall ms" test "$stall" -lt "$max_stall"
  fi
done <"$dir/results"
if [[ " $modes " == *" own "* ]]; then
  check "own power_loss: the sessions did not survive (the contrast)" \
    bash -c "grep -E '^RESULT own power_loss (interactive|download) ' '$dir/results' | grep -vq ' survived '"
fi
grep -q "takeover +" "$dir/shared-primergy.log" 2>/dev/null &&
  check "shared: address before link before route in the takeover" python3 - "$dir/shared-primergy.log" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if "takeover +" in l]
order = []
for l in lines:
    if "(VRRP1) takeover" in l and "address(es) added" in l: order.append("address")
    elif "(VRRP1) takeover" in l and "sent on eth0" in l: order.append("na")
    elif "tunnel ip6tnl1: takeover" in l and "link up" in l: order.append("link")
    elif "tunnel ip6tnl1: takeover" in l and "default route" in l: order.append("route")
want = ["address", "na", "link", "route"]
firsts = order[:4]
sys.exit(0 if firsts == want else 1)
PY
echo "# took $((SECONDS - start)) s"
summary || { [[ -f $dir/monitor.log ]] && { echo "== monitor"; tail -${HITLESS_DUMP_LINES:-60} "$dir/monitor.log"; }; for f in shared-beagle shared-primergy own-beagle own-primergy mape-beagle mape-primergy; do [[ -f $dir/$f.log ]] && { echo "== $f"; grep -v "debug" "$dir/$f.log" | tail -${HITLESS_DUMP_LINES:-60}; }; done; exit 1; }
