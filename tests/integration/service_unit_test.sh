#!/usr/bin/env bash
# scripts/pairgate.service passes systemd-analyze verify, pointed at the built
# binaries, with no warning at all.
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/sbin/|$build/|g" "$src/scripts/pairgate.service" >"$dir/pairgate.service"
out=$(systemd-analyze verify "$dir/pairgate.service" 2>&1 || true)
if [[ -n $out ]]; then
  echo "$out"
  echo "0 passed, 1 failed"
  exit 1
fi
for key in Type=notify ExecReload= "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE" \
  ProtectSystem=strict StateDirectory=pairgate RuntimeDirectory=pairgate WatchdogSec=; do
  grep -q "^$key" "$dir/pairgate.service" || { echo "missing $key"; echo "0 passed, 1 failed"; exit 1; }
done
echo "1 passed, 0 failed"
