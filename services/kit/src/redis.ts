import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { CommonConfig } from './config';
import { FatalError } from './errors';
import { redisTls } from './security';

export type RedisClient = Redis | Cluster;

type RedisConfig = Pick<CommonConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_USERNAME' | 'REDIS_PASSWORD' | 'REDIS_TLS' | 'REDIS_TLS_CA'>;

export function parseClusterNodes(nodes: readonly string[]): ClusterNode[] {
  return nodes.map((node) => {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(node);
    if (!match?.[1] || !match[2]) throw new FatalError(`REDIS_CLUSTER_NODES: "${node}" is not host:port`);
    return { host: match[1], port: Number(match[2]) };
  });
}

/**
 * A standalone (REDIS_URL) or cluster (REDIS_CLUSTER_NODES) client with TLS and ACL credentials
 * from config. Keys a Lua script touches together must share a hash tag (`{incident:42}:...`).
 */
export function createRedis(config: RedisConfig, extra: Partial<RedisOptions> = {}): RedisClient {
  const options: RedisOptions = { maxRetriesPerRequest: 3, ...extra };
  if (config.REDIS_USERNAME !== undefined) options.username = config.REDIS_USERNAME;
  if (config.REDIS_PASSWORD !== undefined) options.password = config.REDIS_PASSWORD.reveal();
  const tls = redisTls(config);
  if (tls) options.tls = tls;
  // Checked here rather than in config: a shared environment may define both for different stages.
  if (config.REDIS_CLUSTER_NODES !== undefined && config.REDIS_URL !== undefined) {
    throw new FatalError('Redis: set REDIS_URL (standalone) or REDIS_CLUSTER_NODES (cluster), not both');
  }
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    return new Cluster(parseClusterNodes(config.REDIS_CLUSTER_NODES), { redisOptions: options, enableReadyCheck: true });
  }
  if (config.REDIS_URL !== undefined) return new Redis(config.REDIS_URL, options);
  throw new FatalError('Redis is not configured: set REDIS_URL or REDIS_CLUSTER_NODES');
}
