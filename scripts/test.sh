#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one.
#
# Installs what is missing, starts a Cassandra and a Redis of its own (ports
# TEST_CQL_PORT=19042 and TEST_REDIS_PORT=16379, data under .test-run/, never
# the developer instances), builds, runs the unit tests under AddressSanitizer
# and UndefinedBehaviorSanitizer, then every test (unit, CQL, Redis,
# end-to-end) in the release build. The servers are stopped and .test-run/
# removed afterwards, on failure too.
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
ctest --test-dir "$ROOT/build/release" ${TEST_LABELS:+-L "$TEST_LABELS"} --output-on-failure -j 2
