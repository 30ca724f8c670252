#!/usr/bin/env bash
# Runs one Apache Cassandra node from its Maven Central jars.
#
#   cassandra.sh fetch                       resolve the jars into .deps/ (once)
#   cassandra.sh start  --dir D --port P     write D/conf, start, wait for CQL
#   cassandra.sh stop   --dir D              stop the node whose pid is in D
#   cassandra.sh status --dir D --port P     say whether it runs and answers
#
# By default the node is a single node on 127.0.0.1 (token 0, SimpleSnitch,
# cluster "inventory-local", no authentication, plain CQL). --port is the CQL
# port and the storage port is derived from it (7000 + P - 9042, or
# --storage-port). Options for other shapes (scripts/cluster.sh uses them):
#
#   --address A          listen and CQL address (default 127.0.0.1; any 127/8
#                        address works on Linux without configuration)
#   --seeds S            comma-separated seeds, host[:storage port] (default A:storage port)
#   --cluster-name N     (default inventory-local; fixed at a node's first start)
#   --initial-token T    Murmur3 token of the node (default 0)
#   --dc DC --rack R     GossipingPropertyFileSnitch with that datacenter/rack
#                        (either one switches it on; defaults dc1 / rack1)
#   --secure CERTDIR     TLS only on the CQL port with CERTDIR's PEM files
#                        (scripts/certs.sh make CERTDIR) and PasswordAuthenticator;
#                        the default CQL port becomes 19142 (storage 17100).
#                        Ready means a TLS login as cassandra/cassandra works.
#   --require-client-auth  with --secure: clients must show a certificate
#                        signed by CERTDIR's CA (the probe uses client.pem)
#
# status needs the same --address/--port/--secure as start to probe the node.
# Heap: CASSANDRA_HEAP (default 1G). CASSANDRA_JVM_OPTS: extra JVM flags,
# space-separated, placed last (a -D there overrides the same one before it).
# Start fails, printing the log's tail, if CQL does not answer a real query
# within CASSANDRA_START_TIMEOUT seconds (default 180). No JMX port is opened
# (jvm17.options sets none), so several nodes never clash there.
set -euo pipefail
source "$(dirname "$0")/common.sh"

cmd="${1:-}"; shift || true
DIR="" PORT="" STORAGE_PORT="" ADDRESS=127.0.0.1 SEEDS="" CLUSTER_NAME=inventory-local
INITIAL_TOKEN=0 DC="" RACK="" CERT_DIR="" REQUIRE_CLIENT_AUTH=false
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --storage-port) STORAGE_PORT="$2"; shift 2 ;;
    --address) ADDRESS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --cluster-name) CLUSTER_NAME="$2"; shift 2 ;;
    --initial-token) INITIAL_TOKEN="$2"; shift 2 ;;
    --dc) DC="$2"; shift 2 ;;
    --rack) RACK="$2"; shift 2 ;;
    --secure) CERT_DIR="$2"; shift 2 ;;
    --require-client-auth) REQUIRE_CLIENT_AUTH=true; shift ;;
    *) die "cassandra.sh: unknown argument $1" ;;
  esac
