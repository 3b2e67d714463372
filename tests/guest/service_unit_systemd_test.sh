#!/usr/bin/env bash
# scripts/pairgate.service run for real: in a guest whose PID 1 is systemd
# (ctest runs tests/guest/*_systemd_test.sh through `scripts/vmtest
# --systemd`), the unit as shipped (only the binaries' path changed) starts
# pairgated with every module on and the control socket given to group adm
# (as the seed's file does), keeps it running past its watchdog, reloads it
# with `systemctl reload` and stops it cleanly. Without CAP_CHOWN in the
# unit (as it was before) the start fails, and says why.
# Usage: service_unit_systemd_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/integration/lib.sh"
[[ $(cat /proc/1/comm) == systemd ]] || { echo "PID 1 is not systemd: run me through scripts/vmtest --systemd"; exit 1; }
cleanup() { :; }  # a throw-away guest
arm_cleanup 400
start=$SECONDS

ip link add lan0 type veth peer name lanp
ip link add wan0 type veth peer name wanp
ip addr add 198.51.100.2/24 dev lan0
ip addr add 2001:db8:1::2/64 dev wan0 nodad
for l in lan0 lanp wan0 wanp; do ip link set "$l" up; done
mkdir -p /etc/pairgate
cat >/etc/pairgate/pairgate.yaml <<'YAML'
node: unit
control: {group: adm}
logging: {target: journald, level: info}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: V1, interface: lan0, vrid: 7, priority: 100, advert_interval: 1s, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: /var/lib/pairgate/dhcp4.leases
  subnets:
    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99]}
firewall:
  wan_interfaces: [wan0]
tunnels:
  - {name: ip6tnl1, wan_interface: wan0, aftr: "2001:db8:a::1", health: {targets: [203.0.113.1]}}
YAML
install_unit() {  # install_unit [sed expression]
  sed -e "s|/usr/local/sbin/|$build/|g" ${1:+-e "$1"} "$src/scripts/pairgate.service" >/run/systemd/system/pairgate.service
  systemctl daemon-reload
}
active() { [[ $(systemctl show -p ActiveState --value pairgate) == active ]]; }
journal() { journalctl -q -o cat -u pairgate --no-pager; }

# As it was before: no CAP_CHOWN.
install_unit 's/ CAP_CHOWN//g'
systemctl start pairgate 2>/dev/null
check "without CAP_CHOWN the unit does not start" fails active
check "and the journal says why" wait_for 10 bash -c "journalctl -q -o cat -u pairgate --no-pager | grep -q 'cannot give /run/pairgate/control.sock to its group: Operation not permitted'"
systemctl stop pairgate 2>/dev/null
systemctl reset-failed pairgate 2>/dev/null
journalctl --rotate -q 2>/dev/null; journalctl --vacuum-time=1s -q 2>/dev/null

# As shipped.
install_unit
check "systemctl start pairgate" systemctl start pairgate
check "active" active
pid=$(systemctl show -p MainPID --value pairgate)
echo "# pairgated is PID $pid, capabilities $(awk '/^CapEff/ {print $2}' /proc/$pid/status)"
check "the control socket is /run/pairgate/control.sock, group adm" test "$(stat -c %G /run/pairgate/control.sock)" = adm
check "status answers" quiet "$build/pairgatectl" status --json
check "the loop runs at the unit's real-time policy" bash -c "'$build/pairgatectl' status --json | grep -q '\"scheduling\": \"SCHED_RR priority 5\"'"
check "the firewall table is in" quiet nft list table inet pairgate
check "the tunnel link was made (CAP_NET_ADMIN, ip6_tunnel autoloaded)" wait_for 10 ip link show ip6tnl1
check "192.0.0.2/29 is on it" bash -c "ip -4 -o addr show dev ip6tnl1 | grep -q 192.0.0.2/29"
check "VRRP became MASTER" wait_for 10 bash -c "journalctl -q -o cat -u pairgate --no-pager | grep -q 'Entering MASTER STATE'"
check "DHCP listens on port 67" bash -c "ss -uln | grep -q ':67 '"
check "sysctl written" test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1
check "the lease file is in the state directory" test -e /var/lib/pairgate/dhcp4.leases
sleep 12  # past WatchdogSec=10s: the watchdog keeps being fed
check "still active after the watchdog interval" active
check "same process" test "$(systemctl show -p MainPID --value pairgate)" = "$pid"
sed -i 's/priority: 100/priority: 150/' /etc/pairgate/pairgate.yaml
check "systemctl reload pairgate" systemctl reload pairgate
check "the reload took effect" wait_for 5 bash -c "'$build/pairgatectl' status --json | grep -q '\"priority\": 150'"
check "no error in the journal" fails bash -c "journalctl -q -o cat -u pairgate -p err --no-pager | grep ."
check "systemctl stop pairgate" systemctl stop pairgate
check "it exited 0" test "$(systemctl show -p ExecMainStatus --value pairgate)" = 0
check "the tunnel link is gone" fails ip link show ip6tnl1
check "the firewall table is gone" fails nft list table inet pairgate
check "ip_forward restored" test "$(cat /proc/sys/net/ipv4/ip_forward)" = 0
((failed)) && journal | tail -40
echo "# took $((SECONDS - start)) s"
summary
