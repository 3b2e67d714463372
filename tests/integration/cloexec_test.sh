#!/usr/bin/env bash
# Every descriptor pairgated opens is close-on-exec, so a notify program
# inherits only its stdin, stdout and stderr. The daemon runs VRRP (with
# notify.exec and notify.email to an SMTP server that never answers), DHCP
# (its lease file), the firewall (libnftables), a tunnel whose AFTR name
# is being looked up from a DNS server that never answers, and a control
# client and an HTTP client (the http endpoint on 127.0.0.1) are connected. Checked: the fds a notify program has (only 0, 1,
# 2); FD_CLOEXEC on every descriptor of the daemon above 2; and the case
# that started it: a notify program that leaves a child behind (as a
# daemonising one does) no longer keeps the control socket, so the next
# start is not refused with "another pairgated is running" (nor finds the
# HTTP port taken).
# Usage: cloexec_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
ns="pgc$$-$RANDOM"
dir=$(mktemp -d /tmp/pairgate-cloexec.XXXXXX)
chmod 755 "$dir"
sock=$dir/control.sock
pid=
helpers=()
source "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  for h in "${helpers[@]}"; do kill -9 "$h" 2>/dev/null; done
  del_namespaces "$ns"
  rm -rf "$dir"
}
arm_cleanup 120
nsx() { ip netns exec "$ns" "$@"; }

add_namespaces "$ns"
ip -n "$ns" link add lan0 type veth peer name wan0
ip -n "$ns" addr add 198.51.100.2/24 dev lan0
ip -n "$ns" addr add 192.0.2.2/24 dev wan0
ip -n "$ns" addr add 2001:db8:5::2/64 dev wan0 nodad
ip -n "$ns" addr add 2001:db8:5::53/128 dev lo
ip -n "$ns" link set lan0 up
ip -n "$ns" link set wan0 up

# A DNS server and an SMTP server that take what comes and never answer.
ip netns exec "$ns" /usr/bin/python3 -c '
import socket, time
d = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); d.bind(("2001:db8:5::53", 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("127.0.0.1", 2525)); t.listen(8)
held = []
t.settimeout(0.2)
while True:
    try: held.append(t.accept()[0])
    except socket.timeout: pass
    try: d.recv(512, socket.MSG_DONTWAIT)
    except BlockingIOError: pass
' &
helpers+=($!)
check "the silent SMTP server listens" wait_for 10 bash -c "ip netns exec $ns ss -tln | grep -q 127.0.0.1:2525"

# The notify program: records its pid, leaves a child behind holding what
# it inherited (as a program that daemonises does), then stays a while so
# that its descriptors can be read.
cat >"$dir/notify" <<SH
#!/bin/sh
setsid sleep 30 </dev/null >/dev/null 2>&1 &
echo \$! >>"$dir/orphans"
echo \$\$ >>"$dir/notify.pids"
exec sleep 20
SH
chmod 755 "$dir/notify"

cat >"$dir/pairgate.yaml" <<YAML
node: cloexec
control: {socket: $sock}
logging: {target: stderr, level: info}
notify:
  exec: ["$dir/notify"]
  email: {to: [ops@example.com], from: pairgate@example.com, server: "127.0.0.1:2525", timeout: 20s}
vrrp:
  instances:
    - {name: V1, interface: lan0, vrid: 7, priority: 100, virtual_addresses: [198.51.100.1/24]}
dhcp:
  lease_file: $dir/dhcp4.leases
  subnets:
    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99]}
firewall:
  wan_interfaces: [wan0]
tunnels:
  - name: ip6tnl1
    wan_interface: wan0
    aftr: aftr.example
    resolver: ["2001:db8:5::53", "2001:db8:5::53", "2001:db8:5::53"]
    health: {targets: [203.0.113.1]}
http:
  listen: [127.0.0.1:9650]
YAML

