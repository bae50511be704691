#!/usr/bin/env bash
# Starts Seam's real components as local processes on 127.0.0.1, idempotently, and writes their
# endpoints to .local/endpoints.env (source it, or let ./seam do it):
#   - Apache Kafka 3.9.1, KRaft combined broker+controller, a PLAINTEXT listener and a
#     SASL_PLAINTEXT listener with SCRAM-SHA-256/512 (user created at storage format time)
#   - Apicurio Registry 3.0.9 (Confluent-compatible API at /apis/ccompat/v7), H2 file storage so
#     schema ids survive a restart, global BACKWARD compatibility rule
#   - Redis 7: one standalone instance and a 3-master cluster
#   - a small local LLM behind an OpenAI-compatible API (infra/llm-up.sh), unless SEAM_SKIP_LLM=1
# A component already running is left alone. Fails with the log tail when one does not come up.
source "$(dirname "$0")/lib.sh"

"$SEAM_ROOT/infra/install.sh"
mkdir -p "$RUN" "$LOGS"
started_at=$SECONDS

# ---------- Kafka ----------
start_kafka() {
  local dir="$LOCAL/kafka" props="$LOCAL/kafka/server.properties" secrets="$LOCAL/kafka/scram.env"
  mkdir -p "$dir/data"
  if [ ! -f "$secrets" ]; then
    # A random password per machine: nothing secret lives in the repository.
    printf 'KAFKA_SCRAM_USERNAME=seam\nKAFKA_SCRAM_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$secrets"
    chmod 600 "$secrets"
  fi
  # shellcheck disable=SC1090
  source "$secrets"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
# Topics come from topology/ (seam topology apply); a typo'd topic name must fail, not appear.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=134217728
PROPS
  if pid_alive kafka; then log "kafka already running"; return; fi
  local cp="$KAFKA_HOME/libs/*"
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id; cluster_id="$(java -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$LOGS/kafka-format.log" -cp "$cp" kafka.tools.StorageTool random-uuid)"
    java -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$LOGS/kafka-format.log" \
      -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" \
      --add-scram "SCRAM-SHA-256=[name=$KAFKA_SCRAM_USERNAME,password=$KAFKA_SCRAM_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SCRAM_USERNAME,password=$KAFKA_SCRAM_PASSWORD]" \
      >"$LOGS/kafka-format.out" 2>&1 || { cat "$LOGS/kafka-format.out" >&2; die "kafka storage format failed"; }
  fi
  log "starting kafka on $HOST:$KAFKA_PORT (SASL/SCRAM on $KAFKA_SASL_PORT)"
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$LOGS/kafka.log" \
    -cp "$cp" kafka.Kafka "$props" >"$LOGS/kafka.out" 2>&1 &
  echo $! > "$RUN/kafka.pid"
}

# ---------- Apicurio Registry ----------
start_registry() {
  if pid_alive registry; then log "registry already running"; return; fi
  mkdir -p "$LOCAL/registry"
  log "starting Apicurio Registry on $HOST:$REGISTRY_PORT"
  nohup java -Xms128m -Xmx512m -XX:+UseSerialGC \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dapicurio.datasource.url="jdbc:h2:file:$LOCAL/registry/registry" \
    -Dquarkus.log.console.enable=true \
    -jar "$APICURIO_HOME/apicurio-registry-app-$APICURIO_VERSION-runner.jar" >"$LOGS/registry.log" 2>&1 &
  echo $! > "$RUN/registry.pid"
}

# ---------- Redis ----------
start_redis_instance() { # NAME PORT [extra args]
  local name="$1" port="$2"; shift 2
  if pid_alive "$name"; then log "$name already running"; return; fi
  mkdir -p "$LOCAL/$name"
  # Append-only file, fsynced every second: the correlator's incidents, the actuator's claims and
  # the ingests' cursors are state, not cache; losing them on a restart re-ingests offenses and
  # repeats actions (test/e2e/redis-restart.int.test.ts). No RDB snapshots.
  redis-server --bind "$HOST" --port "$port" --dir "$LOCAL/$name" --save "" --appendonly yes --appendfsync everysec \
    "${REDIS_TUNING[@]}" --daemonize yes --pidfile "$RUN/$name.pid" --logfile "$LOGS/$name.log" "$@"
  for _ in $(seq 1 20); do [ -s "$RUN/$name.pid" ] && break; sleep 0.1; done
}

