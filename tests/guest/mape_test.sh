#!/usr/bin/env bash
# In a guest kernel with ip6_tunnel (ctest runs this through scripts/vmtest):
# one MAP-E CE (pairgated, `type: mape`) and a simulated BR.
#
#   lan   192.0.2.10 and 192.0.2.100-149 (50 hosts), via 192.0.2.1
#    |
#   ce    pairgated: eth1 192.0.2.1/24; eth0 (WAN) 2001:db8:12:3456::5/64,
#    |    later renumbered to 2001:db8:56:7800::5/64. Rule 2001:db8::/40 ->
#    |    198.51.100.0/24, EA 12, offset 4: CE 198.51.100.18, PSID 3, 15 sets
#    |    of 256 ports (3840); after renumbering 198.51.100.86, PSID 7.
#   br    2001:db8:ffff::1; ip6tnl "brtun" to the CE address decapsulates,
#    |    and nft counts every IPv4 packet from it whose source address is
#    |    not the CE's, or whose source port / echo identifier is outside the
#    |    CE's port sets (RFC 7597 §8).
#   srv   203.0.113.1: UDP 9997/9999 and TCP 9998 sinks recording each
#         flow's source (tests/guest/mape_flows.py), echo replies.
#
# Checks: the CE address, link and IPv4 address the tunnel makes; 1000 UDP
# and 1000 TCP flows at once, none lost, every source port inside the sets
# and every set used; 4000 UDP flows to one destination exhaust the 3840
# ports: 3840 arrive and the rest are counted by conntrack (insert_failed);
# 50 LAN hosts' pings at once all answered, their identifiers inside the
# sets; renumbering moves the CE address, mapping and NAT without a
# restart and deletes the conntrack entries mapped to the old address.
# Usage: mape_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
flows=$here/mape_flows.py
id="pgme$$"
CE=$id-ce BR=$id-br SRV=$id-srv LAN=$id-lan
dir=$(mktemp -d /var/tmp/pairgate-mape.XXXXXX)
pid=
source "$here/../integration/lib.sh"
cleanup() {
  local rc=$?
  echo "# cleanup: status $rc, last command: $BASH_COMMAND" >&2
  ((rc != 0)) && { tail -30 "$dir/ce.log"; dmesg | tail -15; } >&2
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces $CE $BR $SRV $LAN
  rm -rf "$dir"
}
arm_cleanup 400
start=$SECONDS
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
ulimit -n 16384
add_namespaces $CE $BR $SRV $LAN
ip -n $CE link add eth0 type veth peer name eth0 netns $BR
ip -n $CE link add eth1 type veth peer name eth0 netns $LAN
ip -n $BR link add inet0 type veth peer name eth0 netns $SRV
for ns in $CE $BR $SRV $LAN; do
  nsx $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0
  for dev in $(ip -n $ns -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'); do
    ip -n $ns link set "$dev" up
  done
done
ip -n $CE addr add 2001:db8:12:3456::5/64 dev eth0 nodad
ip -n $CE -6 route add 2001:db8:ffff::1/128 dev eth0
ip -n $CE addr add 192.0.2.1/24 dev eth1
ip -n $BR addr add 2001:db8:ffff::1/128 dev eth0 nodad
ip -n $BR -6 route add 2001:db8::/40 dev eth0
ip -n $BR addr add 203.0.113.254/24 dev inet0
nsx $BR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n $SRV addr add 203.0.113.1/24 dev eth0
ip -n $SRV route add default via 203.0.113.254
ip -n $LAN addr add 192.0.2.10/24 dev eth0
for i in $(seq 100 149); do ip -n $LAN addr add 192.0.2.$i/24 dev eth0; done
ip -n $LAN route add default via 192.0.2.1

cat >"$dir/ce.yaml" <<YAML
node: ce
control: {socket: $dir/ce.sock}
logging: {target: stderr, level: info}
sysctl: {net.ipv4.ip_forward: 1}
tunnels:
  - name: mape0
    type: mape
    wan_interface: eth0
    br: 2001:db8:ffff::1
    rules:
      - {ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 12, psid_offset: 4}
    health: {interval: 500ms, down_after: 3, up_after: 2, targets: [203.0.113.1]}
firewall:
  wan_interfaces: [eth0]
YAML
check "--check accepts the file" "$build/pairgated" --check --config "$dir/ce.yaml"
nsx $SRV python3 "$flows" server "$dir" &
ip netns exec $CE "$build/pairgated" --config "$dir/ce.yaml" >"$dir/ce.log" 2>&1 &
pid=$!
status() { "$build/pairgatectl" --socket "$dir/ce.sock" status --json; }
map() { status | python3 -c 'import json,sys; m=json.load(sys.stdin)["tunnels"][0]["map"]; print(json.dumps(m[sys.argv[1]]) if sys.argv[1]=="port_sets" else m[sys.argv[1]])' "$1"; }
ipv4_is() { [[ $(map ipv4) == "$1" ]]; }
state_is() { [[ $(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["tunnels"][0]["state"])') == "$1" ]]; }
check "ready" wait_for 90 grep -q "pairgated ready" "$dir/ce.log"
check "the mapping is computed" wait_for 30 ipv4_is 198.51.100.18
ce6=$(map ce_ipv6)
sets=$(map port_sets)
echo "# CE 198.51.100.18 psid $(map psid) CE IPv6 $ce6, $(map port_count) ports; up in $((SECONDS - start)) s"
check "PSID 3 of 4 bits, 15 sets, 3840 ports" test "$(map psid)/$(map psid_length)/$(map port_count)" = 3/4/3840
check "the CE address is on the WAN, /128" bash -c "ip -n $CE -6 -o addr show dev eth0 | grep -q ' $ce6/128 '"
check "the link goes from it to the BR" bash -c "ip -n $CE -6 tunnel show mape0 | grep -q 'remote 2001:db8:ffff::1 *local $ce6'"
check "the CE IPv4 address is on the link" bash -c "ip -n $CE -4 -o addr show dev mape0 | grep -q 'inet 198.51.100.18/32'"
check "mtu 1460" bash -c "ip -n $CE link show mape0 | grep -q 'mtu 1460'"

# The BR: its end of this CE's softwire, and the checks of what comes out of it.
br_for() {  # br_for CE6 CE4 SETS_JSON
  local nft_sets
  nft_sets=$(python3 -c 'import json,sys; print(", ".join("%d-%d" % tuple(s) for s in json.loads(sys.argv[1])))' "$3")
  if ip -n $BR link show brtun >/dev/null 2>&1; then
    ip -n $BR -6 tunnel change brtun mode ipip6 local 2001:db8:ffff::1 remote "$1" encaplimit none
  else
    ip -n $BR -6 tunnel add brtun mode ipip6 local 2001:db8:ffff::1 remote "$1" encaplimit none
    ip -n $BR link set brtun up
  fi
  ip -n $BR route replace "$2/32" dev brtun
  nsx $BR nft delete table inet br 2>/dev/null
  nsx $BR nft -f - <<NFT
table inet br {
  counter v4 {}
  counter wrong_address {}
  counter outside_sets {}
  counter echo {}
  counter echo_outside_sets {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname "brtun" meta nfproto ipv4 counter name v4
    iifname "brtun" meta nfproto ipv4 ip saddr != $2 counter name wrong_address
    iifname "brtun" meta l4proto { tcp, udp } th sport != { $nft_sets } counter name outside_sets
    iifname "brtun" icmp type echo-request counter name echo
    iifname "brtun" icmp type echo-request icmp id != { $nft_sets } counter name echo_outside_sets
  }
}
NFT
}
br_count() { nsx $BR nft -j list counter inet br "$1" | python3 -c "import json,sys; print([o['counter']['packets'] for o in json.load(sys.stdin)['nftables'] if 'counter' in o][0])"; }
br_for "$ce6" 198.51.100.18 "$sets"
check "UP through the BR" wait_for 30 grep -q "tunnel mape0 UP" "$dir/ce.log"
check "the IPv4 default route goes through the tunnel" wait_for 5 bash -c "ip -n $CE -4 route show default | grep -q 'dev mape0'"
check "the NAT is in the pairgate table" bash -c "ip netns exec $CE nft list table inet pairgate | grep -q 'snat ip to 198.51.100.18:'"
wait_for 10 test -e "$dir/ready"

# 1000 UDP and 1000 TCP flows at once (3840 ports per destination).
ct_failed() {
  nsx $CE python3 -c '
rows = [l.split() for l in open("/proc/net/stat/nf_conntrack")]
h = rows[0]
print(sum(int(r[h.index("insert_failed")], 16) for r in rows[1:]))'
}
t0=$SECONDS
nsx $LAN python3 "$flows" udp 1000 9999 >"$dir/udp.out" &
u=$!
tcp_out=$(nsx $LAN python3 "$flows" tcp 1000)
wait $u
echo "# 1000 UDP + 1000 TCP flows in $((SECONDS - t0)) s; tcp: $tcp_out"
# "FLOWS SETS_USED OUTSIDE WRONG_ADDRESS" of the flows the server saw (no
# process substitution: the guest has no /dev/fd).
seen() { python3 "$flows" check "$dir/seen" "$1" "$2" "$3" "$4"; }
seen_is() { [[ $(seen "$1" "$2" "$sets" "$3") == "$4" ]]; }
check "1000 TCP connections, none failed" test "$tcp_out" = "1000 0"
check "1000 UDP flows arrive, all 15 sets used, no port outside, all from the CE" wait_for 10 seen_is udp 9999 198.51.100.18 "1000 15 0 0"
check "1000 TCP flows arrive, all 15 sets used, no port outside, all from the CE" wait_for 10 seen_is tcp 9998 198.51.100.18 "1000 15 0 0"
python3 "$flows" check "$dir/seen" udp 9999 "$sets" 198.51.100.18 | sed 's/^/# udp flows sets outside wrong: /'

# Beyond the sets: 4000 flows to one destination, 3840 ports.
failed_before=$(ct_failed)
nsx $LAN python3 "$flows" udp 4000 9997 >/dev/null
sleep 1
read -r n used outside wrong <<<"$(seen udp 9997 "$sets" 198.51.100.18)"
dropped=$(($(ct_failed) - failed_before))
echo "# 4000 flows to one destination: $n arrived over $used sets, insert_failed +$dropped"
check "every one of the 3840 ports used, none outside" test "$n $used $outside $wrong" = "3840 15 0 0"
check "the 160 beyond are dropped and counted (insert_failed)" test "$dropped" -ge 160

# 50 LAN hosts ping at once: every echo answered, identifiers mapped into the sets.
t0=$SECONDS
pings=()
for i in $(seq 100 149); do
  nsx $LAN ping -n -c 2 -i 0.5 -W 5 -I 192.0.2.$i 203.0.113.1 >"$dir/ping.$i" 2>&1 &
  pings+=($!)
done
wait "${pings[@]}"
answered=$(grep -l " 2 received" "$dir"/ping.* | wc -l)
echo "# pings: $answered of 50 hosts got every reply in $((SECONDS - t0)) s"
check "50 hosts' pings all answered" test "$answered" = 50
check "no echo identifier outside the sets" test "$(br_count echo_outside_sets)" = 0
check "the BR saw their echo requests" test "$(br_count echo)" -ge 100
check "no source port outside the sets at the BR" test "$(br_count outside_sets)" = 0
check "no source address but the CE's at the BR" test "$(br_count wrong_address)" = 0
echo "# BR: $(br_count v4) IPv4 packets from the CE"

# Renumbering: the WAN's prefix changes; pairgated follows without a restart.
old_entries() { nsx $CE conntrack -L -q 198.51.100.18 2>/dev/null | wc -l; }
before=$(old_entries)
ip -n $CE addr add 2001:db8:56:7800::5/64 dev eth0 nodad
ip -n $CE addr del 2001:db8:12:3456::5/64 dev eth0
check "the mapping follows the new prefix" wait_for 10 ipv4_is 198.51.100.86
ce6b=$(map ce_ipv6)
setsb=$(map port_sets)
echo "# renumbered: CE 198.51.100.86 psid $(map psid) CE IPv6 $ce6b"
check "PSID 7" test "$(map psid)" = 7
check "the new CE address is on the WAN" bash -c "ip -n $CE -6 -o addr show dev eth0 | grep -q ' $ce6b/128 '"
check "the old one is gone" bash -c "! ip -n $CE -6 -o addr show dev eth0 | grep -q ' $ce6/128 '"
check "the link moved to it" bash -c "ip -n $CE -6 tunnel show mape0 | grep -q 'local $ce6b'"
check "the new IPv4 address is on the link, the old one gone" bash -c "ip -n $CE -4 -o addr show dev mape0 | grep -q 'inet 198.51.100.86/32' && ! ip -n $CE -4 -o addr show dev mape0 | grep -q 198.51.100.18"
check "the NAT maps to the new address" wait_for 5 bash -c "ip netns exec $CE nft list table inet pairgate | grep -q 'snat ip to 198.51.100.86:' && ! ip netns exec $CE nft list table inet pairgate | grep -q 198.51.100.18"
# The flows mapped to the old address are deleted (the BR sends their
# replies to the old CE; nothing would check their later packets).
check "the flows of an earlier mapping are deleted" wait_for 10 grep -q "flows of an earlier mapping (198.51.100.18) deleted" "$dir/ce.log"
echo "# $before conntrack entries to 198.51.100.18 before; $(grep -o '[0-9]* flows of an earlier mapping.*deleted' "$dir/ce.log" | tail -1)"
check "none to the old address is left" test "$(old_entries)" = 0
check "some were there before" test "$before" -gt 0
check "pairgated did not restart" kill -0 "$pid"
check "started once" test "$(grep -c 'starting MAP-E' "$dir/ce.log")" = 1
br_for "$ce6b" 198.51.100.86 "$setsb"
check "UP again through the BR" wait_for 30 state_is UP
check "the default route is back" wait_for 10 bash -c "ip -n $CE -4 route show default | grep -q 'dev mape0'"
: >"$dir/seen"
nsx $LAN python3 "$flows" udp 200 9999 >/dev/null
read -r n used outside wrong <<<"$(seen udp 9999 "$setsb" 198.51.100.86)"
echo "# after renumbering: $n flows over $used sets, $outside outside, $wrong from another address"
check "new flows leave from the new address inside its sets" test "$n $used $outside $wrong" = "200 15 0 0"
check "nothing outside the new sets at the BR" test "$(br_count outside_sets)/$(br_count wrong_address)" = 0/0

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "stops with 0" test "$rc" = 0
check "the CE address is gone from the WAN" bash -c "! ip -n $CE -6 -o addr show dev eth0 | grep -q ' $ce6b/128 '"
echo "# took $((SECONDS - start)) s"
summary || { echo "== ce"; tail -60 "$dir/ce.log"; dmesg | tail -20; exit 1; }