# pairgated with nothing open but 0, 1 and 2 (this shell's own descriptors
# are not the daemon's to close); $pid is the daemon's own.
run_daemon() {
  ip netns exec "$ns" /usr/bin/python3 -c 'import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])' \
    "$build/pairgated" --config "$dir/pairgate.yaml" >>"$dir/log" 2>&1 &
  pid=$!
}
start() {
  : >"$dir/notify.pids"
  run_daemon
  wait_for 10 grep -q "pairgated ready" "$dir/log"
}
# fd -> what it is, one line each, for a process; a socket with what ss
# says of it (family, local and peer address).
fds_of() {
  local f what sockets
  sockets=$(ip netns exec "$ns" ss -a -n -e -p -A all 2>/dev/null)
  for f in /proc/"$1"/fd/*; do
    what=$(readlink "$f")
    if [[ $what == socket:\[*\] ]]; then
      ino=${what#socket:[}
      ino=${ino%]}
      what="$what $(awk -v a="ino:$ino" -v b="$ino" '{for (i = 1; i <= NF; i++) if ($i == a || $i == b) {print $1, $5, $6; exit}}' <<<"$sockets")"
    fi
    echo "${f##*/} $what"
  done | sort -n
}
# The daemon's descriptors above 2 that lack FD_CLOEXEC (O_CLOEXEC, 02000000
# in fdinfo's octal flags).
leaky_fds() {
  local f n flags
  for f in /proc/"$1"/fdinfo/*; do
    n=${f##*/}
    ((n > 2)) || continue
    flags=$(awk '/^flags:/ {print $2}' "$f" 2>/dev/null) || continue
    [[ -n $flags ]] || continue
    (((8#$flags & 8#2000000) == 0)) && echo "$n $(readlink /proc/"$1"/fd/"$n")"
  done
}

check "daemon ready" start
check "the notify program ran" wait_for 10 test -s "$dir/notify.pids"
child=$(tail -1 "$dir/notify.pids")
# A control client, connected and idle, while the fds are read.
ip netns exec "$ns" /usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(20)' "$sock" &
helpers+=($!)
# An HTTP client, connected and idle: the endpoint's session is open too.
ip netns exec "$ns" /usr/bin/python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1", 9650)); time.sleep(4)' &
helpers+=($!)
check "the SMTP connection is open" wait_for 5 bash -c "ip netns exec $ns ss -tn state established '( dport = :2525 )' | grep -q 2525"
check "the HTTP session is open" wait_for 5 bash -c "ip netns exec $ns ss -tn state established '( sport = :9650 )' | grep -q 9650"
check "the DNS query is in flight" wait_for 5 bash -c "ip netns exec $ns ss -6 -uanp | grep -q 'pid=$pid,'"
sleep 0.5
echo "# the notify program ($child) has:"
fds_of "$child" | sed 's/^/#   /'
check "a notify program inherits only fds 0, 1 and 2" test "$(fds_of "$child" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 "
echo "# the daemon ($pid) has:"
fds_of "$pid" | sed 's/^/#   /'
leaks=$(leaky_fds "$pid")
[[ -n $leaks ]] && echo "# without FD_CLOEXEC:" && sed 's/^/#   /' <<<"$leaks"
check "every descriptor of the daemon above 2 is close-on-exec" test -z "$leaks"
kinds=$(fds_of "$pid" | awk '{print $2}')
check "(it had sockets of every kind open: unix, netlink, raw, packet, udp, tcp)" \
  test "$(nsx ss -xanp | grep -c "pid=$pid,")" -ge 2 -a "$(nsx ss -0 -anp | grep -c "pid=$pid,")" -ge 1 \
  -a "$(nsx ss -wanp | grep -c "pid=$pid,")" -ge 2 -a "$(nsx ss -tnp | grep -c "pid=$pid,")" -ge 1 \
  -a "$(nsx ss -unap | grep -c "pid=$pid,")" -ge 1
check "(and the lease file)" grep -q "dhcp4.leases" <<<"$kinds"

# The daemon dies (SIGKILL: its socket file stays); the orphan outlives it
# and must not hold the listening socket, or the next start finds the
# socket answering and refuses.
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
check "the notify program's child still runs" kill -0 "$(head -1 "$dir/orphans")"
echo "# the orphan ($(head -1 "$dir/orphans")) has:"
fds_of "$(head -1 "$dir/orphans")" | sed 's/^/#   /'
before=$(grep -c "pairgated ready" "$dir/log")
run_daemon
check "the next start is not refused" wait_for 10 bash -c "(( \$(grep -c 'pairgated ready' '$dir/log') > $before ))"
check "no 'another pairgated is running'" fails grep -q "another pairgated is running" "$dir/log"
kill -TERM "$pid"
wait "$pid"
pid=
while read -r o; do kill "$o" 2>/dev/null; done <"$dir/orphans"
((failed)) && tail -n 40 "$dir/log"
summary
