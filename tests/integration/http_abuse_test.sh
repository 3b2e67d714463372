#!/usr/bin/env bash
# The HTTP endpoint under abuse, while the daemon is a VRRP master at 100 ms
# adverts with a real pairgated as its backup: 1,000 connections at once,
# 64 slowloris clients, requests with oversized heads, paths with `..`, and
# 200 /metrics scrapes, all together (tests/integration/http_abuse.py). An
# observer on the LAN records the kernel's receive time of every advert; the
# adverts' intervals while the endpoint is abused are compared with those
# just before. The backup must never take over, and the endpoint must refuse
# what it should, say so in its counters, and answer again afterwards.
# Usage: http_abuse_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v curl >/dev/null || { echo "curl missing: scripts/setup installs it"; exit 77; }
id="pga$$-$RANDOM"
SW=$id-sw A=$id-a B=$id-b O=$id-o X=$id-x
dir=$(mktemp -d /tmp/pairgate-abuse.XXXXXX)
chmod 755 "$dir"
declare -A pid=()
source "$here/lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces $SW $A $B $O $X
  rm -rf "$dir"
}
arm_cleanup 150

add_namespaces $SW $A $B $O $X
bridge $SW $A $B $O $X
ip -n "$A" addr add 198.51.100.3/24 dev eth0
ip -n "$B" addr add 198.51.100.4/24 dev eth0
ip -n "$O" addr add 198.51.100.10/24 dev eth0
ip -n "$X" addr add 198.51.100.20/24 dev eth0

write_config() {  # NAME PRIORITY
  cat >"$dir/$1.yaml" <<YAML
node: $1
control: {socket: $dir/$1.sock}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: LAN, interface: eth0, vrid: 1, priority: $2, version: 3, advert_interval: 100ms,
       virtual_addresses: [198.51.100.1/24]}
http:
  listen: [198.51.100.$([[ $1 == beagle ]] && echo 3 || echo 4):9650]
  allow: [198.51.100.0/24]
YAML
}
write_config beagle 200
write_config primergy 100
ip netns exec "$A" "$build/pairgated" --config "$dir/beagle.yaml" >"$dir/beagle.log" 2>&1 &
pid[a]=$!
ip netns exec "$B" "$build/pairgated" --config "$dir/primergy.yaml" >"$dir/primergy.log" 2>&1 &
pid[b]=$!
state() { "$build/pairgatectl" --socket "$dir/$1.sock" status --json |
  python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["vrrp"][0]["state"]==sys.argv[1] else 1)' "$2"; }
check "beagle is MASTER" wait_for 15 state beagle MASTER
check "primergy is BACKUP" wait_for 15 state primergy BACKUP
rss() { awk '/^VmRSS/ {print $2}' "/proc/${pid[a]}/status"; }  # KiB
rss_before=$(rss)
# primergy may have been master for a moment at start-up (whichever daemon
# starts first); from here on it must not be.
masters_before=$(grep -c 'Entering MASTER' "$dir/primergy.log")

# The observer runs through a quiet stretch (the baseline) and the abuse.
quiet_s=4 abuse_s=8
t_begin=$(date +%s.%N)
ip netns exec "$O" python3 "$here/http_abuse.py" observe $((quiet_s + abuse_s + 12)) 198.51.100.3 198.51.100.10 "$dir/adverts" &
pid[o]=$!
sleep "$quiet_s"
cpu() { awk '{print $14 + $15}' "/proc/${pid[a]}/stat"; }  # utime + stime, clock ticks
cpu_before=$(cpu)
t0=$SECONDS
ip netns exec "$X" python3 "$here/http_abuse.py" abuse 198.51.100.3 9650 "$abuse_s" "$dir/abuse.json"
echo "abuse: $((SECONDS - t0)) s; beagle's CPU time meanwhile: $((($(cpu) - cpu_before) * 1000 / $(getconf CLK_TCK))) ms"
kill -INT "${pid[o]}" 2>/dev/null
wait "${pid[o]}"
unset 'pid[o]'

seen() { python3 -c "import json,sys; d=json.load(open('$dir/abuse.json')); print(eval(sys.argv[1]))" "$1"; }
abuse_start=$(seen 'd["start"]') abuse_end=$(seen 'd["end"]')
jitter() { python3 "$here/http_abuse.py" jitter "$dir/adverts" 100 "$1" "$2"; }
quiet=$(jitter "$(python3 -c "print($t_begin + 0.5)")" "$abuse_start")
abused=$(jitter "$abuse_start" "$abuse_end")
echo "advert intervals, quiet:  $quiet"
echo "advert intervals, abused: $abused"
j() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
expected=$(python3 -c "print(int(($abuse_end - $abuse_start) * 10))")
check "adverts kept coming while abused ($(j "$abused" count) of about $expected)" \
  test "$(j "$abused" count)" -ge $((expected * 9 / 10))
# 3 intervals and the skew time without an advert make the backup take
# over; a quarter of that is the bound here, whatever the machine's load.
check "no advert interval over 175 ms while abused (max $(j "$abused" max_ms) ms)" \
  python3 -c "import sys; sys.exit(0 if $(j "$abused" max_ms) < 175 else 1)"
