#!/usr/bin/env bash
# Starts moto's server (the AWS mock, PyPI `moto[server]`) on 127.0.0.1 for the aws-ingest
# integration tests. Idempotent: the venv under .local/moto-venv is created once, a running server
# is reused. The URL is written to .local/moto.env as MOTO_URL.
#
#   bash infra/moto-up.sh          # install if needed, start if not running, print MOTO_URL
#   bash infra/moto-up.sh stop     # stop the server started by this script
#   bash infra/moto-up.sh status
#
# Env: MOTO_VERSION (pip specifier, default "==5.1.18"), SEAM_MOTO_PORT (default: a free port).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_SPEC="${MOTO_VERSION:-==5.1.18}"
VENV="$LOCAL/moto-venv"
PIDFILE="$RUN/moto.pid"
MOTO_ENV="$LOCAL/moto.env"
MOTO_LOG="$LOGS/moto.log"
mkdir -p "$RUN" "$LOGS"

moto_stop() {
  if pid_alive moto; then
    local pid
    pid="$(cat "$PIDFILE")"
    log "stopping moto_server (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE" "$MOTO_ENV"
}

moto_install() {
  if [ -x "$VENV/bin/moto_server" ] && [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$MOTO_SPEC" ]; then
    return 0
  fi
  log "installing moto[server]$MOTO_SPEC into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]$MOTO_SPEC" >"$LOGS/moto-install.log" 2>&1 \
    || { tail -20 "$LOGS/moto-install.log" >&2; die "pip install moto[server]$MOTO_SPEC failed"; }
  printf '%s' "$MOTO_SPEC" >"$VENV/.installed"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

moto_start() {
  moto_install
  if pid_alive moto && [ -f "$MOTO_ENV" ]; then
    log "moto_server already running ($(cat "$MOTO_ENV"))"
    cat "$MOTO_ENV"
    return 0
  fi
  local port="${SEAM_MOTO_PORT:-$(free_port)}"
  nohup "$VENV/bin/moto_server" -H "$HOST" -p "$port" >"$MOTO_LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if port_open "$port"; then
      printf 'MOTO_URL=http://%s:%s\n' "$HOST" "$port" >"$MOTO_ENV"
      log "moto_server listening on $HOST:$port"
      cat "$MOTO_ENV"
      return 0
    fi
    pid_alive moto || { tail -20 "$MOTO_LOG" >&2; die "moto_server exited"; }
    sleep 0.2
  done
  tail -20 "$MOTO_LOG" >&2
  die "moto_server did not open port $port"
}

case "${1:-start}" in
  start) moto_start ;;
  stop) moto_stop ;;
  status)
    if pid_alive moto && [ -f "$MOTO_ENV" ]; then cat "$MOTO_ENV"; else echo "moto_server not running"; exit 1; fi ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac
