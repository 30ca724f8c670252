#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one.
#
# Installs what is missing, starts a Cassandra and a Redis of its own (ports
# TEST_CQL_PORT=19042 and TEST_REDIS_PORT=16379, data under .test-run/, never
# the developer instances), builds, runs the unit tests under AddressSanitizer
# and UndefinedBehaviorSanitizer, then every test (unit, CQL, Redis,
# end-to-end) in the release build. Then the single node gives way to a
# secure node (TLS + PasswordAuthenticator, port TEST_SECURE_CQL_PORT=19142,
# certificates made by scripts/certs.sh) and a 3-node cluster
# (scripts/cluster.sh, 127.0.0.1-3, port TEST_CLUSTER_CQL_PORT=39042) for the
# labels secure and cluster. The servers are stopped and .test-run/ removed
# afterwards, on failure too.
#
# TEST_LABELS (a ctest label regex) narrows the second run, e.g. TEST_LABELS=unit.
set -euo pipefail
source "$(dirname "$0")/common.sh"

TEST_DIR="$ROOT/.test-run"
CQL_PORT="${TEST_CQL_PORT:-19042}"
REDIS_PORT="${TEST_REDIS_PORT:-16379}"
started=$(date +%s)

cleanup() {
  local rc=$?
  "$ROOT/scripts/cluster.sh" down --dir "$TEST_DIR/cluster" || true
  "$ROOT/scripts/cassandra.sh" stop --dir "$TEST_DIR/secure" || true
  "$ROOT/scripts/redis.sh" stop --dir "$TEST_DIR/redis" || true
  "$ROOT/scripts/cassandra.sh" stop --dir "$TEST_DIR/cassandra" || true
  if [ $rc -ne 0 ] && [ -f "$TEST_DIR/cassandra/logs/system.log" ]; then
    log "test: Cassandra log tail:"; tail -20 "$TEST_DIR/cassandra/logs/system.log" >&2 || true
  fi
  rm -rf "$TEST_DIR"
  log "test: finished in $(( $(date +%s) - started )) s (exit $rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/cassandra.sh" fetch

# Leftovers of an interrupted run are stopped and wiped first.
"$ROOT/scripts/cluster.sh" down --dir "$TEST_DIR/cluster" || true
"$ROOT/scripts/cassandra.sh" stop --dir "$TEST_DIR/secure" || true
"$ROOT/scripts/redis.sh" stop --dir "$TEST_DIR/redis" || true
"$ROOT/scripts/cassandra.sh" stop --dir "$TEST_DIR/cassandra" || true
rm -rf "$TEST_DIR"; mkdir -p "$TEST_DIR"

# Cassandra starts while the code builds.
"$ROOT/scripts/cassandra.sh" start --dir "$TEST_DIR/cassandra" --port "$CQL_PORT" \
  >"$TEST_DIR/cassandra-start.log" 2>&1 &
cassandra_starter=$!
"$ROOT/scripts/redis.sh" start --dir "$TEST_DIR/redis" --port "$REDIS_PORT"

"$ROOT/scripts/build.sh" release
"$ROOT/scripts/build.sh" asan unit_tests

if ! wait "$cassandra_starter"; then
  cat "$TEST_DIR/cassandra-start.log" >&2
  die "Cassandra did not start"
fi
cat "$TEST_DIR/cassandra-start.log" >&2

export INVENTORY_TEST_CQL_HOST=127.0.0.1 INVENTORY_TEST_CQL_PORT="$CQL_PORT"
export INVENTORY_TEST_REDIS_HOST=127.0.0.1 INVENTORY_TEST_REDIS_PORT="$REDIS_PORT"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

log "test: unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
ctest --test-dir "$ROOT/build/asan" -L '^unit$' --output-on-failure -j 2

log "test: all tests (release build)"
ctest --test-dir "$ROOT/build/release" ${TEST_LABELS:+-L "$TEST_LABELS"} -LE '^(secure|cluster|cluster-chaos)$' \
  --output-on-failure -j 2

# The secure node and the 3-node cluster, for the labels secure and cluster.
# The single test node goes first (2 cores; about 1.5 GiB per node).
stage_labels=()
for l in secure cluster; do
  if [ -z "${TEST_LABELS:-}" ] || [[ $l =~ $TEST_LABELS ]]; then stage_labels+=("$l"); fi
done
if [ ${#stage_labels[@]} -gt 0 ]; then
  SECURE_CQL_PORT="${TEST_SECURE_CQL_PORT:-19142}"
  CLUSTER_CQL_PORT="${TEST_CLUSTER_CQL_PORT:-39042}"
  log "test: secure node and 3-node cluster (labels ${stage_labels[*]})"
  "$ROOT/scripts/cassandra.sh" stop --dir "$TEST_DIR/cassandra"
  "$ROOT/scripts/certs.sh" make "$TEST_DIR/tls"
  "$ROOT/scripts/cassandra.sh" start --dir "$TEST_DIR/secure" --port "$SECURE_CQL_PORT" \
    --secure "$TEST_DIR/tls" >"$TEST_DIR/secure-start.log" 2>&1 &
  secure_starter=$!
  "$ROOT/scripts/cluster.sh" up --dir "$TEST_DIR/cluster" --port "$CLUSTER_CQL_PORT"
  if ! wait "$secure_starter"; then
    cat "$TEST_DIR/secure-start.log" >&2
    die "the secure Cassandra node did not start"
  fi
  cat "$TEST_DIR/secure-start.log" >&2
  export INVENTORY_TEST_SECURE_CQL_HOST=127.0.0.1 INVENTORY_TEST_SECURE_CQL_PORT="$SECURE_CQL_PORT"
  export INVENTORY_TEST_SECURE_USER=cassandra INVENTORY_TEST_SECURE_PASSWORD=cassandra
  export INVENTORY_TEST_TLS_DIR="$TEST_DIR/tls"
  export INVENTORY_TEST_CLUSTER_HOSTS="127.0.0.1:$CLUSTER_CQL_PORT,127.0.0.2:$CLUSTER_CQL_PORT,127.0.0.3:$CLUSTER_CQL_PORT"
  export INVENTORY_TEST_CLUSTER_DIR="$TEST_DIR/cluster" INVENTORY_TEST_CLUSTER_PORT="$CLUSTER_CQL_PORT"
  export INVENTORY_TEST_CLUSTER_SCRIPT="$ROOT/scripts/cluster.sh"
  for label in "${stage_labels[@]}"; do
    # The cluster test kills and pauses nodes: one test at a time.
    ctest --test-dir "$ROOT/build/release" -L "^$label\$" --output-on-failure \
      -j "$([ "$label" = cluster ] && echo 1 || echo 2)"
  done
fi
