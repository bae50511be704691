#!/usr/bin/env bash
# Stops every component infra/up.sh started (by pid file), gracefully, then forcefully after 30 s.
# Data stays under .local/ so the next up.sh resumes; `down.sh --purge` deletes it as well.
source "$(dirname "$0")/lib.sh"
if [ -f "$LOCAL/llm/server.pid" ]; then
  cp "$LOCAL/llm/server.pid" "$RUN/llm.pid" 2>/dev/null && rm -f "$LOCAL/llm/server.pid"
  stop_pid llm
fi
stop_pid moto   # started on demand by infra/moto-up.sh (the aws-ingest tests)
stop_pid registry
stop_pid kafka
for p in $REDIS_CLUSTER_PORTS; do stop_pid "redis-cluster-$p"; done
stop_pid redis
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$LOCAL/kafka" "$LOCAL/registry" "$LOCAL/redis" "$LOCAL"/redis-cluster-* "$ENDPOINTS_FILE"
  log "data purged"
fi
