#!/usr/bin/env bash
# A 3-node Apache Cassandra cluster on this machine, for the cluster tests.
# Every node is a scripts/cassandra.sh node on its own loopback address (Linux
# routes all of 127/8 to lo), so all share one CQL and one storage port:
#
#   node1 127.0.0.1   node2 127.0.0.2   node3 127.0.0.3
#   CQL port P (--port, default 39042), storage port SP (--storage-port,
#   default 37000), data in D/node1..node3 (--dir, default .run/cluster)
#
# Cluster "inventory-cluster", GossipingPropertyFileSnitch, datacenter dc1,
# racks rack1..rack3, seed 127.0.0.1, one token per node spread evenly over the
# Murmur3 range (node1 -9223372036854775808, node2 -3074457345618258603,
# node3 3074457345618258602), so the replica of a partition is predictable.
# No authentication, no TLS, no JMX.
#
#   cluster.sh up        start nodes 1, 2, 3 one after another (node 2 and 3
#                        bootstrap), each once the previous one answers CQL and
#                        node 1 lists it in system.peers; then wait until every
#                        node sees every other UP. Nodes already up are kept.
#                        Prints each node's start seconds and the total.
#   cluster.sh down      stop all nodes (data kept; rm -rf D to wipe)
#   cluster.sh status    each node's process state and whether it answers CQL,
#                        with its peers; exit 0 only when all three answer
#   cluster.sh kill N    SIGKILL node N (no drain, no cleanup)
#   cluster.sh start N   (re)start node N on its data; wait until it answers CQL
#                        and the nodes see each other UP
#   cluster.sh stop N    stop node N cleanly (SIGTERM: Cassandra drains)
#   cluster.sh pause N   SIGSTOP node N (the others convict it after ~20 s;
#                        until then requests needing it time out)
#   cluster.sh resume N  SIGCONT node N; wait as for start
#
# "Sees each other UP" is checked without nodetool: a read of one
# system_distributed partition (replicated to all three nodes) at consistency
# ALL, coordinated by each node, succeeds only when that node considers both
# others alive and they answer; then the three must report one schema version.
# Both are checked only while all three processes run unpaused; otherwise
# system.peers listing the node is what is checked.
#
# Node 1 is the only seed: nodes 2 and 3 can (re)start only while node 1 runs.
# Cluster nodes override two jvm17.options flags (see CLUSTER_JVM_OPTS below):
# ring delay CLUSTER_RING_DELAY_MS (default 3000; 100 is too short to join) and
# durable system tables (unsafesystem=false), so a killed node keeps its schema.
# Environment: CASSANDRA_HEAP (default 1G per node), CASSANDRA_START_TIMEOUT
# (per node, default 180), CLUSTER_JOIN_TIMEOUT (seconds to wait for peers and
# UP, default 120), CASSANDRA_JVM_OPTS (extra flags for every node).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) fails the script too
source "$(dirname "$0")/common.sh"

usage() {
  echo "usage: cluster.sh up|down|status|kill N|start N|stop N|pause N|resume N [--dir D] [--port P] [--storage-port SP]" >&2
  exit 2
}

cmd="${1:-}"; shift || true
NODE=""
case "$cmd" in
  kill|start|stop|pause|resume)
    NODE="${1:-}"; shift || true
    [[ "$NODE" =~ ^[123]$ ]] || { echo "cluster.sh $cmd: N is 1, 2 or 3" >&2; usage; } ;;
  up|down|status) ;;
  *) usage ;;
esac
DIR="$ROOT/.run/cluster" PORT=39042 STORAGE_PORT=37000
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --storage-port) STORAGE_PORT="$2"; shift 2 ;;
    *) die "cluster.sh: unknown argument $1" ;;
  esac
