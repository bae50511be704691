/**
 * Seam's main job (`./seam run`): the six services as separate processes on the running Kafka,
 * registry, Redis and local LLM, the bundled hybrid attack scenario (infra/scenarios/
 * hybrid-attack.jsonl) played through the QRadar emulator and the AWS EventBridge intake, progress
 * while it runs, and at the end a table of incidents, verdicts and actions with the approvals page
 * address. Interactive (a terminal, not CI): the services keep running for the approvals page until
 * Ctrl-C; otherwise it stops after the table. Ctrl-C stops everything cleanly at any point.
 *
 * Options: --scenario <file.jsonl> (another input in the replay format), --timeout <s> (default
 * 900), --exit (stop after the table even on a terminal), --no-llm (baseline verdicts only).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseReplayText } from '../infra/src/pipeline/replay-input';
import { REPLAY_CORRELATOR_SETTINGS } from '../infra/src/pipeline/replay-settings';
import { renderReport } from '../infra/src/pipeline/report';
import { PipelineRun } from '../infra/src/pipeline/run';
import { waitUntilScored } from '../infra/src/pipeline/wait';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: join(repoRoot, 'infra/scenarios/hybrid-attack.jsonl') },
    timeout: { type: 'string', default: '900' },
    exit: { type: 'boolean', default: false },
    'no-llm': { type: 'boolean', default: false },
  },
});
const say = (text: string) => process.stdout.write(`[seam] ${text}\n`);
const env = process.env;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

const { lines, errors } = parseReplayText(readFileSync(args.scenario, 'utf8'));
for (const error of errors) process.stderr.write(`${args.scenario}:${error.lineNumber}: ${error.reason}\n`);
const llm = !args['no-llm'] && env['LLM_BASE_URL'] !== undefined && env['LLM_BASE_URL'] !== '';

const run = new PipelineRun({
  repoRoot,
  endpoints: {
    KAFKA_BROKERS: env['KAFKA_BROKERS'] ?? '',
    SCHEMA_REGISTRY_URL: env['SCHEMA_REGISTRY_URL'] ?? '',
    REDIS_URL: env['REDIS_URL'] ?? '',
    ...(llm ? { LLM_BASE_URL: env['LLM_BASE_URL'] ?? '', LLM_MODEL: env['LLM_MODEL'] ?? 'local', ...(env['LLM_API_KEY'] ? { LLM_API_KEY: env['LLM_API_KEY'] } : {}) } : {}),
  },
  extra: {
    correlator: REPLAY_CORRELATOR_SETTINGS,
    // The local model runs on the CPU beside everything else: give it room, and one call at a time.
    scorer: { LLM_TIMEOUT_MS: '60000', LLM_DEADLINE_MS: '150000', LLM_CONCURRENCY: '1', LLM_MAX_ATTEMPTS: '2' },
  },
  onServiceEvent: (event) => {
    if (event.kind === 'ready') say(`${event.service} ready (${(event.ms / 1000).toFixed(1)}s)`);
    if (event.kind === 'exited' && !event.expected) say(`${event.service} exited unexpectedly (code ${event.code ?? '-'}, signal ${event.signal ?? '-'})`);
  },
});

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping the services');
    await run.stop().catch((error: unknown) => process.stderr.write(`[seam] while stopping: ${String(error)}\n`));
    say(`stopped after ${elapsed()}; the components keep running (./seam down stops them)`);
  }
  process.exit(code);
}
process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));

try {
  say(`scenario ${args.scenario}: ${lines.length} records; LLM refinement ${llm ? `on (${env['LLM_MODEL'] ?? 'local'} at ${env['LLM_BASE_URL'] ?? ''})` : 'off'}`);
  say(`starting qradar-ingest, aws-ingest, enricher, correlator, scorer, actuator (run prefix ${run.prefix})`);
  await run.start(lines);
  let lastFed = 0;
  const fed = await run.feed(lines, {
    onLine: (done) => {
      if (done - lastFed >= 5 || done === lines.length) say(`fed ${done}/${lines.length} records (QRadar offenses to the QRadar API, AWS records to the EventBridge intake)`);
      lastFed = done;
    },
  });
  for (const refused of fed.refused) say(`line ${refused.lineNumber} refused: ${refused.reason}`);
  let shown = '';
  const waited = await waitUntilScored(run, fed.fed, started + Number(args.timeout) * 1000, (p) => {
    const line = `${p.settled}/${p.expected} events in settled incidents, ${p.scored}/${p.expected} scored${llm ? ' (baseline and LLM)' : ''} [${elapsed()}]`;
    if (line.replace(/\[.*\]$/, '') !== shown) say(line);
    shown = line.replace(/\[.*\]$/, '');
  });
  if (!waited.complete) say(`timed out: ${waited.pending.length} events not settled and scored`);
  process.stdout.write(`\n${renderReport(run.observer.results)}\n\n`);
  const tokenFile = join(repoRoot, '.local', 'run', 'approvals-token');
  mkdirSync(join(repoRoot, '.local', 'run'), { recursive: true });
  writeFileSync(tokenFile, `${run.approvers.approver}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  say(`done in ${elapsed()}: ${run.observer.results.resultLines().length} incidents, ${run.observer.results.actions.size} actions`);
  say(`approvals page: http://127.0.0.1:${run.settings.ports.actuator}/approvals (approver token in ${tokenFile})`);
  const interactive = process.stdin.isTTY && env['CI'] === undefined && !args.exit;
  if (!interactive) await stop(waited.complete ? 0 : 1);
  say('services keep running for the approvals page; Ctrl-C stops them');
} catch (error) {
  process.stderr.write(`[seam] ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
