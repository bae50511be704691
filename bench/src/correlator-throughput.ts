/**
 * Correlator throughput through real Kafka and Redis, with the kit pass-through measured in the
 * same run (the machine is shared, so only the ratio is meaningful).
 *
 * 1. pass-through: the kit's sample stage (child process) over BENCH_EVENTS ~1 KB Avro records;
 * 2. correlator: BENCH_EVENTS SecurityEvent records, Avro via the registry (as the enricher writes
 *    them), on a uniquely named `enriched` topic; 10 % of the events carry, besides their own key,
 *    the identity of an event from another source 7 events earlier (a hybrid link); the own keys
 *    cycle over BENCH_KEYS (default 100,000) distinct IPs and identities; event time advances
 *    10 ms per event. The correlator runs as a child process (`services/correlator/src/main.ts`,
 *    the batch handler). Rate = committed input offsets of the group per second in steady state
 *    (first to last commit). With the default windows (60 min + 5 min grace) nothing settles while
 *    the events flow (100k events span 17 min of event time): IP decisions happen, settling does
 *    not — so the Redis memory per live event is (used_memory after − before) / events. Then the
 *    time until the open versions still due after the last commit are emitted (the due and
 *    emitting buckets empty: at least the 2 s debounce), and the rate including it, so that a
 *    correlator that commits input faster than it emits versions does not look faster than it is;
 * 3. settle: one event per partition 48 h later moves the watermark past every window; the time
 *    until the correlator's sweep buckets are empty is the settle (+ IP decisions, settled versions,
 *    eviction) of every incident (the heartbeats' commit alone only moves the watermark).
 * 4. latency: after that, BENCH_LATENCY_EVENTS events are produced at a paced rate with the real
 *    clock as event time; latency = produce time → first incident version naming the event (the
 *    default 2 s debounce is part of it).
 *
 * Run: set -a; . .local/endpoints.env; set +a; npx tsx bench/src/correlator-throughput.ts
 * Env: BENCH_EVENTS (100000), BENCH_KEYS (100000), BENCH_PARTITIONS (6), BENCH_CONCURRENCY (= partitions: every partition of the
 * instance in flight, the same for the pass-through and the correlator), BENCH_INSTANCES (1: processes
 * per stage in one consumer group, for both; the concurrency default is then partitions / instances),
 * BENCH_LATENCY_EVENTS (2000), BENCH_LATENCY_RATE (500 /s), BENCH_TIME_CAP_S (600 per phase),
 * BENCH_CPU_PROF (a directory: profile the correlator), BENCH_NODE_FLAGS (node flags for the correlator),
 * BENCH_FLOOR (1: also measure the floor harness, the ceiling of any Redis-backed layout, see floor(); 2: the same with
 * an open and a settled version per event),
 * BENCH_WINDOW_S / BENCH_GRACE_S (the correlator's windows and grace: short ones settle incidents during the run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { avroCodec, createSchemaRegistry, type AvroSchemaJson } from '@seam/kit';
import { sampleEventAvroSchema } from '@seam/kit/sample/passthrough-stage';
import { spawnSampleStage, withoutRedis } from './sample-stage';
import { schemas, securityEventSchema, type Incident, type SecurityEvent } from '@seam/schemas';

const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const distinctKeys = Number(process.env.BENCH_KEYS ?? 100_000);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 6);
/** Processes per stage (one consumer group): the pass-through and the correlator alike. */
const instances = Math.max(1, Number(process.env.BENCH_INSTANCES ?? 1));
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? Math.ceil(partitions / instances));
const latencyEvents = Number(process.env.BENCH_LATENCY_EVENTS ?? 2000);
const latencyRate = Number(process.env.BENCH_LATENCY_RATE ?? 500);
const capMs = Number(process.env.BENCH_TIME_CAP_S ?? 600) * 1000;
/** BENCH_CPU_PROF=<dir>: the correlator runs with `node --cpu-prof` and writes its profile there. */
const cpuProfDir = process.env.BENCH_CPU_PROF;
/**
 * BENCH_FLOOR=1: also run the floor harness (see floor()) over the same input, before the correlator,
 * with one (open) version per event; BENCH_FLOOR=2: with two (open and settled), the minimum the
 * emission rules ask of every lone incident.
 */
