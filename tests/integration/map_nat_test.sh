#!/usr/bin/env bash
# The MAP-E NAT44 of firewall/map_nat in a real kernel, without the tunnel
# (this host has no ip6_tunnel; the guest tests will add it): nft 1.0.6
# accepts the rendered table, and router R, whose "mape0" is a veth to B
# (standing for the BR and the IPv4 Internet, 192.0.2.1), NATs LAN host L's
# flows into the port sets of a v6plus-shaped rule (198.18.18.52, PSID
# 0x56, 15 sets of 16 ports) — every port inside the sets, every set used,
# the 241st UDP flow to one destination dropped by the kernel and counted
# by conntrack (insert_failed), another protocol dropped by the NAT chain's first rule and
# counted. Usage: map_nat_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
render=$build/tests/map_nat_render
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
[[ -x $render ]] || { echo "SKIP: $render is not built"; exit 77; }
id="pgm$$-$RANDOM"
R=$id-r L=$id-l B=$id-b
dir=$(mktemp -d /tmp/pairgate-mape.XXXXXX)
source "$(dirname "$0")/lib.sh"
cleanup() {
  del_namespaces $R $L $B
  rm -rf "$dir"
}
arm_cleanup
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

rule=(2001:db8::/31 198.18.0.0/15 25 4 2001:db8:1234:5600::/56)
"$render" pairgate mape0 "${rule[@]}" >"$dir/nat.nft" || exit 1
"$render" --sets pairgate mape0 "${rule[@]}" >"$dir/sets" || exit 1
ce=$("$render" --address pairgate mape0 "${rule[@]}")
nsets=$(wc -l <"$dir/sets")
sets_nft=$(paste -sd, "$dir/sets" | sed 's/,/, /g')

add_namespaces $R $L $B
check "nft -c accepts the rendered table" nsx "$R" nft -c -f "$dir/nat.nft"
check "nft loads it" nsx "$R" nft -f "$dir/nat.nft"
check "the rule gives 15 sets and 198.18.18.52" test "$nsets" = 15 -a "$ce" = 198.18.18.52

ip -n "$R" link add lan0 type veth peer name eth0 netns "$L"
ip -n "$R" link add mape0 type veth peer name eth0 netns "$B"
ip -n "$R" addr add 203.0.113.1/24 dev lan0
ip -n "$R" addr add "$ce/32" dev mape0
ip -n "$L" addr add 203.0.113.2/24 dev eth0
ip -n "$B" addr add 192.0.2.1/24 dev eth0
for ns in $R $L $B; do ip -n "$ns" link set eth0 up 2>/dev/null; done
ip -n "$R" link set lan0 up
ip -n "$R" link set mape0 up
ip -n "$R" route add default via 192.0.2.1 dev mape0 onlink
ip -n "$L" route add default via 203.0.113.1
ip -n "$B" route add "$ce/32" dev eth0
nsx "$R" sysctl -qw net.ipv4.ip_forward=1
# B counts ICMP echo requests, and those whose identifier is in the sets.
nsx "$B" nft -f - <<EOF
table inet check {
	counter echo_all {
	}
	counter echo_in_sets {
	}
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request counter name "echo_all"
		icmp type echo-request icmp id { $sets_nft } counter name "echo_in_sets"
	}
}
EOF
counter() { nsx "$1" nft -j list counter inet "$2" "$3" | python3 -c "import json,sys; print([o['counter']['packets'] for o in json.load(sys.stdin)['nftables'] if 'counter' in o][0])"; }
# Conntrack's insert_failed in R, summed over the CPUs: a flow whose NAT
# found no free port in its set fails to be confirmed and is dropped there.
ct_failed() {
  nsx "$R" python3 -c '
rows = [l.split() for l in open("/proc/net/stat/nf_conntrack")]
h = rows[0]
print(sum(int(r[h.index(k)], 16) for r in rows[1:] for k in ("insert_failed",)))'
}

# B records the source port of every UDP datagram and TCP connection.
ip netns exec "$B" python3 - "$dir" <<'PY' &
import socket, sys, threading
d = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.0.2.1", 9999))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("192.0.2.1", 9998)); t.listen(512)
open(d + "/ready", "w").close()
def tcp():
    while True:
        c, a = t.accept()
        with open(d + "/tcp", "a") as f: f.write("%d\n" % a[1])
        c.close()
threading.Thread(target=tcp, daemon=True).start()
while True:
    _, a = u.recvfrom(100)
    with open(d + "/udp", "a") as f: f.write("%d\n" % a[1])
