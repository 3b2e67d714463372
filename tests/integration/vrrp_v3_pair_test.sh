#!/usr/bin/env bash
# Two pairgated speaking VRRPv3 at 100 ms, an IPv4 and an IPv6 instance in
# one sync group on each: election, host loss, preemption, graceful stop,
# and what status says about it.
# Usage: vrrp_v3_pair_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
id="pg3p$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-v3p.XXXXXX)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vrrp_v3_lib.sh"
SW= R1= R2= C=
cleanup() {
  for ns in "${!DAEMON[@]}"; do [[ -n ${DAEMON[$ns]} ]] && kill -9 "${DAEMON[$ns]}" 2>/dev/null; done
  del_namespaces "$SW" "$R1" "$R2" "$C"
  rm -rf "$dir"
}
arm_cleanup
v3_topology
A=$R1 B=$R2

took_over() {  # took_over CHECK NS: within 1 s
  local end=$(($(date +%s%N) + 1000000000))
  while (($(date +%s%N) < end)); do "$1" "$2" && return 0; sleep 0.05; done
  return 1
}

pg_start "$B" 100
pg_start "$A" 200
check "A wins both elections" wait_for 5 pg_is "$A" MASTER
check "B is BACKUP for both" wait_for 2 pg_is "$B" BACKUP
check "B holds neither address" neither_on "$B"
check "the client reaches both addresses" client_reaches
check "B follows A's link-local address for V6" pg_field_is "$B" "v['V6']['master']" "${LL[$A]}"
check "B's Master_Down_Interval is 360.9 ms" pg_field_is "$B" "v['V4']['master_down_interval_ms']" 360
check "status: version 3, 100 ms, learned 100 ms" pg_field_is "$B" \
  "(v['V4']['version'], v['V4']['advert_interval_ms'], v['V4']['master_adver_interval_ms'])" "(3, 100, 100)"
check "status: the derived link-local virtual address first" pg_field_is "$A" "v['V6']['virtual_addresses']" \
  "['$VLL/64', '$VIP6/64']"
check "A dropped no advert" pg_no_drops "$A"
check "B dropped no advert" pg_no_drops "$B"
crash "$A"
check "host loss: B takes both over within 1 s" took_over both_on "$B"
check "B logs it the keepalived way" grep -q "(V4) Entering MASTER STATE" "$dir/$B.log"
pg_start "$A" 200
check "preemption: A takes both back" wait_for 3 pg_is "$A" MASTER
check "B lets go" wait_for 2 neither_on "$B"
stop "$A"
check "graceful stop: B takes both over within 1 s" took_over both_on "$B"
check "A left nothing behind" neither_on "$A"
check "B saw the priority 0 adverts" [ "$(pg_json "$B" "v['V4']['counters']['pri_zero_rcvd'] >= 1")" = True ]
check "B dropped nothing" pg_no_drops "$B"
stop "$B"

echo "-- accept_mode: false"
pg_start "$A" 200
sed -i 's/version: 3,/version: 3, accept_mode: false,/' "$dir/$A.yaml"
kill -HUP "${DAEMON[$A]}"
check "the master holds the addresses" wait_for 3 both_on "$A"
ip -n "$C" neigh flush all
check "but does not accept packets to them" wait_for 3 fails ip netns exec "$C" ping -c1 -W1 -n $VIP4
check "nor to the IPv6 one" fails ip netns exec "$C" ping -6 -c1 -W1 -n $VIP6
check "while it still answers ARP for them" sh -c "ip -n $C neigh show $VIP4 | grep -q 02:00:00:00:00:03"
check "and neighbour solicitations" sh -c "ip -n $C -6 neigh show $VIP6 | grep -q 02:00:00:00:00:03"
stop "$A"
check "the table goes with the daemon" fails ip netns exec "$A" nft list table inet pairgate_vrrp

((failed)) && tail -n 30 "$dir"/*.log
summary