const floorVersions = process.env.BENCH_FLOOR === '2' ? 2 : process.env.BENCH_FLOOR === '1' ? 1 : 0;
const withFloor = floorVersions > 0;
const floorLabel = floorVersions === 2 ? 'open + settled version per event' : 'one version per event';
/**
 * BENCH_WINDOW_S / BENCH_GRACE_S: the correlator's windows (both kinds) and grace, in event-time
 * seconds (default: its own, 3,600 / 300). Event time advances 10 ms per event, so with e.g. 60 / 60
 * incidents settle ~12,000 events after they opened: the steady-state rate then includes the settle
 * work (with the defaults nothing settles while the events flow), and the memory figure is per
 * input event, not per live one.
 */
const windowS = process.env.BENCH_WINDOW_S;
const graceS = process.env.BENCH_GRACE_S;
const settlesDuringRun = windowS !== undefined || graceS !== undefined;
const windowEnv: Record<string, string> = {
  ...(windowS === undefined ? {} : { CORRELATOR_WINDOW_IP_MS: String(Number(windowS) * 1000), CORRELATOR_WINDOW_IDENTITY_MS: String(Number(windowS) * 1000) }),
  ...(graceS === undefined ? {} : { CORRELATOR_GRACE_MS: String(Number(graceS) * 1000) }),
};
const brokers = required('KAFKA_BROKERS');
const registryUrl = required('SCHEMA_REGISTRY_URL');
const redisUrl = required('REDIS_URL');
const root = new URL('../..', import.meta.url).pathname;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (source .local/endpoints.env)`);
  return value;
}

const kafka = new Kafka({ clientId: 'bench-correlator', brokers: brokers.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const run = randomUUID().slice(0, 8);
const topicsCreated: string[] = [];
const redis = new Redis(redisUrl);
// As short as production's default `seam:`: every state key carries the prefix, so a longer one
// would add its extra length ~3.6 times to the bytes per live event.
const prefix = `b${run.slice(0, 4)}:`;
const floorPrefix = `f${run.slice(0, 4)}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createTopic(a: Admin, topic: string): Promise<void> {
  topicsCreated.push(topic);
  for (let attempt = 1; ; attempt++) {
    try {
      await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
      return;
    } catch (error) {
      // a loaded broker sometimes answers the leader wait with UNKNOWN_TOPIC_OR_PARTITION
      if (attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
}

async function committed(group: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function stop(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

const exitedEarly = (children: readonly ChildProcess[]): number | null => children.find((child) => child.exitCode !== null)?.exitCode ?? null;

/** Waits until the group committed `target` offsets; returns the steady-state rate (first to last commit). */
async function consumeRate(children: readonly ChildProcess[], group: string, topic: string, target: number, from = 0): Promise<{ perSecond: number; seconds: number }> {
  const deadline = Date.now() + capMs;
  let first: { at: number; count: number } | undefined;
  for (;;) {
    const code = exitedEarly(children);
    if (code !== null) throw new Error(`child exited early with ${code}`);
    const count = await committed(group, topic);
    const now = performance.now();
    if (first === undefined && count > from) first = { at: now, count };
    if (count >= target && first !== undefined) {
      const seconds = (now - first.at) / 1000;
      return { seconds, perSecond: seconds > 0 ? (count - first.count) / seconds : 0 };
    }
    if (Date.now() > deadline) {
      const seconds = first === undefined ? 0 : (now - first.at) / 1000;
      console.log(`  time cap: ${count}/${target} committed`);
      return { seconds, perSecond: first === undefined || seconds === 0 ? 0 : (count - first.count) / seconds };
    }
    await sleep(200);
  }
}

// --- 1. kit pass-through ------------------------------------------------------------------------

async function passThrough(): Promise<number> {
  const input = `bench.corrpt.${run}.in`;
  const output = `bench.corrpt.${run}.out`;
  await createTopic(admin, input);
  await createTopic(admin, `${input}.dlq`);
  await createTopic(admin, output);
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(sampleEventAvroSchema) }, { subject: `${input}-value` });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const payload = 'x'.repeat(1000);
  for (let start = 0; start < events; start += 2000) {
    const messages = [];
    for (let seq = start; seq < Math.min(events, start + 2000); seq++) messages.push({ key: `evt-${seq}`, value: await registry.encode(id, { id: `evt-${seq}`, seq, payload }) });
    await producer.send({ topic: input, messages, acks: -1 });
  }
  await producer.disconnect();
  const group = `bench.corrpt.${run}`;
  const children = Array.from({ length: instances }, () => spawnSampleStage({ root, input, output, group, codec: 'avro', concurrency }));
  try {
    return (await consumeRate(children, group, input, events)).perSecond;
  } finally {
    await stop(children);
  }
}

// --- 2.-4. correlator ---------------------------------------------------------------------------

const T0 = Date.UTC(2026, 0, 1);
const SOURCES = ['cloudtrail', 'qradar', 'guardduty', 'securityhub'] as const;
const RAW_KIND = { cloudtrail: 'cloudtrail_event', qradar: 'qradar_offense', guardduty: 'guardduty_finding', securityhub: 'securityhub_finding' } as const;

const ipOf = (k: number): string => `198.${18 + Math.floor(k / 65536)}.${Math.floor(k / 256) % 256}.${k % 256}`;

function securityEvent(i: number, observedAt: number, tag = ''): SecurityEvent {
  const source = SOURCES[i % SOURCES.length] ?? 'cloudtrail';
  const k = i % distinctKeys;
  const ips: SecurityEvent['entities']['ips'] = [];
  const identities: SecurityEvent['entities']['identities'] = [];
  // Own key: even k an identity, odd k a public actor IP.
  if (k % 2 === 0) identities.push({ canonical: `user-${k}`, raw: `user-${k}`, kind: 'ad', role: 'actor', resolved: true });
  else ips.push({ address: ipOf(k), role: 'actor', scope: 'public', namespace: null });
  // 10 %: the identity of event i − 7 (another source), a hybrid link.
  if (i % 10 === 9 && i >= 7) {
    const j = (i - 7) % distinctKeys;
    const canonical = j % 2 === 0 ? `user-${j}` : `user-link-${j}`;
    identities.push({ canonical, raw: canonical, kind: 'ad', role: 'actor', resolved: true });
  }
  if (i % 10 === 2) identities.push({ canonical: `user-link-${k}`, raw: `user-link-${k}`, kind: 'ad', role: 'actor', resolved: true });
  return securityEventSchema.parse({
    eventId: `${source}:${tag}${i}`,
    source,
    rawKind: RAW_KIND[source],
    sourceId: `${tag}${i}`,
    observedAt,
    sourceUpdatedAt: observedAt,
    ingestedAt: observedAt,
    title: `bench event ${i}`,
    description: null,
    category: 'bench',
    sourceSeverity: 40,
    mitre: [],
    entities: { ips, identities, hosts: [], cloudResources: [], accounts: [] },
    enrichment: { assets: [], vulns: [], intel: [], missing: [] },
    raw: '{}',
    rawEvents: null,
  });
}

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

const avsc = (name: 'SecurityEvent' | 'Incident') => schemas[name].avsc as unknown as AvroSchemaJson;

interface CorrelatorInput {
  readonly input: string;
  readonly output: string;
  readonly eventCodec: ReturnType<typeof avroCodec<SecurityEvent>>;
  readonly incidentCodec: ReturnType<typeof avroCodec<Incident>>;
  readonly producer: Producer;
}

/** Produces the BENCH_EVENTS SecurityEvent records once (the floor and the correlator both read them). */
async function correlatorInput(): Promise<CorrelatorInput> {
  const input = `bench.corr.${run}.enriched`;
  const output = `bench.corr.${run}.correlated`;
  await createTopic(admin, input);
  await createTopic(admin, `${input}.dlq`);
  await createTopic(admin, output);
  const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: registryUrl, SCHEMA_REGISTRY_USERNAME: undefined, SCHEMA_REGISTRY_PASSWORD: undefined });
  const eventCodec = avroCodec<SecurityEvent>(registry, avsc('SecurityEvent'), { autoRegister: true });
  const incidentCodec = avroCodec<Incident>(registry, avsc('Incident'), { autoRegister: true, readerSchema: avsc('Incident') });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let bytes = 0;
  for (let start = 0; start < events; start += 2000) {
    const messages = [];
    for (let i = start; i < Math.min(events, start + 2000); i++) {
      const value = securityEvent(i, T0 + i * 10);
      const encoded = await eventCodec.encode(value, input);
      bytes += encoded.length;
      messages.push({ key: value.eventId, value: encoded });
    }
    await producer.send({ topic: input, messages, acks: -1 });
  }
  console.log(`correlator input: ${events} SecurityEvent records (${Math.round(bytes / events)} B avg) on ${partitions} partitions (${input})`);
  return { input, output, eventCodec, incidentCodec, producer };
}

/** A correlator-like child process (`main`: the correlator, or the floor harness) over the bench input. */
function spawnCorrelatorProcess(
  main: string,
  env: { input: string; output: string; group: string; prefix: string; extra?: Record<string, string> },
): ChildProcess {
  const profile = [...(cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')];
  return spawn(process.execPath, [...profile, '--import', 'tsx', main], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...withoutRedis(process.env),
      REDIS_URL: redisUrl,
      CORRELATOR_INPUT_TOPIC: env.input,
      CORRELATOR_OUTPUT_TOPIC: env.output,
      CORRELATOR_REDIS_PREFIX: env.prefix,
      KAFKA_GROUP_ID: env.group,
      KAFKA_CONCURRENCY: String(concurrency),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
      ...windowEnv,
      ...env.extra,
    },
  });
}

/**
 * BENCH_FLOOR=1: the ceiling of any Redis-backed correlator here — the real stage with a store that
 * only writes each event and its key index entries and emits one version per event
 * (services/correlator/test/bench-floor-stage.ts), over the same input, its own group and prefix.
 */
async function floor({ input }: CorrelatorInput): Promise<{ perSecond: number; memPerEvent: number }> {
  const output = `bench.corr.${run}.floor`;
  await createTopic(admin, output);
  const memBefore = await usedMemory();
  const group = `bench.corr.${run}.floor`;
  const children = Array.from({ length: instances }, () =>
    spawnCorrelatorProcess('services/correlator/test/bench-floor-stage.ts', {
      input,
      output,
      group,
      prefix: floorPrefix,
      extra: { CORRELATOR_FLOOR_VERSIONS: String(floorVersions) },
    }),
  );
  try {
    const main = await consumeRate(children, group, input, events);
    const memPerEvent = ((await usedMemory()) - memBefore) / events;
    return { perSecond: main.perSecond, memPerEvent };
  } finally {
    await stop(children);
    await deleteKeys(`${floorPrefix}*`);
  }
}

async function correlator(given: CorrelatorInput) {
  const { input, output, eventCodec, incidentCodec, producer } = given;
  const group = `bench.corr.${run}`;
  const memBefore = await usedMemory();
  const spawnCorrelator = (): ChildProcess =>
    spawnCorrelatorProcess('services/correlator/src/main.ts', { input, output, group, prefix });
  const children = Array.from({ length: instances }, spawnCorrelator);
  try {
    const main = await consumeRate(children, group, input, events);
    // The input is committed; the open versions of its last debounce window (and any emission
    // backlog) are still due: the rate that counts is the one at which versions keep up.
    const emissionStart = performance.now();
    await drainedBuckets(children, ['due', 'emitting'], 'emission');
    const emissionSeconds = (performance.now() - emissionStart) / 1000;
    const withEmission = (main.perSecond * main.seconds) / (main.seconds + emissionSeconds);
    const memLive = await usedMemory();
    const settleStart = performance.now();
    const heartbeatAt = T0 + events * 10 + 48 * 3600_000;
    const heartbeats = await Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        const value = securityEvent(p, heartbeatAt, 'hb-');
        return { partition: p, key: value.eventId, value: await eventCodec.encode(value, input) };
      }),
    );
    await producer.send({ topic: input, acks: -1, messages: heartbeats });
    await consumeRate(children, group, input, events + partitions, events);
    // Consuming the heartbeats only moves the watermark; the settling (and the settled versions)
    // follows in bounded advance() rounds. Done when no root waits to settle, be decided or emitted.
    await drainedBuckets(children, ['settle', 'undecided', 'due', 'emitting'], 'settle');
    const settleSeconds = (performance.now() - settleStart) / 1000;
    const latency = await measureLatency(producer, input, output, group, eventCodec, incidentCodec, children);
    return { main, emissionSeconds, withEmission, memPerEvent: (memLive - memBefore) / events, settleSeconds, latency };
  } finally {
    await stop(children);
    await producer.disconnect();
  }
}

