#!/usr/bin/env bash
# VRRPv3 unicast peers (keepalived's unicast_peer) between pairgated and
# Debian's keepalived 2.2.7, IPv4 and IPv6, both ways: each sends its
# adverts to the other's address only (nothing to 224.0.0.18 or ff02::12),
# fails over on host loss, and pairgated drops and counts adverts from an
# address that is not a peer.
# Usage: vrrp_v3_unicast_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
command -v keepalived >/dev/null || { echo "keepalived missing: scripts/setup installs it"; exit 77; }
id="pg3u$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-v3u.XXXXXX)
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
P=$R1 K=$R2

# multicast_adverts NS SECONDS: how many VRRP adverts to 224.0.0.18 or
# ff02::12 the client's interface sees meanwhile (unicast ones to the
# routers' own addresses do not reach it through the bridge's learned ports).
multicast_adverts() {
  ip netns exec "$1" python3 - "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0)); s.settimeout(0.1)
end, n = time.time() + float(sys.argv[1]), 0
while time.time() < end:
    try: p = s.recv(2048)
    except socket.timeout: continue
    if p[12:14] == b"\x08\x00" and p[23] == 112 and p[30:34] == bytes([224, 0, 0, 18]): n += 1
    if p[12:14] == b"\x86\xdd" and p[20] == 112 and p[38:54] == bytes.fromhex("ff020000000000000000000000000012"): n += 1
print(n)
PY
}
none_multicast() { [[ $(multicast_adverts "$C" 1) == 0 ]]; }

# forge NS TO PRIORITY: a valid VRRPv3 advert for VRID 1 with 192.0.2.2
# from NS (not a peer) to TO, checksum over the pseudo-header.
forge() {
  ip netns exec "$1" python3 - "$2" "$3" "${ADDR4[$1]}" <<'PY'
import socket, sys
to, prio, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = bytearray([0x31, 1, prio, 1, 0, 10, 0, 0]) + socket.inet_aton("192.0.2.2")
ph = socket.inet_aton(src) + socket.inet_aton(to) + bytes([0, 112, 0, len(body)])
data = ph + body
s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
while s >> 16: s = (s & 0xffff) + (s >> 16)
body[6:8] = ((~s) & 0xffff).to_bytes(2, "big")
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
for _ in range(5): sock.sendto(bytes(body), (to, 0))
PY
}

echo "-- unicast: pairgated 200 (master), keepalived 100 (backup)"
ka_start "$K" 100 yes
pg_start "$P" 200 yes
check "pairgated wins both elections" wait_for 5 pg_is "$P" MASTER
check "keepalived holds neither address" wait_for 2 neither_on "$K"
check "no advert goes to a multicast group" none_multicast
check "the client reaches both addresses" client_reaches
check "keepalived found nothing wrong in pairgated's adverts" ka_clean_log "$K"
forge "$C" "${ADDR4[$P]}" 254
check "a stranger's advert (priority 254) changes nothing" pg_is "$P" MASTER
check "and is counted as unicast_src_err" wait_for 2 pg_field_is "$P" "v['V4']['counters']['drops']['unicast_src_err']" 5
crash "$P"
check "host loss: keepalived takes both over" wait_for 2 both_on "$K"
stop "$K"

echo "-- unicast: keepalived 200 (master), pairgated 100 (backup)"
pg_start "$P" 100 yes
ka_start "$K" 200 yes
check "keepalived wins both elections" wait_for 5 both_on "$K"
check "pairgated is BACKUP for both" wait_for 2 pg_is "$P" BACKUP
check "pairgated follows keepalived over IPv4 unicast" wait_for 2 pg_field_is "$P" "v['V4']['master']" "${ADDR4[$K]}"
check "pairgated follows keepalived over IPv6 unicast (hop limit 64 from a peer is fine)" \
  pg_field_is "$P" "v['V6']['master']" "${LL[$K]}"
check "pairgated dropped none of keepalived's adverts" pg_no_drops "$P"
check "no advert goes to a multicast group" none_multicast
crash "$K"
check "host loss: pairgated takes both over" wait_for 2 both_on "$P"
check "the client reaches pairgated" client_reaches
ka_start "$K" 200 yes
check "preemption: keepalived takes both back" wait_for 5 both_on "$K"
check "pairgated lets go" wait_for 2 neither_on "$P"
stop "$K"
stop "$P"

((failed)) && tail -n 30 "$dir"/*.log
summary