PY
wait_for 10 test -e "$dir/ready"

lines_are() { [[ $(cat "$1" 2>/dev/null | wc -l) == "$2" ]]; }  # re-read at every try of wait_for
counter_is() { [[ $(counter "$1" "$2" "$3") == "$4" ]]; }
in_sets() {  # in_sets FILE: every port in FILE is in a set; prints the sets used
  python3 - "$dir/sets" "$1" <<'PY'
import sys
sets = [tuple(map(int, l.split("-"))) for l in open(sys.argv[1])]
used, bad = set(), []
for p in map(int, open(sys.argv[2]).read().split()):
    hit = [i for i, (a, b) in enumerate(sets) if a <= p <= b]
    if hit: used.add(hit[0])
    else: bad.append(p)
print(len(used))
sys.exit(1 if bad else 0)
PY
}

# 45 TCP connections: 3 to each set.
nsx "$L" python3 - <<'PY'
import socket
for _ in range(45):
    s = socket.create_connection(("192.0.2.1", 9998), timeout=2); s.close()
PY
check "45 TCP connections through the NAT" wait_for 5 lines_are "$dir/tcp" 45
check "every TCP source port is in a set" in_sets "$dir/tcp"
check "every set carried TCP" test "$(in_sets "$dir/tcp")" = 15

# 300 UDP flows to one destination: 20 a set, 16 fit (15 x 16 = 240).
before=$(ct_failed)
nsx "$L" python3 - <<'PY'
import socket
socks = []
for _ in range(300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("203.0.113.2", 0))
    s.sendto(b"x", ("192.0.2.1", 9999)); socks.append(s)
PY
check "240 of 300 UDP flows fit the sets" wait_for 5 lines_are "$dir/udp" 240
check "every UDP source port is in a set" in_sets "$dir/udp"
check "all 240 ports were used" test "$(sort -u "$dir/udp" | wc -l)" = 240
after=$(ct_failed)
check "the 60 flows beyond were dropped, counted by conntrack ($before -> $after)" test $((after - before)) = 60

check "ping through the NAT" nsx "$L" ping -c 2 -W 1 -i 0.2 192.0.2.1
check "B saw echo identifiers in the sets only" test "$(counter "$B" check echo_all)" = "$(counter "$B" check echo_in_sets)" -a "$(counter "$B" check echo_all)" -ge 2

# firewall/map_usage from this kernel (ctsync's dump, /proc): 240 UDP
# flows, the ping's one ICMP flow (its mapped identifier found in a set),
# and up to 45 TCP flows in TIME_WAIT (a client port reused after the server
# closed first replaces an entry), every UDP port in use, none outside.
probe=$build/tests/map_usage_probe
if [[ -x $probe ]]; then
  nsx "$R" "$probe" "$ce" $(cat "$dir/sets") >"$dir/usage.json"
  python3 -c "import json; u=json.load(open('$dir/usage.json'))['usage']; print('map_usage: flows', u['flows'], 'tcp', u['tcp'], 'udp', u['udp'], 'icmp', u['icmp'], 'outside', u['outside'], 'ports in use', u['ports_in_use'], 'per set', [s['flows'] for s in u['sets']])"
  usage_is() { python3 -c "import json,sys; u=json.load(open('$dir/usage.json'))['usage']; sys.exit(0 if ($1) else 1)"; }
  check "map_usage: 240 UDP flows, 1 ICMP, 40-45 TCP, none outside" usage_is "u['udp'] == 240 and u['icmp'] == 1 and 40 <= u['tcp'] <= 45 and u['outside'] == 0"
  check "map_usage: every set holds 16 UDP and 2-4 TCP flows" usage_is "all(18 <= s['flows'] <= 21 for s in u['sets'])"
  check "map_usage: all 240 ports in use" usage_is "u['ports_in_use'] == 240 and u['ports'] == 240"
  check "map_usage: the /proc insert_failed matches" python3 -c "import json,sys; sys.exit(0 if json.load(open('$dir/usage.json'))['insert_failed'] == $after else 1)"
fi

check "no flow dropped for its protocol before" test "$(counter "$R" pairgate mape_mape0_unmapped)" = 0
# A protocol a shared address cannot carry (253, RFC 3692 experimentation).
nsx "$L" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
s.sendto(b"experiment", ("192.0.2.1", 0))'
check "another protocol is dropped and counted" wait_for 3 counter_is "$R" pairgate mape_mape0_unmapped 1

summary
