/**
 * LLM calls and tokens per 1,000 input events (the distinct member events behind the records) and per
 * 1,000 incident records, through the scorer stage's handler, with and
 * without the cache, over a generated `correlated` stream with realistic repetition:
 * - an incident has 1-4 versions; a later version adds a member (new content) or re-emits the same
 *   content (debounce / settle re-emission: identical content re-scored);
 * - a few records are redelivered (same record again, as after a crash before commit);
 * - a few older versions are replayed after newer ones (rebalance / reset).
 * Against the scripted fake endpoint (tokens from its `usage` field: prompt chars / 4, answer
 * chars / 4). With `--local [n]` also n incident records (default 30) against the real model from
 * LLM_BASE_URL / LLM_MODEL / LLM_API_KEY: calls, tokens, latency p50/p95, outcomes.
 *
 *   npx tsx services/scorer/bench/llm-usage.bench.ts [records=5000] [--local [30]]
 * REDIS_URL set: the cache is the production one (LRU in front of Redis, keys cleaned up after).
 */
import { randomUUID } from 'node:crypto';
import { continueTrace, createLogger, createRedis, jsonCodec, type HandlerContext, type ProducerPort, type TopicMessages } from '@seam/kit';
import { startFakeOpenAi, steps } from '@seam/infra/llm/fake-openai';
import { incidentSchema, type Incident, type LlmInference, type Verdict } from '@seam/schemas';
import { createOpenAiChat } from '../src/adapters/openai-chat';
import { LocalScoredVersions, RedisGuard, RedisRefinementCache, RedisScoredVersions, TieredRefinementCache, type ScoredVersions } from '../src/adapters/redis-cache';
import { defaultRiskModel } from '../src/default-config';
import { DEFAULT_REFINER_SETTINGS, LruRefinementCache, Refiner, loadPrompt, type ChatModel, type RefinementCache } from '../src/llm/index';
import { LocalEventStore } from '../src/adapters/event-store';
import { scorerStage, type ScoredEvent } from '../src/stage';

const args = process.argv.slice(2);
const localIndex = args.indexOf('--local');
const localCount = localIndex >= 0 ? Number(args[localIndex + 1] ?? '30') || 30 : 0;
// The record count is the first bare number that is not --local's own argument.
const records = Number(args.find((a, i) => /^\d+$/.test(a) && (localIndex < 0 || i !== localIndex + 1)) ?? '5000');
const T0 = Date.UTC(2025, 2, 12, 14, 0, 0);
const log = createLogger({ service: 'scorer-bench', level: 'silent' });

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TITLES = [
  ['qradar', 'Multiple Login Failures for the Same User'], ['cloudtrail', 'ConsoleLogin without MFA'],
  ['guardduty', 'UnauthorizedAccess:EC2/SSHBruteForce'], ['securityhub', 'S3 bucket policy allows public read'],
  ['qradar', 'Suspicious PowerShell command line'], ['cloudtrail', 'CreateAccessKey for another user'],
  ['guardduty', 'Recon:EC2/PortProbeUnprotectedPort'], ['qradar', 'Excessive Firewall Denies From Single Source'],
] as const;

interface Stream { readonly records: Incident[]; readonly distinct: number; /** Distinct member events: the input events behind the records. */ readonly inputEvents: number; readonly redelivered: number; readonly replayedOld: number; readonly sameContent: number }

