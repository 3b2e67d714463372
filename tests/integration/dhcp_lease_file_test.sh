#!/usr/bin/env bash
# A lease file pairgated cannot use must not take routing down: with the
# file's path a directory, then with the file on a read-only bind mount (in
# pairgated's own mount namespace), the daemon starts, VRRP becomes master,
# DHCP offers but acknowledges nothing and says why in status and log; once
# the path is fixed, it loads what the file holds and acknowledges again.
# (Found by hostile testing: either kept the whole daemon from starting.)
# Usage: dhcp_lease_file_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl

id="pdl$$-$RANDOM"
srv=$id-srv cli=$id-cli
all=("$srv" "$cli")
dir=$(mktemp -d /tmp/pairgate-dhcp-lf.XXXXXX)
chmod 755 "$dir"
sock=$dir/control.sock
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces "${all[@]}"
  ((${failed:-0} > 0)) && { echo "--- pairgated log"; grep -v debug "$dir/log" | tail -n 30; }
  rm -rf "$dir"
}
arm_cleanup 250


add_namespaces "${all[@]}"
ip -n "$srv" link add eth0 type veth peer name eth0 netns "$cli"
ip -n "$srv" addr add 198.51.100.2/24 dev eth0
ip -n "$srv" link set eth0 up
ip -n "$cli" link set eth0 up
ip -n "$cli" link set eth0 address 02:00:00:00:00:c1

write_config() {  # write_config LEASE_FILE
  cat >"$dir/pairgate.yaml" <<YAML
node: leasefile
control: {socket: $sock, mode: "0660", group: root}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: V1, interface: eth0, vrid: 11, priority: 200, advert_interval: 1s, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $1
  subnets:
    - interface: eth0
      subnet: 198.51.100.0/24
      pools: [198.51.100.20-198.51.100.99]
      conflict_check: none
      options: {routers: [198.51.100.1]}
YAML
}
ready() { grep -c "pairgated ready" "$dir/log" 2>/dev/null; }
more_ready() { (($(ready) > $1)); }
start() {  # start [WRAPPER...]: returns once ready
  local before
  before=$(ready)
  ip netns exec "$srv" "$@" "$pairgated" --config "$dir/pairgate.yaml" >>"$dir/log" 2>&1 &
  pid=$!
  wait_for 10 more_ready "${before:-0}"
}
stop() {
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
  pid=
}
status() { "$ctl" --socket "$sock" status --json; }
master() { grep -q '"state": "MASTER"' <<<"$(status)"; }  # not a pipe: grep -q would SIGPIPE pairgatectl under pipefail
has_vip() { grep -q " 198.51.100.1/24 " <<<"$(ip -n "$srv" -4 addr show dev eth0)"; }
# One DHCP client run: succeeds when bound (3 tries, 1 s apart).
bind() { ip netns exec "$cli" busybox udhcpc -n -q -f -t 3 -T 1 -A 1 -i eth0 -s /bin/true; }
# One field of status's dhcp section (python, so that nesting is no matter).
field() { status | python3 -c "import json,sys; d=json.load(sys.stdin)['dhcp']; print(eval(sys.argv[1]))" "$1"; }

# --- the lease file's path is a directory
mkdir -p "$dir/lf/dhcp4.leases"
write_config "$dir/lf/dhcp4.leases"
check "pairgated starts with a directory where its lease file should be" start
check "VRRP runs: master within 5 s" wait_for 5 master
check "and the virtual address is up" has_vip
check "status: DHCP is not acknowledging" test "$(field "d['acknowledging']")" = False
check "status says why" grep -q "Is a directory" <<<"$(field "d['lease_file']['error']")"
check "the log says why" grep -q "dhcp: cannot read lease file $dir/lf/dhcp4.leases: Is a directory; no lease is acknowledged" "$dir/log"
check "a client gets no lease" fails bind
check "withheld ACKs are counted" test "$(field "d['counters']['ack-withheld-disk']")" -ge 1
rmdir "$dir/lf/dhcp4.leases"
check "once the path is free, the file is written again" wait_for 5 grep -q "dhcp: $dir/lf/dhcp4.leases is writable again" "$dir/log"
check "status: acknowledging" test "$(field "d['acknowledging']")" = True
check "the client gets its lease" bind
check "and it is in the lease file" grep -q "^lease 198.51.100.* leased .* 02:00:00:00:00:c1 " "$dir/lf/dhcp4.leases"
check "VRRP stayed master throughout" master
stop

# --- the lease file on a read-only bind mount, in pairgated's mount namespace
mkdir -p "$dir/ro"
cp "$dir/lf/dhcp4.leases" "$dir/ro/dhcp4.leases"
write_config "$dir/ro/dhcp4.leases"
check "pairgated starts with its lease file on a read-only mount" \
  start unshare -m --propagation private sh -c "mount --bind $dir/ro $dir/ro && mount -o remount,bind,ro $dir/ro && exec \"\$0\" \"\$@\""
pid=$(pgrep -f "pairgated --config $dir/pairgate.yaml" | head -1)
check "VRRP runs: master within 5 s" wait_for 5 master
check "status says why" grep -q "Read-only file system" <<<"$(field "d['lease_file']['error']")"
check "the leases on file were read" test "$(field "d['lease_file']['loaded']")" -ge 1
check "the lease is listed" grep -q '"hw_address": "02:00:00:00:00:c1"' <<<"$("$ctl" --socket "$sock" leases --json)"
ip -n "$cli" link set eth0 address 02:00:00:00:00:c2
check "a new client gets no lease" fails bind
nsenter -t "$pid" -m -- mount -o remount,bind,rw "$dir/ro"
check "once the mount is writable, the file is written again" \
  wait_for 5 grep -q "dhcp: $dir/ro/dhcp4.leases is writable again" "$dir/log"
check "the new client gets its lease" bind
check "the file holds both clients" test "$(grep -c " leased .* 02:00:00:00:00:c[12] " "$dir/ro/dhcp4.leases")" -ge 2
check "VRRP stayed master throughout" master
stop
summary
