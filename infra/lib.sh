# Shared settings and helpers for the infra scripts. Sourced, not run.
# Every component runs as a local process on 127.0.0.1 with its data and logs under .local/
# (git-ignored). Ports are overridable so a developer can run two stacks side by side.
set -euo pipefail

SEAM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${SEAM_LOCAL_DIR:-$SEAM_ROOT/.local}"
DIST="$LOCAL/dist"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"

KAFKA_VERSION=3.9.1
APICURIO_VERSION=3.0.9
KAFKA_HOME="$DIST/kafka-$KAFKA_VERSION"
APICURIO_HOME="$DIST/apicurio-$APICURIO_VERSION"

KAFKA_PORT="${SEAM_KAFKA_PORT:-19092}"
KAFKA_SASL_PORT="${SEAM_KAFKA_SASL_PORT:-19093}"
KAFKA_CONTROLLER_PORT="${SEAM_KAFKA_CONTROLLER_PORT:-19094}"
REGISTRY_PORT="${SEAM_REGISTRY_PORT:-18081}"
REDIS_PORT="${SEAM_REDIS_PORT:-16379}"
REDIS_CLUSTER_PORTS="${SEAM_REDIS_CLUSTER_PORTS:-17001 17002 17003}"
# Small hashes and sorted sets stay compact listpacks with values up to 256 bytes (Redis's default is
# 64). Event ids are copied into the correlator's time indexes and occurrence hashes, and real ones
# are 20 to ~150 characters (a Security Hub finding ARN): with the default, one long id turns a key's
# whole index into a hashtable/skiplist. Measured: 1,339 -> 1,032 B of Redis per live event with
# real-format ids (services/correlator/README.md, "Memory per live event"). Sorted sets stay listpacks
# up to 1,024 entries (default 128): the correlator's sweep buckets (CORRELATOR_SWEEP_BUCKETS, 256 of
# each kind) then hold up to 262,144 live entries at ~25 instead of ~110 bytes each; a listpack's
# O(n) insert is cheap at that size. Give Seam's Redis the same.
REDIS_TUNING=(--zset-max-listpack-value 256 --hash-max-listpack-value 256 --zset-max-listpack-entries 1024)
HOST=127.0.0.1

ENDPOINTS_FILE="$LOCAL/endpoints.env"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# pid_alive NAME -> 0 when the process recorded in $RUN/NAME.pid is running.
pid_alive() {
  local f="$RUN/$1.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# wait_for NAME LOGFILE TIMEOUT_S CHECK... : polls CHECK until it succeeds; on timeout or when the
# process dies, fails with the log tail so the cause is visible without digging.
wait_for() {
  local name="$1" logfile="$2" timeout="$3"; shift 3
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      log "$name exited during start-up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      die "$name did not start"
    fi
    if (( SECONDS - start > timeout )); then
      log "$name not ready after ${timeout}s; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      die "$name did not become ready"
    fi
    sleep 0.5
  done
  log "$name ready in $((SECONDS - start))s"
}

stop_pid() {
  local name="$1" f="$RUN/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 30s; killing"; kill -9 "$pid" 2>/dev/null || true; fi
    log "$name stopped"
  fi
  rm -f "$f"
}