/** The `correlated` stream: versions per incident in order, incidents interleaved, some redeliveries and old replays. */
function generate(count: number, seed = 7): Stream {
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const perIncident: Incident[][] = [];
  let total = 0;
  let sameContent = 0;
  for (let n = 0; total < count; n += 1) {
    const incidentId = `inc-${n}`;
    const versions = 1 + Math.floor(rnd() * 4);
    const members: Incident['members'] = [];
    const list: Incident[] = [];
    for (let v = 1; v <= versions; v += 1) {
      if (v === 1 || rnd() < 0.6) {
        const [source, title] = pick(TITLES);
        members.push({ eventId: `${source}:${incidentId}-${members.length}`, source, observedAt: T0 + n * 1000 + members.length * 60_000, title, sourceSeverity: Math.floor(rnd() * 101) });
      } else {
        sameContent += 1;
      }
      const sources: Record<string, number> = {};
      for (const m of members) sources[m.source] = (sources[m.source] ?? 0) + 1;
      list.push(incidentSchema.parse({
        incidentId, version: v, status: v === versions ? 'settled' : 'open', firstSeen: T0, lastSeen: T0 + members.length * 60_000, updatedAt: T0 + v,
        members: [...members], hybrid: 'qradar' in sources && Object.keys(sources).length > 1, sources,
      }));
    }
    perIncident.push(list);
    total += versions;
  }
  // Interleave: repeatedly take the next version of a random open incident (per-incident order kept).
  const out: Incident[] = [];
  let redelivered = 0;
  let replayedOld = 0;
  const open = perIncident.map((list) => ({ list, next: 0 }));
  while (open.length > 0 && out.length < count) {
    const i = Math.floor(rnd() * Math.min(open.length, 50));
    const cursor = open[i];
    if (cursor === undefined) break;
    const record = cursor.list[cursor.next] as Incident;
    out.push(record);
    if (rnd() < 0.05) { out.push(record); redelivered += 1; }
    if (cursor.next > 0 && rnd() < 0.03) { out.push(cursor.list[0] as Incident); replayedOld += 1; }
    cursor.next += 1;
    if (cursor.next >= cursor.list.length) open.splice(i, 1);
  }
  const records = out.slice(0, count);
  const inputEvents = new Set(records.flatMap((r) => r.members.map((m) => m.eventId))).size;
  return { records, distinct: new Set(records.map((r) => r.incidentId)).size, inputEvents, redelivered, replayedOld, sameContent };
}

class NullProducer implements ProducerPort {
  sent = 0;
  connect(): Promise<void> { return Promise.resolve(); }
  sendBatch(batches: readonly TopicMessages[]): Promise<void> { this.sent += batches.reduce((n, b) => n + b.messages.length, 0); return Promise.resolve(); }
  disconnect(): Promise<void> { return Promise.resolve(); }
}

interface RunFigures {
  readonly records: number; readonly calls: number; readonly tokensIn: number; readonly tokensOut: number;
  readonly cacheHits: number; readonly staleSkips: number; readonly refined: number; readonly baselineStands: number;
  readonly latencies: number[]; readonly outcomes: Record<string, number>; readonly wallMs: number;
}

async function run(
  stream: readonly Incident[], chat: ChatModel, cache: RefinementCache, scored: ScoredVersions,
  settings: Partial<typeof DEFAULT_REFINER_SETTINGS> = {}, progress = false,
): Promise<RunFigures> {
  const riskModel = defaultRiskModel();
  const refiner = new Refiner({ ...DEFAULT_REFINER_SETTINGS, prompt: loadPrompt('refine.v1'), budget: { perMinute: 1e12, perDay: 1e12 }, ...settings }, { chat, riskModel, cache });
  const events: ScoredEvent[] = [];
  const stage = scorerStage({
    topics: { correlated: 'correlated', verdicts: 'verdicts', audit: 'llm.audit' },
    codecs: { incident: jsonCodec<unknown>(), verdict: jsonCodec<Verdict>(), audit: jsonCodec<LlmInference>() },
    // No member events in this stream (summary-only incidents, as measured before the event store): never wait.
    events: { topic: 'enriched', codec: jsonCodec<unknown>(), store: new LocalEventStore(3_600_000), maxBytes: 8_192, maxMembers: 200, waitMs: 0, ttlMs: 3_600_000, retryMaxAttempts: 5 },
    riskModel, refiner, producer: new NullProducer(), scored, now: () => Date.now(), onScored: (e) => events.push(e),
  });
  const ctx: HandlerContext = { stage: 'scorer', log, trace: continueTrace(undefined), attempt: 1, signal: new AbortController().signal };
  const audit: LlmInference[] = [];
  const started = Date.now();
  for (const [offset, incident] of stream.entries()) {
    const outputs = await stage.handle({ input: 'correlated', topic: 'correlated', partition: 0, offset: String(offset), key: null, value: incident, headers: {}, timestamp: undefined }, ctx);
    for (const output of outputs) audit.push(output.value);
    if (progress) process.stderr.write(`  ${offset + 1}/${stream.length} ${incident.incidentId}@${incident.version}: ${events.at(-1)?.llm ?? '?'} ${outputs.map((o) => `${o.value.outcome}/${o.value.latencyMs}ms/${o.value.tokensIn}+${o.value.tokensOut}tok`).join(' ')}\n`);
  }
  const wallMs = Date.now() - started;
  const calls = audit.filter((a) => a.outcome !== 'cache_hit' && a.outcome !== 'budget_exhausted');
  const outcomes: Record<string, number> = {};
  for (const a of audit) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  return {
    records: stream.length,
    calls: calls.length,
    tokensIn: calls.reduce((n, a) => n + a.tokensIn, 0),
    tokensOut: calls.reduce((n, a) => n + a.tokensOut, 0),
    cacheHits: outcomes.cache_hit ?? 0,
    staleSkips: events.filter((e) => e.llm === 'skipped_stale').length,
    refined: events.filter((e) => e.llm === 'refined').length,
    baselineStands: events.filter((e) => e.llm === 'baseline_stands').length,
    latencies: calls.map((a) => a.latencyMs),
    outcomes,
    wallMs,
  };
}

