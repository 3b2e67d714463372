#!/usr/bin/env bash
# The firewall in a real kernel: pairgated applies its table in router R;
# W stands on the WAN (the DMZ, 198.51.100.0/24, and beyond it 192.0.2.9),
# L on the LAN (203.0.113.0/24). Usage: firewall_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
id="pgf$$-$RANDOM"
R=$id-r W=$id-w L=$id-l
dir=$(mktemp -d /tmp/pairgate-fw.XXXXXX)
pid=
old_lognetns=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $old_lognetns ]] && echo "$old_lognetns" >/proc/sys/net/netfilter/nf_log_all_netns
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces $R $W $L
  rm -rf "$dir"
}
arm_cleanup

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
tcp_connect() {  # tcp_connect NS HOST PORT [SOURCE]: connect and read one line within 1 s
  nsx "$1" python3 - "$2" "$3" "${4:-}" <<'PY'
import socket, sys
host, port, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(1)
if src: s.bind((src, 0))
s.connect((host, port))
assert s.recv(10) == b"hello\n"
PY
}
tcp_server() {  # tcp_server NS PORT: answers "hello" on both families, in the background
  nsx "$1" python3 - "$2" <<'PY' &
import socket, sys, threading
def serve(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(sys.argv[1]))); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"hello\n"); c.close()
threading.Thread(target=serve, args=(socket.AF_INET6, "::"), daemon=True).start()
serve(socket.AF_INET, "0.0.0.0")
PY
}
nft_counter() { nsx "$R" nft -j list counter inet pairgate "$1" | python3 -c "import json,sys; print([o['counter']['packets'] for o in json.load(sys.stdin)['nftables'] if 'counter' in o][0])"; }
has_table() { nsx "$R" nft list tables | grep -x "table $1" >/dev/null; }

add_namespaces $R $W $L
ip -n "$R" link add wan0 type veth peer name wanp netns "$W"
ip -n "$R" link add lan0 type veth peer name lanp netns "$L"
ip -n "$R" addr add 198.51.100.2/24 dev wan0
ip -n "$R" addr add 2001:db8:7::2/64 dev wan0 nodad
ip -n "$R" addr add 203.0.113.1/24 dev lan0
ip -n "$W" addr add 198.51.100.9/24 dev wanp
ip -n "$W" addr add 192.0.2.9/32 dev wanp
ip -n "$W" addr add 2001:db8:7::9/64 dev wanp nodad
ip -n "$L" addr add 203.0.113.10/24 dev lanp
for l in "$R wan0" "$R lan0" "$W wanp" "$L lanp"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n "$R" route add 192.0.2.9/32 via 198.51.100.9
ip -n "$W" route add 203.0.113.0/24 via 198.51.100.2
ip -n "$L" route add default via 203.0.113.1
nsx "$R" sysctl -qw net.ipv4.ip_forward=0
# Another program's table, as docker or LXD keep theirs.
nsx "$R" nft 'add table ip docker_like; add chain ip docker_like docker_fwd { type filter hook forward priority 0; policy accept; }'

write_config() {
  cat >"$dir/pairgate.yaml" <<YAML
node: fwtest
control: {socket: $dir/control.sock}
logging: {target: stderr}
sysctl: {net.ipv4.ip_forward: 1}
vrrp:
  instances:
    - {name: V1, interface: wan0, vrid: 1, virtual_addresses: [198.51.100.1/24]}
firewall:
  wan_interfaces: [wan0]
  log_drops: $1
  input:
    - {from: 198.51.100.0/24, proto: icmp}
    - {proto: tcp, dport: 22, family: ipv6}
  forward:
    - {from: 198.51.100.0/24, proto: icmp}
YAML
}

