#!/usr/bin/env bash
# pairgated's DHCP server against real clients: ISC dhclient and busybox
# udhcpc on a LAN bridge, and udhcpc behind ISC dhcrelay on another subnet.
# Usage: dhcp_clients_test.sh BUILD_DIR
#
#   sw: br0 ── srv  (pairgated; eth0 198.51.100.2/24 + VRRP's 198.51.100.1)
#          ├── c1   (dhclient)
#          ├── c2   (udhcpc)
#          ├── c4   (udhcpc asking for an address a squatter uses)
#          ├── sq   (198.51.100.20, no lease: the squatter)
#          └── rly  (dhcrelay; eth0 198.51.100.3, eth1 203.0.113.1/24 and
#                    203.0.113.50, a squatter) ── c3 (udhcpc)
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl

id="pdc$$-$RANDOM"
sw=$id-sw srv=$id-srv c1=$id-c1 c2=$id-c2 c3=$id-c3 c4=$id-c4 sq=$id-sq rly=$id-rly
all=("$sw" "$srv" "$c1" "$c2" "$c3" "$c4" "$sq" "$rly")
dir=$(mktemp -d /tmp/pairgate-dhcp.XXXXXX)
chmod 755 "$dir"
sock=$dir/control.sock
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces "${all[@]}"
  [[ ${failed:-0} -gt 0 ]] && { echo "--- pairgated log"; tail -n 60 "$dir/log"; }
  [[ -n ${KEEP:-} ]] || rm -rf "$dir"
}
arm_cleanup 250

add_namespaces "${all[@]}"
bridge "$sw" "$srv" "$c1" "$c2" "$c4" "$sq" "$rly"
ip -n "$srv" addr add 198.51.100.2/24 dev eth0
ip -n "$srv" route add 203.0.113.0/24 via 198.51.100.3
ip -n "$sq" addr add 198.51.100.20/24 dev eth0
ip -n "$rly" addr add 198.51.100.3/24 dev eth0
ip -n "$rly" link add eth1 type veth peer name eth0 netns "$c3"
ip -n "$rly" addr add 203.0.113.1/24 dev eth1
ip -n "$rly" addr add 203.0.113.50/24 dev eth1  # a squatter on the relayed subnet
ip -n "$rly" link set eth1 up
ip -n "$c3" link set eth0 up
ip netns exec "$rly" sysctl -qw net.ipv4.ip_forward=1

cat >"$dir/pairgate.yaml" <<YAML
node: dhcptest
control: {socket: $sock, mode: "0660", group: root}
logging: {target: stderr, level: debug}
vrrp:
  instances:
    - {name: V1, interface: eth0, vrid: 9, priority: 200, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $dir/dhcp4.leases
  subnets:
    - interface: eth0
      subnet: 198.51.100.0/24
      pools: [198.51.100.20-198.51.100.99]
      lease_time: 20s
      max_lease_time: 20s
      renew_time: 5s
      rebind_time: 8s
      options:
        routers: [198.51.100.1]
        domain_name_servers: [192.0.2.53, 192.0.2.54]
        domain_name: lan.example
      reservations:
        - {hw_address: "02:00:00:00:00:c2", address: 198.51.100.10, hostname: printer}
    - interface: eth0
      subnet: 203.0.113.0/24
      pools: [203.0.113.50-203.0.113.60]
      conflict_check: icmp
      options: {routers: [203.0.113.1]}
YAML

ip netns exec "$srv" "$pairgated" --config "$dir/pairgate.yaml" >"$dir/log" 2>&1 &
pid=$!
check "pairgated starts" wait_for 10 grep "pairgated ready" "$dir/log"
check "it serves 198.51.100.0/24 as its own address, not the virtual one" \
  grep "serving 198.51.100.0/24 on eth0 as 198.51.100.2" "$dir/log"

# Client scripts configure the address as the real ones would, without
# touching this host's resolv.conf, and keep what they were told.
# (dhclient runs its script with a clean environment: the directory is written in.)
cat >"$dir/dhclient-script" <<SH
#!/bin/sh
env | sort >"$dir/dhclient.\$reason"
case \$reason in
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP) [ -n "\$old_ip_address" ] && ip addr del "\$old_ip_address/\$old_subnet_mask" dev "\$interface" ;;
esac
exit 0
SH
cat >"$dir/udhcpc-script" <<'SH'
#!/bin/sh
env | sort >"$LOGDIR/$TAG.$1"
case $1 in
  bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
  deconfig) ip addr flush dev "$interface" ;;
esac
exit 0
SH
chmod +x "$dir/dhclient-script" "$dir/udhcpc-script"
export LOGDIR=$dir