const per1k = (value: number, of: number) => Math.round((value * 1000) / of);
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const redisUrl = process.env.REDIS_URL;
const prefix = `seam-bench:scorer:${randomUUID().slice(0, 8)}:`;
const redis = redisUrl === undefined ? undefined : createRedis({ REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: undefined, REDIS_USERNAME: undefined, REDIS_PASSWORD: undefined, REDIS_TLS: false, REDIS_TLS_CA: undefined });
const guard = redis === undefined ? undefined : new RedisGuard(redis, log, 1_000);
const cacheOn = (): RefinementCache => new TieredRefinementCache(new LruRefinementCache(2_000, 86_400_000), guard === undefined ? undefined : new RedisRefinementCache(guard, `${prefix}on:`, 86_400_000));
const scoredFor = (name: string): ScoredVersions => (guard === undefined ? new LocalScoredVersions() : new RedisScoredVersions(guard, `${prefix}${name}:`, 86_400_000));

const stream = generate(records);
const fake = await startFakeOpenAi({ apiKey: 'bench-key', script: () => steps.valid({ severity: 'medium', riskScore: 55 }) });
const fakeChat = createOpenAiChat({ baseURL: fake.baseURL, model: 'fake-model', apiKey: 'bench-key' });
try {
  const rows: Array<[string, RunFigures, number]> = [];
  let before = fake.requests.length;
  const off = await run(stream.records, fakeChat, new LruRefinementCache(0), scoredFor('off'));
  rows.push(['cache off', off, fake.requests.length - before]);
  before = fake.requests.length;
  const on = await run(stream.records, fakeChat, cacheOn(), scoredFor('on'));
  rows.push([`cache on (${guard === undefined ? 'LRU' : 'LRU + Redis'})`, on, fake.requests.length - before]);
  // A second instance replaying the whole stream (new process: empty LRU; Redis remembers).
  before = fake.requests.length;
  const replay = await run(stream.records, fakeChat, cacheOn(), scoredFor('on'));
  rows.push(['replay, 2nd instance', replay, fake.requests.length - before]);

  console.log(`stream: ${stream.records.length} incident records, ${stream.distinct} incidents, ${stream.sameContent} versions re-emitting identical content, ${stream.redelivered} redeliveries, ${stream.replayedOld} old-version replays (seed 7)`);
  console.log(`${stream.inputEvents} input events behind them (distinct member events); fake endpoint; tokens from its usage field; "/1k rec" per 1,000 incident records, "/1k ev" per 1,000 input events\n`);
  console.log('| run | records | LLM calls (fake counted) | calls /1k rec | calls /1k ev | tokens in /1k ev | tokens out /1k ev | cache hits | stale skips | llm verdicts |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, f, counted] of rows) {
    console.log(`| ${name} | ${f.records} | ${f.calls} (${counted}) | ${per1k(f.calls, f.records)} | ${per1k(f.calls, stream.inputEvents)} | ${per1k(f.tokensIn, stream.inputEvents)} | ${per1k(f.tokensOut, stream.inputEvents)} | ${f.cacheHits} | ${f.staleSkips} | ${f.refined} |`);
  }
  const perEvent = (f: RunFigures) => ({ callsPer1kInputEvents: per1k(f.calls, stream.inputEvents), tokensInPer1kInputEvents: per1k(f.tokensIn, stream.inputEvents), tokensOutPer1kInputEvents: per1k(f.tokensOut, stream.inputEvents) });
  console.log(JSON.stringify({
    bench: 'scorer-llm-usage', endpoint: 'fake', records: stream.records.length, incidents: stream.distinct, inputEvents: stream.inputEvents,
    cacheOff: { callsPer1k: per1k(off.calls, off.records), tokensInPer1k: per1k(off.tokensIn, off.records), tokensOutPer1k: per1k(off.tokensOut, off.records), ...perEvent(off) },
    cacheOn: { callsPer1k: per1k(on.calls, on.records), tokensInPer1k: per1k(on.tokensIn, on.records), tokensOutPer1k: per1k(on.tokensOut, on.records), ...perEvent(on), cacheHits: on.cacheHits, staleSkips: on.staleSkips },
    replay: { calls: replay.calls, cacheHits: replay.cacheHits },
  }));

  if (localCount > 0) {
    const baseURL = process.env.LLM_BASE_URL;
    if (baseURL === undefined) throw new Error('--local needs LLM_BASE_URL (source .local/endpoints.env)');
    const model = process.env.LLM_MODEL ?? 'local';
    const chat = createOpenAiChat({ baseURL, model, apiKey: process.env.LLM_API_KEY ?? 'none' });
    const sample = generate(localCount, 11).records;
    // A small CPU model on a shared machine: generous per-call timeout, no transport retry of a timeout.
    const timeoutMs = Number(process.env.BENCH_LLM_TIMEOUT_MS ?? '120000');
    const local = await run(sample, chat, new TieredRefinementCache(new LruRefinementCache(2_000, 86_400_000), undefined), new LocalScoredVersions(),
      { timeoutMs, deadlineMs: 2 * timeoutMs + 10_000, maxTransportAttempts: 1 }, true);
    console.log(`\nlocal model ${model} at ${new URL(baseURL).host}: ${sample.length} incident records (${new Set(sample.map((r) => r.incidentId)).size} incidents), cache on (LRU), per-call timeout ${timeoutMs} ms\n`);
    console.log('| records | calls | tokens in | tokens out | tokens in / call | latency p50 ms | latency p95 ms | llm verdicts | baseline stands | cache hits | stale skips | wall s |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    console.log(`| ${local.records} | ${local.calls} | ${local.tokensIn} | ${local.tokensOut} | ${local.calls === 0 ? 0 : Math.round(local.tokensIn / local.calls)} | ${percentile(local.latencies, 50)} | ${percentile(local.latencies, 95)} | ${local.refined} | ${local.baselineStands} | ${local.cacheHits} | ${local.staleSkips} | ${(local.wallMs / 1000).toFixed(1)} |`);
    console.log(`outcomes: ${JSON.stringify(local.outcomes)}`);
    console.log(JSON.stringify({
      bench: 'scorer-llm-usage', endpoint: 'local', model, records: local.records, calls: local.calls, tokensIn: local.tokensIn, tokensOut: local.tokensOut,
      latencyP50Ms: percentile(local.latencies, 50), latencyP95Ms: percentile(local.latencies, 95), outcomes: local.outcomes,
    }));
  }
} finally {
  await fake.close();
  if (redis !== undefined) {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    await redis.quit();
  }
}
