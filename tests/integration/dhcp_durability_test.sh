#!/usr/bin/env bash
# The lease file under stress: pairgated killed with SIGKILL under perfdhcp
# load keeps every lease it acknowledged; a full disk stops new
# acknowledgements (said in log and status, counted) without losing a lease,
# and serving resumes when space comes back.
# Usage: dhcp_durability_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
pairgated=$build/pairgated
ctl=$build/pairgatectl

id="pdd$$-$RANDOM"
srv=$id-srv cli=$id-cli
all=("$srv" "$cli")
dir=$(mktemp -d /tmp/pairgate-dhcp-dur.XXXXXX)
chmod 755 "$dir"
sock=$dir/control.sock
pid= sniffer=
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  [[ -n $sniffer ]] && kill -9 "$sniffer" 2>/dev/null
  del_namespaces "${all[@]}"
  ((${failed:-0} > 0)) && { echo "--- pairgated log"; grep -v debug "$dir/log" | tail -n 30; }
  umount "$dir/disk" 2>/dev/null
  rm -rf "$dir"
}
arm_cleanup 250

add_namespaces "${all[@]}"
ip -n "$srv" link add eth0 type veth peer name eth0 netns "$cli"
ip -n "$srv" addr add 198.18.0.1/16 dev eth0
ip -n "$cli" addr add 198.18.0.2/16 dev eth0
ip -n "$srv" link set eth0 up
ip -n "$cli" link set eth0 up

write_config() {  # write_config LEASE_FILE
  cat >"$dir/pairgate.yaml" <<YAML
node: durability
control: {socket: $sock, mode: "0660", group: root}
logging: {target: stderr, level: info}
dhcp:
  lease_file: $1
  subnets:
    - interface: eth0
      subnet: 198.18.0.0/16
      pools: [198.18.0.10-198.18.255.250]
      lease_time: 2h
YAML
}
ready() { grep -c "pairgated ready" "$dir/log" 2>/dev/null; }
more_ready() { (($(ready) > $1)); }
start() {  # start [WRAPPER...]: returns once ready
  local before
  before=$(ready)
  ip netns exec "$srv" "$@" "$pairgated" --config "$dir/pairgate.yaml" >>"$dir/log" 2>&1 &
  pid=$!
  wait_for 10 more_ready "${before:-0}"
}

# Every DHCPACK that reaches the client side, as "chaddr yiaddr" lines: an
# AF_PACKET reader, since perfdhcp does not list what it was given.
cat >"$dir/acks.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
out = open(sys.argv[1], "w", buffering=1)
while True:
    f = s.recv(4096)
    ip = f[14:]
    if len(ip) < 28 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    udp = ip[ihl:]
    if struct.unpack("!H", udp[0:2])[0] != 67:
        continue
    d = udp[8:]
    if len(d) < 240 or d[0] != 2:
        continue
    i, kind = 240, None
    while i + 1 < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        if d[i] == 53:
            kind = d[i + 2]
        i += 2 + d[i + 1]
    if kind == 5:
        out.write("%s %s\n" % (":".join("%02x" % b for b in d[28:34]), socket.inet_ntoa(d[16:20])))
PY

# --- SIGKILL under load
write_config "$dir/dhcp4.leases"
check "pairgated starts" start
ip netns exec "$cli" python3 "$dir/acks.py" "$dir/acks" &
sniffer=$!
sleep 0.5
ip netns exec "$cli" perfdhcp -4 -l eth0 -r 2000 -p 6 -R 5000 >"$dir/perfdhcp.out" 2>&1 &
perf=$!
sleep 3
kill -9 "$pid"
wait "$pid" 2>/dev/null
killed_at=$(wc -l <"$dir/acks")
sleep 0.5
kill "$perf" 2>/dev/null
wait "$perf" 2>/dev/null
kill "$sniffer" 2>/dev/null
wait "$sniffer" 2>/dev/null
sniffer=
check "clients were acknowledged before the kill ($killed_at ACKs)" test "$killed_at" -gt 1000
check "pairgated restarts on the same lease file" start
"$ctl" --socket "$sock" leases --json | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    print(l["hw_address"], l["address"])' | sort >"$dir/held"
# The last ACK of each client is what it holds.
awk '{ last[$1] = $2 } END { for (m in last) print m, last[m] }' "$dir/acks" | sort >"$dir/acked"
check "every acknowledged lease survived, with its client ($(wc -l <"$dir/acked") clients)" \
  test -z "$(comm -23 "$dir/acked" "$dir/held")"
check "status reports what was loaded" grep -E '"loaded": [1-9]' <<<"$("$ctl" --socket "$sock" status --json)"
kill -TERM "$pid"
wait "$pid"
pid=

# --- a full disk: a 64 KiB tmpfs in pairgated's own mount namespace
mkdir -p "$dir/disk"
write_config "$dir/disk/dhcp4.leases"
check "pairgated starts with its lease file on a small tmpfs" \
  start unshare -m --propagation private sh -c "mount -t tmpfs -o size=64k tmpfs $dir/disk && exec \"\$0\" \"\$@\""
in_mnt() { nsenter -t "$pid" -m -- "$@"; }
pid=$(pgrep -f "pairgated --config $dir/pairgate.yaml" | head -1)
ip netns exec "$cli" perfdhcp -4 -l eth0 -r 50 -n 50 -R 50 >"$dir/perf1.out" 2>&1
before=$("$ctl" --socket "$sock" leases --json | grep -c '"address"')
check "leases are granted while there is room ($before)" test "$before" -ge 45
in_mnt sh -c "dd if=/dev/zero of=$dir/disk/fill bs=4k 2>/dev/null; sync"
ip netns exec "$cli" perfdhcp -4 -l eth0 -r 100 -n 200 -R 1000 -b mac=02:00:00:00:10:00 >"$dir/perf2.out" 2>&1
status=$("$ctl" --socket "$sock" status --json)
check "the disk failure is in status" grep -E '"ok": false' <<<"$status"
check "with its reason" grep "No space left on device" <<<"$status"
check "and counted" grep -E '"ack-withheld-disk": [1-9]' <<<"$status"
check "and logged" grep "cannot write $dir/disk/dhcp4.leases: No space left on device" "$dir/log"
# The file's last page had room for a few records: those ACKs are durable.
acked=$(awk '/Statistics for: REQUEST-ACK/ { s = 1 } s && /^received packets:/ { print $3; exit }' "$dir/perf2.out")
listed=$(("$("$ctl" --socket "$sock" leases --json | grep -c '"address"')" - before))
check "every lease acknowledged meanwhile is listed, and no other ($acked ACKs, $listed leases)" test "$acked" -eq "$listed"
check "most clients got no ACK" test "$acked" -lt 150
in_mnt rm -f "$dir/disk/fill"
check "serving resumes when space comes back" wait_for 5 grep "is writable again" "$dir/log"
ip netns exec "$cli" perfdhcp -4 -l eth0 -r 50 -n 20 -R 1000 -b mac=02:00:00:00:20:00 >"$dir/perf3.out" 2>&1
after=$("$ctl" --socket "$sock" leases --json | grep -c '"address"')
check "new leases are granted again ($after)" test "$after" -gt "$before"
lines=$(in_mnt cat "$dir/disk/dhcp4.leases" | grep -c " leased ")
check "the file holds every lease, the old ones too ($lines)" test "$lines" -ge "$after"
kill -TERM "$pid"
wait "$pid" 2>/dev/null
pid=
summary
