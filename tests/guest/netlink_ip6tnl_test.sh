#!/usr/bin/env bash
# The netlink adapter's ip6tnl test where the kernel has ip6_tunnel: on this
# project's CI host it has not, so ctest runs this through scripts/vmtest and
# the test that skips on the host (naming why) runs in full here; it must not
# skip. Usage: netlink_ip6tnl_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
modprobe ip6_tunnel || { echo "FAIL no ip6_tunnel even in the guest"; exit 1; }
out=$("$here/../netns/run_in_netns.sh" "$build/tests/netns_netlink_test" \
  --gtest_filter='*Ip6Tunnel*' 2>&1)
rc=$?
echo "$out"
if grep -E '\[  SKIPPED \]' <<<"$out" >/dev/null; then
  echo "FAIL the ip6tnl test skipped in the guest"
  exit 1
fi
((rc == 0)) && grep -E '\[  PASSED  \] 1 test' <<<"$out" >/dev/null && echo "1 passed, 0 failed" && exit 0
echo "0 passed, 1 failed"
exit 1
