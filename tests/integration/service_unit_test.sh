#!/usr/bin/env bash
# scripts/pairgate.service: it passes systemd-analyze verify, pointed at the
# built binaries, with no warning at all; and pairgated starts, serves and
# stops with no capability but the unit's CapabilityBoundingSet (setpriv
# gives root exactly that set as bounding, inheritable and ambient, as
# systemd does for the unit), with every module on and the control socket
# given to a group root is not in (the seed's file says adm).
# Usage: service_unit_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
ns="pgu$$-$RANDOM"
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces "$ns"
  rm -rf "$dir"
}
arm_cleanup 60

unit=$dir/pairgate.service
sed "s|/usr/local/sbin/|$build/|g" "$src/scripts/pairgate.service" >"$unit"
out=$(systemd-analyze verify "$unit" 2>&1 || true)
[[ -n $out ]] && echo "$out"
check "systemd-analyze verify: no warning" test -z "$out"
for key in Type=notify ExecReload= "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_CHOWN" \
  "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_CHOWN" \
  ProtectSystem=strict StateDirectory=pairgate RuntimeDirectory=pairgate WatchdogSec=; do
  check "the unit has $key" grep -q "^$key" "$unit"
done

# The unit's capability set, in setpriv's words: -all,+net_admin,...
caps=-all
for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$unit"); do
  c=${c#CAP_}
  caps+=",+${c,,}"
done
echo "# capabilities: $caps"
group=adm
getent group "$group" >/dev/null || group=nogroup
add_namespaces "$ns"
ip -n "$ns" link add lan0 type veth peer name wan0
ip -n "$ns" addr add 198.51.100.2/24 dev lan0
ip -n "$ns" link set lan0 up
ip -n "$ns" link set wan0 up
cat >"$dir/pairgate.yaml" <<YAML
node: unit
control: {socket: $dir/run/pairgate/control.sock, group: $group}
logging: {target: stderr, level: info}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: V1, interface: lan0, vrid: 7, priority: 100, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $dir/lib/pairgate/dhcp4.leases
  subnets:
    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99]}
firewall:
  wan_interfaces: [wan0]
tunnels:
  - {name: ip6tnl1, wan_interface: wan0, aftr: "2001:db8:a::1"}
YAML
mkdir -p "$dir/lib/pairgate"
ip netns exec "$ns" setpriv --bounding-set="$caps" --inh-caps="$caps" --ambient-caps="$caps" \
  "$build/pairgated" --config "$dir/pairgate.yaml" >"$dir/log" 2>&1 &
pid=$!
check "pairgated starts with the unit's capabilities" wait_for 10 grep -q "pairgated ready" "$dir/log"
check "(and no others: CapEff is the unit's set)" \
  test "$(awk '/^CapEff/ {print $2}' /proc/$pid/status)" = "$(setpriv --bounding-set="$caps" --inh-caps="$caps" --ambient-caps="$caps" awk '/^CapEff/ {print $2}' /proc/self/status)"
check "the control socket belongs to group $group" test "$(stat -c %G "$dir/run/pairgate/control.sock")" = "$group"
check "status answers" quiet "$build/pairgatectl" --socket "$dir/run/pairgate/control.sock" status --json
check "the firewall table is in" quiet ip netns exec "$ns" nft list table inet pairgate
check "VRRP sends adverts (raw socket)" wait_for 6 grep -q "Entering MASTER STATE" "$dir/log"
check "DHCP listens on port 67" grep -q "dhcp: listening on lan0 port 67" "$dir/log"
check "sysctl written" grep -q "sysctl net.ipv4.ip_forward: 0 -> 1" "$dir/log"
check "no error in the log" fails grep -E "error|critical" "$dir/log"
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" test $? -eq 0
pid=
((failed)) && cat "$dir/log"
summary
