#!/usr/bin/env bash
# Runs a test binary as root inside two fresh network namespaces joined by a
# veth pair, and removes them afterwards whatever happens:
#   A: pga0 198.51.100.5/24 2001:db8:5::5/64     (the binary runs here)
#   B: pgb0 198.51.100.6/24 2001:db8:5::6/64     (named in PG_PEER_NS)
set -euo pipefail
binary=$1
shift
id="pg$$-$RANDOM"
a="$id-a"
b="$id-b"
source "$(dirname "$0")/../integration/lib.sh"
cleanup() { del_namespaces "$a" "$b"; }
arm_cleanup 100  # ctest allows these 120 s
add_namespaces "$a" "$b"
ip -n "$a" link add pga0 type veth peer name pgb0 netns "$b"
ip -n "$a" addr add 198.51.100.5/24 dev pga0
ip -n "$b" addr add 198.51.100.6/24 dev pgb0
ip -n "$a" addr add 2001:db8:5::5/64 dev pga0 nodad
ip -n "$b" addr add 2001:db8:5::6/64 dev pgb0 nodad
ip -n "$a" link set pga0 up
ip -n "$b" link set pgb0 up
PG_NS="$a" PG_PEER_NS="$b" PG_IF=pga0 PG_PEER_IF=pgb0 ip netns exec "$a" "$binary" "$@"
