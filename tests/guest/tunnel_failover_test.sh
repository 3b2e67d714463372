#!/usr/bin/env bash
# In a guest kernel with ip6_tunnel (ctest runs this through scripts/vmtest):
# beagle and primergy run pairgated with their tunnels to a simulated AFTR
# (tests/guest/tunnel_lib.sh). beagle finds its SLAAC address and its AFTR's
# name through the home gateway's dnsmasq (RDNSS from router adverts);
# primergy has a configured resolver. The client's pings through the
# virtual address reach 203.0.113.1; beagle's WAN address changes and the
# tunnel follows; beagle's AFTR goes dark: its tunnel goes DOWN, its VRRP
# instances FAULT, primergy becomes master and the pings resume; on SIGTERM
# beagle's tunnel goes and its previous default route comes back.
# Usage: tunnel_failover_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
id="pgt$$"
dir=$(mktemp -d /var/tmp/pairgate-tunnel.XXXXXX)
TUNNEL_LOG_DIR=$dir
TUNNEL_LOG_LEVEL=debug
declare -A pid=()
source "$here/../integration/lib.sh"
source "$here/tunnel_lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  tunnel_topology_down
  rm -rf "$dir"
}
arm_cleanup 500
start=$SECONDS

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
tunnel_topology_up "$id" || { echo "topology failed"; cat "$dir/dnsmasq.log"; exit 1; }
echo "# topology up in $((SECONDS - start)) s: beagle $B_WAN, primergy $P_WAN"

tunnel_config beagle 200 "    aftr: aftr.example" 200ms 3 "$dir"
tunnel_config primergy 100 "    aftr: aftr2.example
    resolver: [2001:db8:1::1]" 200ms 3 "$dir"
for r in beagle primergy; do
  ns=$BEAGLE
  [[ $r == primergy ]] && ns=$PRIMERGY
  ip netns exec $ns "$build/pairgated" --config "$dir/$r.yaml" >"$dir/$r.log" 2>&1 &
  pid[$r]=$!
done
check "both daemons ready" wait_for 30 bash -c "grep 'pairgated ready' '$dir/beagle.log' && grep 'pairgated ready' '$dir/primergy.log'"
check "beagle's tunnel UP" wait_for 30 status_is beagle '["tunnels"][0]["state"]' UP
check "primergy's tunnel UP" wait_for 20 status_is primergy '["tunnels"][0]["state"]' UP
check "beagle took its SLAAC template address" status_is beagle '["tunnels"][0]["local"]' "$B_WAN"
check "beagle resolved aftr.example through RDNSS" status_is beagle '["tunnels"][0]["aftr"]["resolver_source"]' rdnss
check "beagle's remote is 2001:db8:a::1" status_is beagle '["tunnels"][0]["remote"]' 2001:db8:a::1
check "primergy resolved aftr2.example through its resolver" status_is primergy '["tunnels"][0]["remote"]' 2001:db8:a::2
link=$(ip -n $BEAGLE -d link show ip6tnl1)
echo "$link" | sed 's/^/# /'
check "ip6tnl ipip6 on eth0, mtu 1460" grep -E "mtu 1460 .*ip6tnl ipip6 remote 2001:db8:a::1 local $B_WAN dev eth0 " <<<"$(tr '\n' ' ' <<<"$link")"
check "encaplimit none, hoplimit 64" grep -E "hoplimit 64 encaplimit none" <<<"$link"
check "beagle's default route is the tunnel" bash -c "ip -n $BEAGLE route show default | grep 'dev ip6tnl1'"
check "beagle is MASTER" wait_for 15 status_is beagle '["vrrp"][1]["state"]' MASTER
check "primergy is BACKUP" status_is primergy '["vrrp"][1]["state"]' BACKUP
check "client reaches 203.0.113.1 through beagle" wait_for 10 ip netns exec $CLIENT ping -c1 -W1 203.0.113.1
rx=$(ip -n $AFTR -s -j link show tb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
ip netns exec $CLIENT ping -c3 -i 0.2 -W1 203.0.113.1 >/dev/null
rx2=$(ip -n $AFTR -s -j link show tb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
check "the pings came through beagle's softwire" test $((rx2 - rx)) -ge 3

# Renumbering: a new address, the old one gone; the AFTR follows by hand
# (a real AFTR accepts any B4).
NEW=2001:db8:1::b2
ip -n $BEAGLE addr add $NEW/64 dev eth0 nodad mngtmpaddr
ip -n $BEAGLE addr del "$B_WAN/64" dev eth0
ip -n $AFTR -6 tunnel change tb mode ipip6 local 2001:db8:a::1 remote $NEW encaplimit none
check "the tunnel follows the new WAN address" wait_for 5 status_is beagle '["tunnels"][0]["local"]' $NEW
check "the link carries it" bash -c "ip -n $BEAGLE -d link show ip6tnl1 | grep 'local $NEW'"
check "pings still flow after renumbering" wait_for 5 ip netns exec $CLIENT ping -c1 -W1 203.0.113.1
check "beagle still MASTER" status_is beagle '["vrrp"][1]["state"]' MASTER

# beagle's AFTR goes dark.
ip netns exec $CLIENT ping -D -i 0.01 -W 1 -c 1200 203.0.113.1 >"$dir/ping.out" 2>&1 &
ping_pid=$!
sleep 1.5
aftr_dark
# Under TCG a status query costs a second or more: wait on the logs, then
# look at the status once.
check "the reason names the probes" wait_for 20 grep -E "tunnel ip6tnl1 DOWN: 3 probes to 203.0.113.1 lost" "$dir/beagle.log"
check "keepalived's log line" wait_for 10 grep "(VRRP2) Entering FAULT STATE: sync group LAN: VRRP1 FAULT (tunnel ip6tnl1 DOWN" "$dir/beagle.log"
check "primergy says MASTER" wait_for 20 grep "(VRRP2) Entering MASTER STATE" "$dir/primergy.log"
check "beagle's tunnel DOWN in status" status_is beagle '["tunnels"][0]["state"]' DOWN
check "beagle's instances FAULT in status" status_is beagle '["vrrp"][0]["state"]' FAULT
check "primergy MASTER in status" status_is primergy '["vrrp"][1]["state"]' MASTER
check "beagle's default route is back to the gateway" bash -c "ip -n $BEAGLE route show default | grep 'via 192.0.2.1'"
wait $ping_pid
gap=$(longest_gap_ms "$dir/ping.out")
last=$(grep -c 'bytes from' "$dir/ping.out")
echo "# longest gap in the client's pings: $gap ms ($last of 1200 replies)"
check "the client's pings resumed through primergy" bash -c "tail -3 '$dir/ping.out' | grep -q 'bytes from' || tail -5 '$dir/ping.out' | grep -q ' 0% packet loss\|received'"
check "failover gap under 6 s (TCG)" test "$gap" -lt 6000 -a "$gap" -gt 0

# Graceful stop: the link goes, the previous default route stays.
kill -TERM "${pid[beagle]}"
wait "${pid[beagle]}"
check "beagle exits 0" test $? -eq 0
unset 'pid[beagle]'
check "beagle's tunnel link removed" fails ip -n $BEAGLE link show ip6tnl1
check "beagle's previous default route in place" bash -c "ip -n $BEAGLE route show default | grep 'via 192.0.2.1'"
echo "# took $((SECONDS - start)) s"
summary || { for f in beagle primergy dnsmasq; do echo "== $f"; tail -40 "$dir/$f.log"; done; exit 1; }
