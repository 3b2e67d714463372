#!/usr/bin/env bash
# In a guest kernel with ip6_tunnel (ctest runs this through scripts/vmtest):
# type ipip, a fixed IPv4 address over IPv6. A provider namespace ("isp")
# holds the remote ip6tnl end (2001:db8:ff::1) routing 203.0.113.10 back
# through it, an "Internet" address 198.51.100.1 and the update server
# (tests/guest/ipip_update_server.py on [2001:db8:ff::80]:8080, recording
# each request). The router ("ce") has 2001:db8:1:1::1/64 on its WAN and
# interface_id ::feed; a LAN client 192.0.2.10 behind it.
# Checks: the local end is prefix + ::feed (added to the WAN), the link and
# 203.0.113.10 come up, the update URL is called on start with the
# credentials, the LAN client reaches 198.51.100.1 with source 203.0.113.10
# (SNAT); renumbering the WAN to 2001:db8:1:2::/64 moves the local end and
# calls the URL again; a failing server (503) is retried and the status
# says so, until it answers; after a reload to an https:// URL whose server
# has a certificate no trusted CA signed, the call is refused before any
# request is sent, and the status says why (libcurl's checks are on).
# Usage: ipip_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
id="pgi$$"
dir=$(mktemp -d /var/tmp/pairgate-ipip.XXXXXX)
CE=$id-ce ISP=$id-isp LAN=$id-lan
pid= http= https=
source "$here/../integration/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  [[ -n $http ]] && kill "$http" 2>/dev/null
  [[ -n $https ]] && kill "$https" 2>/dev/null
  del_namespaces $CE $ISP $LAN
  rm -rf "$dir"
}
arm_cleanup 300
start=$SECONDS

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
# Loaded now rather than by the first nat chain (slow to autoload under TCG).
modprobe -a nf_tables nft_chain_nat nft_nat nf_nat 2>/dev/null
add_namespaces $CE $ISP $LAN
ip -n $CE link add eth0 type veth peer name wan0 netns $ISP
ip -n $CE link add eth1 type veth peer name eth0 netns $LAN
for ns in $CE $ISP $LAN; do
  ip -n $ns link set lo up
  for dev in $(ip -n $ns -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'); do
    ip -n $ns link set "$dev" up
  done
done
ip netns exec $ISP sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
ip -n $ISP addr add fe80::1/64 dev wan0 nodad
ip -n $ISP addr add 2001:db8:1:1::ffff/64 dev wan0 nodad
ip -n $ISP addr add 2001:db8:1:2::ffff/64 dev wan0 nodad
ip -n $ISP addr add 2001:db8:ff::1/128 dev lo
ip -n $ISP addr add 2001:db8:ff::80/128 dev lo
ip -n $ISP addr add 198.51.100.1/32 dev lo
ip -n $ISP -6 tunnel add t0 mode ipip6 local 2001:db8:ff::1 remote 2001:db8:1:1::feed encaplimit none
ip -n $ISP link set t0 up
ip -n $ISP route add 203.0.113.10/32 dev t0
ip -n $CE addr add 2001:db8:1:1::1/64 dev eth0 nodad
ip -n $CE -6 route add default via fe80::1 dev eth0
ip -n $CE addr add 192.0.2.1/24 dev eth1
ip -n $LAN addr add 192.0.2.10/24 dev eth0
ip -n $LAN route add default via 192.0.2.1
# What came out of the tunnel at the provider, by source.
ip netns exec $ISP nft -f - <<'NFT'
table ip isp {
  counter fixedsrc {}
  counter lansrc {}
  chain in {
    type filter hook prerouting priority filter;
    iifname "t0" ip saddr 203.0.113.10 icmp type echo-request ip length 228 counter name fixedsrc
    iifname "t0" ip saddr 192.0.2.10 counter name lansrc
  }
}
NFT
counted() { ip netns exec $ISP nft list counter ip isp "$1" | grep -o 'packets [0-9]*' | awk '{print $2}'; }

ip netns exec $ISP python3 "$here/ipip_update_server.py" 2001:db8:ff::80 8080 "$dir/requests" "$dir/fail" \
  >"$dir/http.log" 2>&1 &
http=$!
check "the update server listens" wait_for 30 bash -c "ip netns exec $ISP ss -ltnH 'sport = :8080' | grep -q ."
printf 'user:secret\n' >"$dir/credentials"
chmod 600 "$dir/credentials"
cat >"$dir/ce.yaml" <<YAML
node: ce
control: {socket: $dir/ce.sock}
logging: {target: stderr, level: debug}
sysctl: {net.ipv4.ip_forward: 1}
firewall: {wan_interfaces: [eth0]}
tunnels:
  - name: ipip0
    type: ipip
    wan_interface: eth0
    remote: 2001:db8:ff::1
    interface_id: ::feed
    ipv4_address: 203.0.113.10
    update_url: http://[2001:db8:ff::80]:8080/update?ip6={ipv6}&ip4={ipv4}
    update_credentials: $dir/credentials
    health: {interval: 200ms, down_after: 3, up_after: 2, targets: [198.51.100.1]}
YAML
ce() { "$build/pairgatectl" --socket "$dir/ce.sock" status --json; }
field_is() { ce | python3 -c 'import json,sys; v=eval("json.load(sys.stdin)"+sys.argv[1]); sys.exit(0 if str(v)==sys.argv[2] else 1)' "$1" "$2"; }
requests_for() { grep -c "ip6=$1&ip4=203.0.113.10\"" "$dir/requests" 2>/dev/null; }
ok_requests_for() { grep "ip6=$1&ip4=203.0.113.10\"" "$dir/requests" 2>/dev/null | grep -c '"code": 200'; }
# Evaluated on each try of wait_for: at least N requests (answered 200) for ADDRESS.
requests_at_least() { test "$(requests_for "$1")" -ge "$2"; }
ok_requests_at_least() { test "$(ok_requests_for "$1")" -ge "$2"; }

ip netns exec $CE "$build/pairgated" --config "$dir/ce.yaml" >>"$dir/ce.log" 2>&1 &
pid=$!
check "ready" wait_for 90 grep "pairgated ready" "$dir/ce.log"
check "the link is up" wait_for 20 bash -c "ip -n $CE link show ipip0 | grep -q ',UP'"
check "its local end is the WAN's /64 + ::feed" bash -c "ip -n $CE -6 tunnel show ipip0 | grep -q 'local 2001:db8:1:1::feed'"
check "which pairgated put on the WAN" bash -c "ip -n $CE -6 addr show dev eth0 | grep -q '2001:db8:1:1::feed/128'"
check "203.0.113.10/32 on the link" bash -c "ip -n $CE -4 -o addr show dev ipip0 | grep -q 'inet 203.0.113.10/32'"
check "the update URL was called on start" wait_for 10 ok_requests_at_least 2001:db8:1:1::feed 1
check "with the credentials (HTTP basic)" grep -q '"authorization": "Basic dXNlcjpzZWNyZXQ="' "$dir/requests"
check "on its path" grep -q '"path": "/update"' "$dir/requests"
echo "# pairgated ready $((SECONDS - start)) s after the start"
check "UP" wait_for 30 grep "tunnel ipip0 UP" "$dir/ce.log"
check "the default route goes through the tunnel" bash -c "ip -n $CE -4 route show default | grep -q 'dev ipip0'"
check "status: a success, HTTP 200" field_is '["tunnels"][0]["update"]["http_status"]' 200
check "status: the URL without secrets" field_is '["tunnels"][0]["update"]["url"]' \
  'http://[2001:db8:ff::80]:8080/update?ip6={ipv6}&ip4={ipv4}'
check "status never shows the password" bash -c "! '$build/pairgatectl' --socket '$dir/ce.sock' status --json | grep -q secret"
check "the LAN client reaches 198.51.100.1 through the tunnel" wait_for 10 ip netns exec $LAN ping -c1 -s 200 -W2 198.51.100.1
ip netns exec $LAN ping -c3 -s 200 -i 0.2 -W2 198.51.100.1 >/dev/null
check "from 203.0.113.10 (SNAT)" test "$(counted fixedsrc)" -ge 4
check "never from its own address" test "$(counted lansrc)" -eq 0
echo "# up and checked in $((SECONDS - start)) s"

# Renumbering: the WAN's prefix becomes 2001:db8:1:2::/64.
ip -n $CE addr add 2001:db8:1:2::1/64 dev eth0 nodad
ip -n $CE addr del 2001:db8:1:1::1/64 dev eth0
ip -n $ISP -6 tunnel change t0 mode ipip6 local 2001:db8:ff::1 remote 2001:db8:1:2::feed encaplimit none
check "after renumbering the local end follows" wait_for 10 bash -c "ip -n $CE -6 tunnel show ipip0 | grep -q 'local 2001:db8:1:2::feed'"
check "the new address is on the WAN" bash -c "ip -n $CE -6 addr show dev eth0 | grep -q '2001:db8:1:2::feed/128'"
check "the old one is gone" bash -c "! ip -n $CE -6 addr show dev eth0 | grep -q '2001:db8:1:1::feed'"
check "the update URL was called with the new address" wait_for 10 ok_requests_at_least 2001:db8:1:2::feed 1
check "the LAN client still gets through" wait_for 15 ip netns exec $LAN ping -c1 -W2 198.51.100.1

# A failing server: 503 is retried (5 s, then 10 s ...) and shown.
touch "$dir/fail"
ip -n $CE addr add 2001:db8:1:1::1/64 dev eth0 nodad
ip -n $CE addr del 2001:db8:1:2::1/64 dev eth0
check "the call with the next address fails" wait_for 15 requests_at_least 2001:db8:1:1::feed 2
update_failing() {  # the status of a failed call waiting for its retry
  ce | python3 -c 'import json,sys; u=json.load(sys.stdin)["tunnels"][0]["update"]; print(u, file=sys.stderr)
sys.exit(0 if u["http_status"]==503 and u["error"]=="HTTP status 503" and u["failures"]>=1 and u["retry_in_s"] is not None else 1)'
}
check "status: HTTP 503, the error, a failure counted, a retry due" wait_for 10 update_failing
check "it is retried" wait_for 15 requests_at_least 2001:db8:1:1::feed 3
rm -f "$dir/fail"
check "and succeeds once the server answers" wait_for 60 field_is '["tunnels"][0]["update"]["error"]' None
check "status: HTTP 200 again" field_is '["tunnels"][0]["update"]["http_status"]' 200
check "the log says so" grep -q "update URL .* failed: HTTP status 503; retrying in 5 s" "$dir/ce.log"

# HTTPS: a server whose certificate is self-signed (as an attacker's would
# be) is refused by libcurl's default checks, before any request is sent.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=update.example" \
  -addext "subjectAltName=IP:2001:db8:ff::80" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
ip netns exec $ISP python3 "$here/ipip_update_server.py" 2001:db8:ff::80 8443 "$dir/tls-requests" "$dir/fail" \
  "$dir/cert.pem" "$dir/key.pem" >"$dir/https.log" 2>&1 &
https=$!
check "the HTTPS update server listens" wait_for 30 bash -c "ip netns exec $ISP ss -ltnH 'sport = :8443' | grep -q ."
sed -i 's|update_url: http://\[2001:db8:ff::80\]:8080/|update_url: https://[2001:db8:ff::80]:8443/|' "$dir/ce.yaml"
kill -HUP "$pid"
tls_refused() {
  ce | python3 -c 'import json,sys; u=json.load(sys.stdin)["tunnels"][0]["update"]
sys.exit(0 if u["url"].startswith("https://") and u["error"] and "certificate" in u["error"] and u["failures"] >= 1 else 1)'
}
check "an untrusted certificate: the call fails and the status says why" wait_for 30 tls_refused
echo "# https: $(ce | python3 -c 'import json,sys; print(json.load(sys.stdin)["tunnels"][0]["update"]["error"])')"
check "no request reached the server" test ! -s "$dir/tls-requests"

kill -TERM "$pid"
check "stops with 0" wait "$pid"
pid=
check "the link is gone" fails ip -n $CE link show ipip0
check "the WAN address it added is gone" bash -c "! ip -n $CE -6 addr show dev eth0 | grep -q '::feed'"
echo "# requests:"; cat "$dir/requests"
echo "# took $((SECONDS - start)) s"
summary || { echo "== ce"; tail -80 "$dir/ce.log"; exit 1; }
