#!/usr/bin/env bash
# The guest that scripts/vmtest boots can carry the tunnel tests: Debian's
# kernel loads ip6_tunnel, and a B4 and an AFTR (RFC 6333: 192.0.0.2 and
# 192.0.0.1 over an ip6tnl softwire across a 2001:db8:: underlay) in two
# namespaces carry IPv4 pings to 203.0.113.1, a host behind the AFTR in a
# third. Also sit, ipip, dummy and nftables, and exit statuses through
# ip netns exec. Usage: vmtest_smoke_test.sh BUILD_DIR
#
# ctest runs it through scripts/vmtest (label guest). Run directly on the
# host, it first checks vmtest itself from the outside (exit statuses,
# arguments, both output streams, the working directory, the environment,
# no writes reaching the host) and then runs itself through vmtest.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/../integration/lib.sh"

# exits STATUS COMMAND...: COMMAND exits with STATUS.
exits() {
  local want=$1
  shift
  "$@"
  (($? == want))
}

if [[ -z ${PAIRGATE_VMTEST_GUEST:-} ]]; then
  vmtest=$here/../../scripts/vmtest
  out=$(mktemp -d /var/tmp/pairgate-vmtest-smoke.XXXXXX)
  # shellcheck disable=SC2317 # run by the EXIT trap
  cleanup() { rm -rf "$out"; }
  arm_cleanup 500
  check "vmtest true exits 0" exits 0 "$vmtest" true
  check "vmtest false exits 1" exits 1 "$vmtest" false
  check "vmtest sh -c 'exit 7' exits 7" exits 7 "$vmtest" sh -c 'exit 7'
  check "an unknown command exits 127" exits 127 "$vmtest" no-such-command-here
  # shellcheck disable=SC2016 # expanded in the guest, or never
  "$vmtest" sh -c 'printf "<%s>" "$@"; echo to-stderr >&2' - 'a b' '' "c'd" '$HOME' '*' >"$out/stdout" 2>"$out/stderr"
  check "arguments arrive as given" test "$(cat "$out/stdout")" = "<a b><><c'd><\$HOME><*>"
  check "stderr comes back apart from stdout" test "$(cat "$out/stderr")" = to-stderr
  check "the working directory is the caller's" test "$(cd "$build" && "$vmtest" pwd)" = "$build"
  # shellcheck disable=SC2016 # expanded in the guest
  check "PAIRGATE_* and ASAN_OPTIONS pass, others do not" test \
    "$(PAIRGATE_SMOKE='x y' ASAN_OPTIONS=a=1 SMOKE_OTHER=1 "$vmtest" sh -c 'echo "$PAIRGATE_SMOKE|$ASAN_OPTIONS|${SMOKE_OTHER:-}"')" = "x y|a=1|"
  check "writes stay in the guest" exits 0 "$vmtest" touch "$out/from-guest"
  check "... and do not reach the host" test ! -e "$out/from-guest"
  echo "# the same script inside the guest:"
  if "$vmtest" "$here/vmtest_smoke_test.sh" "$build" 2>&1 | sed 's/^/  /'; then
    passed=$((passed + 1))
    echo "ok   the guest part"
  else
    failed=$((failed + 1))
    echo "FAIL the guest part"
  fi
  summary
  exit
fi

id="pgv$$-$RANDOM"
B4=$id-b4 AFTR=$id-aftr INET=$id-inet
cleanup() { del_namespaces "$B4" "$AFTR" "$INET"; }
arm_cleanup 300

echo "# guest kernel $(uname -r)"
if ! modprobe ip6_tunnel; then
  echo "FAIL modprobe ip6_tunnel: not in a vmtest guest?"
  exit 1
fi
check "modprobe ip6_tunnel" grep '^ip6_tunnel ' /proc/modules
check "the build directory is visible" test -d "$build"

add_namespaces "$B4" "$AFTR" "$INET"
# Underlay: the B4's WAN and the AFTR on one IPv6 link.
ip -n "$B4" link add wan0 type veth peer name wan0 netns "$AFTR"
ip -n "$B4" addr add 2001:db8:5:1::2/64 dev wan0 nodad
ip -n "$AFTR" addr add 2001:db8:5:1::1/64 dev wan0 nodad
# The softwire: IPv4 in IPv6, 192.0.0.2 (B4) to 192.0.0.1 (AFTR).
ip -n "$B4" link add dslite0 type ip6tnl mode ipip6 local 2001:db8:5:1::2 remote 2001:db8:5:1::1 encaplimit none
ip -n "$AFTR" link add dslite0 type ip6tnl mode ipip6 local 2001:db8:5:1::1 remote 2001:db8:5:1::2 encaplimit none
ip -n "$B4" addr add 192.0.0.2/29 dev dslite0
ip -n "$AFTR" addr add 192.0.0.1/29 dev dslite0
# The IPv4 Internet behind the AFTR: one host, 203.0.113.1.
ip -n "$AFTR" link add inet0 type veth peer name eth0 netns "$INET"
ip -n "$AFTR" addr add 203.0.113.254/24 dev inet0
ip -n "$INET" addr add 203.0.113.1/24 dev eth0
for link in "$B4 wan0" "$B4 dslite0" "$AFTR wan0" "$AFTR dslite0" "$AFTR inet0" "$INET eth0"; do
  read -r ns dev <<<"$link"
  ip -n "$ns" link set "$dev" up
done
ip -n "$B4" route add default dev dslite0
ip -n "$INET" route add 192.0.0.0/29 via 203.0.113.254
ip netns exec "$AFTR" sysctl -qw net.ipv4.ip_forward=1

rx() { ip netns exec "$AFTR" cat /sys/class/net/dslite0/statistics/rx_packets; }
check "the IPv6 underlay answers" wait_for 10 ip netns exec "$B4" ping -6 -c1 -W1 2001:db8:5:1::1
check "the B4's link is ip6tnl ipip6, encaplimit none" \
  bash -c "ip -n '$B4' -d link show dslite0 | grep 'ip6tnl ipip6 remote 2001:db8:5:1::1 local 2001:db8:5:1::2 .*encaplimit none'"
check "the B4 reaches the AFTR's 192.0.0.1 through the softwire" wait_for 10 ip netns exec "$B4" ping -c1 -W1 192.0.0.1
before=$(rx)
check "the B4 reaches 203.0.113.1 behind the AFTR" ip netns exec "$B4" ping -c3 -i0.2 -W2 203.0.113.1
check "... through the tunnel (the AFTR's dslite0 counted them)" test "$(rx)" -ge $((before + 3))
check "a failing command fails: 198.18.0.1 is nowhere" fails ip netns exec "$B4" ping -c1 -W1 198.18.0.1
check "exit statuses survive ip netns exec" exits 3 ip netns exec "$B4" sh -c 'exit 3'
check "sit, ipip and dummy links" bash -c "
  ip -n '$INET' link add sit1 type sit local 203.0.113.1 remote 192.0.2.1 &&
  ip -n '$INET' link add ipip1 type ipip local 203.0.113.1 remote 192.0.2.1 &&
  ip -n '$INET' link add dummy1 type dummy"
check "nftables in a namespace" ip netns exec "$AFTR" nft add table inet smoke
cleanup
check "the namespaces are gone" bash -c "! ip netns list | grep '$id'"
summary
