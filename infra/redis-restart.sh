#!/usr/bin/env bash
# A private standalone Redis for fault tests that restart Redis: its own folder and port, so
# restarting it never touches the shared instances infra/up.sh started. Same persistence settings
# as up.sh's (append-only file, fsync every second), so a clean restart keeps every key, as the
# shared one does.
#
#   infra/redis-restart.sh start   DIR PORT   # start (idempotent), wait for PING
#   infra/redis-restart.sh stop    DIR        # SHUTDOWN NOSAVE via SIGTERM, SIGKILL after 30 s
#   infra/redis-restart.sh restart DIR PORT   # stop, then start on the same port
#   infra/redis-restart.sh status  DIR
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|restart|status DIR [PORT]"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/redis.pid"

private_alive() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

private_stop() {
  private_alive || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  log "private redis in $dir stopped"
}

private_start() {
  local port="$1"
  [ "$port" != "$REDIS_PORT" ] || die "port $port is the shared Redis's: give the private one its own"
  if private_alive; then log "private redis in $dir already running"; return 0; fi
  rm -f "$pidfile"
  redis-server --bind "$HOST" --port "$port" --dir "$dir" --save "" --appendonly yes --appendfsync everysec \
    "${REDIS_TUNING[@]}" --daemonize yes --pidfile "$pidfile" --logfile "$dir/redis.log"
  local start=$SECONDS
  until redis-cli -h "$HOST" -p "$port" ping >/dev/null 2>&1; do
    if (( SECONDS - start > 20 )); then tail -n 20 "$dir/redis.log" >&2 || true; die "private redis not ready after 20s"; fi
    sleep 0.2
  done
  for _ in $(seq 1 20); do [ -s "$pidfile" ] && break; sleep 0.1; done
  log "private redis ready on $HOST:$port"
}

case "$cmd" in
  start) [ $# -ge 3 ] || die "usage: $0 start DIR PORT"; private_start "$3" ;;
  stop) private_stop ;;
  restart) [ $# -ge 3 ] || die "usage: $0 restart DIR PORT"; private_stop; private_start "$3" ;;
  status) if private_alive; then echo "running pid $(cat "$pidfile")"; else echo "stopped"; exit 1; fi ;;
  *) die "unknown command $cmd (start|stop|restart|status)" ;;
esac
