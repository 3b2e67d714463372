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
# HITLESS_MODES (default "shared own"), HITLESS_EVENTS (default all three).
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
  local commits
  commits=$(state_commits "$master")
  touch "$out.event"
  $action
  wait_for 20 is_master "$master" || echo "# $mode $name: $master did not become master"
  if [[ -n $sync ]]; then
    # The new master put the flows it had cached into its kernel table.
    check "$mode $name: $master committed the synced firewall state" wait_for 10 state_commits_above "$master" "$commits"
    echo "# $mode $name: $(grep -o 'firewall state sync: committed.*' "$dir/$master.log" | tail -1)"
  fi
  wait $client
  echo "# $mode $name: hgw's neighbour $(ip -n $HGW -6 neigh show $SHARED_B4 | tr '\n' ' ')"
  python3 "$flows" verdict "$out" | while read -r flow state stall n rest; do
    echo "RESULT $mode $name $flow $state $stall $rest"
  done | tee -a "$dir/results"
}

run_mode() {  # run_mode MODE EVENTS...
  local mode=$1 ev
  shift
  : >"$dir/beagle.log"
  : >"$dir/primergy.log"
  hitless_config beagle 200 "$mode" "$dir" $sync
  hitless_config primergy 100 "$mode" "$dir" $sync
  "$build/pairgated" --config "$dir/beagle.yaml" --check | sed 's/^/# /'
  start_router beagle
  start_router primergy
  check "$mode: beagle is master" wait_for 60 is_master beagle
  check "$mode: beagle's tunnel is UP" wait_for 30 grep -q "tunnel ip6tnl1 UP" "$dir/beagle.log"
  check "$mode: primergy's tunnel is UP (its underlay)" wait_for 30 grep -q "tunnel ip6tnl1 UP" "$dir/primergy.log"
  check "$mode: the client reaches the Internet" wait_for 20 ip netns exec $CLIENT ping -c1 -W1 203.0.113.1
  if [[ $mode == shared ]]; then
    check "shared: the AFTR's shared softwire carries it" python3 -c 'import json,subprocess,sys; j=json.loads(subprocess.run(sys.argv[1:], capture_output=True).stdout); sys.exit(0 if j[0]["stats64"]["rx"]["packets"] > 0 else 1)' ip -n $AFTR -s -j link show sw3
    check "shared: beagle's status says held" status_is beagle '["tunnels"][0]["held"]' True
    check "shared: primergy's status: not held" status_is primergy '["tunnels"][0]["held"]' False
    check "shared: primergy's status: shared with VRRP1" status_is primergy '["tunnels"][0]["shared_with"]' VRRP1
    check "shared: primergy has no link" fails ip -n $PRIMERGY link show ip6tnl1
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
  cp "$dir/beagle.log" "$dir/$mode-beagle.log"
  cp "$dir/primergy.log" "$dir/$mode-primergy.log"
}

debug_dump() {
  {
    echo "== client"; ip -n $CLIENT neigh; ip netns exec $CLIENT ping -c2 -W1 203.0.113.1
    for r in beagle primergy; do
      echo "== $r"; ip -n $(ns_of $r) -br addr; ip -n $(ns_of $r) route; ip -n $(ns_of $r) -d link show ip6tnl1
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
for mode in ${HITLESS_MODES:-shared own}; do
  if [[ $mode == own ]]; then
    run_mode own ${HITLESS_CONTRAST_EVENTS:-power_loss}
  else
    run_mode shared $events
  fi
done

echo "# mode event flow verdict longest-stall-ms"
sed 's/^RESULT /# /' "$dir/results"
while read -r _ mode name flow state stall rest; do
  if [[ $mode == shared ]]; then
    check "shared $name: $flow survived (stall $stall ms)" test "$state" = survived
    check "shared $name: $flow stall under $max_stall ms" test "$stall" -lt "$max_stall"
  fi
done <"$dir/results"
if [[ " ${HITLESS_MODES:-shared own} " == *" own "* ]]; then
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
summary || { [[ -f $dir/monitor.log ]] && { echo "== monitor"; tail -${HITLESS_DUMP_LINES:-60} "$dir/monitor.log"; }; for f in shared-beagle shared-primergy own-beagle own-primergy; do [[ -f $dir/$f.log ]] && { echo "== $f"; grep -v "debug" "$dir/$f.log" | tail -${HITLESS_DUMP_LINES:-60}; }; done; exit 1; }
