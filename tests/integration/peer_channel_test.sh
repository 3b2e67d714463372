#!/usr/bin/env bash
# The peer channel between two pairgated, beagle and primergy, on one LAN
# with a stranger beside them: --check's key file rules; one connection and
# in-sync; a stranger's connections, garbage, a recorded session replayed
# from primergy's own address and a flood of handshakes are refused and
# counted; a wrong key; a partition with nftables on the peer port; kill -9
# and restart. Usage: peer_channel_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl
stranger_py=$here/peer_stranger.py

id="ppc$$-$RANDOM"
sw=$id-sw beagle=$id-b primergy=$id-p stranger=$id-x
all=("$sw" "$beagle" "$primergy" "$stranger")
dir=$(mktemp -d /tmp/pairgate-peer-channel.XXXXXX)
declare -A pid
source "$here/lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces "${all[@]}"
  if ((${failed:-0} > 0)); then
    for n in beagle primergy; do echo "--- $n log"; tail -n 40 "$dir/$n.log"; done
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$dir"
}
arm_cleanup 230

add_namespaces "${all[@]}"
bridge "$sw" "$beagle" "$primergy" "$stranger"
ip -n "$beagle" addr add 198.51.100.2/24 dev eth0
ip -n "$primergy" addr add 198.51.100.3/24 dev eth0
ip -n "$stranger" addr add 198.51.100.66/24 dev eth0

