#!/usr/bin/env bash
# Stops pairgated (meant for the ASan build) with a live DS-Lite tunnel,
# again and again, at different moments, looking for the SIGSEGV once seen
# on SIGTERM in the guest (issue 10): the path the host cannot reach is the
# real tunnel's stop (route and link removal). Not a ctest test (it runs
# for many minutes); run it as
#   scripts/vmtest tests/guest/tunnel_stop_loop.sh build-asan [CYCLES]
# Topology: tests/guest/tunnel_lib.sh; beagle runs pairgated with VRRP
# tracking its tunnel (probe interval 200 ms) and primergy none. Each cycle
# starts beagle's daemon and sends SIGTERM at one of these moments, in turn:
#   early      0-500 ms after it says "pairgated starting" (netlink,
#              modules starting, the link being made)
#   ready      as soon as it says "pairgated ready" (link being made)
#   up         0-1 s after the tunnel is UP (probe rounds, route in)
#   renumber   after the WAN address changed (link update in flight)
#   dark       the AFTR goes dark: tunnel DOWN, route being removed
#   reload     a SIGHUP that changes the tunnel, SIGTERM right behind it
#   flap       the WAN link down and up, SIGTERM 0-200 ms later
# A cycle fails if the daemon does not exit 0 within 30 s, dies of a
# signal, or its log has a sanitizer report; or if the link, the B4
# address or the tunnel's default route outlive it.
# Prints one line per cycle and the counts per moment; exits 1 on any
# failure, after printing that cycle's log.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
cycles=${2:-105}
here=$(cd "$(dirname "$0")" && pwd)
id="pgs$$"
dir=$(mktemp -d /var/tmp/pairgate-stop.XXXXXX)
TUNNEL_LOG_DIR=$dir
TUNNEL_LOG_LEVEL=debug
pid=
source "$here/../integration/lib.sh"
source "$here/tunnel_lib.sh"
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  tunnel_topology_down
  rm -rf "$dir"
}
arm_cleanup $((cycles * 40 + 120))
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# A crash leaves a core (the guest's kernel, not the host's); gdb prints
# its stacks.
ulimit -c unlimited
echo "$dir/core.%p" >/proc/sys/kernel/core_pattern

modprobe ip6_tunnel || { echo "no ip6_tunnel in this kernel: run me through scripts/vmtest"; exit 1; }
tunnel_topology_up "$id" || { echo "topology failed"; exit 1; }
tunnel_config beagle 200 "    aftr: [2001:db8:a::1]" 200ms 3 "$dir"
log=$dir/beagle.log
in_log() { grep -q "$1" "$log"; }
tunnel_up() { in_log "tunnel ip6tnl1 UP"; }
ms_sleep() { sleep "$(awk -v ms="$1" 'BEGIN {printf "%.3f", ms / 1000}')"; }

# The AFTR's end of beagle's softwire follows beagle's local address as
# pairgated last set it (renumbering, or a WAN flap, which flushes the IPv6
# addresses and leaves a new SLAAC one).
aftr_remote=$B_WAN
follow_b4() {
  local l
  l=$(grep -oE '(created ip6tnl|link updated:) [0-9a-f:]+' "$log" | tail -1 | awk '{print $NF}')
  if [[ -n $l && $l != "$aftr_remote" ]]; then
    ip -n $AFTR -6 tunnel change tb mode ipip6 local 2001:db8:a::1 remote "$l" encaplimit none
    aftr_remote=$l
  fi
}
up_following() {
  follow_b4
  tunnel_up
}
# A renumbering: a new address, the one in use gone.
renumber() {
  local next=2001:db8:1::$((RANDOM % 4000 + 16))
  ip -n $BEAGLE addr add "$next/64" dev eth0 nodad mngtmpaddr
  ip -n $BEAGLE addr del "$aftr_remote/64" dev eth0 2>/dev/null
  ip -n $AFTR -6 tunnel change tb mode ipip6 local 2001:db8:a::1 remote "$next" encaplimit none
  aftr_remote=$next
}

