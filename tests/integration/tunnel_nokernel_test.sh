#!/usr/bin/env bash
# pairgated with a tunnel on a kernel without ip6_tunnel (this host's):
# one clear error in the log and in status, no crash, no retry storm, and
# VRRP tracking the tunnel sits in FAULT. On a kernel that has the module
# the guest tests cover the tunnel and this one has nothing to check: it
# exits 77, which ctest reports as skipped (SKIP_RETURN_CODE), never a pass.
# Usage: tunnel_nokernel_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
if [[ -d /sys/module/ip6_tunnel ]] || modprobe -q ip6_tunnel 2>/dev/null; then
  echo "skipped: this kernel has ip6_tunnel, so there is no missing module to report (tests/guest/tunnel_*_test.sh cover the tunnel)"
  exit 77
fi
id="pgk$$-$RANDOM"
A=$id-a B=$id-b
dir=$(mktemp -d /tmp/pairgate-tunnel.XXXXXX)
pid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  del_namespaces $A $B
  rm -rf "$dir"
}
arm_cleanup 100

add_namespaces $A $B
ip -n $A link add wan0 type veth peer name eth0 netns $B
ip -n $A addr add 192.0.2.3/24 dev wan0
ip -n $A addr add 2001:db8:1::3/64 dev wan0 nodad
ip -n $A link set wan0 up
ip -n $B link set eth0 up
cat >"$dir/a.yaml" <<YAML
node: a
control: {socket: $dir/a.sock}
logging: {target: stderr, level: debug}
vrrp:
  instances:
    - {name: VRRP1, interface: wan0, vrid: 1, priority: 200, virtual_addresses: [192.0.2.2/24],
       track: [{tunnel: ip6tnl1}]}
tunnels:
  - name: ip6tnl1
    wan_interface: wan0
    aftr: [2001:db8:a::1, 2001:db8:a::2]
    health: {interval: 200ms, targets: [203.0.113.1]}
YAML
ip netns exec $A "$build/pairgated" --config "$dir/a.yaml" >"$dir/a.log" 2>&1 &
pid=$!
status() { "$build/pairgatectl" --socket "$dir/a.sock" status --json; }
reason_is() { status | python3 -c 'import json,sys; t=json.load(sys.stdin)["tunnels"][0]; sys.exit(0 if t["state"]=="DOWN" and t["reason"]==sys.argv[1] else 1)' "$1"; }
vrrp_state() { status | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["vrrp"][0]["state"]==sys.argv[1] else 1)' "$1"; }
check "pairgated ready" wait_for 10 grep "pairgated ready" "$dir/a.log"
check "status says the kernel lacks ip6_tunnel" wait_for 5 reason_is "kernel lacks ip6_tunnel (CONFIG_IPV6_TUNNEL)"
check "VRRP1 tracking the tunnel is FAULT" wait_for 5 vrrp_state FAULT
sleep 3
check "one error line, no retries" test "$(grep -c 'kernel lacks ip6_tunnel' "$dir/a.log")" -eq 1
check "no link named ip6tnl1" fails ip -n $A link show ip6tnl1
check "still running" kill -0 $pid
sed -i 's/interval: 200ms/interval: 300ms/' "$dir/a.yaml"
kill -HUP $pid
tries() { test "$(grep -c 'cannot create the link' "$dir/a.log")" -eq "$1"; }
check "a reload that changes the tunnel tries once more" wait_for 5 tries 2
kill -TERM $pid
wait $pid
check "exit 0 on SIGTERM" test $? -eq 0
pid=
summary || { cat "$dir/a.log"; exit 1; }