/** RedisCorrelationState's DEFAULT_SWEEP_BUCKETS, which the correlator's main uses. */
const SWEEP_BUCKETS = 16;

/**
 * Waits until the correlator's sweep buckets of these kinds hold nothing but the heartbeats
 * (their own windows are still open: they settle with idle advance, a minute later, which is not
 * part of the settle being measured).
 */
async function drainedBuckets(children: readonly ChildProcess[], kinds: readonly string[], what: string): Promise<void> {
  const buckets = kinds.flatMap((kind) => Array.from({ length: SWEEP_BUCKETS }, (_, n) => `${prefix}${kind}:{${n}}`));
  const deadline = Date.now() + capMs;
  for (;;) {
    const members = (await Promise.all(buckets.map((key) => redis.zrange(key, 0, 4 * partitions)))).flat();
    const left = members.filter((member) => !member.includes(':hb-')).length;
    if (left === 0) return;
    if (Date.now() > deadline || exitedEarly(children) !== null) {
      console.log(`  ${what} did not finish: ${left} entries left in the sweep buckets`);
      return;
    }
    await sleep(200);
  }
}

async function measureLatency(
  producer: Producer,
  input: string,
  output: string,
  group: string,
  eventCodec: ReturnType<typeof avroCodec<SecurityEvent>>,
  incidentCodec: ReturnType<typeof avroCodec<Incident>>,
  children: readonly ChildProcess[],
): Promise<{ p50: number; p99: number; seen: number }> {
  if (latencyEvents <= 0) return { p50: 0, p99: 0, seen: 0 };
  const producedAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `${group}.latency`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: output, fromBeginning: false });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    assigned = true;
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const incident = (await incidentCodec.decode(message.value, output)) as Pick<Incident, 'members'>;
      const at = Number(message.timestamp);
      for (const member of incident.members) {
        const sent = producedAt.get(member.eventId);
        if (sent !== undefined && !latencies.has(member.eventId)) latencies.set(member.eventId, at - sent);
      }
    },
  });
  const joinDeadline = Date.now() + 30_000;
  while (!assigned && Date.now() < joinDeadline) await sleep(100);
  const base = events + partitions;
  const chunk = Math.max(1, Math.round(latencyRate / 20)); // every 50 ms
  for (let sent = 0; sent < latencyEvents; sent += chunk) {
    const tickStart = Date.now();
    const messages = [];
    for (let i = sent; i < Math.min(latencyEvents, sent + chunk); i++) {
      const value = securityEvent(base + i, Date.now(), 'lat-');
      messages.push({ key: value.eventId, value: await eventCodec.encode(value, input) });
      producedAt.set(value.eventId, Date.now());
    }
    await producer.send({ topic: input, acks: -1, messages });
    await sleep(Math.max(0, 50 - (Date.now() - tickStart)));
  }
  const deadline = Date.now() + 30_000;
  while (latencies.size < latencyEvents && Date.now() < deadline && exitedEarly(children) === null) await sleep(200);
  await consumer.disconnect();
  const sorted = [...latencies.values()].sort((a, b) => a - b);
  const pct = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: pct(0.5), p99: pct(0.99), seen: sorted.length };
}

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function cleanup(): Promise<void> {
  await admin.deleteTopics({ topics: topicsCreated }).catch(() => undefined);
  await deleteKeys(`${prefix}*`);
}

