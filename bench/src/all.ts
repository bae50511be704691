/**
 * Every benchmark in one command (`bash bench/run.sh all`), one after the other on the running
 * components, then one table and bench/results/summary.json. Each figure sits beside the reference
 * it was measured against in the same run (benchmarks print numbers; they do not pass or fail).
 *
 * Sizes (override with the benches' own variables): kit pass-through 5 rounds of 200,000 1 KB
 * records per codec (rounds of 50,000, ~2 s each, swung too much around the 0.80 target); correlator 20,000 events; end-to-end latency at 10 and 40 events/s for 20 s
 * each; LLM usage over 2,000 incident records (per 1,000 input events behind them) against the fake endpoint.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const results = `${root}bench/results`;
mkdirSync(results, { recursive: true });

interface Step {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** JSON file the bench writes, or undefined when it prints its JSON line on stdout. */
  readonly file?: string;
}

const steps: Step[] = [
  { name: 'kit-passthrough-bytes', args: ['bench/src/kit-passthrough.ts'], env: { BENCH_CODEC: 'bytes', BENCH_ROUNDS: '5', BENCH_RECORDS: '200000' }, file: 'kit-passthrough-bytes.json' },
  { name: 'kit-passthrough-avro', args: ['bench/src/kit-passthrough.ts'], env: { BENCH_CODEC: 'avro', BENCH_ROUNDS: '5', BENCH_RECORDS: '200000' }, file: 'kit-passthrough-avro.json' },
  { name: 'correlator-throughput', args: ['bench/src/correlator-throughput.ts'], env: { BENCH_EVENTS: '20000', BENCH_TIME_CAP_S: '240' }, file: 'correlator-throughput.json' },
  { name: 'e2e-latency', args: ['bench/src/e2e-latency.ts'], env: { BENCH_RATES: '10,40', BENCH_SECONDS: '20' }, file: 'e2e-latency.json' },
  { name: 'llm-usage', args: ['services/scorer/bench/llm-usage.bench.ts', '2000'], env: {} },
];

const outputs = new Map<string, Record<string, unknown>>();
for (const step of steps) {
  const env = { ...process.env, ...Object.fromEntries(Object.entries(step.env).filter(([name]) => process.env[name] === undefined)) };
  if (step.name === 'llm-usage') delete env['REDIS_CLUSTER_NODES'];
  if (step.file !== undefined) rmSync(`${results}/${step.file}`, { force: true });
  process.stdout.write(`\n=== ${step.name} (${Object.entries(step.env).map(([k, v]) => `${k}=${env[k] ?? v}`).join(' ')})\n`);
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', ...step.args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(child.stdout);
  process.stdout.write(`=== ${step.name}: exit ${child.status ?? child.signal ?? '?'} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  if (step.file !== undefined && existsSync(`${results}/${step.file}`)) {
    outputs.set(step.name, JSON.parse(readFileSync(`${results}/${step.file}`, 'utf8')) as Record<string, unknown>);
  } else {
    const line = child.stdout.split('\n').find((l) => l.startsWith('{"bench":'));
    if (line !== undefined) outputs.set(step.name, JSON.parse(line) as Record<string, unknown>);
  }
}

const num = (value: unknown, digits = 0): string => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-');
const get = (name: string, ...path: string[]): unknown => path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), outputs.get(name));

const rows: [string, string, string, string, string][] = [];
for (const codec of ['bytes', 'avro']) {
  const name = `kit-passthrough-${codec}`;
  rows.push([`kit pass-through, ${codec}, records/s`, num(get(name, 'kitRecordsPerSecond')), `raw kafkajs loop ${num(get(name, 'rawRecordsPerSecond'))}`, num(get(name, 'kitOverRawRatio'), 3), '>= 0.80']);
}
rows.push([
  'correlator, events/s',
  num(get('correlator-throughput', 'main', 'perSecond')),
  `kit pass-through ${num(get('correlator-throughput', 'passthrough'))}`,
  num((get('correlator-throughput', 'main', 'perSecond') as number) / (get('correlator-throughput', 'passthrough') as number), 3),
  '>= 20,000/s and >= 0.50',
]);
rows.push(['Redis memory per live event, bytes', num(get('correlator-throughput', 'memPerEvent')), 'target 300', num((get('correlator-throughput', 'memPerEvent') as number) / 300, 2), '< 300 B']);
const hop = get('e2e-latency', 'kafkaHopMs') as { p50?: number; p99?: number } | undefined;
for (const rate of (get('e2e-latency', 'rates') as { rate: number; p50: number; p95: number; p99: number }[] | undefined) ?? []) {
  rows.push([`ingest -> baseline verdict at ${rate.rate}/s, p50/p95/p99 ms`, `${num(rate.p50)}/${num(rate.p95)}/${num(rate.p99)}`, `one Kafka hop p50/p99 ${num(hop?.p50)}/${num(hop?.p99)} ms`, '-', `debounce ${num(get('e2e-latency', 'debounceMs'))} ms`]);
}
// Per 1,000 input events (what the figure is asked for); the per-incident-record figure is the reference.
rows.push([
  'LLM calls per 1,000 input events (cache on)',
  num(get('llm-usage', 'cacheOn', 'callsPer1kInputEvents')),
  `cache off ${num(get('llm-usage', 'cacheOff', 'callsPer1kInputEvents'))}; per 1k incident records ${num(get('llm-usage', 'cacheOn', 'callsPer1k'))}`,
  num((get('llm-usage', 'cacheOn', 'callsPer1kInputEvents') as number) / (get('llm-usage', 'cacheOff', 'callsPer1kInputEvents') as number), 3),
  '-',
]);
rows.push([
  'LLM tokens in/out per 1,000 input events (cache on)',
  `${num(get('llm-usage', 'cacheOn', 'tokensInPer1kInputEvents'))}/${num(get('llm-usage', 'cacheOn', 'tokensOutPer1kInputEvents'))}`,
  `cache off ${num(get('llm-usage', 'cacheOff', 'tokensInPer1kInputEvents'))}/${num(get('llm-usage', 'cacheOff', 'tokensOutPer1kInputEvents'))}`,
  '-',
  '-',
]);

const widths = [56, 16, 40, 8, 24];
const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join('  ').trimEnd();
process.stdout.write(`\n${line(['figure', 'value', 'reference (same run)', 'ratio', 'target'])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of rows) process.stdout.write(`${line(row)}\n`);
const summary = { at: new Date().toISOString(), rows: rows.map(([figure, value, reference, ratio, target]) => ({ figure, value, reference, ratio, target })), raw: Object.fromEntries(outputs) };
writeFileSync(`${results}/summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\nwritten: bench/results/summary.json\n`);