# --- dhclient: DISCOVER, OFFER, REQUEST (SELECTING), ACK
ip -n "$c1" link set eth0 address 02:00:00:00:00:c1
ip netns exec "$c1" dhclient -4 -1 -v -sf "$dir/dhclient-script" -lf "$dir/dhclient.leases" \
  -pf "$dir/dhclient.pid" eth0 >"$dir/dhclient.out" 2>&1 &
check "dhclient is bound" wait_for 15 test -s "$dir/dhclient.BOUND"
v() { sed -n "s/^$1=//p" "$2" | head -1; }
a1=$(v new_ip_address "$dir/dhclient.BOUND")
check "dhclient's address is from the pool ($a1)" grep -E '^198\.51\.100\.([2-9][0-9])$' <<<"$a1"
check "dhclient's router is the virtual address" test "$(v new_routers "$dir/dhclient.BOUND")" = 198.51.100.1
check "dhclient's DNS servers" test "$(v new_domain_name_servers "$dir/dhclient.BOUND")" = "192.0.2.53 192.0.2.54"
check "dhclient's domain" test "$(v new_domain_name "$dir/dhclient.BOUND")" = lan.example
check "dhclient's lease time is 20 s" test "$(v new_dhcp_lease_time "$dir/dhclient.BOUND")" = 20
check "dhclient's server identifier is 198.51.100.2" \
  test "$(v new_dhcp_server_identifier "$dir/dhclient.BOUND")" = 198.51.100.2

# --- udhcpc with a reservation and a hostname
ip -n "$c2" link set eth0 address 02:00:00:00:00:c2
TAG=udhcpc ip netns exec "$c2" busybox udhcpc -f -i eth0 -s "$dir/udhcpc-script" -x hostname:c2host \
  -O router -O dns >"$dir/udhcpc.out" 2>&1 &
u2=$!
check "udhcpc is bound" wait_for 15 test -s "$dir/udhcpc.bound"
check "udhcpc gets its reservation" test "$(v ip "$dir/udhcpc.bound")" = 198.51.100.10
check "udhcpc's router" test "$(v router "$dir/udhcpc.bound")" = 198.51.100.1
check "udhcpc's lease time" test "$(v lease "$dir/udhcpc.bound")" = 20
check "udhcpc's server identifier" test "$(v serverid "$dir/udhcpc.bound")" = 198.51.100.2

# --- renewing (unicast at T1) and rebinding (broadcast at T2, when the
# server cannot be reached by unicast)
check "udhcpc renews" wait_for 25 test -s "$dir/udhcpc.renew"
check "the server saw a RENEWING request" wait_for 5 grep "RENEWING: ack 198.51.100.10" "$dir/log"
ip netns exec "$c1" nft add table ip pg
ip netns exec "$c1" nft add chain ip pg out '{ type filter hook output priority 0; }'
ip netns exec "$c1" nft add rule ip pg out ip daddr 198.51.100.2 udp dport 67 drop
check "dhclient rebinds by broadcast when unicast fails" wait_for 15 grep "REBINDING: ack $a1" "$dir/log"
check "dhclient keeps its address" grep -F " $a1/24 " <<<"$(ip -n "$c1" -4 addr show dev eth0)"
ip netns exec "$c1" nft delete table ip pg

# --- leases as operators see them
leases=$("$ctl" --socket "$sock" leases --json)
check "pairgatectl leases lists dhclient's lease" grep "\"address\": \"$a1\"" <<<"$leases"
check "and udhcpc's with its hostname" grep '"hostname": "printer"' <<<"$leases"
check "the lease file holds both" grep -c "^lease .* leased " "$dir/dhcp4.leases"

# --- INIT-REBOOT: dhclient starts again with its lease file
kill "$(cat "$dir/dhclient.pid")" 2>/dev/null
sleep 0.2
rm -f "$dir/dhclient.REBOOT"
ip netns exec "$c1" dhclient -4 -1 -v -sf "$dir/dhclient-script" -lf "$dir/dhclient.leases" \
  -pf "$dir/dhclient.pid" eth0 >>"$dir/dhclient.out" 2>&1 &
check "dhclient reboots into its old address" wait_for 15 test -s "$dir/dhclient.REBOOT"
check "the server saw an INIT-REBOOT request" grep "INIT-REBOOT: ack $a1" "$dir/log"

# --- release
ip netns exec "$c1" dhclient -4 -r -sf "$dir/dhclient-script" -lf "$dir/dhclient.leases" \
  -pf "$dir/dhclient.pid" eth0 >>"$dir/dhclient.out" 2>&1
