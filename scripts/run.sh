#!/usr/bin/env bash
# Installs what is missing, builds, and runs inventoryd in the foreground on
# port 9083. Ctrl-C stops the service.
#
#   scripts/run.sh [inventoryd arguments]        the embedded store: one SQLite
#                                                file under .run/embedded/, no
#                                                database server, no Redis
#   scripts/run.sh --cql [inventoryd arguments]  Cassandra + Redis: starts the
#                                                developer instances (they stay
#                                                up; scripts/deps.sh down stops
#                                                them)
#
# Other arguments are passed to inventoryd (see `inventoryd --help`).
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [ "${1:-}" = "--cql" ]; then
  shift
  "$ROOT/scripts/deps.sh" up
  "$ROOT/scripts/build.sh" release inventoryd
  export STORE=cql
  export SCYLLA_HOSTS="${SCYLLA_HOSTS:-127.0.0.1:${CQL_PORT:-9042}}"
  export REDIS_ADDR="${REDIS_ADDR:-127.0.0.1:${REDIS_PORT:-6379}}"
  log "run: inventoryd on Cassandra + Redis (Ctrl-C to stop; scripts/deps.sh down stops Cassandra and Redis)"
  exec "$ROOT/build/release/src/inventoryd" "$@"
fi

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" release inventoryd
mkdir -p "$ROOT/.run/embedded"
export STORE=embedded
export EMBEDDED_PATH="${EMBEDDED_PATH:-$ROOT/.run/embedded/inventory.db}"
log "run: inventoryd on the embedded store $EMBEDDED_PATH (Ctrl-C to stop; scripts/run.sh --cql for Cassandra + Redis)"
exec "$ROOT/build/release/src/inventoryd" "$@"
