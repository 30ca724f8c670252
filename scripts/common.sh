# Shared settings for the project's scripts; sourced, never run.
# Everything the scripts install or create lives under the project folder:
#   .deps/        downloaded Cassandra jars and the Maven cache (kept between runs)
#   .run/         the developer instance's data and logs (scripts/deps.sh)
#   .test-run/    the test suite's own instances (scripts/test.sh; removed after)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS_DIR="${INVENTORY_DEPS_DIR:-$ROOT/.deps}"
CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_LIB="$DEPS_DIR/cassandra-$CASSANDRA_VERSION/lib"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# stop_pidfile NAME PIDFILE: TERM the process, KILL it after 30 s, remove the file.
stop_pidfile() {
  local name="$1" file="$2" p
  p="$(cat "$file" 2>/dev/null || true)"
  if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then rm -f "$file"; return 0; fi
  log "$name: stopping pid $p"
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
  rm -f "$file"
}
