#!/usr/bin/env bash
# A private single-node Kafka broker (KRaft, broker+controller, PLAINTEXT only) for fault tests
# that stop and start a broker: it lives in its own folder with its own ports, so stopping it never
# touches the shared broker infra/up.sh started (other people's tests run on that one).
#
#   infra/kafka-restart.sh start   DIR PORT CONTROLLER_PORT   # format DIR/data once, start, wait ready
#   infra/kafka-restart.sh stop    DIR [PORT CONTROLLER_PORT] # SIGTERM (clean shutdown), SIGKILL after 30 s
#   infra/kafka-restart.sh restart DIR PORT CONTROLLER_PORT   # stop, then start on the same port with the same data
#   infra/kafka-restart.sh status  DIR
#
# Idempotent: start leaves a running broker alone, stop does nothing when none runs. The broker's
# settings are up.sh's (same jars, same topic defaults, auto-create off); data, pid and logs are
# under DIR, which the caller removes when done. Uses the jars infra/install.sh put in .local/dist.
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|restart|status DIR [PORT CONTROLLER_PORT]"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/kafka.pid"

private_alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

private_stop() {
  private_alive || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "private kafka did not stop in 30s; killing"; kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  log "private kafka in $dir stopped"
}

private_start() {
  local port="$1" controller="$2" props="$dir/server.properties" cp="$KAFKA_HOME/libs/*"
  [ "$port" != "$KAFKA_PORT" ] || die "port $port is the shared broker's: give the private broker its own"
  if private_alive; then log "private kafka in $dir already running"; return 0; fi
  [ -d "$KAFKA_HOME/libs" ] || die "no Kafka jars in $KAFKA_HOME (run infra/install.sh)"
  mkdir -p "$dir/data"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$controller
listeners=PLAINTEXT://$HOST:$port,CONTROLLER://$HOST:$controller
advertised.listeners=PLAINTEXT://$HOST:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$dir/format.log" -cp "$cp" kafka.tools.StorageTool random-uuid)"
    java -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$dir/format.log" \
      -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >"$dir/format.out" 2>&1 \
      || { cat "$dir/format.out" >&2; die "private kafka storage format failed"; }
  fi
  log "starting private kafka on $HOST:$port (data in $dir/data)"
  nohup java -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$SEAM_ROOT/infra/kafka/log4j.properties" -Dseam.kafka.log="$dir/kafka.log" \
    -cp "$cp" kafka.Kafka "$props" >"$dir/kafka.out" 2>&1 &
  echo $! > "$pidfile"
  local start=$SECONDS
  until (cd "$SEAM_ROOT" && node infra/src/kafka-ready.mjs "$HOST:$port") >/dev/null 2>&1; do
    if ! private_alive; then tail -n 40 "$dir/kafka.log" >&2 || true; die "private kafka exited during start-up"; fi
    if (( SECONDS - start > 120 )); then tail -n 40 "$dir/kafka.log" >&2 || true; die "private kafka not ready after 120s"; fi
    sleep 0.5
  done
  log "private kafka ready in $((SECONDS - start))s"
}

case "$cmd" in
  start) [ $# -ge 4 ] || die "usage: $0 start DIR PORT CONTROLLER_PORT"; private_start "$3" "$4" ;;
  stop) private_stop ;;
  restart) [ $# -ge 4 ] || die "usage: $0 restart DIR PORT CONTROLLER_PORT"; private_stop; private_start "$3" "$4" ;;
  status) if private_alive; then echo "running pid $(cat "$pidfile")"; else echo "stopped"; exit 1; fi ;;
  *) die "unknown command $cmd (start|stop|restart|status)" ;;
esac
