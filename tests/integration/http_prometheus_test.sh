#!/usr/bin/env bash
# A real Prometheus (Debian's prometheus 2.42) in a namespace of its own
# scrapes pairgated's GET /metrics over a veth: its query API shows up == 1
# for the target and the VRRP state series keepalived_vrrp_state == 2
# (MASTER); `promtool check metrics` passes on what the endpoint serves; the
# JSON routes answer; a client outside `allow` is refused.
# Usage: http_prometheus_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
for tool in prometheus promtool curl; do
  command -v $tool >/dev/null || { echo "$tool missing: scripts/setup installs it"; exit 77; }
done
id="pgp$$-$RANDOM"
D=$id-d P=$id-p X=$id-x
dir=$(mktemp -d /tmp/pairgate-prom.XXXXXX)
chmod 755 "$dir"
declare -A pid=()
source "$(dirname "$0")/lib.sh"
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  del_namespaces $D $P $X
  rm -rf "$dir"
}
arm_cleanup 120

add_namespaces $D $P $X
# The daemon's LAN with Prometheus on it, and a stranger on a second link.
ip link add eth0 netns "$D" type veth peer name eth0 netns "$P"
ip link add eth1 netns "$D" type veth peer name eth0 netns "$X"
ip -n "$D" addr add 198.51.100.1/24 dev eth0
ip -n "$P" addr add 198.51.100.2/24 dev eth0
ip -n "$D" addr add 203.0.113.1/24 dev eth1
ip -n "$X" addr add 203.0.113.9/24 dev eth0
for ns in $D $P $X; do ip -n "$ns" link set eth0 up; done
ip -n "$D" link set eth1 up
ip -n "$X" route add default via 203.0.113.1

cat >"$dir/pairgate.yaml" <<YAML
node: beagle
control: {socket: $dir/control.sock}
logging: {target: stderr, level: info}
vrrp:
  instances:
    - {name: V1, interface: eth0, vrid: 1, priority: 200, version: 3, advert_interval: 100ms,
       virtual_addresses: [198.51.100.254/24]}
dhcp:
  lease_file: $dir/dhcp4.leases
  subnets:
    - {interface: eth0, subnet: 198.51.100.0/24, pools: [198.51.100.100-198.51.100.199]}
http:
  listen: [198.51.100.1:9650, 203.0.113.1:9650]
  allow: [198.51.100.0/24]
YAML
ip netns exec "$D" "$build/pairgated" --config "$dir/pairgate.yaml" >"$dir/pairgated.log" 2>&1 &
pid[d]=$!
ctl() { "$build/pairgatectl" --socket "$dir/control.sock" "$@"; }
wait_for 10 ctl status
in_p() { ip netns exec "$P" "$@"; }
metrics() { in_p curl -sf --max-time 5 http://198.51.100.1:9650/metrics; }

cat >"$dir/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}
scrape_configs:
  - job_name: pairgate
    static_configs: [{targets: ["198.51.100.1:9650"], labels: {router: beagle}}]
YAML
in_p prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn >"$dir/prometheus.log" 2>&1 &
pid[p]=$!

# value QUERY: the first result's value, from Prometheus's HTTP API.
value() {
  in_p curl -sf --max-time 2 --get --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
is() { [[ $(value "$1") == "$2" ]]; }

check "the daemon serves /metrics to its LAN" metrics
check "prometheus is ready" wait_for 20 in_p curl -sf http://127.0.0.1:9090/-/ready
check "prometheus: up == 1" wait_for 20 is 'up{job="pairgate"}' 1
check "prometheus: keepalived_vrrp_state == 2 (MASTER)" \
  wait_for 20 is 'keepalived_vrrp_state{iname="V1",intf="eth0",vrid="1"}' 2
check "prometheus: adverts counted" wait_for 10 is 'keepalived_advertisements_sent_total{iname="V1"} > bool 0' 1
check "prometheus: the scrape's loop time is recorded" \
  wait_for 10 is 'pairgate_http_handler_seconds_count{path="/metrics"} > bool 0' 1
check "prometheus: the scrape took no samples out (scrape_samples_post_metric_relabeling == scraped)" \
  is 'scrape_samples_scraped{job="pairgate"} - scrape_samples_post_metric_relabeling{job="pairgate"}' 0
metrics >"$dir/metrics.txt"
check "promtool check metrics passes" sh -c "promtool check metrics <'$dir/metrics.txt'"
promtool check metrics <"$dir/metrics.txt" || true
check "the exposition carries Kea/Stork's names" grep -q '^kea_dhcp4_addresses_total{subnet="198.51.100.0/24"' "$dir/metrics.txt"
grep -q "^kea_dhcp4_addresses_total" "$dir/metrics.txt" || grep -E "^(kea|pairgate_dhcp)" "$dir/metrics.txt" | head -20
check "HEAD /metrics: headers only" sh -c "ip netns exec $P curl -sfI http://198.51.100.1:9650/metrics | grep -q 'Content-Type: text/plain; version=0.0.4'"
check "GET /api/status: the control protocol's JSON" \
  sh -c "ip netns exec $P curl -sf http://198.51.100.1:9650/api/status | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j[\"ok\"] and j[\"result\"][\"node\"] == \"beagle\"'"
check "GET /api/events: the VRRP transition to MASTER" \
  sh -c "ip netns exec $P curl -sf http://198.51.100.1:9650/api/events | grep -q 'Entering MASTER STATE'"
check "a path with .. is refused (400)" \
  sh -c "[ \$(ip netns exec $P curl -s -o /dev/null -w '%{http_code}' --path-as-is 'http://198.51.100.1:9650/../../etc/passwd') = 400 ]"
check "a stranger outside allow gets no answer" fails ip netns exec "$X" curl -sf --max-time 3 http://203.0.113.1:9650/metrics
check "... and is counted" sh -c "ip netns exec $P curl -sf http://198.51.100.1:9650/metrics | grep -q '^pairgate_http_rejected_total{reason=\"denied\"} [1-9]'"
check "pairgatectl events --since 0 --json: the transition with seq and time" \
  sh -c "timeout 2 '$build/pairgatectl' --socket '$dir/control.sock' events --since 0 --json | grep -m1 -q '\"kind\":\"vrrp\".*\"seq\":[0-9]*,\"subject\":\"V1\",\"time\":\"20'"

if ((failed)); then
  echo "--- pairgated log (tail)"; tail -20 "$dir/pairgated.log"
  echo "--- prometheus log (tail)"; tail -20 "$dir/prometheus.log"
fi
summary
