#!/usr/bin/env bash
# Runs a Redis server (Debian's redis-server) on 127.0.0.1 with its files in a
# project folder and no persistence: Redis holds nothing the service cannot lose.
#
#   redis.sh start  --dir D --port P     start (daemonised) and wait for PING
#   redis.sh stop   --dir D
#   redis.sh status --dir D --port P
#
# REDIS_PASSWORD, when set, is required from clients (requirepass).
set -euo pipefail
source "$(dirname "$0")/common.sh"

cmd="${1:-}"; shift || true
DIR="" PORT=6379
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    *) die "redis.sh: unknown argument $1" ;;
  esac
done
[ -n "$DIR" ] || die "redis.sh $cmd needs --dir"
mkdir -p "$DIR" && DIR="$(cd "$DIR" && pwd)"

cli() { redis-cli -h 127.0.0.1 -p "$PORT" ${REDIS_PASSWORD:+--no-auth-warning -a "$REDIS_PASSWORD"} "$@"; }
pid_of() { [ -f "$DIR/redis.pid" ] && cat "$DIR/redis.pid"; }
running() { local p; p="$(pid_of)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start() {
  if running && [ "$(cli ping 2>/dev/null)" = "PONG" ]; then
    log "redis: already running on 127.0.0.1:$PORT"; return 0
  fi
  if port_open 127.0.0.1 "$PORT"; then die "port $PORT is taken by another process; choose another --port"; fi
  mkdir -p "$DIR"
  local args=(--port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly no
    --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --protected-mode yes)
  if [ -n "${REDIS_PASSWORD:-}" ]; then args+=(--requirepass "$REDIS_PASSWORD"); fi
  redis-server "${args[@]}" || { tail -20 "$DIR/redis.log" >&2 || true; die "redis-server failed to start"; }
  for _ in $(seq 1 100); do
    if [ "$(cli ping 2>/dev/null)" = "PONG" ]; then log "redis: ready on 127.0.0.1:$PORT"; return 0; fi
    sleep 0.1
  done
  tail -20 "$DIR/redis.log" >&2 || true
  die "redis did not answer PING on 127.0.0.1:$PORT"
}

stop() { stop_pidfile redis "$DIR/redis.pid"; }

status() {
  if running && [ "$(cli ping 2>/dev/null)" = "PONG" ]; then echo "redis: running (pid $(pid_of)) on 127.0.0.1:$PORT"; return 0; fi
  echo "redis: not running"; return 3
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: redis.sh start|stop|status --dir D [--port P]" >&2; exit 2 ;;
esac
