# Shared by the DHCP lease-sync scripts (dhcp_failover_test.sh,
# dhcp_partition_test.sh); sourced after lib.sh, never run. Expects $dir,
# $pairgated, $ctl, $sw and the associative array pid to be set.
#
# Clients: each in its own namespace on the switch's bridge, busybox udhcpc
# or ISC dhclient running in the foreground, with a script that puts the
# address on eth0 (so renewals go out unicast from it, as on a real host)
# and logs every event as "SECONDS EVENT ADDRESS SERVER" to $dir/NAME.events.

declare -a client_ns=() client_kind=()
declare -A client_pid=()

# add_client NAME udhcpc|dhclient: a namespace $id-NAME on the bridge.
add_client() {
  local name=$1 kind=$2 ns=$id-$1 port
  add_namespaces "$ns"
  port=c${#client_ns[@]}
  ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$sw" link set "$port" master br0 up
  ip -n "$ns" link set eth0 address "02:00:00:00:$(printf '%02x' $((${#client_ns[@]} / 256))):$(printf '%02x' $((${#client_ns[@]} % 256)))"
  ip -n "$ns" link set eth0 up
  client_ns+=("$name")
  client_kind+=("$kind")
  local log=$dir/$name.events
  if [[ $kind == udhcpc ]]; then
    cat >"$dir/$name.script" <<SH
#!/bin/sh
case "\$1" in
  deconfig) ip addr flush dev "\$interface" ;;
  bound|renew) ip addr replace "\$ip/24" dev "\$interface" ;;
esac
echo "\$(date +%s.%N) \$1 \${ip:-} \${serverid:-}" >>"$log"
exit 0
SH
  else
    cat >"$dir/$name.script" <<SH
#!/bin/sh
case "\$reason" in
  PREINIT) ip link set "\$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP) ip addr flush dev "\$interface" ;;
esac
echo "\$(date +%s.%N) \$reason \${new_ip_address:-} \${new_dhcp_server_identifier:-}" >>"$log"
exit 0
SH
  fi
  chmod +x "$dir/$name.script"
}

# run_client NAME: starts its client in the foreground of a background job.
run_client() {
  local name=$1 ns=$id-$1 kind i
  for i in "${!client_ns[@]}"; do [[ ${client_ns[$i]} == "$name" ]] && kind=${client_kind[$i]}; done
  if [[ $kind == udhcpc ]]; then
    # -R: release on exit (SIGTERM), so a client that leaves gives its address back.
    ip netns exec "$ns" busybox udhcpc -f -R -i eth0 -t 20 -T 1 -A 1 -s "$dir/$name.script" >/dev/null 2>&1 &
  else
    # dhclient retransmits a renewal after initial-interval (10 s by
    # default), growing to backoff-cutoff (15 s), but never past expiry: with
    # 20 s leases its first retransmission after T1 lands past the lease's
    # end, so it never rebinds at T2. Scaled down with the lease time, as
    # the defaults are to hour-long leases.
    printf 'initial-interval 1;\nbackoff-cutoff 2;\n' >"$dir/$name.conf"
    ip netns exec "$ns" dhclient -4 -d -cf "$dir/$name.conf" -sf "$dir/$name.script" -lf "$dir/$name.leases" \
      -pf "$dir/$name.pid" eth0 >/dev/null 2>&1 &
  fi
  client_pid[$name]=$!
}

# stop_client NAME [release]: udhcpc releases on SIGTERM (-R); dhclient -r releases.
stop_client() {
  local name=$1 i kind
  for i in "${!client_ns[@]}"; do [[ ${client_ns[$i]} == "$name" ]] && kind=${client_kind[$i]}; done
  if [[ $kind == dhclient && ${2:-} == release ]]; then
    ip netns exec "$id-$name" dhclient -4 -r -cf "$dir/$name.conf" -sf "$dir/$name.script" -lf "$dir/$name.leases" -pf "$dir/$name.pid" eth0 \
      >/dev/null 2>&1
  fi
  kill -TERM "${client_pid[$name]}" 2>/dev/null
  wait "${client_pid[$name]}" 2>/dev/null
  unset "client_pid[$name]"
}

# The address on the client's eth0 now (empty: none).
client_address() { ip -n "$id-$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -1; }
bound() { [[ -n $(client_address "$1") ]]; }
all_bound() {
  local c
  for c in "$@"; do bound "$c" || return 1; done
}
# Events a client logged after SECONDS (default: all), one word each.
events_since() { awk -v t="${2:-0}" '$1 > t {print $2}' "$dir/$1.events" 2>/dev/null; }
# A client lost its address or was refused after SECONDS.
lost_since() { events_since "$1" "$2" | grep -qE '^(deconfig|nak|leasefail|EXPIRE|FAIL|NAK|STOP|RELEASE)$'; }

# leases NODE: "address client_or_hw state expires origin" lines, sorted.
leases() {
  "$ctl" --socket "$dir/$1.sock" leases --json | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    print(l["address"], l["client_id"] or l["hw_address"], l["state"], l["expires"], l["origin"])' | sort
}
# The same without the origin (it differs by design: each side calls its
# own records local).
table() { leases "$1" | cut -d' ' -f1-4; }
status_field() {
  "$ctl" --socket "$dir/$1.sock" status --json 2>/dev/null | python3 -c "import json, sys; s = json.load(sys.stdin); print($2)"
}
peer_state_is() { [[ $(status_field "$1" 's.get("peer", {}).get("state")') == "$2" ]]; }

# The lease-sync scripts' pair: a switch, beagle (198.51.100.2), primergy
# (198.51.100.3) and a stranger (198.51.100.66) on one bridge, and the
# pair's peer key in $dir/peer.key. Expects $sw, $beagle, $primergy and
# $stranger (namespace names) besides the above.
pair_topology() {
  add_namespaces "$sw" "$beagle" "$primergy" "$stranger"
  bridge "$sw" "$beagle" "$primergy" "$stranger"
  ip -n "$beagle" addr add 198.51.100.2/24 dev eth0
  ip -n "$primergy" addr add 198.51.100.3/24 dev eth0
  ip -n "$stranger" addr add 198.51.100.66/24 dev eth0
  head -c 32 /dev/urandom | base64 >"$dir/peer.key"
  chmod 600 "$dir/peer.key"
}

# cleanup (armed by lib.sh's arm_cleanup): the daemons and clients die, every
# namespace goes; on failure the routers' logs and the clients' events.
cleanup() {
  for p in "${pid[@]}" "${client_pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  local all=("$sw" "$beagle" "$primergy" "$stranger") c n
  for c in "${client_ns[@]}"; do all+=("$id-$c"); done
  del_namespaces "${all[@]}"
  if ((${failed:-0} > 0)); then
    for n in beagle primergy; do echo "--- $n log"; grep -v "debug" "$dir/$n.log" | tail -n 30; done
    for c in "${client_ns[@]}"; do echo "--- $c: $(tr '\n' '|' <"$dir/$c.events" 2>/dev/null)"; done
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$dir"
}
