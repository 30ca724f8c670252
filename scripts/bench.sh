#!/usr/bin/env bash
# The benchmark suite, end to end, on a fresh machine or a used one.
#
# Installs what is missing, starts a Cassandra and a Redis of its own (ports
# BENCH_CQL_PORT=29042 and BENCH_REDIS_PORT=26379, data under .bench-run/,
# removed afterwards), builds the release binaries, and runs bench/bench.py:
# every scenario against a fresh inventoryd, with and without the mechanism
# it measures. Results go to BENCH_OUT (default bench/results/latest):
# results.json, summary.md and latency.png.
#
#   scripts/bench.sh                 the full run (about 10 minutes here)
#   scripts/bench.sh --quick         a few seconds per scenario
#   scripts/bench.sh --only spread   one scenario (comma-separated list)
#   scripts/bench.sh --store embedded,cql
#                                    every scenario on each store (embedded: SQLite, no
#                                    Cassandra nor Redis), side by side in summary.md
#   scripts/bench.sh --cluster       spread on a 3-node cluster (scripts/cluster.sh,
#                                    127.0.0.1-3, port BENCH_CLUSTER_PORT=49042),
#                                    token-aware routing and round robin side by
#                                    side; results to bench/results/cluster
#   scripts/bench.sh --overload      spread holds at 2x and 5x the measured capacity,
#                                    admission control on and off (bench/overload.py,
#                                    --quick, --loads 2,5, --seconds 30); results to
#                                    bench/results/overload
#   scripts/bench.sh --watch         what a WatchSeatMap stream costs: inventoryd's memory
#                                    and CPU with 0, 100 and 1,000 watchers under the same
#                                    change rate, and the delivery latency (bench/watch.py,
#                                    --quick, --watchers, --rate, --seconds); results to
#                                    bench/results/watch
set -euo pipefail
source "$(dirname "$0")/common.sh"

BENCH_DIR="$ROOT/.bench-run"
CQL_PORT="${BENCH_CQL_PORT:-29042}"
REDIS_PORT="${BENCH_REDIS_PORT:-26379}"
CLUSTER_PORT="${BENCH_CLUSTER_PORT:-49042}"
CLUSTER=0
OVERLOAD=0
WATCH=0
if [ "${1:-}" = "--cluster" ]; then CLUSTER=1; shift; fi
if [ "${1:-}" = "--overload" ]; then OVERLOAD=1; shift; fi
if [ "${1:-}" = "--watch" ]; then WATCH=1; shift; fi
if [ $CLUSTER = 1 ]; then
  OUT="${BENCH_OUT:-$ROOT/bench/results/cluster}"
elif [ $OVERLOAD = 1 ]; then
  OUT="${BENCH_OUT:-$ROOT/bench/results/overload}"
elif [ $WATCH = 1 ]; then
  OUT="${BENCH_OUT:-$ROOT/bench/results/watch}"
else
  OUT="${BENCH_OUT:-$ROOT/bench/results/latest}"
fi

cleanup() {
  local rc=$?
  "$ROOT/scripts/cluster.sh" down --dir "$BENCH_DIR/cluster" || true
  "$ROOT/scripts/redis.sh" stop --dir "$BENCH_DIR/redis" || true
  "$ROOT/scripts/cassandra.sh" stop --dir "$BENCH_DIR/cassandra" || true
  rm -rf "$BENCH_DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/cassandra.sh" fetch
"$ROOT/scripts/redis.sh" stop --dir "$BENCH_DIR/redis" || true
"$ROOT/scripts/cassandra.sh" stop --dir "$BENCH_DIR/cassandra" || true
rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"

if [ $CLUSTER = 1 ]; then
  "$ROOT/scripts/cluster.sh" up --dir "$BENCH_DIR/cluster" --port "$CLUSTER_PORT" --storage-port 47000 \
    >"$BENCH_DIR/cassandra-start.log" 2>&1 &
else
  "$ROOT/scripts/cassandra.sh" start --dir "$BENCH_DIR/cassandra" --port "$CQL_PORT" \
    >"$BENCH_DIR/cassandra-start.log" 2>&1 &
fi
cassandra_starter=$!
"$ROOT/scripts/redis.sh" start --dir "$BENCH_DIR/redis" --port "$REDIS_PORT"
"$ROOT/scripts/build.sh" release inventoryd inventory-load inventory-lwt-bench
if ! wait "$cassandra_starter"; then
  cat "$BENCH_DIR/cassandra-start.log" >&2
  die "Cassandra did not start"
fi

log "bench: results into $OUT"
if [ $CLUSTER = 1 ]; then
  python3 "$ROOT/bench/bench.py" --cluster \
    --cql "127.0.0.1:$CLUSTER_PORT,127.0.0.2:$CLUSTER_PORT,127.0.0.3:$CLUSTER_PORT" \
    --redis "127.0.0.1:$REDIS_PORT" --out "$OUT" --command "scripts/bench.sh --cluster $*" "$@"
elif [ $OVERLOAD = 1 ]; then
  python3 "$ROOT/bench/overload.py" --cql "127.0.0.1:$CQL_PORT" --redis "127.0.0.1:$REDIS_PORT" \
    --out "$OUT" --command "scripts/bench.sh --overload $*" "$@"
elif [ $WATCH = 1 ]; then
  python3 "$ROOT/bench/watch.py" --cql "127.0.0.1:$CQL_PORT" --redis "127.0.0.1:$REDIS_PORT" \
    --out "$OUT" --command "scripts/bench.sh --watch $*" "$@"
else
  python3 "$ROOT/bench/bench.py" --cql "127.0.0.1:$CQL_PORT" --redis "127.0.0.1:$REDIS_PORT" \
    --cassandra-pid "$(cat "$BENCH_DIR/cassandra/cassandra.pid")" \
    --out "$OUT" --command "scripts/bench.sh $*" "$@"
fi