# The jitter the abuse adds: the 99th percentile of |interval - 100 ms|
# may grow by 10 ms at most over the quiet stretch's (the machine is shared).
check "the adverts' p99 jitter grew by < 10 ms ($(j "$quiet" p99_dev_ms) -> $(j "$abused" p99_dev_ms) ms)" \
  python3 -c "import sys; sys.exit(0 if $(j "$abused" p99_dev_ms) < $(j "$quiet" p99_dev_ms) + 10 else 1)"
check "primergy stayed BACKUP throughout" test "$(grep -c 'Entering MASTER' "$dir/primergy.log")" -eq "$masters_before"
check "beagle is still MASTER" state beagle MASTER

echo "what the abuser saw: $(python3 -c "import json; d=json.load(open('$dir/abuse.json')); [d.pop(k) for k in ('start','end')]; print(json.dumps(d, sort_keys=True))")"
check "1,000 connections were opened at once" test "$(seen 'd["hold"]["opened"]')" -ge 1000
check "... those over the limit got 503" test "$(seen 'd["hold"]["status"].get("503", 0)')" -gt 0
check "... and each got an answer or was closed (200, 503 or none)" \
  test "$(seen 'sum(v for k, v in d["hold"]["status"].items() if k not in ("0", "200", "503"))')" -eq 0
check "slowloris clients held sessions and were cut off ($(seen 'd["slowloris"]["cut"]') of 64; $(seen 'd["slowloris"]["refused"]') refused at once)" \
  test "$(seen 'd["slowloris"]["cut"]')" -ge 32
check "... none was left open" test "$(seen 'd["slowloris"]["left_open"]')" -eq 0
check "... within the 5 s request deadline and a second ($(seen 'd["slowloris"]["cut_after_s_max"]') s)" \
  python3 -c "import sys; sys.exit(0 if $(seen 'd["slowloris"]["cut_after_s_max"] or 99') <= 6.5 else 1)"
check "a 64 KiB header gets 431 (or a close while busy)" \
  test "$(seen 'sum(v for k, v in d["bad"]["oversized_header"].items() if k not in ("0", "431", "503"))')" -eq 0
check "... some did get 431" test "$(seen 'd["bad"]["oversized_header"].get("431", 0)')" -gt 0
check "2,000 header lines get 431 (or a close while busy)" \
  test "$(seen 'sum(v for k, v in d["bad"]["many_headers"].items() if k not in ("0", "431", "503"))')" -eq 0
check "a head that is not HTTP gets 400" test "$(seen 'd["bad"]["garbage"].get("400", 0)')" -eq 25
check "a request with a body gets 413" test "$(seen 'd["bad"]["body"].get("413", 0)')" -eq 25
check "DELETE gets 405" test "$(seen 'd["bad"]["method"].get("405", 0)')" -eq 25
check "no path with .. was answered 200" test "$(seen 'sum(1 for v in d["bad"]["dotdot"].values() if v == 200)')" -eq 0
check "no answer carried a password file" test "$(seen 'd["bad"]["leaked"]')" -eq 0
check "every scrape was served (in the end)" test "$(seen 'd["scrapes"].get("200", 0)')" -eq 200

in_o() { ip netns exec "$O" "$@"; }
check "the endpoint answers again afterwards" wait_for 10 in_o curl -sf --max-time 2 -o "$dir/metrics.txt" \
  http://198.51.100.3:9650/metrics
counter() { awk -v k="$1" 'index($0, k) == 1 {print $2}' "$dir/metrics.txt"; }
for reason in busy timeout header_too_large bad_request; do
  n=$(counter "pairgate_http_rejected_total{reason=\"$reason\"}")
  check "pairgate_http_rejected_total{reason=\"$reason\"} counts it ($n)" test "${n:-0}" != 0
done
n=$(counter 'pairgate_http_responses_total{code="400"}')
check "pairgate_http_responses_total{code=\"400\"} counts the bad paths ($n)" test "${n:-0}" -ge 8
open_connections() { "$build/pairgatectl" --socket "$dir/beagle.sock" status --json |
  python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["http"]["connections"] == 0 else 1)'; }
check "no connection is left open" wait_for 10 open_connections
rss_after=$(rss)
echo "beagle's RSS: ${rss_before} KiB before, ${rss_after} KiB after"
if ldd "$build/pairgated" | grep -q libasan; then
  # ASan's quarantine keeps freed memory for a while: RSS says nothing here.
  echo "SKIP the RSS check: an ASan build"
else
  check "beagle's RSS grew by less than 4 MiB" test $((rss_after - rss_before)) -lt 4096
fi

if ((failed)); then
  echo "--- beagle log"; tail -20 "$dir/beagle.log"
  echo "--- primergy log"; tail -5 "$dir/primergy.log"
  echo "--- beagle's http status"
  "$build/pairgatectl" --socket "$dir/beagle.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("http"))'
fi
summary
