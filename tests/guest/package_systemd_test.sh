#!/usr/bin/env bash
# The Debian package for real, in a guest whose PID 1 is systemd (ctest runs
# tests/guest/*_systemd_test.sh through `scripts/vmtest --systemd`; it
# builds the package first, test package.build): dpkg -i installs the
# binaries, man pages, examples and /var/lib/pairgate, and enables the unit,
# which does not start before /etc/pairgate/pairgate.yaml exists. With a
# configuration for the guest's interfaces (control.group adm, as the seed's)
# it starts, logs keepalived's lines to the journal, reloads on `systemctl
# reload`, is restarted by systemd after a SIGSEGV, stops cleanly, and
# `dpkg --purge` removes everything it made (the administrator's
# pairgate.yaml stays, as dpkg keeps every file it did not install).
# Usage: package_systemd_test.sh BUILD_DIR (the .deb in BUILD_DIR/package).
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$src/tests/integration/lib.sh"
if [[ $(cat /proc/1/comm) != systemd ]]; then
  echo "SKIP: PID 1 is not systemd: run me through scripts/vmtest --systemd"
  exit 77
fi
deb=$(ls "$build"/package/pairgate_*.deb 2>/dev/null | sed -n '$p')
[[ -n $deb ]] || { echo "FAIL no $build/package/pairgate_*.deb: run scripts/package $build/package"; exit 1; }
cleanup() { :; }  # a throw-away guest
arm_cleanup 420
start=$SECONDS
echo "# $(basename "$deb")"

active() { [[ $(systemctl show -p ActiveState --value pairgate) == active ]]; }
main_pid() { systemctl show -p MainPID --value pairgate; }
journal() { journalctl -q -o cat -u pairgate --no-pager; }
ctl() { /usr/sbin/pairgatectl "$@"; }

export DEBIAN_FRONTEND=noninteractive
check "dpkg -i" dpkg -i "$deb"
for f in /usr/sbin/pairgated /usr/sbin/pairgatectl /lib/systemd/system/pairgate.service \
  /usr/share/man/man8/pairgated.8.gz /usr/share/man/man8/pairgatectl.8.gz /usr/share/man/man5/pairgate.yaml.5.gz \
  /usr/share/doc/pairgate/examples/beagle.yaml /usr/share/doc/pairgate/examples/primergy.yaml /usr/share/doc/pairgate/copyright; do
  check "installs $f" test -e "$f"
done
check "makes /var/lib/pairgate and /etc/pairgate" test -d /var/lib/pairgate -a -d /etc/pairgate
check "the unit is enabled" test "$(systemctl is-enabled pairgate)" = enabled
check "... but not running: no configuration yet" fails active
check "... because of its condition" test "$(systemctl show -p ConditionResult --value pairgate)" = no
check "the example passes --check" /usr/sbin/pairgated --config /usr/share/doc/pairgate/examples/beagle.yaml --check
check "man pairgate.yaml renders" quiet man -P cat pairgate.yaml

ip link add lan0 type veth peer name lanp
ip link add wan0 type veth peer name wanp
ip addr add 198.51.100.2/24 dev lan0
ip addr add 2001:db8:1::2/64 dev wan0 nodad
for l in lan0 lanp wan0 wanp; do ip link set "$l" up; done
cat >/etc/pairgate/pairgate.yaml <<'YAML'
node: guest
control: {group: adm}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: VRRP1, interface: lan0, vrid: 7, priority: 100, virtual_addresses: [198.51.100.1/24]}
dhcp:
  subnets:
    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99], options: {routers: [198.51.100.1]}}
firewall:
  wan_interfaces: [wan0]
YAML
check "systemctl start pairgate" systemctl start pairgate
check "active" active
check "the control socket belongs to group adm" test "$(stat -c %G /run/pairgate/control.sock)" = adm
check "pairgatectl status answers" quiet ctl status
check "the journal has keepalived's line: (VRRP1) Entering MASTER STATE" \
  wait_for 15 bash -c "journalctl -q -o cat -u pairgate --no-pager | grep -q '^(VRRP1) Entering MASTER STATE'"
check "the virtual address is on lan0" wait_for 5 bash -c "ip -4 -o addr show dev lan0 | grep -q 198.51.100.1/24"

sed -i 's/priority: 100/priority: 150/' /etc/pairgate/pairgate.yaml
check "systemctl reload pairgate" systemctl reload pairgate
check "the reload took effect" wait_for 10 bash -c "/usr/sbin/pairgatectl status --json | grep -q '\"priority\": 150'"
check "the journal says what the reload changed" wait_for 5 bash -c "journalctl -q -o cat -u pairgate --no-pager | grep -q 'reloaded: vrrp changed \[VRRP1\]'"
echo "vrrp: [" >>/etc/pairgate/pairgate.yaml
check "a reload with a broken file fails (ExecReload runs --check)" fails systemctl reload pairgate
check "... and the daemon goes on" active
sed -i '$d' /etc/pairgate/pairgate.yaml

pid=$(main_pid)
kill -SEGV "$pid"
check "after SIGSEGV systemd restarts it (Restart=on-failure)" wait_for 30 bash -c \
  "[[ \$(systemctl show -p ActiveState --value pairgate) == active && \$(systemctl show -p MainPID --value pairgate) != $pid && \$(systemctl show -p MainPID --value pairgate) != 0 ]]"
check "... counted once (NRestarts)" test "$(systemctl show -p NRestarts --value pairgate)" = 1
check "... and serves again" wait_for 10 quiet ctl status
# The crashed master left 198.51.100.1 on lan0; the new process starts as
# backup and, alone on the link, becomes master again after
# Master_Down_Interval. (A backup that finds such a left-over address keeps
# it until then: noted for the VRRP module, not this test's subject.)
check "... and becomes master again" wait_for 20 bash -c \
  "[[ \$(journalctl -q -o cat -u pairgate --no-pager | grep -c '^(VRRP1) Entering MASTER STATE') -ge 2 ]]"

check "systemctl stop pairgate" systemctl stop pairgate
check "it exited 0" test "$(systemctl show -p ExecMainStatus --value pairgate)" = 0
check "the virtual address is gone" fails bash -c "ip -4 -o addr show dev lan0 | grep -q 198.51.100.1/24"
check "the firewall table is gone" fails nft list table inet pairgate
check "/run/pairgate is gone" test ! -e /run/pairgate
check "the leases were written under /var/lib/pairgate" test -e /var/lib/pairgate/dhcp4.leases
journal | sed 's/^/  journal: /' | tail -n 12

check "dpkg --purge pairgate" dpkg --purge pairgate
for f in /usr/sbin/pairgated /usr/sbin/pairgatectl /lib/systemd/system/pairgate.service /var/lib/pairgate \
  /etc/systemd/system/multi-user.target.wants/pairgate.service /usr/share/doc/pairgate /usr/share/man/man5/pairgate.yaml.5.gz; do
  check "purge removed $f" test ! -e "$f"
done
check "the unit is gone for systemd" fails bash -c "systemctl cat pairgate >/dev/null 2>&1"
check "/etc/pairgate holds only the administrator's file" test "$(ls -A /etc/pairgate)" = pairgate.yaml
check "dpkg knows the package no more" fails bash -c "dpkg -s pairgate 2>/dev/null | grep -q '^Status: install'"
((failed)) && journal | tail -40
echo "# took $((SECONDS - start)) s"
summary
