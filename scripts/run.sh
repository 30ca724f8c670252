#!/usr/bin/env bash
# Installs what is missing, starts the developer Cassandra and Redis (they
# stay up afterwards; scripts/deps.sh down stops them), builds, and runs
# inventoryd in the foreground on port 9083. Ctrl-C stops the service.
# Arguments are passed to inventoryd (see `inventoryd --help`).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/deps.sh" up
"$ROOT/scripts/build.sh" release inventoryd
export SCYLLA_HOSTS="${SCYLLA_HOSTS:-127.0.0.1:${CQL_PORT:-9042}}"
export REDIS_ADDR="${REDIS_ADDR:-127.0.0.1:${REDIS_PORT:-6379}}"
log "run: inventoryd (Ctrl-C to stop; scripts/deps.sh down stops Cassandra and Redis)"
exec "$ROOT/build/release/src/inventoryd" "$@"
