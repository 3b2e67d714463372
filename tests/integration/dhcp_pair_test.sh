#!/usr/bin/env bash
# The seed's split range: two pairgated, beagle and primergy, each serving
# its own half of one subnet on one LAN, and 200 busybox udhcpc clients
# asking at once; then an ISC dhclient rebooting into a lease of one server
# while the other listens. Every address is handed out once, each server only
# from its own pool, and neither NAKs the other's clients.
# Usage: dhcp_pair_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl
clients=${PAIRGATE_DHCP_CLIENTS:-200}

id="pdp$$-$RANDOM"
sw=$id-sw beagle=$id-b primergy=$id-p cl=$id-cl dh=$id-dh
all=("$sw" "$beagle" "$primergy" "$cl" "$dh")
dir=$(mktemp -d /tmp/pairgate-dhcp-pair.XXXXXX)
chmod 755 "$dir"
pids=()
source "$(dirname "$0")/lib.sh"
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces "${all[@]}"
  if ((${failed:-0} > 0)); then
    for n in beagle primergy; do echo "--- $n log"; tail -n 30 "$dir/$n.log"; done
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$dir"
}
arm_cleanup 250

add_namespaces "${all[@]}"
bridge "$sw" "$beagle" "$primergy" "$dh"
ip -n "$beagle" addr add 198.51.100.2/24 dev eth0
ip -n "$primergy" addr add 198.51.100.3/24 dev eth0
# The clients: one namespace, one veth per client, all on the bridge.
for ((i = 1; i <= clients; i++)); do
  ip -n "$sw" link add "c$i" type veth peer name "v$i" netns "$cl"
  ip -n "$sw" link set "c$i" master br0 up
  ip -n "$cl" link set "v$i" up
done

config() {  # config NODE POOL
  cat <<YAML
node: $1
control: {socket: $dir/$1.sock, mode: "0660", group: root}
logging: {target: stderr, level: debug}
dhcp:
  lease_file: $dir/$1.leases
  subnets:
    - interface: eth0
      subnet: 198.51.100.0/24
      pools: [$2]
      lease_time: 600s
      options: {routers: [198.51.100.1]}
YAML
}
config beagle 198.51.100.10-198.51.100.129 >"$dir/beagle.yaml"
config primergy 198.51.100.130-198.51.100.249 >"$dir/primergy.yaml"
for n in beagle primergy; do
  ns=${!n}
  ip netns exec "$ns" "$pairgated" --config "$dir/$n.yaml" >"$dir/$n.log" 2>&1 &
  pids+=($!)
done
check "both servers start" wait_for 10 grep -l "pairgated ready" "$dir/beagle.log" "$dir/primergy.log"
wait_for 5 grep "pairgated ready" "$dir/primergy.log"

cat >"$dir/udhcpc-script" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$interface \$ip \$serverid" >>"$dir/bound"
exit 0
SH
chmod +x "$dir/udhcpc-script"
udhcpc=()
for ((i = 1; i <= clients; i++)); do
  ip netns exec "$cl" busybox udhcpc -f -q -n -t 8 -T 2 -i "v$i" -s "$dir/udhcpc-script" >/dev/null 2>&1 &
  udhcpc+=($!)
done
bound() { [[ -f $dir/bound ]] && (($(wc -l <"$dir/bound") >= clients)); }
check "all $clients clients are bound" wait_for 90 bound
wait "${udhcpc[@]}"

leases() { "$ctl" --socket "$dir/$1.sock" leases --json | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    print(l["address"], l["hw_address"])'; }
leases beagle >"$dir/beagle.list"
leases primergy >"$dir/primergy.list"
in_pool() {  # in_pool FILE FIRST LAST: every address of FILE in .FIRST-.LAST
  awk -v a="$2" -v b="$3" '{ split($1, o, "."); if (o[4] < a || o[4] > b) bad = 1 } END { exit bad }' "$1"
}
check "beagle leased only from its half" in_pool "$dir/beagle.list" 10 129
check "primergy leased only from its half" in_pool "$dir/primergy.list" 130 249
check "both served some clients" test -s "$dir/beagle.list" -a -s "$dir/primergy.list"
check "$clients leases in all" test "$(cat "$dir/beagle.list" "$dir/primergy.list" | wc -l)" -eq "$clients"
check "every address handed out once" test -z "$(cut -d' ' -f1 "$dir"/*.list | sort | uniq -d)"
check "every client holds one lease" test -z "$(cut -d' ' -f2 "$dir"/*.list | sort | uniq -d)"
check "each client's address is the one its server recorded" \
  test "$(awk '{print $2}' "$dir/bound" | sort)" = "$(cut -d' ' -f1 "$dir"/*.list | sort)"

# An ISC dhclient bound by one server reboots (INIT-REBOOT, broadcast): the
# other server has no record of it and stays silent.
cat >"$dir/dhclient-script" <<SH
#!/bin/sh
env | sort >"$dir/dhclient.\$reason"
exit 0
SH
chmod +x "$dir/dhclient-script"
dhc() { ip netns exec "$dh" dhclient -4 -1 -sf "$dir/dhclient-script" -lf "$dir/dhclient.leases" -pf "$dir/dhclient.pid" eth0 >/dev/null 2>&1; }
dhc
check "dhclient is bound" test -s "$dir/dhclient.BOUND"
server=$(sed -n 's/^new_dhcp_server_identifier=//p' "$dir/dhclient.BOUND")
address=$(sed -n 's/^new_ip_address=//p' "$dir/dhclient.BOUND")
other=$([[ $server == 198.51.100.2 ]] && echo primergy || echo beagle)
kill "$(cat "$dir/dhclient.pid")" 2>/dev/null
sleep 0.3
dhc
check "it reboots into $address" test "$(sed -n 's/^new_ip_address=//p' "$dir/dhclient.REBOOT" 2>/dev/null)" = "$address"
check "$other heard the INIT-REBOOT and kept silent" wait_for 5 grep "INIT-REBOOT: no record of $address" "$dir/$other.log"
kill "$(cat "$dir/dhclient.pid")" 2>/dev/null

for n in beagle primergy; do
  check "$n sent no NAK" grep '"pkt4-nak-sent": 0' <<<"$("$ctl" --socket "$dir/$n.sock" status --json)"
  check "$n stayed silent for the other's SELECTING requests" \
    grep -E '"other-server": [1-9]' <<<"$("$ctl" --socket "$dir/$n.sock" status --json)"
done
summary
