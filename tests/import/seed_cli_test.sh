#!/usr/bin/env bash
# pairgatectl import on the seed's own files, through the command line: for
# beagle and primergy, the import exits 0, its warnings are FILE:LINE lines,
# it passes `pairgated --check`, and `pairgated --print-config` of it and of
# ../shared/design/<host>.yaml differ in exactly what tests/import/expected/
# <host>.diff lists (what the seed's files do not say). Also the exit
# statuses of a root with nothing to import and of a wrong command line.
# Usage: seed_cli_test.sh BUILD_DIR. Needs no root.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "$here/../../../shared" 2>/dev/null && pwd) || { echo "no ../shared beside the checkout"; exit 77; }
# shellcheck source=tests/integration/lib.sh
source "$here/../integration/lib.sh"
dir=$(mktemp -d)
cleanup() { rm -rf "$dir"; }
arm_cleanup 60

for host in beagle primergy; do
  root=$here/fixtures/$host
  "$build/pairgatectl" import --root "$root" >"$dir/$host.yaml" 2>"$dir/$host.err"
  check "$host: import exits 0" test $? -eq 0
  check "$host: every warning is FILE:LINE: warning: ..." \
    bash -c "! grep -Ev '^$root/[^ :]+(:[0-9]+)?: warning: ' '$dir/$host.err'"
  check "$host: the result passes --check" "$build/pairgated" --config "$dir/$host.yaml" --check
  "$build/pairgated" --config "$shared/design/$host.yaml" --print-config >"$dir/$host.design"
  "$build/pairgated" --config "$dir/$host.yaml" --print-config >"$dir/$host.imported"
  diff -U1 "$dir/$host.design" "$dir/$host.imported" | tail -n +3 | sed 's/^@@.*@@$/@@/' >"$dir/$host.diff"
  grep -v '^#' "$here/expected/$host.diff" >"$dir/$host.expected"
  if diff -u "$dir/$host.expected" "$dir/$host.diff" >"$dir/$host.meta"; then
    check "$host: equal in meaning to the design but for what the seed does not say" true
  else
    check "$host: equal in meaning to the design but for what the seed does not say" false
    sed 's/^/    /' "$dir/$host.meta"
  fi
done

for host in beagle primergy; do
  check "docs/examples/$host.yaml (the package's example) is ../shared/design/$host.yaml" \
    cmp "$here/../../docs/examples/$host.yaml" "$shared/design/$host.yaml"
done

"$build/pairgatectl" import --root "$here/fixtures/beagle/usr" --node x >"$dir/none.yaml" 2>"$dir/none.err"
check "nothing to import exits 1" test $? -eq 1
check "... and prints nothing on stdout" test ! -s "$dir/none.yaml"
"$build/pairgatectl" import --no-such-option >/dev/null 2>&1
check "a wrong command line exits 64" test $? -eq 64
summary
