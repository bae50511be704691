/**
 * Service crashes during a replay: a generated load (8 copies of the bundled scenario, 144 lines
 * over ten hours of event time; infra/scenarios/build-load.ts) is fed through the real pipeline
 * while each of the six services, in a seeded random order and at seeded random moments, is killed
 * with SIGKILL and restarted. Afterwards every input is in exactly one settled surviving incident
 * with a verdict, no action ran twice, and every action's history is consistent.
 *
 * The seed is printed; `SEAM_FAULT_SEED=<n>` replays the same load and kill schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../infra/src/emulator-kit/random';
import { REPLAY_CORRELATOR_SETTINGS } from '@seam/infra/pipeline/replay-settings';
import { PipelineRun, type FeedOutcome } from '@seam/infra/pipeline/run';
import { SERVICE_NAMES, type ServiceName } from '@seam/infra/pipeline/services';
import { waitUntilScored, type WaitOutcome } from '@seam/infra/pipeline/wait';
import { ActionHistory, checkOutcome, expectEveryVerdictActedOn, waitUntilActedOn, expectNoActionTwice, expectNothingLost, faultExtra, describeOutcome, faultSeed, loadLines, repoRoot, sharedEndpoints, type OutcomeCheck } from './fault-support';

const seed = faultSeed();
const lines = loadLines(8, seed);
const random = seededRandom(seed ^ 0x5eed);

let run: PipelineRun;
const history = new ActionHistory();
let fed: FeedOutcome;
let waited: WaitOutcome;
let check: OutcomeCheck;
const kills: { service: ServiceName; atMs: number; downMs: number; readyMs: number; exit: string }[] = [];
const started = Date.now();

beforeAll(async () => {
  process.stdout.write(`[crash] seed=${seed} lines=${lines.length}\n`);
  const endpoints = sharedEndpoints();
  run = new PipelineRun({ repoRoot, endpoints, extra: faultExtra(REPLAY_CORRELATOR_SETTINGS) });
  await run.start(lines);
  await history.start(endpoints, run.prefix);
  const t0 = Date.now();
  const feeding = run.feed(lines);
  // Shuffled order, each kill 2-7 s after the previous service is ready again.
  const order = [...SERVICE_NAMES].sort(() => random() - 0.5);
  const chaos = (async () => {
    for (const service of order) {
      await new Promise((resolve) => setTimeout(resolve, 2_000 + Math.floor(random() * 5_000)));
      const proc = run.supervisor.get(service);
      const atMs = Date.now() - t0;
      await proc.kill();
      const exit = proc.exits.at(-1);
      const down = Date.now();
      proc.start();
      await proc.waitReady(90_000);
      kills.push({ service, atMs, downMs: 0, readyMs: Date.now() - down, exit: `${exit?.code ?? '-'}/${exit?.signal ?? '-'}` });
    }
  })();
  [fed] = await Promise.all([feeding, chaos]);
  process.stdout.write(`[crash] fed ${fed.fed.length} in ${Date.now() - t0} ms; kills ${JSON.stringify(kills)}\n`);
  waited = await waitUntilScored(run, fed.fed, Date.now() + 120_000);
  await waitUntilActedOn(run, history, Date.now() + 60_000);
  // Let the actuator finish what the last verdicts started before reading the emulators.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  check = checkOutcome(run, fed.fed, history);
  process.stdout.write(`${describeOutcome('crash', seed, check, `wall=${Date.now() - started}ms`)}\n`);
}, 330_000);

afterAll(async () => {
  await history.stop();
  await run?.stop();
}, 60_000);

describe('six services killed with SIGKILL and restarted during a replay', () => {
  it('killed and restarted every service, each ready again', () => {
    expect(kills.map((k) => k.service).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const k of kills) expect(k.exit).toBe('-/SIGKILL');
  });

  it('fed every line and lost none: every input in exactly one settled surviving incident with a verdict', () => {
    expectNothingLost(run, fed, lines.length, waited, check);
    // The load has merges (the attack chains, cross-copy links) and many incidents.
    expect(check.incidents).toBeGreaterThan(40);
    expect(check.mergedAway).toBeGreaterThan(0);
  });

  it('judges no input late: the replay feeds in event time, so an outage must not push the watermark past unfed inputs', () => {
    expect(check.late).toBe(0);
  });

  it('ran no action twice and kept every action history consistent', () => {
    expect(check.actions).toBeGreaterThan(0);
    expect(check.notes).toBeGreaterThan(0);
    expectNoActionTwice(check);
  });

  it('acted on every final verdict: each action the plan gives for it has a record', () => {
    expectEveryVerdictActedOn(check);
  });
});
