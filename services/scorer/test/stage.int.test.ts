import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createKit, DLQ_HEADERS, loadConfig, type AvroSchemaJson, type Kit, type StageHandle } from '@seam/kit';
import { incidentSchema, llmInferenceSchema, schemas, securityEventSchema, verdictSchema, type Incident, type LlmInference, type SecurityEvent, type Verdict } from '@seam/schemas';
import { startFakeOpenAi, steps, type FakeOpenAi } from '@seam/infra/llm/fake-openai';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scorerConfigSchema, type ScorerConfig } from '../src/config';
import { startScorer, type ScorerDeps } from '../src/main';

/**
 * The scorer stage on the real broker, schema registry and Redis, with the scripted fake OpenAI
 * endpoint: baseline then llm verdicts in order, audit records, no second LLM call for content
 * already answered (a second instance with a fresh process and consumer group re-reads everything),
 * older versions skip the LLM, LLM faults leave the baseline, poison goes to the DLQ.
 */

const KEY = 'sk-scorer-int-0123456789';
const T0 = Date.UTC(2025, 2, 12, 14, 0, 0);

function endpoint(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; source .local/endpoints.env`);
  return value;
}
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const silent = () => new Writable({ write: (_chunk, _enc, callback) => callback() });
const avsc = (name: 'Incident' | 'Verdict' | 'LlmInference' | 'SecurityEvent') => schemas[name].avsc as unknown as AvroSchemaJson;
const kafka = new Kafka({ clientId: 'scorer-int-test', brokers: endpoint('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Collected { key: string | null; value: Buffer; headers: Record<string, string> }

async function collect(topic: string): Promise<{ records: Collected[]; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: unique('scorer-reader'), maxWaitTimeInMs: 100 });
  const records: Collected[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const first = Array.isArray(value) ? value[0] : value;
        if (first !== undefined) headers[name] = first.toString();
      }
      records.push({ key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers });
      return Promise.resolve();
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

const incident = (incidentId: string, version: number, titles: readonly string[]): Incident => incidentSchema.parse({
  incidentId, version, status: 'open', firstSeen: T0, lastSeen: T0 + titles.length * 60_000, updatedAt: T0 + version,
  members: titles.map((title, i) => ({
    eventId: i % 2 === 0 ? `qradar:offense:${incidentId}-${i}` : `cloudtrail:${incidentId}-${i}`,
    source: i % 2 === 0 ? 'qradar' : 'cloudtrail', observedAt: T0 + i * 60_000, title, sourceSeverity: 40 + 10 * i,
  })),
  hybrid: titles.length > 1,
  sources: titles.length > 1 ? { qradar: Math.ceil(titles.length / 2), cloudtrail: Math.floor(titles.length / 2) } : { qradar: 1 },
});

const topics = { correlated: unique('sc-correlated'), verdicts: unique('sc-verdicts'), audit: unique('sc-audit'), enriched: unique('sc-enriched') };
const dlq = `${topics.correlated}.dlq`;
const redisPrefix = `${unique('seam-test:scorer')}:`;
let fake: FakeOpenAi;
let producer: Producer;
let codecKit: Kit;
const stages: { kit: Kit; handle: StageHandle<never, never> | { stop(): Promise<{ exitCode: number }> } }[] = [];
let verdictsOut: { records: Collected[]; stop: () => Promise<void> };
let auditOut: { records: Collected[]; stop: () => Promise<void> };
let dlqOut: { records: Collected[]; stop: () => Promise<void> };

function config(overrides: Record<string, string | undefined> = {}): ScorerConfig {
  const env: Record<string, string | undefined> = {
    KAFKA_BROKERS: endpoint('KAFKA_BROKERS'),
    SCHEMA_REGISTRY_URL: endpoint('SCHEMA_REGISTRY_URL'),
    SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    REDIS_URL: endpoint('REDIS_URL'),
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    KAFKA_GROUP_ID: unique('scorer'),
    RETRY_MAX_ATTEMPTS: '2',
    RETRY_INITIAL_DELAY_MS: '50',
    SCORER_INPUT_TOPIC: topics.correlated,
    SCORER_OUTPUT_TOPIC: topics.verdicts,
    SCORER_AUDIT_TOPIC: topics.audit,
    SCORER_REDIS_PREFIX: redisPrefix,
    LLM_BASE_URL: fake.baseURL,
    LLM_MODEL: 'fake-model',
    LLM_API_KEY: KEY,
    LLM_TIMEOUT_MS: '2000',
    LLM_DEADLINE_MS: '5000',
    SCORER_EVENTS_TOPIC: topics.enriched,
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return loadConfig(scorerConfigSchema, env);
}

async function startInstance(overrides: Record<string, string | undefined> = {}, deps: ScorerDeps = {}): Promise<void> {
  const cfg = config(overrides);
  const kit = createKit(cfg, { service: 'scorer-int-test', defaultMetrics: false, logDestination: silent() });
  const handle = await startScorer(cfg, kit, { handleSignals: false, exit: () => undefined }, deps);
  stages.push({ kit, handle });
}

async function stopInstances(): Promise<void> {
  for (const { handle } of stages.splice(0)) expect((await handle.stop()).exitCode).toBe(0);
}

const verdictCodec = () => codecKit.avro<Verdict>(avsc('Verdict'), { readerSchema: avsc('Verdict') });
const auditCodec = () => codecKit.avro<LlmInference>(avsc('LlmInference'), { readerSchema: avsc('LlmInference') });

async function verdicts(): Promise<Verdict[]> {
  const codec = verdictCodec();
  return Promise.all(verdictsOut.records.map(async (r) => verdictSchema.parse(await codec.decode(r.value, topics.verdicts))));
}
async function audits(): Promise<LlmInference[]> {
  const codec = auditCodec();
  return Promise.all(auditOut.records.map(async (r) => llmInferenceSchema.parse(await codec.decode(r.value, topics.audit))));
}

async function send(incidents: readonly Incident[]): Promise<void> {
  const codec = codecKit.avro<Incident>(avsc('Incident'));
  const messages = await Promise.all(incidents.map(async (i) => ({ key: i.incidentId, value: await codec.encode(i, topics.correlated) })));
  await producer.send({ topic: topics.correlated, messages });
}

const versionsOf = (all: readonly Verdict[], incidentId: string) =>
  all.filter((v) => v.incidentId === incidentId).map((v) => `${v.verdictVersion}:${v.phase}:${v.incidentVersion}`);

beforeAll(async () => {
  // Fault injection by content: a member title containing "fault-500" gets a 500 every time.
  fake = await startFakeOpenAi({ apiKey: KEY, script: (r) => (r.text.includes('fault-500') ? steps.serverError(500) : steps.valid({ severity: 'medium', riskScore: 50 })) });
  await withAdmin((admin) => admin.createTopics({
    waitForLeaders: true,
    topics: [topics.correlated, topics.verdicts, topics.audit, topics.enriched, dlq].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
  }));
  codecKit = createKit(config(), { service: 'scorer-int-codecs', defaultMetrics: false, logDestination: silent() });
  producer = kafka.producer();
  await producer.connect();
  verdictsOut = await collect(topics.verdicts);
  auditOut = await collect(topics.audit);
  dlqOut = await collect(dlq);
}, 60_000);

afterAll(async () => {
  await stopInstances().catch(() => undefined);
  await Promise.all([verdictsOut?.stop(), auditOut?.stop(), dlqOut?.stop(), producer?.disconnect()].map((p) => p?.catch(() => undefined)));
  const redis = codecKit.redis();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await codecKit.close();
  await withAdmin((admin) => admin.deleteTopics({ topics: [topics.correlated, topics.verdicts, topics.audit, topics.enriched, dlq] })).catch(() => undefined);
  await fake.close();
}, 60_000);

describe('scorer stage (Kafka, registry, Redis, fake OpenAI)', () => {
  it('emits the baseline then the llm verdict per incident version, in order, with audit records', async () => {
    await startInstance();
    await send([
      incident('inc-a', 1, ['Multiple Login Failures for the Same User']),
      incident('inc-a', 2, ['Multiple Login Failures for the Same User', 'ConsoleLogin without MFA']),
      incident('inc-b', 1, ['Port scan']),
    ]);
    await until(() => verdictsOut.records.length >= 6 && auditOut.records.length >= 3, 'six verdicts and three audit records');
    const all = await verdicts();
    expect(versionsOf(all, 'inc-a')).toEqual(['1:baseline:1', '2:llm:1', '3:baseline:2', '4:llm:2']);
    expect(versionsOf(all, 'inc-b')).toEqual(['1:baseline:1', '2:llm:1']);
    for (const record of verdictsOut.records) {
      const value = all[verdictsOut.records.indexOf(record)];
      expect(record.key).toBe(value?.incidentId);
      expect(record.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    }
    const llm = all.filter((v) => v.phase === 'llm');
    for (const v of llm) {
      expect(v.model).toMatchObject({ name: 'fake-model', promptVersion: 'refine.v1' });
      expect(v.factors.at(-1)?.name).toBe('llm-refinement');
    }
    const audit = await audits();
    expect(audit).toHaveLength(3);
    expect(audit.map((a) => `${a.incidentId}@${a.incidentVersion}`).sort()).toEqual(['inc-a@1', 'inc-a@2', 'inc-b@1']);
    expect(new Set(audit.map((a) => a.outcome))).toEqual(new Set(['ok']));
    expect(auditOut.records.map((r) => r.key).sort()).toEqual(['inc-a', 'inc-a', 'inc-b']);
    expect(fake.requests).toHaveLength(3);
  }, 60_000);

  it('an older incident version skips the LLM; an LLM fault leaves the baseline; a new version of known content is a cache hit', async () => {
    const calls = fake.requests.length;
    await send([
      incident('inc-a', 1, ['Multiple Login Failures for the Same User']), // older than v2: baseline only
      incident('inc-c', 1, ['fault-500 brute force']), // 500, 500, 500: baseline stands
      incident('inc-b', 2, ['Port scan']), // same content as v1: cached answer, no call
    ]);
    await until(() => verdictsOut.records.length >= 10, 'four more verdicts');
    await until(() => auditOut.records.length >= 3 + 3 + 1, 'four more audit records');
    const all = await verdicts();
    expect(versionsOf(all, 'inc-a')).toEqual(['1:baseline:1', '2:llm:1', '3:baseline:2', '4:llm:2', '1:baseline:1']);
    expect(versionsOf(all, 'inc-c')).toEqual(['1:baseline:1']);
    expect(versionsOf(all, 'inc-b')).toEqual(['1:baseline:1', '2:llm:1', '3:baseline:2', '4:llm:2']);
    const audit = await audits();
    expect(audit.filter((a) => a.incidentId === 'inc-c').map((a) => a.outcome)).toEqual(['server_error', 'server_error', 'server_error']);
    expect(audit.filter((a) => a.incidentId === 'inc-b' && a.incidentVersion === 2).map((a) => a.outcome)).toEqual(['cache_hit']);
    expect(audit.filter((a) => a.incidentId === 'inc-a')).toHaveLength(2); // none for the replayed v1
    expect(fake.requests.length - calls).toBe(3); // inc-c's three attempts only
  }, 60_000);

  it('a malformed record goes to the DLQ with its reason and the stage keeps going', async () => {
    await producer.send({ topic: topics.correlated, messages: [{ key: 'inc-bad', value: Buffer.from('not avro at all') }] });
    await send([incident('inc-d', 1, ['Suspicious PowerShell'])]);
    await until(() => dlqOut.records.length >= 1, 'a DLQ record');
    await until(() => verdictsOut.records.filter((r) => r.key === 'inc-d').length >= 2, 'inc-d verdicts');
    const [dead] = dlqOut.records;
    expect(dead?.key).toBe('inc-bad');
    expect(dead?.value.toString()).toBe('not avro at all');
    expect(dead?.headers[DLQ_HEADERS.errorClass]).toBe('poison');
    expect(dead?.headers[DLQ_HEADERS.reason]?.length).toBeGreaterThan(0);
    expect(dead?.headers[DLQ_HEADERS.sourceTopic]).toBe(topics.correlated);
    expect(versionsOf(await verdicts(), 'inc-d')).toEqual(['1:baseline:1', '2:llm:1']);
  }, 60_000);

  it('a redelivered stream (second instance, fresh process cache, new consumer group) does not call the LLM again', async () => {
    await stopInstances();
    const calls = fake.requests.length;
    const before = verdictsOut.records.length;
    const auditBefore = auditOut.records.length;
    await startInstance(); // new group: re-reads the whole topic from the beginning
    // Replayed in topic order: a1 a2 b1 | a1 c1 b2 | poison d1. Redis remembers a@2 and b@2, so a1 and b1
    // are older versions (baseline only); a2, b2, d1 are answered from the Redis cache; c1 failed
    // before (nothing cached) and is tried again.
    await until(() => verdictsOut.records.length >= before + 10, 'the replayed verdicts');
    await until(() => auditOut.records.length >= auditBefore + 6, 'the replayed audit records');
    await until(() => dlqOut.records.length >= 2, 'the poison record again');
    const replayed = (await verdicts()).slice(before);
    expect(replayed).toHaveLength(10);
    expect(versionsOf(replayed, 'inc-a')).toEqual(['1:baseline:1', '3:baseline:2', '4:llm:2', '1:baseline:1']);
    expect(versionsOf(replayed, 'inc-b')).toEqual(['1:baseline:1', '3:baseline:2', '4:llm:2']);
    expect(versionsOf(replayed, 'inc-c')).toEqual(['1:baseline:1']);
    expect(versionsOf(replayed, 'inc-d')).toEqual(['1:baseline:1', '2:llm:1']);
    const audit = (await audits()).slice(auditBefore);
    expect(audit.filter((a) => a.outcome === 'cache_hit').map((a) => `${a.incidentId}@${a.incidentVersion}`)).toEqual(['inc-a@2', 'inc-b@2', 'inc-d@1']);
    expect(audit.filter((a) => a.outcome !== 'cache_hit').map((a) => a.incidentId)).toEqual(['inc-c', 'inc-c', 'inc-c']);
    expect(fake.requests.length - calls).toBe(3); // inc-c's three attempts only
  }, 90_000);
});

/**
 * Member events from `enriched` (own consumer group, compact records in Redis): an incident whose
 * member carries a crown-jewel asset, an exploitable vulnerability and a malicious intel verdict is
 * scored with them; an incident that arrives before its events waits for them (RetriableError with
 * the kit's backoff); one whose event never comes is still scored, naming the missing member.
 * Own topics, baseline only (no LLM), Redis standalone.
 */
describe('scorer stage with member events (enriched → Redis event store)', () => {
  const ev = { correlated: unique('sce-correlated'), verdicts: unique('sce-verdicts'), audit: unique('sce-audit'), enriched: unique('sce-enriched') };
  const evTopics = [ev.correlated, ev.verdicts, ev.audit, ev.enriched, `${ev.correlated}.dlq`, `${ev.enriched}.dlq`];
  const uid = randomBytes(3).toString('hex');
  const stored: { eventId: string; at: number }[] = [];
  let out: { records: Collected[]; stop: () => Promise<void> };
  const WAIT_MS = 5_000;

  const securityEvent = (eventId: string, more: Partial<Record<'entities' | 'enrichment', unknown>> = {}): SecurityEvent => securityEventSchema.parse({
    eventId, source: 'qradar', rawKind: 'qradar_offense', sourceId: eventId.split(':').at(-1), observedAt: T0, sourceUpdatedAt: T0, ingestedAt: Date.now(),
    title: 'Exploit attempt against database server', category: 'exploit', sourceSeverity: 60, raw: '{}',
    entities: { ips: [{ address: '203.0.113.66', role: 'actor', scope: 'public', namespace: null }, { address: '10.20.0.5', role: 'target', scope: 'private', namespace: 'corp' }] },
    ...more,
  });
  const crownJewel = {
    enrichment: {
      assets: [{ key: '10.20.0.5', owner: 'dba-lead@corp.example', supportGroup: 'DBA', businessUnit: 'Finance', criticality: 5, tags: [], internetFacing: false }],
      vulns: [{ cve: 'CVE-2024-21762', cvss: 9.8, exploitAvailable: true, host: '10.20.0.5' }],
      intel: [{ indicator: '203.0.113.66', verdict: 'malicious', score: 95, source: 'intel-feed', tags: ['c2'] }],
    },
  };
  const single = (incidentId: string, eventId: string, updatedAt: number): Incident => incidentSchema.parse({
    incidentId, version: 1, status: 'open', firstSeen: T0, lastSeen: T0, updatedAt,
    members: [{ eventId, source: 'qradar', observedAt: T0, title: 'Exploit attempt against database server', sourceSeverity: 60 }],
    hybrid: false, sources: { qradar: 1 },
  });

  const sendEvents = async (events: readonly SecurityEvent[]) => {
    const codec = codecKit.avro<SecurityEvent>(avsc('SecurityEvent'));
    const messages = await Promise.all(events.map(async (e) => ({ key: e.eventId, value: await codec.encode(e, ev.enriched) })));
    await producer.send({ topic: ev.enriched, messages });
  };
  const sendIncidents = async (incidents: readonly Incident[]) => {
    const codec = codecKit.avro<Incident>(avsc('Incident'));
    const messages = await Promise.all(incidents.map(async (i) => ({ key: i.incidentId, value: await codec.encode(i, ev.correlated) })));
    await producer.send({ topic: ev.correlated, messages });
  };
  const verdictOf = async (incidentId: string): Promise<Verdict | undefined> => {
    const codec = verdictCodec();
    const record = out.records.find((r) => r.key === incidentId);
    return record === undefined ? undefined : verdictSchema.parse(await codec.decode(record.value, ev.verdicts));
  };
  const names = (v: Verdict | undefined) => (v?.factors ?? []).map((f) => f.name);

  beforeAll(async () => {
    await stopInstances();
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: evTopics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) }));
    out = await collect(ev.verdicts);
    await startInstance({
      SCORER_INPUT_TOPIC: ev.correlated, SCORER_OUTPUT_TOPIC: ev.verdicts, SCORER_AUDIT_TOPIC: ev.audit, SCORER_EVENTS_TOPIC: ev.enriched,
      SCORER_REDIS_PREFIX: `${redisPrefix}ev:`, KAFKA_GROUP_ID: unique('scorer-ev'),
      LLM_BASE_URL: undefined, LLM_API_KEY: undefined,
      RETRY_MAX_ATTEMPTS: '12', RETRY_INITIAL_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', SCORER_EVENT_WAIT_MS: String(WAIT_MS),
    }, { onEventStored: (e) => stored.push({ eventId: e.eventId, at: Date.now() }) });
  }, 60_000);

  afterAll(async () => {
    await stopInstances().catch(() => undefined);
    await out?.stop().catch(() => undefined);
    await withAdmin((admin) => admin.deleteTopics({ topics: evTopics })).catch(() => undefined);
  }, 60_000);

  it('a member event with a crown-jewel asset, an exploitable vuln and malicious intel raises the score over the same incident without it', async () => {
    const rich = `qradar:offense:${uid}-r1`;
    await sendEvents([securityEvent(rich, crownJewel)]);
    await until(() => stored.some((s) => s.eventId === rich), 'the event stored');
    // inc-bare: same member summary, its event never published; updated 3 days ago (past the event TTL): no wait.
    await sendIncidents([single('ev-rich', rich, Date.now()), single('ev-bare', `qradar:offense:${uid}-b1`, Date.now() - 3 * 86_400_000)]);
    await until(() => out.records.length >= 2, 'two verdicts');
    const withEvent = await verdictOf('ev-rich');
    const without = await verdictOf('ev-bare');
    expect(names(withEvent)).toEqual(expect.arrayContaining(['asset-criticality', 'exploitable-vulnerability', 'threat-intel']));
    expect(names(withEvent)).not.toContain('incomplete-context');
    expect(withEvent?.factors.find((f) => f.name === 'threat-intel')?.points).toBe(19);
    expect(withEvent?.owner.team).toBe('DBA');
    expect(names(without)).not.toContain('asset-criticality');
    expect(without?.factors.find((f) => f.name === 'incomplete-context')?.detail).toBe(`1 member event(s) unavailable (qradar:offense:${uid}-b1)`);
    expect(withEvent?.riskScore).toBeGreaterThanOrEqual((without?.riskScore ?? 100) + 40);
    expect(withEvent?.confidence).toBeGreaterThan(without?.confidence ?? 1);
  }, 60_000);

  it('an incident that arrives before its member event is scored once the event lands (within the wait)', async () => {
    const late = `qradar:offense:${uid}-l1`;
    const sentAt = Date.now();
    await sendIncidents([single('ev-late', late, Date.now())]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(out.records.filter((r) => r.key === 'ev-late')).toHaveLength(0); // still waiting
    await sendEvents([securityEvent(late, crownJewel)]);
    await until(() => out.records.some((r) => r.key === 'ev-late'), 'the late incident scored', 20_000);
    const verdict = await verdictOf('ev-late');
    expect(names(verdict)).toEqual(expect.arrayContaining(['asset-criticality', 'exploitable-vulnerability', 'threat-intel']));
    expect(names(verdict)).not.toContain('incomplete-context');
    const storedAt = stored.find((s) => s.eventId === late)?.at ?? Infinity;
    expect(storedAt - sentAt).toBeGreaterThanOrEqual(1_500);
    expect(out.records.filter((r) => r.key === 'ev-late')).toHaveLength(1); // one baseline, no early one
  }, 60_000);

  it('a member event that never arrives: a baseline verdict after the bounded wait, naming the missing member', async () => {
    const never = `qradar:offense:${uid}-n1`;
    const sentAt = Date.now();
    await sendIncidents([single('ev-never', never, Date.now())]);
    await until(() => out.records.some((r) => r.key === 'ev-never'), 'the incident scored without its event', 30_000);
    const elapsed = Date.now() - sentAt;
    expect(elapsed).toBeGreaterThanOrEqual(WAIT_MS - 500);
    expect(elapsed).toBeLessThan(WAIT_MS + 8_000);
    const verdict = await verdictOf('ev-never');
    expect(verdict?.phase).toBe('baseline');
    expect(verdict?.factors.find((f) => f.name === 'incomplete-context')?.detail).toBe(`1 member event(s) unavailable (${never})`);
    expect(names(verdict)).not.toContain('threat-intel');
  }, 60_000);
});
