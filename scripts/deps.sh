#!/usr/bin/env bash
# The developer instances of Cassandra and Redis used by scripts/run.sh.
#
#   deps.sh up       install what is missing, start both (no-op when running)
#   deps.sh down     stop both (data under .run/ is kept)
#   deps.sh status   say whether each runs
#   deps.sh clean    stop both and delete .run/
#
# Ports: CQL_PORT (9042) and REDIS_PORT (6379), both on 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/common.sh"

RUN_DIR="$ROOT/.run"
CQL_PORT="${CQL_PORT:-9042}"
REDIS_PORT="${REDIS_PORT:-6379}"

case "${1:-}" in
  up)
    "$ROOT/scripts/install-deps.sh"
    "$ROOT/scripts/cassandra.sh" start --dir "$RUN_DIR/cassandra" --port "$CQL_PORT"
    "$ROOT/scripts/redis.sh" start --dir "$RUN_DIR/redis" --port "$REDIS_PORT"
    ;;
  down)
    "$ROOT/scripts/redis.sh" stop --dir "$RUN_DIR/redis"
    "$ROOT/scripts/cassandra.sh" stop --dir "$RUN_DIR/cassandra"
    ;;
  status)
    rc=0
    "$ROOT/scripts/cassandra.sh" status --dir "$RUN_DIR/cassandra" --port "$CQL_PORT" || rc=1
    "$ROOT/scripts/redis.sh" status --dir "$RUN_DIR/redis" --port "$REDIS_PORT" || rc=1
    exit $rc
    ;;
  clean)
    "$0" down
    rm -rf "$RUN_DIR"
    ;;
  *) echo "usage: deps.sh up|down|status|clean" >&2; exit 2 ;;
esac