start_kafka
start_registry
start_redis_instance redis "$REDIS_PORT"
cluster_nodes=()
for p in $REDIS_CLUSTER_PORTS; do
  start_redis_instance "redis-cluster-$p" "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout 5000
  cluster_nodes+=("$HOST:$p")
done

# ---------- readiness ----------
wait_for redis "$LOGS/redis.log" 20 redis-cli -h "$HOST" -p "$REDIS_PORT" ping
for p in $REDIS_CLUSTER_PORTS; do
  wait_for "redis-cluster-$p" "$LOGS/redis-cluster-$p.log" 20 redis-cli -h "$HOST" -p "$p" ping
done
first_cluster_port="${REDIS_CLUSTER_PORTS%% *}"
cluster_ok() { redis-cli -h "$HOST" -p "$first_cluster_port" cluster info | grep -q 'cluster_state:ok'; }
if ! cluster_ok; then
  if [ "$(redis-cli -h "$HOST" -p "$first_cluster_port" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')" = 1 ]; then
    log "creating the 3-node Redis cluster"
    redis-cli --cluster create "${cluster_nodes[@]}" --cluster-replicas 0 --cluster-yes >"$LOGS/redis-cluster-create.log" 2>&1 \
      || { cat "$LOGS/redis-cluster-create.log" >&2; die "redis cluster create failed"; }
  fi
  wait_for "redis-cluster-$first_cluster_port" "$LOGS/redis-cluster-$first_cluster_port.log" 30 cluster_ok
fi

registry_ready() { curl -fsS "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects" >/dev/null; }
kafka_ready() { (cd "$SEAM_ROOT" && node infra/src/kafka-ready.mjs "$HOST:$KAFKA_PORT"); }
wait_for kafka "$LOGS/kafka.log" 90 kafka_ready
wait_for registry "$LOGS/registry.log" 90 registry_ready

# Global BACKWARD rule: 204 when created, 409 when it exists; then make sure it says BACKWARD.
rules="http://$HOST:$REGISTRY_PORT/apis/registry/v3/admin/rules"
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"ruleType":"COMPATIBILITY","config":"BACKWARD"}' "$rules")"
case "$code" in
  204|200) ;;
  409) curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
         -d '{"ruleType":"COMPATIBILITY","config":"BACKWARD"}' "$rules/COMPATIBILITY" ;;
  *) die "could not set the registry's global BACKWARD rule (HTTP $code)" ;;
esac

# The local LLM (a small GGUF model behind an OpenAI-compatible endpoint) for the scorer's
# refinement; SEAM_SKIP_LLM=1 leaves it out (the scorer then stands on its baseline verdicts).
llm_env=""
if [ "${SEAM_SKIP_LLM:-0}" != 1 ]; then
  bash "$SEAM_ROOT/infra/llm-up.sh" >/dev/null || die "the local LLM server did not start (see .local/llm/server.log)"
  llm_env="$(cat "$LOCAL/llm/endpoint.env")"
fi

source "$LOCAL/kafka/scram.env"
cat > "$ENDPOINTS_FILE.tmp" <<ENV
KAFKA_BROKERS=$HOST:$KAFKA_PORT
KAFKA_SASL_BROKERS=$HOST:$KAFKA_SASL_PORT
KAFKA_SCRAM_USERNAME=$KAFKA_SCRAM_USERNAME
KAFKA_SCRAM_PASSWORD=$KAFKA_SCRAM_PASSWORD
SCHEMA_REGISTRY_URL=http://$HOST:$REGISTRY_PORT/apis/ccompat/v7
REDIS_URL=redis://$HOST:$REDIS_PORT
REDIS_CLUSTER_NODES=$(IFS=,; echo "${cluster_nodes[*]}")
$llm_env
ENV
chmod 600 "$ENDPOINTS_FILE.tmp"; mv "$ENDPOINTS_FILE.tmp" "$ENDPOINTS_FILE"
log "all components ready in $((SECONDS - started_at))s; endpoints in ${ENDPOINTS_FILE#$SEAM_ROOT/}"