try {
  mkdirSync(`${root}bench/results`, { recursive: true });
  const passthrough = await passThrough();
  console.log(`kit pass-through: ${Math.round(passthrough)} records/s`);
  const input = await correlatorInput();
  const floorResult = withFloor ? await floor(input) : undefined;
  if (floorResult !== undefined) console.log(`floor (store + index + ${floorLabel}, no correlation): ${Math.round(floorResult.perSecond)} events/s`);
  const result = await correlator(input);
  const rows: Array<[string, string]> = [
    ['events', String(events)],
    ['instances per stage x concurrency', `${instances} x ${concurrency}`],
    ['distinct keys', String(distinctKeys)],
    ['hybrid links', '10 %'],
    ['kit pass-through (records/s)', String(Math.round(passthrough))],
    ['correlator (events/s, steady state)', String(Math.round(result.main.perSecond))],
    ['correlator / pass-through', (result.main.perSecond / passthrough).toFixed(3)],
    ['open versions emitted after the last commit (s)', result.emissionSeconds.toFixed(1)],
    ['correlator incl. that emission (events/s)', String(Math.round(result.withEmission))],
    ['correlator incl. emission / pass-through', (result.withEmission / passthrough).toFixed(3)],
    ['windows / grace (event-time s)', `${windowS ?? '3600'} / ${graceS ?? '300'}${settlesDuringRun ? ' (incidents settle during the run)' : ''}`],
    [settlesDuringRun ? 'Redis used_memory per input event (B; some settled)' : 'Redis used_memory per live event (B)', String(Math.round(result.memPerEvent))],
    ...(floorResult === undefined
      ? []
      : ([
          [`floor: store + index + ${floorLabel} (events/s)`, String(Math.round(floorResult.perSecond))],
          ['floor / pass-through', (floorResult.perSecond / passthrough).toFixed(3)],
          ['correlator / floor', (result.main.perSecond / floorResult.perSecond).toFixed(3)],
          ['floor: Redis used_memory per event (B)', String(Math.round(floorResult.memPerEvent))],
        ] as Array<[string, string]>)),
    ['settle of all incidents (s)', result.settleSeconds.toFixed(1)],
    [`latency p50 / p99 (ms, ${result.latency.seen}/${latencyEvents} events at ${latencyRate}/s)`, `${result.latency.p50} / ${result.latency.p99}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  writeFileSync(
    `${root}bench/results/correlator-throughput.json`,
    `${JSON.stringify({ benchmark: 'correlator-throughput', events, distinctKeys, partitions, instances, concurrency, passthrough: Math.round(passthrough), windowS: windowS ?? null, graceS: graceS ?? null, floor: floorResult, ...result }, null, 2)}\n`,
  );
} finally {
  await cleanup();
  await redis.quit();
  await admin.disconnect();
}
