/**
 * Redis restarted during a replay. The Redis is a private standalone one (infra/redis-restart.sh:
 * its own folder and port) with up.sh's persistence settings — none (`--save "" --appendonly no`):
 * "Seam's Redis state is bounded by TTLs and rebuilt from Kafka when lost" — so the restart loses
 * every key: the correlator's open incidents and watermark, the ingests' cursors and dedup marks,
 * the enricher's cache, the scorer's cache, the actuator's action store and claims. Kafka and the
 * registry are the shared ones. While a generated load (4 copies of the bundled scenario) is fed,
 * Redis is restarted at a seeded moment; the services are not touched.
 *
 * What the pipeline must still do (and this test asserts): no service crashes or needs a restart,
 * every input still ends in exactly one settled surviving incident with a verdict, no action runs
 * twice (the QRadar note executor reconciles by its marker; SSM by ClientToken), and the action
 * histories stay consistent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../infra/src/emulator-kit/random';
import { REPLAY_CORRELATOR_SETTINGS } from '@seam/infra/pipeline/replay-settings';
import { PipelineRun, type FeedOutcome } from '@seam/infra/pipeline/run';
import { freePort } from '@seam/infra/pipeline/supervisor';
import { waitUntilScored, type WaitOutcome } from '@seam/infra/pipeline/wait';
import { ActionHistory, checkOutcome, expectEveryVerdictActedOn, waitUntilActedOn, expectNoActionTwice, expectNoRestarts, expectNothingLost, faultExtra, describeOutcome, env, faultSeed, infraScript, loadLines, repoRoot, type OutcomeCheck } from './fault-support';

const seed = faultSeed();
const lines = loadLines(4, seed);
const random = seededRandom(seed ^ 0x4ed15);

const dir = mkdtempSync(join(tmpdir(), 'seam-redis-restart-'));
let port = '0';
let run: PipelineRun | undefined;
const history = new ActionHistory();
let fed: FeedOutcome;
let waited: WaitOutcome;
let check: OutcomeCheck;
const outage = { restartAtMs: 0, backAtMs: 0 };
const started = Date.now();

beforeAll(async () => {
  port = String(await freePort());
  await infraScript('redis-restart.sh', ['start', dir, port]);
  const endpoints = { KAFKA_BROKERS: env('KAFKA_BROKERS'), SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'), REDIS_URL: `redis://127.0.0.1:${port}` };
  process.stdout.write(`[redis-restart] seed=${seed} lines=${lines.length} redis=${endpoints.REDIS_URL}\n`);
  run = new PipelineRun({ repoRoot, endpoints, extra: faultExtra(REPLAY_CORRELATOR_SETTINGS) });
  await run.start(lines);
  await history.start(endpoints, run.prefix);
  const t0 = Date.now();
  const feeding = run.feed(lines);
  const outageDone = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 4_000 + Math.floor(random() * 8_000)));
    outage.restartAtMs = Date.now() - t0;
    await infraScript('redis-restart.sh', ['restart', dir, port]);
    outage.backAtMs = Date.now() - t0;
  })();
  [fed] = await Promise.all([feeding, outageDone]);
  process.stdout.write(`[redis-restart] fed ${fed.fed.length} in ${Date.now() - t0} ms; outage ${JSON.stringify(outage)}; stragglers ${fed.stragglers.length}\n`);
  waited = await waitUntilScored(run, fed.fed, Date.now() + 120_000);
  await waitUntilActedOn(run, history, Date.now() + 60_000);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  check = checkOutcome(run, fed.fed, history);
  process.stdout.write(`${describeOutcome('redis-restart', seed, check, `wall=${Date.now() - started}ms pending=${JSON.stringify(waited.pending.slice(0, 10))} inSeveral=${JSON.stringify(check.inSeveral.slice(0, 10))}`)}\n`);
}, 300_000);

afterAll(async () => {
  await history.stop();
  await run?.stop();
  await infraScript('redis-restart.sh', ['stop', dir]);
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe('Redis (append-only file, as infra/up.sh runs it) restarted during a replay', () => {
  it('no service crashed or needed a restart', () => {
    expect(outage.backAtMs).toBeGreaterThan(outage.restartAtMs);
    if (run === undefined) throw new Error('the run did not start');
    expectNoRestarts(run);
  });

  it('every input still ends in exactly one settled surviving incident with a verdict', () => {
    if (run === undefined) throw new Error('the run did not start');
    expectNothingLost(run, fed, lines.length, waited, check);
  });

  it('judges no input late: the replay feeds in event time, so an outage must not push the watermark past unfed inputs', () => {
    expect(check.late).toBe(0);
  });

  it('ran no action twice and kept every action history consistent', () => {
    expect(check.actions).toBeGreaterThan(0);
    expectNoActionTwice(check);
  });

  it('acted on every final verdict: each action the plan gives for it has a record', () => {
    expectEveryVerdictActedOn(check);
  });
});
