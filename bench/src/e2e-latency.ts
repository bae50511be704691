/**
 * End-to-end latency: from an AWS record accepted by aws-ingest's EventBridge intake to the first
 * baseline verdict of an incident that contains it, through the six services as processes on the
 * real Kafka, registry and Redis (no LLM: the baseline verdict is what this measures). Input at
 * fixed rates (BENCH_RATES, events/s, default "10,40"; BENCH_SECONDS per rate, default 20), live
 * event times (now), 10% of events sharing an IP with an earlier one (links and merges).
 *
 * Reference in the same run: the broker's own produce -> consume latency for one small record
 * (p50/p99 over BENCH_REFERENCE_SAMPLES), i.e. one Kafka hop; the pipeline makes five hops plus the
 * correlator's debounce (CORRELATOR_DEBOUNCE_MS, printed).
 *
 *   bash bench/run.sh e2e-latency
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { toEventBridgeEvent } from '../../infra/src/pipeline/eventbridge-envelope';
import { parseReplayLine, type ReplayLine } from '../../infra/src/pipeline/replay-input';
import { PipelineRun } from '../../infra/src/pipeline/run';

const root = fileURLToPath(new URL('../../', import.meta.url));
const env = process.env;
const rates = (env['BENCH_RATES'] ?? '10,40').split(',').map(Number).filter((r) => r > 0);
const seconds = Number(env['BENCH_SECONDS'] ?? 20);
const referenceSamples = Number(env['BENCH_REFERENCE_SAMPLES'] ?? 200);
const debounceMs = env['BENCH_DEBOUNCE_MS'] ?? '2000';

const percentile = (values: readonly number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
};

async function kafkaReference(): Promise<{ p50: number | null; p99: number | null }> {
  const kafka = new Kafka({ clientId: 'bench-e2e-ref', brokers: (env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING });
  const topic = `bench-e2e-ref-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `${topic}-g`, maxWaitTimeInMs: 50 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  await consumer.run({
    eachMessage: ({ message }) => {
      const at = sent.get(message.key?.toString() ?? '');
      if (at !== undefined) latencies.push(performance.now() - at);
      return Promise.resolve();
    },
  });
  await new Promise((r) => setTimeout(r, 3_000)); // group join
  for (let i = 0; i < referenceSamples; i++) {
    sent.set(String(i), performance.now());
    await producer.send({ topic, acks: -1, messages: [{ key: String(i), value: 'x' }] });
    await new Promise((r) => setTimeout(r, 10));
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < referenceSamples && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** A CloudTrail ConsoleLogin at `now` by a fresh user; every tenth reuses an earlier IP. */
function loginLine(n: number, ips: string[]): ReplayLine {
  const ip = n % 10 === 9 && ips.length > 0 ? (ips[Math.floor(Math.random() * ips.length)] as string) : `203.0.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  ips.push(ip);
  const record = {
    eventVersion: '1.08',
    eventID: `${randomBytes(4).toString('hex')}-bench-${n}`,
    eventTime: new Date().toISOString(),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventType: 'AwsConsoleSignIn',
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    userAgent: 'Mozilla/5.0 bench',
    recipientAccountId: '562283505220',
    userIdentity: { type: 'IAMUser', principalId: `AIDABENCH${n}`, arn: `arn:aws:iam::562283505220:user/bench-${n}`, accountId: '562283505220', userName: `bench-${n}` },
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { MFAUsed: 'No' },
  };
  const line = parseReplayLine(JSON.stringify({ source: 'cloudtrail.event', payload: record }), n + 1);
  if (line === undefined || 'reason' in line) throw new Error('bench generated a bad line');
  return line;
}

const run = new PipelineRun({
  repoRoot: root,
  endpoints: { KAFKA_BROKERS: env['KAFKA_BROKERS'] ?? '', SCHEMA_REGISTRY_URL: env['SCHEMA_REGISTRY_URL'] ?? '', REDIS_URL: env['REDIS_URL'] ?? '' },
  services: ['aws-ingest', 'enricher', 'correlator', 'scorer', 'actuator'],
  extra: { correlator: { CORRELATOR_DEBOUNCE_MS: debounceMs, CORRELATOR_TICK_INTERVAL_MS: '200' } },
});

const accepted = new Map<string, number>();
const verdictAt = new Map<string, number>();
const check = () => {
  const now = performance.now();
  const results = run.observer.results;
  for (const [eventId, incident] of results.incidentOfEvent()) {
    if (verdictAt.has(eventId) || !accepted.has(eventId)) continue;
    const verdict = results.verdicts.get(incident.incidentId);
    if (verdict !== undefined) verdictAt.set(eventId, now);
  }
};

const report: Record<string, unknown> = { benchmark: 'e2e-latency', debounceMs: Number(debounceMs), secondsPerRate: seconds, rates: [] as unknown[] };
try {
  const reference = await kafkaReference();
  report['kafkaHopMs'] = reference;
  await run.start();
  const timer = setInterval(check, 25);
  const ips: string[] = [];
  let n = 0;
  for (const rate of rates) {
    const ids: string[] = [];
    const start = performance.now();
    const total = Math.round(rate * seconds);
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const line = loginLine(n++, ips);
      const response = await fetch(`http://127.0.0.1:${run.settings.ports['aws-ingest']}/eventbridge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${run.settings.eventBridgeToken}` },
        body: JSON.stringify(toEventBridgeEvent(line)),
      });
      await response.body?.cancel();
      const eventId = `cloudtrail:${line.sourceId}`;
      if (response.ok) {
        accepted.set(eventId, performance.now());
        ids.push(eventId);
      }
    }
    const achieved = ids.length / ((performance.now() - start) / 1000);
    const deadline = Date.now() + 60_000;
    while (ids.some((id) => !verdictAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const latencies = ids.filter((id) => verdictAt.has(id)).map((id) => (verdictAt.get(id) as number) - (accepted.get(id) as number));
    const row = { rate, achieved: Math.round(achieved * 10) / 10, events: ids.length, withVerdict: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
    (report['rates'] as unknown[]).push(row);
    process.stdout.write(`rate ${rate}/s: ${JSON.stringify(row)}\n`);
  }
  clearInterval(timer);
} finally {
  await run.stop();
}

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(0) : '-');
const ref = report['kafkaHopMs'] as { p50: number | null; p99: number | null };
process.stdout.write(`\nEnd-to-end latency, intake accepted -> first baseline verdict (debounce ${debounceMs} ms)\n`);
process.stdout.write(`${'rate/s'.padEnd(8)}${'achieved'.padEnd(10)}${'events'.padEnd(8)}${'p50 ms'.padEnd(9)}${'p95 ms'.padEnd(9)}${'p99 ms'.padEnd(9)}\n`);
for (const row of report['rates'] as { rate: number; achieved: number; events: number; p50: number | null; p95: number | null; p99: number | null }[]) {
  process.stdout.write(`${String(row.rate).padEnd(8)}${String(row.achieved).padEnd(10)}${String(row.events).padEnd(8)}${fmt(row.p50).padEnd(9)}${fmt(row.p95).padEnd(9)}${fmt(row.p99).padEnd(9)}\n`);
}
process.stdout.write(`reference, one Kafka hop (produce acks=all -> consume): p50 ${fmt(ref.p50)} ms, p99 ${fmt(ref.p99)} ms\n`);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/e2e-latency.json`, `${JSON.stringify(report, null, 2)}\n`);
