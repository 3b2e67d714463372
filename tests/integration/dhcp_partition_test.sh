#!/usr/bin/env bash
# A split brain: beagle and primergy both up, the peer port blocked with
# nftables, while DHCP clients come and go on their LAN (new ones bind,
# some leave and release, the rest renew). Neither router gives an address
# to two clients (each allocates only from its own half), and when the
# channel is back both lease tables converge. A stranger on the LAN that
# speaks the peer protocol from its own address is refused throughout.
# Usage: dhcp_partition_test.sh BUILD_DIR
set -uo pipefail
for c in busybox dhclient nft python3; do
  command -v "$c" >/dev/null || { echo "$c missing: scripts/setup installs it"; exit 77; }
done
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl
lease_time=20

id="ppt$$-$RANDOM"
sw=$id-sw beagle=$id-b primergy=$id-p stranger=$id-x
dir=$(mktemp -d /tmp/pairgate-partition.XXXXXX)
chmod 755 "$dir"
declare -A pid
source "$here/lib.sh"
source "$here/dhcp_pair_lib.sh"
arm_cleanup 200

pair_topology
for ((i = 1; i <= 20; i++)); do add_client "c$i" "$([[ $((i % 2)) == 1 ]] && echo udhcpc || echo dhclient)"; done

config() {  # config NODE POOL PEER
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
peer: {address: $3, key_file: $dir/peer.key}
YAML
}
config beagle 198.51.100.10-198.51.100.129 198.51.100.3 >"$dir/beagle.yaml"
config primergy 198.51.100.130-198.51.100.249 198.51.100.2 >"$dir/primergy.yaml"
for n in beagle primergy; do
  ip netns exec "${!n}" "$pairgated" --config "$dir/$n.yaml" >>"$dir/$n.log" 2>&1 &
  pid[$n]=$!
done
in_sync() { peer_state_is beagle in-sync && peer_state_is primergy in-sync; }
tables_agree() { [[ $(table beagle) == "$(table primergy)" ]]; }
# Every address a client holds now is its own: no two clients share one.
unique() {
  local c
  for c in "${client_ns[@]}"; do client_address "$c"; done | grep . | sort | uniq -d | grep -q . && return 1
  return 0
}
check "the pair is in sync" wait_for 15 in_sync
first=(c1 c2 c3 c4 c5 c6 c7 c8 c9 c10)
for c in "${first[@]}"; do run_client "$c"; done
check "10 clients bound" wait_for 40 all_bound "${first[@]}"
check "both tables agree before the cut" wait_for 5 tables_agree

# The cut: nothing on the peer port in or out of primergy.
ip netns exec "$primergy" nft -f - <<'NFT'
table inet cut {
  chain input { type filter hook input priority 0; tcp dport 6470 drop; tcp sport 6470 drop; }
  chain output { type filter hook output priority 0; tcp dport 6470 drop; tcp sport 6470 drop; }
}
NFT
both_down() { peer_state_is beagle down && peer_state_is primergy down; }
check "both see the channel down" wait_for 8 both_down
t_cut=$(date +%s.%N)
# Clients come and go: four leave (releasing), ten new ones arrive.
for c in c1 c2 c3 c4; do stop_client "$c" release; done
later=(c11 c12 c13 c14 c15 c16 c17 c18 c19 c20)
for c in "${later[@]}"; do run_client "$c"; done
check "the ten new clients are bound during the cut" wait_for 40 all_bound "${later[@]}"
# The stranger speaks the peer protocol from its own address meanwhile.
ip netns exec "$stranger" python3 "$here/peer_stranger.py" forge 198.51.100.66 198.51.100.2 6470 greeting >/dev/null 2>&1
ip netns exec "$stranger" python3 "$here/peer_stranger.py" forge 198.51.100.66 198.51.100.3 6470 greeting >/dev/null 2>&1
check "the stranger is refused" test "$(status_field beagle 's["peer"]["rejected"]["unknown_source"]')" -ge 1
sleep $((lease_time / 2 + 2))  # everyone renews once during the cut
check "no address is held by two clients during the cut" unique
check "the tables differ during the cut" test "$(table beagle)" != "$(table primergy)"

ip netns exec "$primergy" nft delete table inet cut
check "the channel is back" wait_for 10 in_sync
check "both lease tables converge" wait_for 5 tables_agree
check "the released addresses are released on both" \
  test "$(leases beagle | awk '$3 == "leased"' | wc -l)" -eq "$(leases primergy | awk '$3 == "leased"' | wc -l)"
remaining=(c5 c6 c7 c8 c9 c10 "${later[@]}")
check "every remaining client is bound" all_bound "${remaining[@]}"
check "no address was given twice" unique
none_refused() {
  local c
  for c in "${remaining[@]}"; do grep -qE ' (nak|NAK|EXPIRE|FAIL|leasefail) ' "$dir/$c.events" && return 1; done
  return 0
}
check "no client was NAKed or lost its lease" none_refused
for n in beagle primergy; do
  check "$n sent no NAK" test "$(status_field "$n" 's["dhcp"]["counters"]["pkt4-nak-sent"]')" -eq 0
done
summary