done
DIR="$(realpath -m "$DIR")"
JOIN_TIMEOUT="${CLUSTER_JOIN_TIMEOUT:-120}"
# Overrides of deps/cassandra/jvm17.options for cluster nodes:
# - a joining node waits up to the ring delay for the seed's gossip and schema
#   and then requires to have seen a seed ("Unable to contact any seeds"); the
#   single node's 100 ms is shorter than the first gossip round (1 s);
# - system tables written through the commit log (unsafesystem=false): with
#   unsafesystem a SIGKILLed node comes back without recent schema changes
#   (seen: "keyspace ... does not exist" on it, INCOMPATIBLE_SCHEMA elsewhere).
RING_DELAY_MS="${CLUSTER_RING_DELAY_MS:-3000}"
CLUSTER_JVM_OPTS="-Dcassandra.ring_delay_ms=$RING_DELAY_MS -Dcassandra.unsafesystem=false"
CLUSTER_NAME=inventory-cluster
TOKENS=(-9223372036854775808 -3074457345618258603 3074457345618258602)

addr() { echo "127.0.0.$1"; }
node_dir() { echo "$DIR/node$1"; }
cassandra() {  # cassandra.sh CMD for node N
  local c="$1" n="$2"
  CASSANDRA_JVM_OPTS="$CLUSTER_JVM_OPTS ${CASSANDRA_JVM_OPTS:-}" \
  "$ROOT/scripts/cassandra.sh" "$c" --dir "$(node_dir "$n")" --port "$PORT" \
    --storage-port "$STORAGE_PORT" --address "$(addr "$n")" \
    --seeds "$(addr 1):$STORAGE_PORT" --cluster-name "$CLUSTER_NAME" \
    --dc dc1 --rack "rack$n" --initial-token "${TOKENS[$((n - 1))]}"
}
cql() {  # cql N cqlping-args...: a query coordinated by node N
  local n="$1"; shift
  python3 "$ROOT/scripts/cqlping.py" "$(addr "$n")" "$PORT" "$@"
}

pid_of() { cat "$(node_dir "$1")/cassandra.pid" 2>/dev/null || true; }
alive() {  # the process exists and is not a zombie
  local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null &&
    [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" != Z ]
}
paused() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = T ]; }
answers() { alive "$1" && ! paused "$1" && port_open "$(addr "$1")" "$PORT" && cql "$1" >/dev/null 2>&1; }
peers_of() { cql "$1" --query "SELECT peer FROM system.peers" 2>/dev/null | sort | tr '\n' ' '; }
# sees_all_up M: node M coordinates a read that needs all three replicas.
sees_all_up() {
  cql "$1" --consistency ALL --query \
    "SELECT id FROM system_distributed.repair_history WHERE keyspace_name = 'cluster_sh' AND columnfamily_name = 'probe'" \
    >/dev/null 2>&1
}
schema_agreed() {
  local n v versions=""
  for n in 1 2 3; do
    v="$(cql "$n" --query "SELECT schema_version FROM system.local" 2>/dev/null)" || return 1
    versions+="$v"$'\n'
  done
  [ "$(printf '%s' "$versions" | sort -u | wc -l)" = 1 ]
}
now_ms() { date +%s%3N; }
secs_since() { local ms=$(( $(now_ms) - $1 )); echo "$((ms / 1000)).$(( (ms % 1000) / 100 ))"; }

# wait_for DESCRIPTION COMMAND...: poll every 0.5 s until JOIN_TIMEOUT.
wait_for() {
  local what="$1"; shift
  local deadline=$(( $(date +%s) + JOIN_TIMEOUT ))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${JOIN_TIMEOUT}s waiting until $what"
    sleep 0.5
  done
}
listed_by() { [[ " $(peers_of "$1") " == *" $(addr "$2") "* ]]; }

# wait_seen N: the running nodes list node N, and, when all three run
# unpaused, every node sees every other UP.
wait_seen() {
  local n="$1" m all=true
  for m in 1 2 3; do
    if ! alive "$m" || paused "$m"; then all=false; continue; fi
    [ "$m" = "$n" ] && continue
    wait_for "node $m lists node $n in system.peers" listed_by "$m" "$n"
  done
  if [ "$all" = true ]; then
    for m in 1 2 3; do
      wait_for "node $m sees all nodes UP (read at consistency ALL)" sees_all_up "$m"
    done
    wait_for "the three nodes agree on the schema version" schema_agreed
  else
    log "cluster: not all nodes run unpaused; checked system.peers only"
  fi
}

