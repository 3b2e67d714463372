#!/usr/bin/env bash
# Lease sync keeps a dead router's clients on their addresses. beagle and
# primergy serve the seed's split halves of one LAN with 20 s leases (T1
# 10 s, T2 17.5 s) and sync over the peer channel; 30 clients (busybox
# udhcpc and ISC dhclient, each in its own namespace) put their address on
# their interface and renew as real hosts do.
#   1. kill -9 beagle: for three lease times every client keeps its address
#      (beagle's renew at T2 with primergy, which has their leases), none is
#      NAKed or deconfigured, no address is held twice. Meanwhile a stranger
#      takes beagle's address and replays beagle's recorded session and
#      forged frames to primergy: refused, and primergy's table is unchanged.
#   2. Again with server_identifier = the VRRP virtual address: the unicast
#      renewals reach primergy once it is master, so no client rebinds, not
#      even at T1.
#   3. beagle restarts with its old lease file: it learns what primergy
#      renewed meanwhile, both tables converge, and the clients renew with
#      beagle again (it is master again) without a NAK.
# Usage: dhcp_failover_test.sh BUILD_DIR
set -uo pipefail
for c in busybox dhclient nft python3; do
  command -v "$c" >/dev/null || { echo "$c missing: scripts/setup installs it"; exit 77; }
done
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl
clients=${PAIRGATE_FAILOVER_CLIENTS:-30}
lease_time=20

id="pfo$$-$RANDOM"
sw=$id-sw beagle=$id-b primergy=$id-p stranger=$id-x
dir=$(mktemp -d /tmp/pairgate-failover.XXXXXX)
chmod 755 "$dir"
declare -A pid
source "$here/lib.sh"
source "$here/dhcp_pair_lib.sh"
arm_cleanup 265

pair_topology
for ((i = 1; i <= clients; i++)); do
  add_client "c$i" "$([[ $((i % 2)) == 1 ]] && echo udhcpc || echo dhclient)"
done
all_clients=("${client_ns[@]}")

config() {  # config NODE POOL PEER VIP(yes|no)
  cat <<YAML
node: $1
control: {socket: $dir/$1.sock}
logging: {target: stderr, level: debug}
dhcp:
  lease_file: $dir/$1.leases
  subnets:
    - interface: eth0
      subnet: 198.51.100.0/24
      pools: [$2]
      lease_time: ${lease_time}s
      max_lease_time: ${lease_time}s
      options: {routers: [198.51.100.1]}
YAML
  if [[ $4 == yes ]]; then
    cat <<YAML
      server_identifier: 198.51.100.1
vrrp:
  instances:
    - {name: LAN, interface: eth0, vrid: 7, priority: $([[ $1 == beagle ]] && echo 200 || echo 100), advert_interval: 1s, virtual_addresses: [198.51.100.1/24]}
YAML
  fi
  echo "peer: {address: $3, key_file: $dir/peer.key}"
}
write_configs() {  # write_configs VIP(yes|no)
  config beagle 198.51.100.10-198.51.100.129 198.51.100.3 "$1" >"$dir/beagle.yaml"
  config primergy 198.51.100.130-198.51.100.249 198.51.100.2 "$1" >"$dir/primergy.yaml"
}
start() {  # start NODE
  local ns=${!1}
  ip netns exec "$ns" "$pairgated" --config "$dir/$1.yaml" >>"$dir/$1.log" 2>&1 &
  pid[$1]=$!
}
in_sync() { peer_state_is beagle in-sync && peer_state_is primergy in-sync; }
count_leases() { [[ $(leases "$1" | grep -c ' leased ') -ge $2 ]]; }
# Each client's address, "NAME ADDRESS" lines.
addresses() { local c; for c in "$@"; do echo "$c $(client_address "$c")"; done; }
none_lost() {  # none_lost SINCE CLIENTS...: no client deconfigured, NAKed or failed after SINCE
  local since=$1 c
  shift
  for c in "$@"; do lost_since "$c" "$since" && { echo "$c lost its lease"; return 1; }; done
  return 0
}
unique_addresses() { [[ -z $(addresses "$@" | awk '{print $2}' | sort | uniq -d) ]]; }
naks() { status_field "$1" 's["dhcp"]["counters"]["pkt4-nak-sent"]'; }