done
if [ -z "$PORT" ]; then if [ -n "$CERT_DIR" ]; then PORT=19142; else PORT=9042; fi; fi
STORAGE_PORT="${STORAGE_PORT:-$((7000 + PORT - 9042))}"
SEEDS="${SEEDS:-$ADDRESS:$STORAGE_PORT}"
[[ "$ADDRESS" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--address wants an IPv4 address, got $ADDRESS"
[[ "$INITIAL_TOKEN" =~ ^-?[0-9]+$ ]] || die "--initial-token wants an integer, got $INITIAL_TOKEN"
[[ "$CLUSTER_NAME$SEEDS$DC$RACK" =~ ^[A-Za-z0-9._:,-]*$ ]] || die "cluster name, seeds, dc and rack: letters, digits and . _ : , - only"
if [ "$REQUIRE_CLIENT_AUTH" = true ] && [ -z "$CERT_DIR" ]; then die "--require-client-auth needs --secure CERTDIR"; fi
if [ -n "$CERT_DIR" ]; then
  [ -d "$CERT_DIR" ] || die "--secure $CERT_DIR: no such folder (make it with scripts/certs.sh make $CERT_DIR)"
  CERT_DIR="$(cd "$CERT_DIR" && pwd)"
fi
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
  local conf="$DIR/conf" snitch=SimpleSnitch authenticator=AllowAllAuthenticator secure_lines
  mkdir -p "$conf" "$DIR/data" "$DIR/commitlog" "$DIR/saved_caches" "$DIR/hints" \
    "$DIR/cdc_raw" "$DIR/logs"
  rm -f "$conf/cassandra-rackdc.properties"
  if [ -n "$DC$RACK" ]; then
    snitch=GossipingPropertyFileSnitch
    printf 'dc=%s\nrack=%s\nprefer_local=false\n' "${DC:-dc1}" "${RACK:-rack1}" \
      >"$conf/cassandra-rackdc.properties"
  fi
  if [ -n "$CERT_DIR" ]; then
    authenticator=PasswordAuthenticator secure_lines='s/^#@SECURE@ //'
  else
    secure_lines='/^#@SECURE@ /d'
  fi
  sed -e "$secure_lines" -e "s#@DIR@#$DIR#g" -e "s#@CQL_PORT@#$PORT#g" \
    -e "s#@STORAGE_PORT@#$STORAGE_PORT#g" -e "s#@ADDRESS@#$ADDRESS#g" -e "s#@SEEDS@#$SEEDS#g" \
    -e "s#@CLUSTER_NAME@#$CLUSTER_NAME#g" -e "s#@INITIAL_TOKEN@#$INITIAL_TOKEN#g" \
    -e "s#@SNITCH@#$snitch#g" -e "s#@AUTHENTICATOR@#$authenticator#g" \
    -e "s#@CERT_DIR@#$CERT_DIR#g" -e "s#@REQUIRE_CLIENT_AUTH@#$REQUIRE_CLIENT_AUTH#g" \
    "$ROOT/deps/cassandra/cassandra.yaml.in" >"$conf/cassandra.yaml"
  local unfilled; unfilled="$(grep -v '^\s*#' "$conf/cassandra.yaml" | grep -o '@[A-Z_]*@' | head -1 || true)"
  [ -z "$unfilled" ] || die "unfilled placeholder $unfilled in $conf/cassandra.yaml"
  cp "$ROOT/deps/cassandra/logback.xml" "$conf/logback.xml"
}

check_certs() {
  local f
  for f in ca.pem node-keystore.pem client.pem client-key.pem; do
    [ -f "$CERT_DIR/$f" ] || die "$CERT_DIR/$f missing; make the files with scripts/certs.sh make $CERT_DIR"
  done
}

pid_of() { [ -f "$DIR/cassandra.pid" ] && cat "$DIR/cassandra.pid"; }
# running: the process exists and is not a zombie (a SIGKILLed node stays one
# until its new parent, init, reaps it; some inits take seconds, some never do).
running() {
  local p; p="$(pid_of)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null &&
    [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" != Z ]
}
# paused: the process is stopped by a signal (SIGSTOP, as scripts/cluster.sh pause does).
paused() { local p; p="$(pid_of)" && [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = T ]; }

# The probe's arguments: plain, or TLS + the default superuser for --secure.
ping_args() {
  PING_ARGS=("$ADDRESS" "$PORT")
  if [ -n "$CERT_DIR" ]; then
    PING_ARGS+=(--tls "$CERT_DIR/ca.pem" --user cassandra --password cassandra)
    if [ "$REQUIRE_CLIENT_AUTH" = true ]; then
      PING_ARGS+=(--cert "$CERT_DIR/client.pem" --key "$CERT_DIR/client-key.pem")
    fi
  fi
}

# cql_ready: the node answers a real query (cqlping sends STARTUP and a SELECT;
# with --secure over TLS, after logging in as cassandra/cassandra, which
# PasswordAuthenticator creates a moment after CQL opens).
cql_ready() {
  port_open "$ADDRESS" "$PORT" || return 1
  ping_args
  python3 "$ROOT/scripts/cqlping.py" "${PING_ARGS[@]}" >/dev/null 2>&1
}

start() {
  [ -n "$DIR" ] || die "cassandra.sh start needs --dir"
  fetch
  if [ -n "$CERT_DIR" ]; then check_certs; fi
  local started; started=$(date +%s%3N)
  local what="$ADDRESS:$PORT${CERT_DIR:+ (TLS + password)}"
  if running; then
    paused && die "cassandra pid $(pid_of) is stopped (SIGSTOP); resume it first (kill -CONT $(pid_of))"
    if cql_ready; then log "cassandra: already running on $what"; return 0; fi
    # Never a second JVM on the same folder: wait for the one that is starting.
    log "cassandra: pid $(pid_of) is up but not answering yet on $what; waiting for it"
  else
    if port_open "$ADDRESS" "$PORT"; then
      die "port $ADDRESS:$PORT is taken by another process; choose another --port"
    fi
    write_conf
    local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
    local jvm_opts extra_opts=()
    mapfile -t jvm_opts < <(grep -v '^\s*#' "$ROOT/deps/cassandra/jvm17.options" | grep -v '^\s*$')
    # The default superuser is created this long after start-up (Cassandra's default: 10 s).
    if [ -n "$CERT_DIR" ]; then extra_opts+=(-Dcassandra.superuser_setup_delay_ms=500); fi
    # shellcheck disable=SC2206 # word splitting is the point
    if [ -n "${CASSANDRA_JVM_OPTS:-}" ]; then extra_opts+=($CASSANDRA_JVM_OPTS); fi
    local cp="$DIR/conf:$CASSANDRA_LIB/*"
    log "cassandra: starting $CASSANDRA_VERSION on $what, storage port $STORAGE_PORT (heap $HEAP, data $DIR)"
    nohup "$java" "-Xms$HEAP" "-Xmx$HEAP" "${jvm_opts[@]}" \
      "-javaagent:$(ls "$CASSANDRA_LIB"/jamm-*.jar | head -1)" \
      "-Dcassandra.config=file://$DIR/conf/cassandra.yaml" \
      "-Dlogback.configurationFile=file://$DIR/conf/logback.xml" \
      "-Dcassandra.logdir=$DIR/logs" "-Dcassandra.storagedir=$DIR" "-XX:HeapDumpPath=$DIR/logs" \
      -Dcassandra-foreground=yes ${extra_opts[@]+"${extra_opts[@]}"} \
      -cp "$cp" org.apache.cassandra.service.CassandraDaemon \
      >"$DIR/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$DIR/cassandra.pid"
  fi
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  while ! cql_ready; do
    if ! running; then
      tail -60 "$DIR/logs/stdout.log" >&2
      die "cassandra exited during start-up (log: $DIR/logs/stdout.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -60 "$DIR/logs/stdout.log" >&2
      stop
      die "cassandra did not answer CQL on $what within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  local ms=$(( $(date +%s%3N) - started ))
  local secs; secs="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
  echo "$secs" >"$DIR/startup-seconds"
  log "cassandra: ready on $what after $secs s"
}

stop() {
  [ -n "$DIR" ] || die "cassandra.sh stop needs --dir"
  # A paused node would only see the TERM once resumed.
  if paused; then kill -CONT "$(pid_of)" 2>/dev/null || true; fi
  stop_pidfile cassandra "$DIR/cassandra.pid"
}

status() {
  [ -n "$DIR" ] || die "cassandra.sh status needs --dir"
  local what="$ADDRESS:$PORT${CERT_DIR:+ (TLS + password)}"
  if running && paused; then echo "cassandra: process $(pid_of) paused (SIGSTOP), CQL not answering on $what"; return 1; fi
  if running && cql_ready; then echo "cassandra: running (pid $(pid_of)), CQL on $what"; return 0; fi
  if running; then echo "cassandra: process $(pid_of) up, CQL not answering on $what"; return 1; fi
  echo "cassandra: not running"; return 3
}

case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: cassandra.sh fetch|start|stop|status [--dir D] [--port P] [--storage-port SP] [--address A] [--seeds S] [--cluster-name N] [--initial-token T] [--dc DC] [--rack R] [--secure CERTDIR [--require-client-auth]]" >&2; exit 2 ;;
esac
