# Shared by the namespace test scripts; sourced, never run. Each script
# defines cleanup() and calls arm_cleanup after it.

passed=0
failed=0

# check NAME COMMAND...: runs COMMAND quietly and counts it.
check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}
quiet() { "$@" >/dev/null 2>&1; }
fails() { ! "$@"; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  while ((SECONDS <= end)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# Runs cleanup() on exit, on INT and TERM, and on the script's own deadline,
# which comes before ctest's so that cleanup always runs.
arm_cleanup() {
  trap 'kill "${watchdog:-}" 2>/dev/null; cleanup' EXIT
  trap 'exit 1' INT TERM
  (sleep "${1:-240}"; kill -TERM $$) >/dev/null 2>&1 </dev/null &
  watchdog=$!
}

# add_namespaces NS...: fresh namespaces with loopback up.
add_namespaces() {
  local ns
  for ns in "$@"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
}

# del_namespaces NS...: kills what runs in them, then deletes them.
del_namespaces() {
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}

# bridge SWITCH HOST...: a bridge br0 in SWITCH, and in each HOST an eth0
# plugged into port pN (N counting from 1).
bridge() {
  local sw=$1 n=0 ns
  shift
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for ns in "$@"; do
    n=$((n + 1))
    ip -n "$sw" link add "p$n" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "p$n" master br0 up
    ip -n "$ns" link set eth0 up
  done
}

# The closing line ctest and CI read; the exit status follows it.
summary() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
