#!/usr/bin/env bash
# Two pairgated started in the same instant on the same control socket,
# left stale by a killed daemon: exactly one runs, the other says "another
# pairgated is running" and exits 1. Forty pairs, each with its own socket.
# (Before the lock beside the socket, both could find the socket stale,
# both unlink it and both bind: seen in 1 of 40 pairs.)
# Usage: control_lock_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
ns="pgl$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-lock.XXXXXX)
pairs=${PAIRGATE_LOCK_PAIRS:-40}
source "$(dirname "$0")/lib.sh"
cleanup() {
  del_namespaces "$ns"
  rm -rf "$dir"
}
arm_cleanup 200
add_namespaces "$ns"

# A socket file nobody accepts on, as a SIGKILLed daemon leaves it.
stale() { /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"; }

both_ran=0 none_ran=0 one_ran=0
for i in $(seq "$pairs"); do
  sock=$dir/p$i.sock
  printf 'node: p%s\ncontrol: {socket: %s}\nlogging: {target: stderr, level: info}\n' "$i" "$sock" >"$dir/p$i.yaml"
  stale "$sock"
  # Both from one shell in the namespace, so they start microseconds apart.
  ip netns exec "$ns" bash -c '
    "$1" --config "$2" >"$3.a" 2>&1 & a=$!
    "$1" --config "$2" >"$3.b" 2>&1 & b=$!
    echo "$a $b" >"$3.pids"
    wait' _ "$build/pairgated" "$dir/p$i.yaml" "$dir/p$i.log" &
  runner=$!
  wait_for 5 test -s "$dir/p$i.log.pids"
  read -r a b <"$dir/p$i.log.pids"
  # The loser exits within moments; the winner says it is ready.
  wait_for 10 bash -c "grep -q 'pairgated ready' '$dir/p$i.log.a' '$dir/p$i.log.b' && ! { kill -0 $a 2>/dev/null && kill -0 $b 2>/dev/null; }"
  sleep 0.2
  alive=0
  for p in $a $b; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  case $alive in
    1) one_ran=$((one_ran + 1)) ;;
    2) both_ran=$((both_ran + 1)); echo "# pair $i: both run" ;;
    *) none_ran=$((none_ran + 1)); echo "# pair $i: neither runs"; cat "$dir/p$i.log.a" "$dir/p$i.log.b" ;;
  esac
  if ((alive == 1)); then
    loser=$(grep -l "another pairgated is running" "$dir/p$i.log.a" "$dir/p$i.log.b" | wc -l)
    ((loser == 1)) || { echo "# pair $i: the loser did not say why"; cat "$dir/p$i.log.a" "$dir/p$i.log.b"; one_ran=$((one_ran - 1)); }
  fi
  kill -TERM "$a" "$b" 2>/dev/null
  wait "$runner" 2>/dev/null
done
echo "# $pairs pairs: one ran in $one_ran, both in $both_ran, neither in $none_ran"
check "exactly one daemon of each of the $pairs pairs ran (the other refused, saying why)" test "$one_ran" -eq "$pairs"
check "no pair had both running" test "$both_ran" -eq 0
summary