# --- 1. kill -9 beagle, server identifiers are the routers' own addresses.
write_configs no
ip netns exec "$sw" python3 "$here/peer_stranger.py" record p1 198.51.100.2 198.51.100.3 6470 40 "$dir/recorded" \
  >/dev/null 2>&1 &
sniffer=$!
wait_for 10 test -e "$dir/recorded.ready"
start primergy
# primergy listens before beagle starts, so that the channel is beagle's dial.
wait_for 10 peer_state_is primergy connecting
start beagle
check "the pair is in sync" wait_for 15 in_sync
for c in "${all_clients[@]}"; do run_client "$c"; done
check "all $clients clients are bound" wait_for 60 all_bound "${all_clients[@]}"
both_know() { count_leases beagle "$1" && count_leases primergy "$1"; }
tables_agree() { [[ $(table beagle) == "$(table primergy)" ]]; }
check "both servers know all $clients leases" wait_for 10 both_know "$clients"
check "both tables agree" wait_for 5 tables_agree
check "primergy holds beagle's leases with origin peer" grep -q ' peer$' <<<"$(leases primergy)"
addresses "${all_clients[@]}" >"$dir/before"
check "beagle served some clients, primergy others" \
  test "$(grep -c ' 198\.51\.100\.\([1-9][0-9]\|1[0-2][0-9]\)$' "$dir/before")" -gt 0 -a \
  "$(grep -c ' 198\.51\.100\.\(1[3-9][0-9]\|2[0-4][0-9]\)$' "$dir/before")" -gt 0
wait "$sniffer" 2>/dev/null
t_kill=$(date +%s.%N)
kill -9 "${pid[beagle]}"
unset "pid[beagle]"
# The stranger takes beagle's address and plays beagle's own recorded
# session (hello and lease batches) to primergy, then forged frames.
sleep 5
received() { status_field primergy 's["peer"]["lease_sync"]["records_received"]'; }
received_before=$(received)
ip -n "$stranger" addr add 198.51.100.2/24 dev eth0
ip -n "$primergy" neigh flush dev eth0
auth=$(status_field primergy 's["peer"]["rejected"]["bad_auth"]')
check "beagle's dial was recorded" test "$(stat -c %s "$dir/recorded" 2>/dev/null || echo 0)" -gt 200
ip netns exec "$stranger" python3 "$here/peer_stranger.py" replay 198.51.100.2 198.51.100.3 6470 "$dir/recorded" >/dev/null 2>&1
ip netns exec "$stranger" python3 "$here/peer_stranger.py" forge 198.51.100.2 198.51.100.3 6470 greeting >/dev/null 2>&1
check "the replayed and forged sessions are refused" \
  test "$(status_field primergy 's["peer"]["rejected"]["bad_auth"]')" -ge $((auth + 2))
