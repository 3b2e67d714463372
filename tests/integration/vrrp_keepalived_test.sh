#!/usr/bin/env bash
# pairgated and Debian's keepalived as the two routers of one VRID, each in
# both roles: election, host-loss failover and preemption across the two.
# Usage: vrrp_keepalived_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
command -v keepalived >/dev/null || { echo "keepalived missing: scripts/setup installs it"; echo "0 passed, 1 failed"; exit 1; }
id="pgk$$-$RANDOM"
SW=$id-sw P=$id-p K=$id-k C=$id-c
dir=$(mktemp -d /tmp/pairgate-ka.XXXXXX)
ppid_= kpid=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $ppid_ ]] && kill -9 "$ppid_" 2>/dev/null
  [[ -n $kpid ]] && kill -9 "$kpid" 2>/dev/null
  del_namespaces $SW $P $K $C
  rm -rf "$dir"
}
arm_cleanup

add_namespaces $SW $P $K $C
bridge $SW $P $K $C
ip -n "$P" addr add 192.0.2.3/24 dev eth0
ip -n "$K" addr add 192.0.2.4/24 dev eth0
ip -n "$C" addr add 192.0.2.10/24 dev eth0

has_vip() { ip -n "$1" -4 addr show dev eth0 | grep -q "192.0.2.2/24"; }
no_vip() { ! has_vip "$1"; }
pg_state() { "$build/pairgatectl" --socket "$dir/pg.sock" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['vrrp'][0]['state'])"; }
pg_is() { [[ $(pg_state) == "$1" ]]; }

start_pg() {  # start_pg PRIORITY
  cat >"$dir/pg.yaml" <<YAML
node: pg
control: {socket: $dir/pg.sock}
logging: {target: stderr}
vrrp:
  instances:
    - {name: V1, interface: eth0, vrid: 1, priority: $1, auth_pass: secret, virtual_addresses: [192.0.2.2/24]}
YAML
  ip netns exec "$P" "$build/pairgated" --config "$dir/pg.yaml" >>"$dir/pg.log" 2>&1 &
  ppid_=$!
  wait_for 5 test -S "$dir/pg.sock"
}
start_ka() {  # start_ka PRIORITY
  cat >"$dir/ka.conf" <<KA
global_defs { router_id ka; enable_script_security }
vrrp_instance V1 {
  state BACKUP
  interface eth0
  virtual_router_id 1
  priority $1
  advert_int 1
  authentication { auth_type PASS
    auth_pass secret }
  virtual_ipaddress { 192.0.2.2/24 }
}
KA
  ip netns exec "$K" keepalived -n -l -D -f "$dir/ka.conf" -p "$dir/ka.pid" -r "$dir/ka-vrrp.pid" >>"$dir/ka.log" 2>&1 &
  kpid=$!
}
stop_all() {
  [[ -n $ppid_ ]] && kill -TERM "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
  [[ -n $kpid ]] && kill -TERM "$kpid" 2>/dev/null && wait "$kpid" 2>/dev/null
  ppid_= kpid=
  for _ in $(seq 30); do [[ -z $(ip netns pids "$K") ]] && break; sleep 0.1; done
  rm -f "$dir/ka.pid" "$dir/ka-vrrp.pid"
  sleep 0.5
}

echo "-- pairgated 200 (master), keepalived 100 (backup)"
start_ka 100
start_pg 200
check "pairgated wins the election" wait_for 8 pg_is MASTER
check "keepalived stays backup: no address on it" wait_for 3 no_vip "$K"
check "pairgated holds the address" has_vip "$P"
check "the client reaches it" ip netns exec "$C" ping -c1 -W1 192.0.2.2
check "keepalived logs BACKUP" grep -q "(V1) Entering BACKUP STATE" "$dir/ka.log"
check "keepalived saw no bad adverts" sh -c "! grep -qiE 'invalid|mismatch|bad|error' $dir/ka.log"
kill -9 "$ppid_"; wait "$ppid_" 2>/dev/null; ppid_=
ip -n "$P" addr del 192.0.2.2/24 dev eth0 2>/dev/null  # a dead host keeps nothing
check "host loss: keepalived takes over" wait_for 6 has_vip "$K"
check "the client reaches keepalived" ip netns exec "$C" ping -c1 -W1 192.0.2.2
start_pg 200
check "preemption: pairgated takes it back" wait_for 8 pg_is MASTER
check "and keepalived lets go" wait_for 3 no_vip "$K"
stop_all

echo "-- keepalived 200 (master), pairgated 100 (backup)"
start_pg 100
start_ka 200
check "keepalived wins the election" wait_for 8 has_vip "$K"
check "pairgated is BACKUP" wait_for 3 pg_is BACKUP
check "pairgated follows keepalived's master" sh -c "$build/pairgatectl --socket $dir/pg.sock status --json | grep -q '\"master\": \"192.0.2.4\"'"
check "pairgated dropped none of keepalived's adverts" python3 -c "
import json, subprocess, sys
s = json.loads(subprocess.check_output(['$build/pairgatectl', '--socket', '$dir/pg.sock', 'status', '--json']))
d = s['vrrp'][0]['counters']['drops']
bad = {k: v for k, v in d.items() if v and k != 'own_advert'}
sys.exit(1 if bad else 0)"
# Host loss: every keepalived process at once (the VRRP child too, or it
# resigns with priority 0 and the test would measure a graceful stop).
ip netns pids "$K" | xargs -r kill -9
wait "$kpid" 2>/dev/null
kpid=
rm -f "$dir/ka.pid" "$dir/ka-vrrp.pid"
ip -n "$K" addr del 192.0.2.2/24 dev eth0 2>/dev/null
check "host loss: pairgated takes over" wait_for 6 pg_is MASTER
check "pairgated holds the address" has_vip "$P"
start_ka 200
check "preemption: keepalived takes it back" wait_for 8 has_vip "$K"
check "pairgated goes BACKUP and lets go" wait_for 3 no_vip "$P"
stop_all

((failed)) && tail -n 25 "$dir/pg.log" "$dir/ka.log"
summary