# Every golden ruleset is valid nft for this kernel.
for golden in "$src"/tests/firewall/golden/*.nft; do
  check "kernel accepts $(basename "$golden")" nsx "$R" nft -c -f "$golden"
done

write_config true
ip netns exec "$R" "$build/pairgated" --config "$dir/pairgate.yaml" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "pairgated ready" "$dir/log" && break; sleep 0.1; done
status() { "$build/pairgatectl" --socket "$dir/control.sock" status --json; }

check "table inet pairgate applied" has_table "inet pairgate"
check "status says applied" grep -q '"applied": true' <<<"$(status)"
check "sysctl applied (ip_forward 0 -> 1)" grep -q "sysctl net.ipv4.ip_forward: 0 -> 1" "$dir/log"
check "the other table survives start" has_table "ip docker_like"

# The kernel logs from namespaces only with nf_log_all_netns: set it while
# the drops below happen, then put it back.
logged_before=$(dmesg | grep -c 'pairgate-drop input: IN=wan0 .*SRC=192.0.2.9 ')
old_lognetns=$(cat /proc/sys/net/netfilter/nf_log_all_netns)
echo 1 >/proc/sys/net/netfilter/nf_log_all_netns
tcp_server "$R" 22
tcp_server "$W" 8080
tcp_server "$L" 80
sleep 0.5

check "ICMP from the DMZ passes" nsx "$W" ping -c1 -W1 198.51.100.2
check "ICMP from beyond the DMZ is dropped" fails nsx "$W" ping -c1 -W1 -I 192.0.2.9 198.51.100.2
before=$(nft_counter input_drops)
check "TCP to port 22 over IPv4 from the WAN is dropped" fails tcp_connect "$W" 198.51.100.2 22
check "and counted" test "$(nft_counter input_drops)" -gt "$before"
check "TCP to port 22 over IPv6 (family ipv6) passes" tcp_connect "$W" 2001:db8:7::2 22
check "established return traffic passes (R -> W)" tcp_connect "$R" 198.51.100.9 8080
check "forward: ICMP from the DMZ to the LAN passes" nsx "$W" ping -c1 -W1 203.0.113.10
before=$(nft_counter forward_drops)
check "forward: TCP from the WAN to the LAN is dropped" fails tcp_connect "$W" 203.0.113.10 80
check "and counted" test "$(nft_counter forward_drops)" -gt "$before"
check "forward: LAN to WAN with its return traffic passes" tcp_connect "$L" 198.51.100.9 8080
check "ICMPv6 neighbour discovery and echo pass" nsx "$W" ping -6 -c1 -W1 2001:db8:7::2

# VRRP between the pair: an advert from W arrives at a protocol-112 socket on R.
nsx "$R" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112); s.settimeout(3)
import struct
m = struct.pack('4s4s', socket.inet_aton('224.0.0.18'), socket.inet_aton('198.51.100.2'))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, m)
data, src = s.recvfrom(100); print(src[0])" >"$dir/vrrp" 2>&1 &
rx=$!
sleep 0.3
nsx "$W" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('198.51.100.9'))
s.sendto(bytes([0x21, 1, 100, 1, 0, 1, 0, 0, 198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 0, 0]), ('224.0.0.18', 0))"
wait $rx
check "VRRP between the pair passes" grep -qx 198.51.100.9 "$dir/vrrp"
# Status serves the counters as last read off the loop (drops_age_ms old).
drops_in_status() { python3 -c "import json,sys; d=json.loads(sys.argv[1])['firewall']['drops']; assert d['input'] > 0 and d['forward'] > 0" "$(status)"; }
check "drops are in status" wait_for 3 drops_in_status
logged=$(dmesg | grep -c 'pairgate-drop input: IN=wan0 .*SRC=192.0.2.9 ')
check "drops are logged with the prefix pairgate-drop" test "$logged" -gt "$logged_before"
echo "$old_lognetns" >/proc/sys/net/netfilter/nf_log_all_netns

write_config false
kill -HUP "$pid"
sleep 0.5
check "reload re-applies a changed table" grep -q "table inet pairgate replaced" "$dir/log"
check "without the log rule now" fails sh -c "ip netns exec $R nft list table inet pairgate | grep -q 'log prefix'"
check "the other table survives reload" has_table "ip docker_like"
kill -HUP "$pid"
sleep 0.3
check "an unchanged reload leaves the table alone" test "$(grep -c 'table inet pairgate replaced' "$dir/log")" -eq 1

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "stop: exit 0" test $rc -eq 0
check "stop: table inet pairgate removed" fails has_table "inet pairgate"
check "the other table survives stop" has_table "ip docker_like"

((failed)) && cat "$dir/log"
summary
