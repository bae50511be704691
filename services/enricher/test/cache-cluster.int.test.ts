/**
 * The enrichment cache on the 3-node Redis Cluster (REDIS_CLUSTER_NODES): keys spread over every
 * master, multi-key reads that cross slots, TTLs (positive and negative), and no Redis errors.
 */
import { createRedis, type RedisClient } from '@seam/kit';
import { afterAll, describe, expect, it } from 'vitest';
import type { AssetProvider, Indicator } from '../src/domain/providers';
import type { SecurityEvent } from '../src/domain/security-event';
import { Enricher } from '../src/enricher';
import { RedisLookupCache, cacheKey } from '../src/providers/cache';
import { endpoint, uniqueName } from './int-helpers';

const redis: RedisClient = createRedis({
  REDIS_CLUSTER_NODES: endpoint('REDIS_CLUSTER_NODES').split(','), REDIS_URL: undefined, REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined,
});
const created: string[] = [];
afterAll(async () => {
  // Keys live in different slots: one DEL each.
  for (const key of created) await redis.del(key);
  await redis.quit();
});

/** Known addresses (10.x) answer with an asset naming their namespace; others answer nothing. */
class NamespacedCmdb implements AssetProvider {
  readonly name = 'cmdb';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;
  calls = 0;
  lookup(indicator: Indicator) {
    this.calls++;
    if (!indicator.value.startsWith('10.')) return Promise.resolve([]);
    return Promise.resolve([{ key: indicator.value, owner: `owner-${indicator.namespace ?? 'public'}`, supportGroup: null, businessUnit: null, criticality: 3, tags: [], internetFacing: false, namespace: indicator.namespace }]);
  }
}

function event(ips: { address: string; namespace: string | null }[]): SecurityEvent {
  return {
    eventId: 'qradar:offense:1', source: 'qradar', rawKind: 'qradar_offense', sourceId: '1', observedAt: 1, sourceUpdatedAt: 1, ingestedAt: 1,
    title: 't', description: null, category: 'c', sourceSeverity: 50, mitre: [],
    entities: { ips: ips.map((ip) => ({ ...ip, role: 'actor' as const, scope: ip.namespace === null ? ('public' as const) : ('private' as const) })), identities: [], hosts: [], cloudResources: [], accounts: [] },
    enrichment: { assets: [], vulns: [], intel: [], missing: [] }, raw: '{}', rawEvents: null,
  };
}

describe('enrichment cache on Redis Cluster', () => {
  it('caches across slots and masters with TTLs, per namespace', async () => {
    const prefix = uniqueName('seam-int:enrich');
    const errors: unknown[] = [];
    const cache = new RedisLookupCache(redis, 2000, (error) => errors.push(error));
    const provider = new NamespacedCmdb();
    const enricher = new Enricher({ providers: [provider], settings: () => ({ timeoutMs: 5000, failureThreshold: 5, coolDownMs: 1000 }), cache, cacheTtlSeconds: 300, negativeCacheTtlSeconds: 30, cachePrefix: prefix });

    // 20 private addresses, each in two namespaces, plus 10 public ones (no CI: negative answers).
    const ips = [
      ...Array.from({ length: 20 }, (_, i) => [{ address: `10.0.0.${i + 1}`, namespace: 'dc-1' }, { address: `10.0.0.${i + 1}`, namespace: 'vpc-prod' }]).flat(),
      ...Array.from({ length: 10 }, (_, i) => ({ address: `203.0.113.${i + 1}`, namespace: null })),
    ];
    const keys = ips.map((ip) => cacheKey('cmdb', { kind: 'ip', value: ip.address, namespace: ip.namespace }, prefix));
    created.push(...keys);

    const first = await enricher.enrich(event(ips));
    expect(provider.calls).toBe(50);
    expect(first.enrichment.assets).toHaveLength(40);
    expect(first.enrichment.assets.find((a) => a.key === '10.0.0.7' && a.namespace === 'vpc-prod')?.owner).toBe('owner-vpc-prod');
    expect(first.enrichment.assets.find((a) => a.key === '10.0.0.7' && a.namespace === 'dc-1')?.owner).toBe('owner-dc-1');

    // Every key is there with its TTL, and the keys really are spread over the three masters.
    expect(redis.isCluster).toBe(true);
    const slots = (redis as unknown as { slots: (string[] | undefined)[] }).slots;
    expect(new Set(keys.map((key) => slots[calculateSlot(key)]?.[0])).size).toBe(3);
    for (const [i, key] of keys.entries()) {
      const ttl = await redis.ttl(key);
      if (i < 40) expect(ttl, key).toBeGreaterThan(250);
      else expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(i < 40 ? 300 : 30);
    }
    expect(JSON.parse((await redis.get(keys[0] ?? '')) ?? 'null')).toEqual([expect.objectContaining({ key: '10.0.0.1', namespace: 'dc-1', owner: 'owner-dc-1' })]);

    // Second pass: one cross-slot read serves everything; the provider is not asked again.
    const second = await enricher.enrich(event(ips));
    expect(provider.calls).toBe(50);
    expect(enricher.stats.cacheHits).toBe(50);
    expect(second.enrichment).toEqual(first.enrichment);
    expect(errors).toEqual([]);
  }, 30_000);
});

// CRC16/XMODEM as Redis Cluster uses it, honoring hash tags.
function calculateSlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
