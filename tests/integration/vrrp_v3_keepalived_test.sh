#!/usr/bin/env bash
# VRRPv3 (RFC 5798) at 100 ms between pairgated and Debian's keepalived
# 2.2.7 (vrrp_version 3, advert_int 0.1), IPv4 and IPv6 instances (one sync
# group each side), each daemon in both roles: election, host loss,
# preemption, graceful stop.
# Usage: vrrp_v3_keepalived_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
command -v keepalived >/dev/null || { echo "keepalived missing: scripts/setup installs it"; exit 77; }
id="pg3k$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-v3k.XXXXXX)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vrrp_v3_lib.sh"
cleanup() {
  for ns in "${!DAEMON[@]}"; do [[ -n ${DAEMON[$ns]} ]] && kill -9 "${DAEMON[$ns]}" 2>/dev/null; done
  del_namespaces "$SW" "$R1" "$R2" "$C"
  rm -rf "$dir"
}
SW= R1= R2= C=
arm_cleanup
v3_topology
P=$R1 K=$R2

# Takeover within a second: Master_Down_Interval is 361 ms at priority 100
# (300 ms + Skew_Time 61 ms); wait_for polls every 100 ms.
took_over() {  # took_over CHECK NS: within 1 s
  local end=$(($(date +%s%N) + 1000000000))
  while (($(date +%s%N) < end)); do "$1" "$2" && return 0; sleep 0.05; done
  return 1
}

echo "-- pairgated 200 (master), keepalived 100 (backup)"
ka_start "$K" 100
pg_start "$P" 200
check "pairgated wins both elections" wait_for 5 pg_is "$P" MASTER
check "keepalived holds neither address" wait_for 2 neither_on "$K"
check "pairgated holds both addresses and the link-local one" sh -c "ip -n $P addr show dev eth0 | grep -q $VLL"
check "the client reaches both addresses (IPv6: NA from the master)" client_reaches
check "keepalived logs BACKUP for both" sh -c "grep -q '(V4) Entering BACKUP STATE' $dir/$K.log && grep -q '(V6) Entering BACKUP STATE' $dir/$K.log"
check "keepalived found nothing wrong in pairgated's adverts" ka_clean_log "$K"
crash "$P"
check "host loss: keepalived takes both over within 1 s" took_over both_on "$K"
check "the client reaches keepalived" client_reaches
pg_start "$P" 200
check "preemption: pairgated takes both back" wait_for 3 pg_is "$P" MASTER
check "and keepalived lets go" wait_for 2 neither_on "$K"
stop "$P"
check "graceful stop: keepalived takes over within 1 s" took_over both_on "$K"
check "pairgated left nothing behind" neither_on "$P"
stop "$K"

echo "-- keepalived 200 (master), pairgated 100 (backup)"
pg_start "$P" 100
ka_start "$K" 200
check "keepalived wins both elections" wait_for 5 both_on "$K"
check "pairgated is BACKUP for both" wait_for 2 pg_is "$P" BACKUP
check "pairgated follows keepalived's IPv4 master" wait_for 2 pg_field_is "$P" "v['V4']['master']" 192.0.2.4
check "pairgated follows keepalived's IPv6 master (its link-local)" pg_field_is "$P" "v['V6']['master']" "${LL[$K]}"
check "pairgated learned the 100 ms interval" pg_field_is "$P" "v['V6']['master_adver_interval_ms']" 100
check "pairgated dropped none of keepalived's adverts" pg_no_drops "$P"
check "keepalived's IPv4 checksums include the pseudo-header" pg_field_is "$P" "v['V4']['counters']['v3_checksum_as_v2']" 0
crash "$K"
check "host loss: pairgated takes both over within 1 s" took_over both_on "$P"
check "pairgated is MASTER for both" pg_is "$P" MASTER
check "the client reaches pairgated" client_reaches
ka_start "$K" 200
check "preemption: keepalived takes both back" wait_for 5 both_on "$K"
check "pairgated goes BACKUP and lets go" wait_for 2 neither_on "$P"
stop "$K"
check "graceful stop: pairgated takes over within 1 s" took_over both_on "$P"
check "pairgated dropped none of keepalived's adverts" pg_no_drops "$P"
stop "$P"

((failed)) && tail -n 30 "$dir"/*.log
summary
