/**
 * Enrichment on a realistic input, and under a provider outage, in one process.
 *
 * Input: N raw records (60% CloudTrail calls, 40% QRadar offenses) whose addresses and user names
 * are drawn with a Zipf-like skew (s = ZIPF_S, default 1.1) from a few thousand distinct values:
 * public caller IPs, private IPs in three network namespaces, IAM / AD users (resolved through a
 * directory). Each record is normalized and enriched through the file providers (CMDB, ranges,
 * vulns, feed) and a MISP-like HTTP provider on loopback, with the Redis cache when REDIS_URL is
 * set (else the in-process cache), at 32 events in flight.
 *
 * Runs on the same record sequence (after an unmeasured JIT warm-up on its own keys):
 *   healthy-cold        empty cache, MISP answers     -> events/s and cache hit ratio from cold
 *   healthy-warm        the same enricher again       -> events/s with a warm cache (the reference)
 *   misp-timeout        a fresh enricher (closed circuits) on the warm cache with MISP's entries
 *                       expired; MISP accepts connections and never answers (the timeout fires)
 *   misp-refused        the same, nothing listens on MISP's port (connection refused)
 *   healthy-warm-again  the warm run once more, then misp-timeout-again (drift of the shared machine)
 * and prints events/s, the ratio to the warm run, how many events list `intel` in `missing`,
 * MISP calls and the circuit state. Provider settings are the stage defaults (PROVIDER_TIMEOUT_MS
 * 500, BREAKER_FAILURE_THRESHOLD 5, BREAKER_COOLDOWN_MS 30000) unless overridden by those variables.
 *
 *   set -a; . .local/endpoints.env; set +a; npx tsx services/enricher/bench/outage.bench.ts [events]
 */
import { seededRandom } from '@seam/infra/emulator-kit/random';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRedis, Secret } from '@seam/kit';
import { buildIdentityDirectory, type DirectoryEntry } from '../src/domain/identity/directory';
import { normalizeRawRecord, type RawRecord } from '../src/domain/normalize/index';
import { Enricher } from '../src/enricher';
import { MemoryLookupCache, RedisLookupCache, type LookupCache } from '../src/providers/cache';
import { FeedIntel, MispIntel } from '../src/providers/misp';
import { AssetRanges } from '../src/providers/ranges';
import { FileCmdb } from '../src/providers/servicenow';
import { FileVulns } from '../src/providers/tenable';
import { loadNamespaces } from '../src/wiring';
import { mispLike } from '../test/http-servers';

const total = Number(process.argv[2] ?? '20000');
const envInt = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? '');
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const settings = { timeoutMs: envInt('PROVIDER_TIMEOUT_MS', 500), failureThreshold: envInt('BREAKER_FAILURE_THRESHOLD', 5), coolDownMs: envInt('BREAKER_COOLDOWN_MS', 30_000) };
const zipfS = Number(process.env['ZIPF_S'] ?? '1.1');
const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

// --- input -------------------------------------------------------------------------------------


