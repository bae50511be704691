/**
 * Kit pass-through benchmark: records per second through the kit's sample stage (consume, decode,
 * validate, encode, produce, commit) against a raw kafkajs consume -> produce loop doing the same
 * Avro work, on the same broker, in one run, with ~1 KB records. Each loop runs in its own process
 * and reads the same pre-filled input topic with a fresh consumer group; rounds alternate
 * raw, kit, raw, kit so machine drift hits both. The rate is measured on the output topic's end
 * offsets in steady state (from the first output record to the last), so process start-up and
 * group join do not count.
 *
 * Run: ./bench/run.sh kit-passthrough   (or with endpoints in the env: tsx bench/src/kit-passthrough.ts)
 * Env: BENCH_RECORDS (default 100000), BENCH_ROUNDS (default 2), BENCH_PARTITIONS (default 6),
 * BENCH_CODEC avro (both loops decode and re-encode Avro; default) or bytes (both forward bytes).
 * BENCH_KIT_BASELINE=<path of another copy of the kit's sample/main.ts>: each round also runs that
 * copy ('base'), to compare a kit change against the code before it in the same run.
 * BENCH_CPU_PROF=<dir>: both loops run with `node --cpu-prof` and write their profiles there
 * (profiling slows them: do not compare rates of a profiled run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { sampleEventAvroSchema } from '@seam/kit/sample/passthrough-stage';
import { spawnSampleStage } from './sample-stage';

const records = Number(process.env.BENCH_RECORDS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 6);
const concurrency = 3;
const codec = process.env.BENCH_CODEC === 'bytes' ? 'bytes' : 'avro';
const brokers = required('KAFKA_BROKERS');
const registryUrl = required('SCHEMA_REGISTRY_URL');
const root = new URL('../..', import.meta.url).pathname;
const cpuProfDir = process.env.BENCH_CPU_PROF;
const baselineMain = process.env.BENCH_KIT_BASELINE;
const loops: readonly Loop[] = baselineMain ? ['raw', 'kit', 'base'] : ['raw', 'kit'];
const nodeFlags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (source .local/endpoints.env or run ./bench/run.sh)`);
  return value;
}

const kafka = new Kafka({ clientId: 'bench-orchestrator', brokers: brokers.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const run = randomUUID().slice(0, 8);
const input = `bench.passthrough.${run}.in`;

async function createTopic(a: Admin, topic: string): Promise<void> {
  await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

async function endOffsetSum(topic: string): Promise<number> {
  // Right after createTopics the admin's metadata may still name no (or a stale) leader: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, p) => sum + Number(p.high), 0);
    } catch (error) {
      if (attempt >= 20 || (error as { retriable?: unknown }).retriable !== true) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function fillInput(): Promise<void> {
  await createTopic(admin, input);
  await createTopic(admin, `${input}.dlq`);
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(sampleEventAvroSchema) },
    { subject: `${input}-value` },
  );
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // ~1 KB encoded: id (~20 B) + seq + a 1,000-character payload.
  const payload = 'x'.repeat(1000);
  const chunk = 2000;
  for (let start = 0; start < records; start += chunk) {
    const messages = [];
    for (let seq = start; seq < Math.min(records, start + chunk); seq++) {
      const value = await registry.encode(id, { id: `evt-${seq}`, seq, payload });
      messages.push({ key: `evt-${seq}`, value });
    }
    await producer.send({ topic: input, messages, acks: -1 });
  }
  await producer.disconnect();
  const encodedSize = (await registry.encode(id, { id: 'evt-0', seq: 0, payload })).length;
  console.log(`codec: ${codec}; input: ${records} records of ${encodedSize} bytes on ${partitions} partitions (${input})`);
}

/** The pass-through stage needs no Redis, and the kit refuses a standalone and a cluster at once. */
type Loop = 'raw' | 'kit' | 'base';
interface Measurement {
  readonly loop: Loop;
  readonly round: number;
  readonly recordsPerSecond: number;
  readonly seconds: number;
  /** CPU (user + system, all threads) the loop's process spent per 1,000 records in the window; undefined without /proc. */
  readonly cpuMsPerKRecords: number | undefined;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (clock ticks, 100 Hz).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function measure(loop: Loop, round: number): Promise<Measurement> {
  const output = `bench.passthrough.${run}.${loop}.${round}`;
  await createTopic(admin, output);
  const group = `bench.${run}.${loop}.${round}`;
  const schemaFile = `${root}.local/bench-sample.avsc`;
  writeFileSync(schemaFile, JSON.stringify(sampleEventAvroSchema));
  const child: ChildProcess =
    loop === 'raw'
      ? spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'bench/src/raw-loop.ts', brokers, input, output, group, codec === 'bytes' ? 'bytes' : schemaFile], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
      : spawnSampleStage({ root, input, output, group, codec, concurrency, nodeFlags, ...(loop === 'base' && baselineMain ? { main: baselineMain } : {}) });
  try {
    const deadline = Date.now() + 300_000;
    let first: { at: number; count: number; cpu: number | undefined } | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`${loop} loop did not finish within 300 s`);
      if (child.exitCode !== null) throw new Error(`${loop} loop exited early with ${child.exitCode}`);
      const count = await endOffsetSum(output);
      const now = performance.now();
      if (first === undefined && count > 0) first = { at: now, count, cpu: cpuSeconds(child.pid) };
      if (first !== undefined && count >= records) {
        const seconds = (now - first.at) / 1000;
        const cpu = cpuSeconds(child.pid);
        const cpuMsPerKRecords = cpu === undefined || first.cpu === undefined ? undefined : ((cpu - first.cpu) * 1e6) / (count - first.count);
        return { loop, round, seconds, recordsPerSecond: (count - first.count) / seconds, cpuMsPerKRecords };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    // The loops are spawned as node itself (not through npx), so the signal reaches them.
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

mkdirSync(`${root}.local`, { recursive: true });
await fillInput();
const results: Measurement[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const loop of loops) {
    const m = await measure(loop, round);
    results.push(m);
    const cpu = m.cpuMsPerKRecords === undefined ? '' : `, ${m.cpuMsPerKRecords.toFixed(0)} CPU ms per 1000 records`;
    console.log(`round ${round} ${loop.padEnd(4)} ${Math.round(m.recordsPerSecond).toString().padStart(8)} records/s (${m.seconds.toFixed(1)} s${cpu})`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const ratiosOf = (loop: Loop): number[] =>
  Array.from({ length: rounds }, (_, i) => {
    const raw = results.find((r) => r.loop === 'raw' && r.round === i + 1);
    const kit = results.find((r) => r.loop === loop && r.round === i + 1);
    return (kit?.recordsPerSecond ?? 0) / (raw?.recordsPerSecond ?? 1);
  });
const ratios = ratiosOf('kit');
const baseRatios = baselineMain ? ratiosOf('base') : undefined;
/** CPU per 1,000 records (median per loop) and kit/raw of it: less sensitive than rates to a busy machine. */
function cpuSummary(): { rawCpuMsPerKRecords?: number; kitCpuMsPerKRecords?: number; kitOverRawCpu?: number; baseCpuMsPerKRecords?: number } {
  const cpu = (loop: Loop): number[] => results.filter((r) => r.loop === loop).flatMap((r) => (r.cpuMsPerKRecords === undefined ? [] : [r.cpuMsPerKRecords]));
  const raw = cpu('raw');
  const kit = cpu('kit');
  if (raw.length === 0 || kit.length === 0) return {};
  return {
    rawCpuMsPerKRecords: Math.round(median(raw)),
    kitCpuMsPerKRecords: Math.round(median(kit)),
    kitOverRawCpu: Number((median(kit) / median(raw)).toFixed(3)),
    ...(baselineMain && cpu('base').length > 0 ? { baseCpuMsPerKRecords: Math.round(median(cpu('base'))) } : {}),
  };
}
const summary = {
  benchmark: 'kit-passthrough',
  codec,
  records,
  partitions,
  concurrency,
  rawRecordsPerSecond: Math.round(median(results.filter((r) => r.loop === 'raw').map((r) => r.recordsPerSecond))),
  kitRecordsPerSecond: Math.round(median(results.filter((r) => r.loop === 'kit').map((r) => r.recordsPerSecond))),
  kitOverRawRatio: Number(median(ratios).toFixed(3)),
  ratiosPerRound: ratios.map((r) => Number(r.toFixed(3))),
  ratioMin: Number(Math.min(...ratios).toFixed(3)),
  ratioMax: Number(Math.max(...ratios).toFixed(3)),
  ...cpuSummary(),
  ...(baseRatios ? { baseline: baselineMain, baseOverRawRatio: Number(median(baseRatios).toFixed(3)), baseRatiosPerRound: baseRatios.map((r) => Number(r.toFixed(3))) } : {}),
  target: 'kit >= 0.80 x raw',
};
console.log(`\nraw kafkajs loop  ${summary.rawRecordsPerSecond} records/s (median)`);
console.log(`kit pass-through  ${summary.kitRecordsPerSecond} records/s (median)`);
console.log(`kit / raw         ${summary.kitOverRawRatio} (per round: ${summary.ratiosPerRound.join(', ')}; spread ${summary.ratioMin}..${summary.ratioMax}; target >= 0.80)`);
if (summary.baseOverRawRatio !== undefined && summary.baseRatiosPerRound !== undefined) {
  console.log(`base / raw        ${summary.baseOverRawRatio} (per round: ${summary.baseRatiosPerRound.join(', ')})`);
}
if (summary.kitOverRawCpu !== undefined) {
  console.log(`CPU per 1000 rec  raw ${summary.rawCpuMsPerKRecords} ms, kit ${summary.kitCpuMsPerKRecords} ms (kit / raw ${summary.kitOverRawCpu}, medians)${summary.baseCpuMsPerKRecords === undefined ? '' : `, base ${summary.baseCpuMsPerKRecords} ms`}`);
}
mkdirSync(`${root}bench/results`, { recursive: true });
// A run against a baseline copy, or a profiled one, is an experiment: it does not replace the recorded result.
if (!baselineMain && !cpuProfDir) writeFileSync(`${root}bench/results/kit-passthrough-${codec}.json`, `${JSON.stringify(summary, null, 2)}\n`);
await admin.disconnect();
