import { Cluster, Redis } from 'ioredis';
import type { RedisLike } from '../src/adapters/redis-state';

/**
 * The Redis deployments the correlator's state tests run against: the standalone server (REDIS_URL)
 * and the 3-node cluster (REDIS_CLUSTER_NODES), with helpers that see every master of a cluster.
 */
export interface RedisTarget {
  readonly name: string;
  readonly connect: () => RedisLike;
}

const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter((node) => node.trim() !== '');

export const redisTargets: readonly RedisTarget[] = [
  { name: 'standalone', connect: () => new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 }) },
  {
    name: 'cluster',
    connect: () =>
      new Cluster(
        clusterNodes.map((node) => {
          const colon = node.lastIndexOf(':');
          return { host: node.slice(0, colon), port: Number(node.slice(colon + 1)) };
        }),
        { redisOptions: { maxRetriesPerRequest: 3 } },
      ),
  },
];

/** Every key under a prefix (every master of a cluster), sorted. */
export const scanKeys = async (redis: RedisLike, prefix: string): Promise<string[]> => {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys.sort();
};

/** Deletes every key under a prefix. */
export const dropKeys = async (redis: RedisLike, prefix: string): Promise<void> => {
  for (const key of await scanKeys(redis, prefix)) await redis.del(key);
};
