import kafkajs, { type Admin, type KafkaConfig } from 'kafkajs';
import type { ActualTopic, TopicChange } from './plan';

// kafkajs is CommonJS; its runtime values are reached through the default export under Node ESM.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
/** What apply needs from a cluster; kafkajs below, an in-memory twin in the tests. */
export interface ClusterPort {
  describeTopics(names: readonly string[], configKeys: readonly string[]): Promise<Map<string, ActualTopic>>;
  apply(change: TopicChange): Promise<void>;
  close(): Promise<void>;
}

export async function connectCluster(config: KafkaConfig): Promise<ClusterPort> {
  const admin: Admin = new Kafka({ ...config, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    async describeTopics(names, configKeys) {
      const existing = new Set(await admin.listTopics());
      const present = names.filter((name) => existing.has(name));
      const result = new Map<string, ActualTopic>();
      if (present.length === 0) return result;
      const metadata = await admin.fetchTopicMetadata({ topics: present });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [...configKeys] })),
      });
      for (const topic of metadata.topics) {
        const replicas = topic.partitions.map((p) => p.replicas.length);
        const resource = described.resources.find((r) => r.resourceName === topic.name);
        const configs: Record<string, string | undefined> = {};
        for (const entry of resource?.configEntries ?? []) configs[entry.configName] = entry.configValue;
        result.set(topic.name, {
          name: topic.name,
          partitions: topic.partitions.length,
          replicationFactor: replicas.length === 0 ? 0 : Math.min(...replicas),
          configs,
        });
      }
      return result;
    },
    async apply(change) {
      switch (change.kind) {
        case 'create': {
          const created = await admin.createTopics({
            waitForLeaders: true,
            topics: [{
              topic: change.topic,
              numPartitions: change.partitions,
              replicationFactor: change.replicationFactor,
              configEntries: Object.entries(change.configs).map(([name, value]) => ({ name, value })),
            }],
          });
          // false: it already existed (a concurrent apply won the race) - fine, it is idempotent.
          void created;
          return;
        }
        case 'add-partitions':
          await admin.createPartitions({ topicPartitions: [{ topic: change.topic, count: change.to }] });
          return;
      }
    },
    async close() {
      await admin.disconnect();
    },
  };
}
