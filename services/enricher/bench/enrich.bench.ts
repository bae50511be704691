/**
 * Enrichment throughput with warm caches: normalizes and enriches the reference events (QRadar,
 * ASFF, CloudTrail) through the file providers plus a MISP-like HTTP provider on loopback, with the
 * Redis cache when REDIS_URL is set (else the in-process cache). Prints events/s (normalize + enrich, and enrich
 * alone on pre-normalized events) and the cache hit ratio of the measured passes.
 *
 *   set -a; . .local/endpoints.env; set +a; npx tsx services/enricher/bench/enrich.bench.ts [events]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRedis, Secret } from '@seam/kit';
import { emptyDirectory } from '../src/domain/identity/directory';
import { cloudTrailRecordsOf, normalizeRawRecord, type RawRecord } from '../src/domain/normalize/index';
import { Enricher } from '../src/enricher';
import { MemoryLookupCache, RedisLookupCache, type LookupCache } from '../src/providers/cache';
import { FeedIntel, MispIntel } from '../src/providers/misp';
import { AssetRanges } from '../src/providers/ranges';
import { FileCmdb } from '../src/providers/servicenow';
import { FileVulns } from '../src/providers/tenable';
import { loadNamespaces } from '../src/wiring';
import { mispLike } from '../test/http-servers';

const total = Number(process.argv[2] ?? '20000');
const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const ref = (path: string) => readFileSync(`/work/shared/reference-payloads/${path}`, 'utf8');

const raws: RawRecord[] = [
  { kind: 'securityhub_finding', payload: ref('aws/asff_guardduty_sshbruteforce_awsdocs.json') },
  ...cloudTrailRecordsOf(JSON.parse(ref('aws/cloudtrail_invictus_aws_dataset_excerpt.json'))).map((r) => ({ kind: 'cloudtrail_event' as const, payload: JSON.stringify(r) })),
  ...cloudTrailRecordsOf(JSON.parse(ref('aws/cloudtrail_stratus_ec2-steal-instance-credentials_excerpt.json'))).map((r) => ({ kind: 'cloudtrail_event' as const, payload: JSON.stringify(r) })),
  ...(JSON.parse(ref('qradar/xsoar_offenses_list_response.json')) as unknown[]).map((o) => ({ kind: 'qradar_offense' as const, payload: JSON.stringify(o), addresses: { source: ['192.168.0.1'], localDestination: ['192.168.0.1'] } })),
];

const misp = await mispLike();
const redisUrl = process.env['REDIS_URL'];
const redis = redisUrl === undefined || redisUrl === '' ? undefined : createRedis({ REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: undefined, REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined });
const prefix = `seam-bench:enrich:${process.pid}`;
const cache: LookupCache = redis === undefined ? new MemoryLookupCache() : new RedisLookupCache(redis, 1000);
const enricher = new Enricher({
  providers: [FileCmdb.fromFile(data('cmdb.json')), AssetRanges.fromFile(data('asset-ranges.json')), FileVulns.fromFile(data('vulns.json')), new MispIntel({ baseUrl: misp.url, apiKey: new Secret('misp-key') }), FeedIntel.fromFile(data('intel-feed.txt'))],
  settings: () => ({ timeoutMs: 2000, failureThreshold: 5, coolDownMs: 1000 }),
  cache,
  cacheTtlSeconds: 600,
  negativeCacheTtlSeconds: 600,
  cachePrefix: prefix,
});
const context = { ingestedAt: Date.now(), namespaces: loadNamespaces(data('namespaces.json')), directory: emptyDirectory() };

const normalizedOnce = raws.map((raw) => {
  const normalized = normalizeRawRecord(raw, context);
  if (!normalized.ok) throw new Error(normalized.error.message);
  return normalized.value.event;
});

/** `count` events through normalize + enrich (or enrich only, on pre-normalized events). */
async function pass(count: number, concurrency = 32, enrichOnly = false): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++ % raws.length;
        const raw = raws[i];
        if (raw === undefined) continue;
        let input = normalizedOnce[i];
        if (!enrichOnly || input === undefined) {
          const normalized = normalizeRawRecord(raw, context);
          if (!normalized.ok) throw new Error(normalized.error.message);
          input = normalized.value.event;
        }
        const event = await enricher.enrich(input);
        if (event.enrichment.missing.length > 0) throw new Error(`missing ${event.enrichment.missing.join(',')}`);
      }
    }),
  );
  return performance.now() - started;
}

try {
  await pass(raws.length * 2, 1); // warm the caches
  const before = { ...enricher.stats };
  const ms = await pass(total);
  const enrichOnlyMs = await pass(total, 32, true);
  const hits = enricher.stats.cacheHits - before.cacheHits;
  const misses = enricher.stats.cacheMisses - before.cacheMisses;
  console.log(JSON.stringify({
    cache: redis === undefined ? 'memory' : 'redis',
    events: total,
    distinctRawRecords: raws.length,
    seconds: Number((ms / 1000).toFixed(2)),
    eventsPerSecond: Math.round(total / (ms / 1000)),
    enrichOnlyEventsPerSecond: Math.round(total / (enrichOnlyMs / 1000)),
    cacheHitRatio: Number((hits / (hits + misses)).toFixed(4)),
    providerCallsDuringMeasure: enricher.stats.lookups - before.lookups,
    mispRequests: misp.requests.length,
  }));
} finally {
  if (redis !== undefined) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  await misp.close();
}