start_node() {  # start_node N: start, wait until node 1 lists it; prints the seconds
  local n="$1" t0; t0=$(now_ms)
  if paused "$n"; then die "node $n is paused; cluster.sh resume $n"; fi
  if answers "$n"; then log "cluster: node $n already up"; secs_since "$t0"; return 0; fi
  if [ "$n" != 1 ] && ! answers 1; then die "node 1 (the seed) must run before node $n starts"; fi
  cassandra start "$n" >&2 || exit 1
  if [ "$n" != 1 ]; then wait_for "node 1 lists node $n in system.peers" listed_by 1 "$n"; fi
  secs_since "$t0"
}

check_loopback() {
  local a
  for a in 2 3; do
    python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); s.close()' "$(addr "$a")" 2>/dev/null \
      || die "cannot bind $(addr "$a"); this needs 127/8 routed to lo (Linux does; macOS needs 'ifconfig lo0 alias')"
  done
}

up() {
  check_loopback
  mkdir -p "$DIR"
  "$ROOT/scripts/cassandra.sh" fetch
  local t0 n secs summary=""; t0=$(now_ms)
  for n in 1 2 3; do
    if answers "$n"; then log "cluster: node $n already up"; summary+=" node$n=up"; continue; fi
    secs="$(start_node "$n")"
    log "cluster: node $n ($(addr "$n"):$PORT) joined after $secs s"
    summary+=" node$n=${secs}s"
  done
  wait_seen 3
  local total; total="$(secs_since "$t0")"
  echo "$total$summary" >"$DIR/up-seconds"
  log "cluster: 3 nodes up after $total s ($summary ) on $(addr 1),$(addr 2),$(addr 3) port $PORT"
}

down() {
  local n pids=()
  for n in 3 2 1; do cassandra stop "$n" & pids+=($!); done
  local rc=0 p
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

status() {
  local n rc=0 state
  for n in 1 2 3; do
    if ! alive "$n"; then state="down"; rc=1
    elif paused "$n"; then state="pid $(pid_of "$n") paused (SIGSTOP)"; rc=1
    elif answers "$n"; then state="pid $(pid_of "$n") up, CQL answering, peers: $(peers_of "$n")"
    else state="pid $(pid_of "$n") up, CQL not answering"; rc=1
    fi
    echo "node$n $(addr "$n"):$PORT $state"
  done
  return $rc
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill)
    if alive "$NODE"; then
      p="$(pid_of "$NODE")"; kill -9 "$p"
      for _ in $(seq 1 100); do  # gone, or a zombie nobody has reaped yet
        kill -0 "$p" 2>/dev/null && [ "$(ps -o stat= -p "$p" | cut -c1)" != Z ] || break
        sleep 0.1
      done
      log "cluster: node $NODE (pid $p) killed"
    else
      log "cluster: node $NODE is not running"
    fi ;;
  start)
    t0=$(now_ms); secs="$(start_node "$NODE")"; wait_seen "$NODE"
    log "cluster: node $NODE answered CQL after $secs s; checks done after $(secs_since "$t0") s" ;;
  stop) cassandra stop "$NODE" ;;
  pause)
    alive "$NODE" || die "node $NODE is not running"
    kill -STOP "$(pid_of "$NODE")"; log "cluster: node $NODE (pid $(pid_of "$NODE")) paused" ;;
  resume)
    alive "$NODE" || die "node $NODE is not running"
    t0=$(now_ms); kill -CONT "$(pid_of "$NODE")"
    wait_for "node $NODE answers CQL" answers "$NODE"
    wait_seen "$NODE"
    log "cluster: node $NODE resumed; answering, checks done after $(secs_since "$t0") s" ;;
esac
