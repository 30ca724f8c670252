#!/usr/bin/env bash
# Runs a single-node Apache Cassandra from its Maven Central jars.
#
#   cassandra.sh fetch                       resolve the jars into .deps/ (once)
#   cassandra.sh start  --dir D --port P     write D/conf, start, wait for CQL
#   cassandra.sh stop   --dir D              stop the node whose pid is in D
#   cassandra.sh status --dir D --port P     say whether it runs and answers
#
# The node listens on 127.0.0.1 only; --port is the CQL port and the storage
# port is derived from it (7000 + P - 9042, or --storage-port). Heap: CASSANDRA_HEAP
# (default 1G). Start fails, printing the log's tail, if CQL does not answer a
# real query within CASSANDRA_START_TIMEOUT seconds (default 180).
set -euo pipefail
source "$(dirname "$0")/common.sh"

cmd="${1:-}"; shift || true
DIR="" PORT=9042 STORAGE_PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --storage-port) STORAGE_PORT="$2"; shift 2 ;;
    *) die "cassandra.sh: unknown argument $1" ;;
  esac
done
STORAGE_PORT="${STORAGE_PORT:-$((7000 + PORT - 9042))}"
if [ -n "$DIR" ]; then mkdir -p "$DIR" && DIR="$(cd "$DIR" && pwd)"; fi
HEAP="${CASSANDRA_HEAP:-1G}"
START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"

fetch() {
  if [ -f "$CASSANDRA_LIB/.complete" ]; then return 0; fi
  log "cassandra: resolving org.apache.cassandra:cassandra-all:$CASSANDRA_VERSION from Maven Central"
  rm -rf "$CASSANDRA_LIB"; mkdir -p "$CASSANDRA_LIB"
  mvn -q -B -f "$ROOT/deps/cassandra/pom.xml" \
    -Dmaven.repo.local="$DEPS_DIR/m2" \
    -Dcassandra.version="$CASSANDRA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$CASSANDRA_LIB" >"$DEPS_DIR/mvn.log" 2>&1 \
    || { tail -40 "$DEPS_DIR/mvn.log" >&2; die "maven could not resolve Cassandra"; }
  # Native libraries for other platforms are never loaded here.
  find "$CASSANDRA_LIB" -name '*osx*' -o -name '*windows*' -o -name '*aarch_64*' \
    -o -name '*riscv64*' | xargs -r rm -f
  touch "$CASSANDRA_LIB/.complete"
  log "cassandra: $(ls "$CASSANDRA_LIB" | wc -l) jars in $CASSANDRA_LIB"
}

write_conf() {
  local conf="$DIR/conf"
  mkdir -p "$conf" "$DIR/data" "$DIR/commitlog" "$DIR/saved_caches" "$DIR/hints" \
    "$DIR/cdc_raw" "$DIR/logs"
  sed -e "s#@DIR@#$DIR#g" -e "s#@CQL_PORT@#$PORT#g" -e "s#@STORAGE_PORT@#$STORAGE_PORT#g" \
    "$ROOT/deps/cassandra/cassandra.yaml.in" >"$conf/cassandra.yaml"
  cp "$ROOT/deps/cassandra/logback.xml" "$conf/logback.xml"
}

pid_of() { [ -f "$DIR/cassandra.pid" ] && cat "$DIR/cassandra.pid"; }
running() { local p; p="$(pid_of)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# cql_ready: the node answers a real query (cqlping sends STARTUP and a SELECT).
cql_ready() {
  port_open 127.0.0.1 "$PORT" || return 1
  python3 "$ROOT/scripts/cqlping.py" 127.0.0.1 "$PORT" >/dev/null 2>&1
}

start() {
  [ -n "$DIR" ] || die "cassandra.sh start needs --dir"
  fetch
  if running; then
    if cql_ready; then log "cassandra: already running on 127.0.0.1:$PORT"; return 0; fi
  elif port_open 127.0.0.1 "$PORT"; then
    die "port $PORT is taken by another process; choose another --port"
  fi
  write_conf
  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  local jvm_opts
  mapfile -t jvm_opts < <(grep -v '^\s*#' "$ROOT/deps/cassandra/jvm17.options" | grep -v '^\s*$')
  local cp="$DIR/conf:$CASSANDRA_LIB/*"
  local started; started=$(date +%s%3N)
  log "cassandra: starting $CASSANDRA_VERSION on 127.0.0.1:$PORT (heap $HEAP, data $DIR)"
  nohup "$java" "-Xms$HEAP" "-Xmx$HEAP" "${jvm_opts[@]}" \
    "-javaagent:$(ls "$CASSANDRA_LIB"/jamm-*.jar | head -1)" \
    "-Dcassandra.config=file://$DIR/conf/cassandra.yaml" \
    "-Dlogback.configurationFile=file://$DIR/conf/logback.xml" \
    "-Dcassandra.logdir=$DIR/logs" "-Dcassandra.storagedir=$DIR" \
    -Dcassandra-foreground=yes \
    -cp "$cp" org.apache.cassandra.service.CassandraDaemon \
    >"$DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$DIR/cassandra.pid"
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  while ! cql_ready; do
    if ! running; then
      tail -60 "$DIR/logs/stdout.log" >&2
      die "cassandra exited during start-up (log: $DIR/logs/stdout.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -60 "$DIR/logs/stdout.log" >&2
      stop
      die "cassandra did not answer CQL on 127.0.0.1:$PORT within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  local ms=$(( $(date +%s%3N) - started ))
  local secs; secs="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
  echo "$secs" >"$DIR/startup-seconds"
  log "cassandra: ready on 127.0.0.1:$PORT after $secs s"
}

stop() {
  [ -n "$DIR" ] || die "cassandra.sh stop needs --dir"
  stop_pidfile cassandra "$DIR/cassandra.pid"
}

status() {
  [ -n "$DIR" ] || die "cassandra.sh status needs --dir"
  if running && cql_ready; then echo "cassandra: running (pid $(pid_of)), CQL on 127.0.0.1:$PORT"; return 0; fi
  if running; then echo "cassandra: process $(pid_of) up, CQL not answering on $PORT"; return 1; fi
  echo "cassandra: not running"; return 3
}

case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: cassandra.sh fetch|start|stop|status [--dir D] [--port P]" >&2; exit 2 ;;
esac
