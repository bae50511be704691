/**
 * The Docker path of the integration setup: the same components as infra/up.sh and
 * docker-compose.yml, started with testcontainers. Used only where no endpoints are configured and a
 * Docker engine answers (not on the project's CI machines, which have no engine).
 */
import { GenericContainer, Network, Wait, type StartedTestContainer } from 'testcontainers';

export interface StartedComponents {
  variables: Record<string, string>;
  stop: () => Promise<void>;
}

const CLUSTER_PORTS = [17001, 17002, 17003];

export async function startWithTestcontainers(): Promise<StartedComponents> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((c) => c.stop()));
    await network.stop();
  };
  try {
    const kafkaPort = 19092;
    const kafka = await new GenericContainer('apache/kafka:3.9.1')
      .withNetwork(network)
      .withExposedPorts({ container: kafkaPort, host: kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    started.push(kafka);
    const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    started.push(registry);
    const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}`;
    const rule = await fetch(`${registryUrl}/apis/registry/v3/admin/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ruleType: 'COMPATIBILITY', config: 'BACKWARD' }),
    });
    if (!rule.ok && rule.status !== 409) throw new Error(`registry rule: HTTP ${rule.status}`);
    // The listpack limits of infra/lib.sh (REDIS_TUNING): long event ids keep small indexes compact.
    const tuning = '--zset-max-listpack-value 256 --hash-max-listpack-value 256 --zset-max-listpack-entries 1024';
    const redis = await new GenericContainer('redis:7')
      .withExposedPorts(6379)
      .withCommand(['redis-server', ...tuning.split(' ')])
      .start();
    started.push(redis);
    // Cluster nodes announce 127.0.0.1 with fixed host ports so clients outside Docker can follow
    // MOVED redirections.
    const script = CLUSTER_PORTS.map((p) =>
      `redis-server --port ${p} ${tuning} --cluster-enabled yes --cluster-config-file n${p}.conf --cluster-announce-ip 127.0.0.1 --daemonize yes`,
    ).join(' && ');
    const cluster = await new GenericContainer('redis:7')
      .withExposedPorts(...CLUSTER_PORTS.map((p) => ({ container: p, host: p })))
      .withCommand(['sh', '-c', `${script} && sleep 1 && redis-cli --cluster create ${CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(' ')} --cluster-replicas 0 --cluster-yes && sleep infinity`])
      .withWaitStrategy(Wait.forLogMessage(/All 16384 slots covered/))
      .start();
    started.push(cluster);
    return {
      variables: {
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        SCHEMA_REGISTRY_URL: `${registryUrl}/apis/ccompat/v7`,
        REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
        REDIS_CLUSTER_NODES: CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(','),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
