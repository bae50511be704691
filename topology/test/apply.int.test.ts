import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../src/apply';
import { connectCluster, type ClusterPort } from '../src/cluster';
import { kafkaConfigFromEnv } from '../src/kafka-connection';
import { desiredTopics } from '../src/topics';

// Against the real broker (KAFKA_BROKERS). Every run uses its own topic prefix and deletes the
// topics it created at the end (apply itself never deletes).

const brokers = process.env.KAFKA_BROKERS;
const prefix = `it-${randomUUID().slice(0, 8)}.`;

describe.skipIf(brokers === undefined)('topology apply on a real broker', () => {
  const config = kafkaConfigFromEnv({ KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: 'topology-int-test' });
  const clusters: ClusterPort[] = [];
  const connect = async (): Promise<ClusterPort> => {
    const cluster = await connectCluster(config);
    clusters.push(cluster);
    return cluster;
  };

  afterAll(async () => {
    const admin = new kafkajs.Kafka({ ...config, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
    await Promise.all(clusters.map((c) => c.close()));
  });

  it('creates every topic, then re-applying is a no-op', async () => {
    const cluster = await connect();
    const desired = desiredTopics({ prefix });
    const first = await applyTopology(cluster, desired);
    expect(first.filter((o) => o.result !== 'created')).toEqual([]);
    const second = await applyTopology(cluster, desired);
    expect(second.filter((o) => o.result !== 'unchanged' || o.plan.drift.length > 0)).toEqual([]);
    const actual = await cluster.describeTopics([`${prefix}verdicts`], ['cleanup.policy', 'min.insync.replicas']);
    expect(actual.get(`${prefix}verdicts`)).toMatchObject({ partitions: 6, replicationFactor: 1, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '1' } });
  });

  it('raises partitions of a delete topic', async () => {
    const cluster = await connect();
    const outcomes = await applyTopology(cluster, desiredTopics({ prefix, partitions: { enriched: 8 } }));
    expect(outcomes.find((o) => o.topic === `${prefix}enriched`)).toMatchObject({ result: 'partitions-raised' });
    expect(outcomes.filter((o) => o.result !== 'unchanged' && o.topic !== `${prefix}enriched`)).toEqual([]);
    const actual = await cluster.describeTopics([`${prefix}enriched`], []);
    expect(actual.get(`${prefix}enriched`)?.partitions).toBe(8);
  });

  it('reports drift it will not fix and changes nothing', async () => {
    const admin = new kafkajs.Kafka({ ...config, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${prefix}actions`, configEntries: [
          { name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: '3600000' }, { name: 'min.insync.replicas', value: '1' },
        ] }],
      });
    } finally {
      await admin.disconnect();
    }
    const cluster = await connect();
    // enriched now has 8 partitions and the desired 6; verdicts is compacted and asked for 9.
    const outcomes = await applyTopology(cluster, desiredTopics({ prefix, partitions: { verdicts: 9 } }));
    const drift = Object.fromEntries(outcomes.filter((o) => o.plan.drift.length > 0).map((o) => [o.topic, o.plan.drift]));
    expect(drift[`${prefix}enriched`]).toEqual([{ kind: 'partitions-fewer-wanted', desired: 6, actual: 8 }]);
    expect(drift[`${prefix}verdicts`]).toEqual([{ kind: 'partitions-compacted', desired: 9, actual: 6 }]);
    expect(drift[`${prefix}actions`]).toEqual([{ kind: 'config', key: 'retention.ms', desired: String(365 * 86_400_000), actual: '3600000' }]);
    expect(outcomes.filter((o) => o.result !== 'unchanged')).toEqual([]);
    const actual = await cluster.describeTopics([`${prefix}verdicts`, `${prefix}actions`], ['retention.ms']);
    expect(actual.get(`${prefix}verdicts`)?.partitions).toBe(6);
    expect(actual.get(`${prefix}actions`)?.configs['retention.ms']).toBe('3600000');
  });

  it.skipIf(process.env.KAFKA_SASL_BROKERS === undefined || process.env.KAFKA_SCRAM_USERNAME === undefined)('connects with SASL/SCRAM', async () => {
    const cluster = await connectCluster(kafkaConfigFromEnv({
      KAFKA_BROKERS: process.env.KAFKA_SASL_BROKERS,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: process.env.KAFKA_SCRAM_USERNAME,
      KAFKA_SASL_PASSWORD: process.env.KAFKA_SCRAM_PASSWORD,
    }));
    clusters.push(cluster);
    const outcomes = await applyTopology(cluster, desiredTopics({ prefix }), { dryRun: true });
    expect(outcomes.filter((o) => o.plan.change?.kind === 'create')).toEqual([]);
  });
});