# (primergy's table itself moves on: its own clients renew meanwhile.)
check "and hand primergy no lease record" test "$(received)" = "$received_before"
ip -n "$stranger" addr del 198.51.100.2/24 dev eth0
ip -n "$primergy" neigh flush dev eth0
sleep $((3 * lease_time - 5))
addresses "${all_clients[@]}" >"$dir/after"
check "three lease times later every client still has its address" diff "$dir/before" "$dir/after"
check "no client was NAKed or deconfigured" none_lost "$t_kill" "${all_clients[@]}"
mkdir -p "$dir/part1" && cp "$dir"/*.events "$dir/part1/" 2>/dev/null
check "beagle's clients renewed with primergy" grep -q "REBINDING: ack" "$dir/primergy.log"
check "no address is held twice" unique_addresses "${all_clients[@]}"
check "primergy sent no NAK" test "$(naks primergy)" -eq 0

# --- 2. The same with server_identifier = the virtual address.
for c in "${all_clients[@]}"; do stop_client "$c"; done
kill -TERM "${pid[primergy]}"
wait "${pid[primergy]}"
unset "pid[primergy]"
rm -f "$dir"/*.leases "$dir"/*.events
for c in "${all_clients[@]}"; do ip -n "$id-$c" addr flush dev eth0; done
write_configs yes
start beagle
start primergy
check "VIP: the pair is in sync" wait_for 15 in_sync
check "VIP: beagle is master" wait_for 10 sh -c "ip -n $beagle -4 addr show dev eth0 | grep -q 198.51.100.1/"
for c in "${all_clients[@]}"; do run_client "$c"; done
check "VIP: all clients are bound" wait_for 60 all_bound "${all_clients[@]}"
check "VIP: their server identifier is the virtual address" \
  test -z "$(cat "$dir"/*.events | awk '$2 ~ /^(bound|BOUND)$/ && $4 != "198.51.100.1"')"
wait_for 10 count_leases primergy "$clients"
# busybox udhcpc sends one unicast RENEW at T1 when the lease is under 60 s
# and rebinds at T2 if that one goes unanswered: a T1 that falls inside the
# VRRP gap (about 3.6 s at 1 s adverts, nobody holds the VIP) must rebind.
# That is the gap, not the server identifier: renew every udhcpc now
# (SIGUSR1), so that their next T1 comes after the gap, then kill.
t_renew=$(date +%s.%N)
for i in "${!client_ns[@]}"; do
  [[ ${client_kind[$i]} == udhcpc ]] && kill -USR1 "${client_pid[${client_ns[$i]}]}" 2>/dev/null
done
renewed_since() { local c; for c in "$@"; do events_since "$c" "$t_renew" | grep -qiE '^(renew|bound)$' || return 1; done; }
udhcpc_clients=()
for i in "${!client_ns[@]}"; do [[ ${client_kind[$i]} == udhcpc ]] && udhcpc_clients+=("${client_ns[$i]}"); done
check "VIP: the udhcpc clients renewed before the kill" wait_for 5 renewed_since "${udhcpc_clients[@]}"
addresses "${all_clients[@]}" >"$dir/before"
t_kill=$(date +%s.%N)
lines=$(wc -l <"$dir/primergy.log")
kill -9 "${pid[beagle]}"
unset "pid[beagle]"
check "VIP: primergy takes the virtual address" wait_for 6 sh -c "ip -n $primergy -4 addr show dev eth0 | grep -q 198.51.100.1/"
sleep $((lease_time + 4))
check "VIP: every client kept its address" test "$(addresses "${all_clients[@]}")" = "$(cat "$dir/before")"
check "VIP: none was NAKed or deconfigured" none_lost "$t_kill" "${all_clients[@]}"
check "VIP: every renewal reached primergy at T1 (RENEWING)" \
  test "$(tail -n +"$lines" "$dir/primergy.log" | grep -c 'RENEWING: ack')" -ge "$clients"
check "VIP: no client had to rebind" test "$(tail -n +"$lines" "$dir/primergy.log" | grep -c 'REBINDING')" -eq 0
check "VIP: no dhclient reached REBIND" test -z "$(for c in "${all_clients[@]}"; do events_since "$c" "$t_kill"; done | grep -x REBIND)"

# --- 3. beagle comes back with its old file and learns what happened.
start beagle
check "beagle catches up" wait_for 10 in_sync
check "beagle's table is primergy's" wait_for 5 tables_agree
check "beagle is master again" wait_for 10 sh -c "ip -n $beagle -4 addr show dev eth0 | grep -q 198.51.100.1/"
t_back=$(date +%s.%N)
sleep $((lease_time / 2 + 3))
check "clients renew with beagle again" grep -q "RENEWING: ack" "$dir/beagle.log"
check "without losing their address" test "$(addresses "${all_clients[@]}")" = "$(cat "$dir/before")"
check "or a NAK" none_lost "$t_back" "${all_clients[@]}"
check "beagle sent no NAK" test "$(naks beagle)" -eq 0
check "no address is held twice" unique_addresses "${all_clients[@]}"
summary