check "dhclient releases" wait_for 5 grep "released $a1" "$dir/log"
check "the released lease is no longer listed" \
  fails grep "\"address\": \"$a1\"" <<<"$("$ctl" --socket "$sock" leases --json)"

# --- SIGHUP with a changed option: leases are kept, the new option served
sed -i 's/domain_name: lan.example/domain_name: lan2.example/' "$dir/pairgate.yaml"
kill -HUP "$pid"
check "pairgated reloads" wait_for 5 grep "reloaded:" "$dir/log"
check "the leases are kept" grep '"hostname": "printer"' <<<"$("$ctl" --socket "$sock" leases --json)"

# --- conflict: a host already uses 198.51.100.20 without a lease
TAG=udhcpc4 ip netns exec "$c4" busybox udhcpc -f -q -i eth0 -s "$dir/udhcpc-script" -r 198.51.100.20 \
  >"$dir/udhcpc4.out" 2>&1 &
check "a client asking for a squatted address is bound" wait_for 15 test -s "$dir/udhcpc4.bound"
check "to another address" test "$(v ip "$dir/udhcpc4.bound")" != 198.51.100.20
check "the ARP probe found the squatter" grep "198.51.100.20 is in use" "$dir/log"
check "the reloaded domain is served" test "$(v domain "$dir/udhcpc4.bound")" = lan2.example

# --- a relayed client on 203.0.113.0/24
ip netns exec "$rly" dhcrelay -4 -d -q -iu eth0 -id eth1 198.51.100.2 >"$dir/dhcrelay.out" 2>&1 &
sleep 0.5
TAG=udhcpc3 ip netns exec "$c3" busybox udhcpc -f -q -i eth0 -s "$dir/udhcpc-script" -r 203.0.113.50 \
  >"$dir/udhcpc3.out" 2>&1 &
check "a client behind dhcrelay is bound" wait_for 15 test -s "$dir/udhcpc3.bound"
check "from the relayed subnet's pool" grep -E '^203\.0\.113\.(5[1-9]|60)$' <<<"$(v ip "$dir/udhcpc3.bound")"
check "the ICMP probe found the relayed subnet's squatter" grep "203.0.113.50 is in use" "$dir/log"
check "with the relayed subnet's router" test "$(v router "$dir/udhcpc3.bound")" = 203.0.113.1

# --- a host on the LAN that names the relayed subnet's giaddr and broadcasts
# (found by hostile testing: it took every address of the relayed pool) is
# not a relay: refused and counted, nothing offered or leased
cat >"$dir/spoof.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("0.0.0.0", 68))
for i, kind in enumerate((1, 3)):  # DISCOVER, then a blind SELECTING REQUEST
    chaddr = bytes([2, 0, 0, 0, 0x5f, i])
    msg = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, 0x5f00 + i, 0, 0, bytes(4), bytes(4), bytes(4),
                      socket.inet_aton("203.0.113.1"))
    msg += chaddr + bytes(10) + bytes(192) + struct.pack("!I", 0x63825363) + bytes([53, 1, kind])
    if kind == 3:
        msg += bytes([54, 4]) + socket.inet_aton("198.51.100.2") + bytes([50, 4]) + socket.inet_aton(sys.argv[1])
    msg += bytes([255])
    s.sendto(msg.ljust(300, b"\0"), ("255.255.255.255", 67))
PY
free=203.0.113.57
[[ $(v ip "$dir/udhcpc3.bound") == "$free" ]] && free=203.0.113.58
ip netns exec "$sq" python3 "$dir/spoof.py" "$free"
refused() { "$ctl" --socket "$sock" status --json | sed -n 's/.*"relay-not-unicast": \([0-9]*\).*/\1/p'; }
relay_refused() { (($(refused) >= 2)); }
wait_for 10 relay_refused
check "a LAN host's broadcasts with a relayed giaddr are refused and counted ($(refused))" relay_refused
check "and got no lease" fails grep -qE '"hw_address": "02:00:00:00:5f:0[01]"|"address": "'"$free"'"' <<<"$("$ctl" --socket "$sock" leases --json)"

# --- nothing was refused on the way, and SIGTERM flushes the file
status=$("$ctl" --socket "$sock" status --json)
check "no NAK was sent" grep '"pkt4-nak-sent": 0' <<<"$status"
kill "$u2" 2>/dev/null
kill -TERM "$pid"
check "pairgated exits 0 on SIGTERM" wait "$pid"
pid=
check "and says the lease file is flushed" grep "lease file .* flushed" "$dir/log"
summary
