/**
 * `seam replay --input <file.jsonl> --out <results.jsonl> [--context <dir>] [--timeout <seconds>]`
 * (DESIGN.md section 8): feeds recorded inputs through the real pipeline — the six services as
 * processes on the running Kafka, registry and Redis, under a per-run prefix — and once every
 * incident has settled and been scored, writes one line per surviving incident:
 * `{"incident": <final Incident>, "verdict": <latest Verdict>}`.
 *
 * Malformed input lines are reported on stderr with their line number and reason and skipped; the
 * others go on. Exit status: 0 all done; 3 done, but some lines were malformed, refused by the
 * source API or dead-lettered by a stage; 1 not every incident settled in time (partial results are
 * still written); 2 usage errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { contextVariables } from '../infra/src/pipeline/context';
import { parseReplayText } from '../infra/src/pipeline/replay-input';
import { PipelineRun } from '../infra/src/pipeline/run';
import { REPLAY_CORRELATOR_SETTINGS } from '../infra/src/pipeline/replay-settings';
import { waitUntilScored } from '../infra/src/pipeline/wait';

const usage = 'usage: seam replay --input <file.jsonl> --out <results.jsonl> [--context <dir>] [--timeout <seconds>]';
const fail = (message: string, code = 2): never => {
  process.stderr.write(`seam replay: ${message}\n${usage}\n`);
  process.exit(code);
};

const parsedArgs = (() => {
  try {
    return parseArgs({ options: { input: { type: 'string' }, out: { type: 'string' }, context: { type: 'string' }, timeout: { type: 'string', default: '900' } } }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();
const { input, out, context: contextDir } = parsedArgs;
if (input === undefined || out === undefined) fail('--input and --out are required');
const args = { ...parsedArgs, input: input as string, out: out as string };
const timeoutMs = Number(args.timeout) * 1000;
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail('--timeout must be a positive number of seconds');
const env = process.env;
for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL'] as const) if (!env[name]) fail(`${name} is not set (./seam replay reads .local/endpoints.env)`);

const text = (() => {
  try {
    return readFileSync(args.input, 'utf8');
  } catch (error) {
    return fail(`cannot read ${args.input}: ${error instanceof Error ? error.message : String(error)}`);
  }
})();
const { lines, errors } = parseReplayText(text);
for (const error of errors) process.stderr.write(`${args.input}:${error.lineNumber}: ${error.reason}\n`);
if (lines.length === 0) fail(`no valid input lines in ${args.input}`, errors.length > 0 ? 3 : 2);

const context = (() => {
  try {
    return contextDir === undefined ? undefined : contextVariables(contextDir);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();

const tty = process.stderr.isTTY;
let lastDraw = 0;
const draw = (label: string, done: number, total: number, force = false) => {
  const now = Date.now();
  if (!force && now - lastDraw < (tty ? 100 : 5_000)) return;
  lastDraw = now;
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
  process.stderr.write(tty ? `\r${bar}\u001b[K` : `${bar}\n`);
};

const run = new PipelineRun({
  repoRoot: resolve(import.meta.dirname, '..'),
  endpoints: {
    KAFKA_BROKERS: env['KAFKA_BROKERS'] ?? '',
    SCHEMA_REGISTRY_URL: env['SCHEMA_REGISTRY_URL'] ?? '',
    REDIS_URL: env['REDIS_URL'] ?? '',
    ...(env['LLM_BASE_URL'] ? { LLM_BASE_URL: env['LLM_BASE_URL'] } : {}),
    ...(env['LLM_MODEL'] ? { LLM_MODEL: env['LLM_MODEL'] } : {}),
    ...(env['LLM_API_KEY'] ? { LLM_API_KEY: env['LLM_API_KEY'] } : {}),
  },
  extra: { ...(context?.variables ?? {}), correlator: { ...REPLAY_CORRELATOR_SETTINGS, ...(context?.variables.correlator ?? {}) } },
});

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  if (tty) process.stderr.write('\n');
  await run.stop().catch((error: unknown) => process.stderr.write(`seam replay: stopping: ${String(error)}\n`));
  process.exit(code);
};
process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));

try {
  const started = Date.now();
  process.stderr.write(`seam replay: ${lines.length} lines (${errors.length} malformed), run prefix ${run.prefix}\n`);
  if (context !== undefined) for (const used of context.used) process.stderr.write(`  context: ${used.file} -> ${used.service} (${used.what})\n`);
  await run.start(lines);
  process.stderr.write(`  services ready in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${run.supervisor.services.get('correlator')?.logPath.replace(/\/[^/]+$/, '') ?? ''}\n`);
  const fed = await run.feed(lines, { onLine: (done) => draw('fed', done, lines.length) });
  draw('fed', lines.length, lines.length, true);
  if (tty) process.stderr.write('\n');
  for (const refused of fed.refused) process.stderr.write(`${args.input}:${refused.lineNumber}: ${refused.reason}\n`);

  const waited = await waitUntilScored(run, fed.fed, started + timeoutMs, (p) => draw(`settled and scored (${p.settled} settled)`, p.scored, p.expected));
  if (!waited.complete) {
    if (tty) process.stderr.write('\n');
    process.stderr.write(`seam replay: timed out with ${waited.pending.length} events not settled and scored: ${waited.pending.slice(0, 10).join(', ')}\n`);
  }
  if (tty) process.stderr.write('\n');
  const results = run.observer.results.resultLines();
  writeFileSync(args.out, results.map((line) => JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).join('\n') + (results.length > 0 ? '\n' : ''));
  const letters = run.observer.results.deadLetters;
  for (const letter of letters) process.stderr.write(`dead letter on ${letter.topic} (key ${letter.key ?? 'none'}): ${letter.reason}\n`);
  const { complete } = waited;
  process.stderr.write(`seam replay: ${results.length} incidents written to ${args.out} in ${((Date.now() - started) / 1000).toFixed(1)} s${complete ? '' : ' (incomplete)'}\n`);
  await stop(!complete ? 1 : errors.length + fed.refused.length + letters.length > 0 ? 3 : 0);
} catch (error) {
  process.stderr.write(`seam replay: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