moments=(early ready up renumber dark reload flap)
declare -A done_by=() failed_by=()
total_failed=0
started=$SECONDS
for ((c = 1; c <= cycles; c++)); do
  moment=${moments[$(((c - 1) % ${#moments[@]}))]}
  : >"$log"
  cp "$dir/beagle.yaml" "$dir/run.yaml"
  t0=$SECONDS
  ip netns exec $BEAGLE "$build/pairgated" --config "$dir/run.yaml" >"$log" 2>&1 &
  pid=$!
  note=
  case $moment in
    early)
      wait_for 60 in_log "pairgated starting"
      ms_sleep $((RANDOM % 500))
      ;;
    ready) wait_for 60 in_log "pairgated ready" ;;
    up)
      wait_for 60 up_following || note="never UP"
      ms_sleep $((RANDOM % 1000))
      ;;
    renumber)
      wait_for 60 up_following || note="never UP"
      renumber
      ms_sleep $((RANDOM % 400))
      ;;
    dark)
      wait_for 60 up_following || note="never UP"
      aftr_dark
      wait_for 20 in_log "tunnel ip6tnl1 DOWN" || note="never DOWN"
      ms_sleep $((RANDOM % 300))
      ;;
    reload)
      wait_for 60 up_following || note="never UP"
      sed -i 's/down_after: 3/down_after: 4/; s/interval: 200ms/interval: 300ms/' "$dir/run.yaml"
      kill -HUP "$pid"
      ms_sleep $((RANDOM % 100))
      ;;
    flap)
      wait_for 60 up_following || note="never UP"
      ip -n $BEAGLE link set eth0 down
      ip -n $BEAGLE link set eth0 up
      ms_sleep $((RANDOM % 200))
      ;;
  esac
  kill -TERM "$pid"
  rc=
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    rc=hung
    kill -ABRT "$pid"
    sleep 2
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  else
    wait "$pid"
    rc=$?
  fi
  pid=
  [[ $moment == dark ]] && aftr_light
  bad=
  if [[ $rc == hung ]]; then
    bad="still running 30 s after SIGTERM (sent SIGABRT)"
  elif ((rc > 128)); then
    bad="killed by signal $((rc - 128))"
  elif ((rc != 0)); then
    bad="exit $rc"
  fi
  grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|SEGV|Segmentation" "$log" && bad+="${bad:+, }sanitizer report"
  ip -n $BEAGLE link show ip6tnl1 >/dev/null 2>&1 && bad+="${bad:+, }link left behind"
  ip -n $BEAGLE -4 route show default | grep -q ip6tnl1 && bad+="${bad:+, }tunnel route left behind"
  ip -n $BEAGLE -4 route show default | grep -q "via 192.0.2.1" || bad+="${bad:+, }previous default route not back"
  done_by[$moment]=$((${done_by[$moment]:-0} + 1))
  printf 'cycle %3d %-9s %3d s  %s%s\n' "$c" "$moment" $((SECONDS - t0)) "${bad:-ok}" "${note:+ ($note)}"
  if [[ -n $bad ]]; then
    failed_by[$moment]=$((${failed_by[$moment]:-0} + 1))
    total_failed=$((total_failed + 1))
    echo "== log of cycle $c"
    tail -80 "$log"
    for core in "$dir"/core.*; do
      [[ -e $core ]] || continue
      echo "== stacks of $core"
      gdb -batch -q -ex "thread apply all bt" "$build/pairgated" "$core" 2>&1 | grep -v '^\[New LWP\|^$' | head -120
      rm -f "$core"
    done
    ip -n $BEAGLE link del ip6tnl1 2>/dev/null
    ip -n $BEAGLE route replace default via 192.0.2.1 2>/dev/null
  fi
done
echo "# $cycles cycles in $((SECONDS - started)) s:"
for m in "${moments[@]}"; do echo "#   $m: ${done_by[$m]:-0} stops, ${failed_by[$m]:-0} failed"; done
echo "$((cycles - total_failed)) passed, $total_failed failed"
((total_failed == 0))
