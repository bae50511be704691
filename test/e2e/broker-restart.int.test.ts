/**
 * Kafka restarted during a replay. The broker is a private one (infra/kafka-restart.sh: its own
 * folder and ports, up.sh's settings) so stopping it does not disturb anybody else's tests on the
 * shared broker; the registry and Redis are the shared ones. While a generated load (4 copies of
 * the bundled scenario) is fed, the broker is stopped at a seeded moment, left down a few seconds,
 * and started again on the same port with its data. The services are not touched: they must
 * reconnect by themselves. Afterwards the same end checks as the crash test.
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
const random = seededRandom(seed ^ 0xb40c);

const dir = mkdtempSync(join(tmpdir(), 'seam-broker-restart-'));
let ports: [string, string] = ['0', '0'];
let run: PipelineRun | undefined;
const history = new ActionHistory();
let fed: FeedOutcome;
let waited: WaitOutcome;
let check: OutcomeCheck;
const outage = { stopAtMs: 0, downMs: 0, backAtMs: 0 };
const started = Date.now();

beforeAll(async () => {
  ports = [String(await freePort()), String(await freePort())];
  await infraScript('kafka-restart.sh', ['start', dir, ...ports]);
  const endpoints = { KAFKA_BROKERS: `127.0.0.1:${ports[0]}`, SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'), REDIS_URL: env('REDIS_URL') };
  process.stdout.write(`[broker-restart] seed=${seed} lines=${lines.length} broker=${endpoints.KAFKA_BROKERS}\n`);
  run = new PipelineRun({ repoRoot, endpoints, extra: faultExtra(REPLAY_CORRELATOR_SETTINGS) });
  await run.start(lines);
  await history.start(endpoints, run.prefix);
  const t0 = Date.now();
  const feeding = run.feed(lines);
  const outageDone = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 4_000 + Math.floor(random() * 8_000)));
    outage.stopAtMs = Date.now() - t0;
    await infraScript('kafka-restart.sh', ['stop', dir]);
    outage.downMs = 2_000 + Math.floor(random() * 6_000);
    await new Promise((resolve) => setTimeout(resolve, outage.downMs));
    await infraScript('kafka-restart.sh', ['start', dir, ...ports]);
    outage.backAtMs = Date.now() - t0;
  })();
  [fed] = await Promise.all([feeding, outageDone]);
  process.stdout.write(`[broker-restart] fed ${fed.fed.length} in ${Date.now() - t0} ms; outage ${JSON.stringify(outage)}; stragglers ${fed.stragglers.length}\n`);
  waited = await waitUntilScored(run, fed.fed, Date.now() + 120_000);
  await waitUntilActedOn(run, history, Date.now() + 60_000);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  check = checkOutcome(run, fed.fed, history);
  process.stdout.write(`${describeOutcome('broker-restart', seed, check, `wall=${Date.now() - started}ms`)}\n`);
}, 330_000);

afterAll(async () => {
  await history.stop();
  await run?.stop();
  await infraScript('kafka-restart.sh', ['stop', dir]);
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe('the broker stopped and started again during a replay', () => {
  it('the services rode out the outage without restarts', () => {
    expect(outage.backAtMs).toBeGreaterThan(outage.stopAtMs);
    if (run === undefined) throw new Error('the run did not start');
    expectNoRestarts(run);
  });

  it('lost no input: every input in exactly one settled surviving incident with a verdict', () => {
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