head -c 32 /dev/urandom | base64 >"$dir/beagle.key"
cp "$dir/beagle.key" "$dir/primergy.key"
chmod 600 "$dir"/*.key
config() {  # config NODE PEER
  cat <<YAML
node: $1
control: {socket: $dir/$1.sock}
logging: {target: stderr, level: debug}
peer:
  address: $2
  key_file: $dir/$1.key
YAML
}
config beagle 198.51.100.3 >"$dir/beagle.yaml"
config primergy 198.51.100.2 >"$dir/primergy.yaml"

# --check and the key file.
check "--check accepts the pair's files" "$pairgated" --config "$dir/beagle.yaml" --check
cp -p "$dir/beagle.key" "$dir/open.key"
chmod 644 "$dir/open.key"
printf 'only thirty-one bytes of secret' >"$dir/short.key"
chmod 600 "$dir/short.key"
check_key() {  # check_key FILE MESSAGE: --check fails naming the key file with MESSAGE
  sed "s|key_file: .*|key_file: $1|" "$dir/beagle.yaml" >"$dir/bad.yaml"
  local out
  out=$("$pairgated" --config "$dir/bad.yaml" --check 2>&1)
  [[ $? == 1 ]] && grep -F "error: peer.key_file: $1: $2" <<<"$out"
}
check "--check refuses a world-readable key file" check_key "$dir/open.key" "mode 0644 lets group or others read"
check "--check refuses a short key file" check_key "$dir/short.key" "it holds 31 bytes; the secret needs at least 32"
check "--check refuses a missing key file" check_key "$dir/none.key" "cannot open it: No such file or directory"

start() {  # start NODE
  local ns=${!1}
  ip netns exec "$ns" "$pairgated" --config "$dir/$1.yaml" >>"$dir/$1.log" 2>&1 &
  pid[$1]=$!
}
peer() {  # peer NODE PYTHON-EXPRESSION-OF-p: prints it
  "$ctl" --socket "$dir/$1.sock" status --json 2>/dev/null |
    python3 -c "import json, sys; p = json.load(sys.stdin).get('peer', {}); print($2)"
}
state_is() { [[ $(peer "$1" 'p.get("state")') == "$2" ]]; }
rejected() { peer "$1" "p['rejected']['$2']"; }
established() {  # connections on the peer port in NS
  ip netns exec "$1" ss -Htn state established '( sport = :6470 or dport = :6470 )' | wc -l
}
# For wait_for, which runs its command again each time: the counts are read
# afresh (a "$(...)" argument would be read once, before the wait).
rejected_at_least() { test "$(rejected "$1" "$2")" -ge "$3"; }
established_is() { test "$(established "$1")" -eq "$2"; }

start beagle
start primergy
check "beagle is in-sync with primergy" wait_for 10 state_is beagle in-sync
check "primergy is in-sync with beagle" wait_for 5 state_is primergy in-sync
check "beagle names its peer" test "$(peer beagle 'p["node"]')" = primergy
sleep 1.5
check "one connection between them" test "$(established "$beagle")" -eq 1

check "pings measure the round trip" test "$(peer beagle 'p["rtt_ms"] is not None and p["messages"]["in"] > 0 and p["messages"]["out"] > 0')" = True
check "pairgatectl status has the peer line" \
  grep -E '^PEER primergy \(198\.51\.100\.3\): in-sync for [0-9]+m [0-9]+s, rtt [0-9.]+ ms, backlog 0, rejected 0$' \
  <<<"$("$ctl" --socket "$dir/beagle.sock" status)"

# A stranger at its own address: refused before a byte is read.
ip netns exec "$stranger" python3 "$stranger_py" forge 198.51.100.66 198.51.100.2 6470 garbage >/dev/null 2>&1
check "a stranger's connection is refused (unknown_source)" test "$(rejected beagle unknown_source)" -ge 1
check "beagle logged it" grep -q "peer: rejected (unknown_source): a connection from 198.51.100.66" "$dir/beagle.log"

# Record what primergy says when it dials: restart it and sniff.
kill -9 "${pid[primergy]}"
wait_for 3 state_is beagle down
ip netns exec "$sw" python3 "$stranger_py" record p2 198.51.100.3 198.51.100.2 6470 4 "$dir/recorded" >/dev/null &
sniffer=$!
wait_for 10 test -e "$dir/recorded.ready"
start primergy
wait "$sniffer"
check "primergy's dial was recorded" test "$(stat -c %s "$dir/recorded")" -gt 64
check "primergy is back in sync after kill -9 and restart" wait_for 5 state_is beagle in-sync

# The stranger takes primergy's own address while primergy is gone.
kill -9 "${pid[primergy]}"
check "kill -9: beagle is down at once" wait_for 2 state_is beagle down
sessions_before=$(peer beagle 'p["connections"]["sessions"]')
ip -n "$stranger" addr add 198.51.100.3/24 dev eth0
ip -n "$beagle" neigh flush dev eth0
auth_before=$(rejected beagle bad_auth)
ip netns exec "$stranger" python3 "$stranger_py" replay 198.51.100.3 198.51.100.2 6470 "$dir/recorded" >/dev/null 2>&1
check "a replayed session does not authenticate (bad_auth)" test "$(rejected beagle bad_auth)" -gt "$auth_before"
ip netns exec "$stranger" python3 "$stranger_py" forge 198.51.100.3 198.51.100.2 6470 greeting >/dev/null 2>&1
check "a forged frame does not authenticate" test "$(rejected beagle bad_auth)" -gt $((auth_before + 1))
ip netns exec "$stranger" python3 "$stranger_py" forge 198.51.100.3 198.51.100.2 6470 http >/dev/null 2>&1
check "an HTTP request is not a greeting (bad_greeting)" test "$(rejected beagle bad_greeting)" -ge 1
ip netns exec "$stranger" python3 "$stranger_py" forge 198.51.100.3 198.51.100.2 6470 flood >/dev/null 2>&1
check "a flood of handshakes is bounded (busy)" test "$(rejected beagle busy)" -gt 100
check "no forged session came up" test "$(peer beagle 'p["connections"]["sessions"]')" -eq "$sessions_before"
check "beagle stayed down while primergy was away" state_is beagle down
check "rejections are logged with a limit" test "$(grep -c 'peer: rejected (busy)' "$dir/beagle.log")" -le 3
ip -n "$stranger" addr del 198.51.100.3/24 dev eth0
ip -n "$beagle" neigh flush dev eth0
start primergy
check "primergy comes back" wait_for 8 state_is beagle in-sync

# A wrong key on primergy: nothing authenticates; the right one again heals.
head -c 32 /dev/urandom | base64 >"$dir/primergy.key"
kill -HUP "${pid[primergy]}"
check "with a wrong key the channel goes down" wait_for 5 state_is beagle down
check "both sides count bad_auth" wait_for 8 rejected_at_least primergy bad_auth 1
check "it stays down" fails wait_for 3 state_is beagle in-sync
cp "$dir/beagle.key" "$dir/primergy.key"
kill -HUP "${pid[primergy]}"
check "the right key again: in-sync" wait_for 8 state_is beagle in-sync

# A partition on the peer port only.
ip netns exec "$primergy" nft -f - <<'NFT'
table inet cut {
  chain input { type filter hook input priority 0; tcp dport 6470 drop; tcp sport 6470 drop; }
  chain output { type filter hook output priority 0; tcp dport 6470 drop; tcp sport 6470 drop; }
}
NFT
check "a partition is noticed within 5 s" wait_for 6 state_is beagle down
check "as silence (nothing heard for 4000 ms)" test "$(peer beagle 'p["reason"]')" = "nothing heard for 4000 ms"
check "primergy sees it too" wait_for 2 state_is primergy down
ip netns exec "$primergy" nft delete table inet cut
check "the partition heals" wait_for 8 state_is beagle in-sync
check "and again one connection" wait_for 5 established_is "$beagle" 1

# Events and a clean stop.
check "state changes are logged" grep -q "peer primergy: in-sync -> down" "$dir/beagle.log"
for n in beagle primergy; do
  kill -TERM "${pid[$n]}"
  wait "${pid[$n]}"
  check "$n exits 0 on SIGTERM" test $? -eq 0
  unset "pid[$n]"
done
summary