/** Draws ranks 0..n-1 with P(k) proportional to 1/(k+1)^s. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k++) cumulative.push((sum += 1 / k ** s));
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// mulberry32 (emulator-kit): every run draws the same sequence.
const random = seededRandom(42);
const publicIps = Array.from({ length: 2000 }, (_, i) => `${45 + (i % 50)}.${(i * 7) % 256}.${(i * 13) % 256}.${1 + (i % 250)}`);
// Private addresses in three namespaces (data/namespaces.json): dc-frankfurt, aws-vpc-prod, corp.
const privateIps = Array.from({ length: 1500 }, (_, i) => (i % 3 === 0 ? `10.${i % 200}.${(i * 3) % 256}.${1 + (i % 250)}` : i % 3 === 1 ? `172.31.${i % 256}.${1 + (i % 250)}` : `192.168.${i % 256}.${1 + ((i * 5) % 250)}`));
const users = Array.from({ length: 1500 }, (_, i) => `user${i}`);
// A few known-bad callers (the feed's) among the most frequent ranks, as in real traffic.
publicIps[3] = '199.241.229.197';
publicIps[11] = '39.116.161.122';
const pickPublic = zipf(publicIps.length, zipfS, random);
const pickPrivate = zipf(privateIps.length, zipfS, random);
const pickUser = zipf(users.length, zipfS, random);

const entries: DirectoryEntry[] = users.map((u, i) => ({
  canonical: `${u}@corp.example`, samAccountName: u, domain: 'CORP', upn: `${u}@corp.example`, emails: [], iamUsers: [u], roleSessionNames: [],
  privileged: i % 50 === 0, department: i % 2 === 0 ? 'Engineering' : 'Finance',
}));
const context = { ingestedAt: Date.now(), namespaces: loadNamespaces(data('namespaces.json')), directory: buildIdentityDirectory(entries).directory };

const raws: RawRecord[] = Array.from({ length: total }, (_, i): RawRecord => {
  const at = Date.UTC(2026, 0, 1) + i * 1000;
  if (random() < 0.6) {
    return {
      kind: 'cloudtrail_event',
      payload: JSON.stringify({
        eventVersion: '1.08', eventID: `bench-${i}`, eventTime: new Date(at).toISOString(), eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances',
        awsRegion: 'eu-west-1', sourceIPAddress: publicIps[pickPublic()], userAgent: 'aws-cli/2.15.0', recipientAccountId: '111122223333',
        userIdentity: { type: 'IAMUser', userName: users[pickUser()], accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/x' },
      }),
    };
  }
  return {
    kind: 'qradar_offense',
    payload: JSON.stringify({ id: i, description: 'Multiple Login Failures', start_time: at, last_updated_time: at, severity: 5, magnitude: 5, categories: ['User Login Failure'], offense_type: 3, offense_source: users[pickUser()] }),
    addresses: { source: [privateIps[pickPrivate()] ?? '10.0.0.1'], localDestination: [privateIps[pickPrivate()] ?? '10.0.0.2'] },
  };
});
const distinct = {
  publicIps: new Set(raws.flatMap((r) => (r.kind === 'cloudtrail_event' ? [(JSON.parse(r.payload) as { sourceIPAddress: string }).sourceIPAddress] : []))).size,
  privateIps: new Set(raws.flatMap((r) => (r.kind === 'qradar_offense' ? [...(r.addresses?.source ?? []), ...(r.addresses?.localDestination ?? [])] : []))).size,
  users: new Set(raws.map((r) => /"(?:userName|offense_source)":"(user\d+)"/.exec(r.payload)?.[1])).size,
};

// --- providers and cache -----------------------------------------------------------------------

const misp = await mispLike();
/** Accepts TCP connections and never answers (held sockets are destroyed at the end). */
const held: Socket[] = [];
const blackHole: Server = createServer((socket) => {
  held.push(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
const blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as { port: number }).port}`;
/** A port nobody listens on: bound once, then closed. */
const closed = createServer();
await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
const refusedUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
await new Promise<void>((resolve) => closed.close(() => resolve()));

const redisUrl = process.env['REDIS_URL'];
const redis = redisUrl === undefined || redisUrl === '' ? undefined : createRedis({ REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: undefined, REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined });
const prefixRoot = `seam-bench:outage:${process.pid}`;
const cache: LookupCache = redis === undefined ? new MemoryLookupCache() : new RedisLookupCache(redis, 1000);
const fileProviders = [FileCmdb.fromFile(data('cmdb.json')), AssetRanges.fromFile(data('asset-ranges.json')), FileVulns.fromFile(data('vulns.json'))];
const feed = FeedIntel.fromFile(data('intel-feed.txt'));

/**
 * The cache as it is once MISP's entries expired: every `intel` key misses (the other providers'
 * entries stay warm), so each lookup of the run reaches the intel provider (or its breaker).
 */
function withIntelExpired(inner: LookupCache, prefix: string): LookupCache {
  const expired = (key: string) => key.startsWith(`${prefix}:intel:`);
  return {
    get: (key) => (expired(key) ? Promise.resolve(null) : inner.get(key)),
    getMany: async (keys) => {
      const values = await inner.getMany(keys);
      return values.map((value, i) => (expired(keys[i] ?? '') ? null : value));
    },
    set: (key, value, ttl) => (expired(key) ? Promise.resolve() : inner.set(key, value, ttl)),
  };
}

function enricherFor(mispUrl: string, run: string, intelExpired = false): Enricher {
  const cachePrefix = `${prefixRoot}:${run}`;
  return new Enricher({
    providers: [...fileProviders, new MispIntel({ baseUrl: mispUrl, apiKey: new Secret('misp-key') }), feed],
    settings: () => settings,
    cache: intelExpired ? withIntelExpired(cache, cachePrefix) : cache,
    cacheTtlSeconds: 600,
    negativeCacheTtlSeconds: 600,
    cachePrefix,
  });
}

// --- runs --------------------------------------------------------------------------------------

interface RunResult {
  run: string;
  eventsPerSecond: number;
  seconds: number;
  cacheHitRatio: number;
  eventsMissingIntel: number;
  eventsMissingOther: number;
  mispCalls: number;
  intelCircuit: string;
}

async function run(name: string, enricher: Enricher, concurrency = 32): Promise<RunResult> {
  const before = { ...enricher.stats };
  const mispBefore = misp.requests.length;
  let next = 0;
  let missingIntel = 0;
  let missingOther = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < raws.length) {
        const raw = raws[next++];
        if (raw === undefined) continue;
        const normalized = normalizeRawRecord(raw, context);
        if (!normalized.ok) throw new Error(normalized.error.message);
        const event = await enricher.enrich(normalized.value.event);
        if (event.enrichment.missing.includes('intel')) missingIntel++;
        if (event.enrichment.missing.some((m) => m !== 'intel')) missingOther++;
      }
    }),
  );
  const ms = performance.now() - started;
  const hits = enricher.stats.cacheHits - before.cacheHits;
  const misses = enricher.stats.cacheMisses - before.cacheMisses;
  return {
    run: name,
    eventsPerSecond: Math.round(raws.length / (ms / 1000)),
    seconds: Number((ms / 1000).toFixed(2)),
    cacheHitRatio: Number((hits / Math.max(1, hits + misses)).toFixed(4)),
    eventsMissingIntel: missingIntel,
    eventsMissingOther: missingOther,
    mispCalls: misp.requests.length - mispBefore,
    intelCircuit: enricher.breakers.get('intel')?.state ?? 'none',
  };
}

try {
  // JIT warm-up on a separate prefix, not measured.
  const warmup = enricherFor(misp.url, 'warmup');
  await run('warmup', warmup);

  const healthyEnricher = enricherFor(misp.url, 'healthy');
  const cold = await run('healthy-cold', healthyEnricher);
  const warm = await run('healthy-warm', healthyEnricher);
  // Outages: a fresh enricher (closed circuits) on the warm cache, MISP's entries expired.
  const timeout = await run('misp-timeout', enricherFor(blackHoleUrl, 'healthy', true));
  const refused = await run('misp-refused', enricherFor(refusedUrl, 'healthy', true));
  const warmAgain = await run('healthy-warm-again', healthyEnricher);
  const timeoutAgain = await run('misp-timeout-again', enricherFor(blackHoleUrl, 'healthy', true));
  const results = [cold, warm, timeout, refused, warmAgain, timeoutAgain].map((r) => ({ ...r, ratioToWarm: Number((r.eventsPerSecond / warm.eventsPerSecond).toFixed(3)) }));
  console.log(JSON.stringify({
    cache: redis === undefined ? 'memory' : 'redis',
    events: raws.length,
    distinct,
    zipfS,
    settings,
    results,
  }, null, 1));
} finally {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  if (redis !== undefined) {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefixRoot}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
  await misp.close();
}
