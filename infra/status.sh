#!/usr/bin/env bash
# Prints each component's state (running / stopped) and address; exits 1 if any is stopped.
source "$(dirname "$0")/lib.sh"
all_up=0
row() { printf '%-22s %-8s %s\n' "$1" "$2" "$3"; }
check() { # NAME ADDRESS
  if pid_alive "$1"; then row "$1" running "$2"; else row "$1" stopped "$2"; all_up=1; fi
}
row component state address
check kafka "$HOST:$KAFKA_PORT (SASL/SCRAM $HOST:$KAFKA_SASL_PORT)"
check registry "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"
check redis "redis://$HOST:$REDIS_PORT"
for p in $REDIS_CLUSTER_PORTS; do check "redis-cluster-$p" "$HOST:$p"; done
if [ -f "$LOCAL/llm/server.pid" ] && kill -0 "$(cat "$LOCAL/llm/server.pid")" 2>/dev/null; then
  row llm running "http://$HOST:${LLM_PORT:-18088}/v1"
else
  row llm stopped "http://$HOST:${LLM_PORT:-18088}/v1"
  [ "${SEAM_SKIP_LLM:-0}" = 1 ] || all_up=1
fi
exit "$all_up"
