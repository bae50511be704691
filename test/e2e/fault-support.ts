/**
 * Shared pieces of the crash and fault tests (test/e2e/*-faults.int.test.ts, crash.int.test.ts):
 * the generated load, a full ActionRecord history reader (RunResults keeps only each action's
 * latest state), and the end checks every fault test makes on a finished run:
 *
 *   - every fed input that no stage dead-lettered is in exactly one settled surviving incident,
 *     and that incident has a verdict for its final version;
 *   - no action ran twice: one QRadar note per `[seam-action:<id>]` marker, one SSM execution per
 *     ClientToken, no BatchUpdateFindings with the same update for the same finding twice;
 *   - every action's history is consistent: sequences 1..n without gaps, one state per sequence,
 *     nothing after a terminal state, `succeeded` at most once;
 *   - every incident's latest verdict was acted on: each action the actuator's own `plan` gives for
 *     it under the default policy has a record on the actions topic (a verdict the actuator skipped
 *     after a restart would otherwise go unnoticed: the other checks only see actions that exist).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { actionRecordSchema, type ActionRecord } from '@seam/schemas';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { buildLoad, SCENARIO_PATH } from '../../infra/scenarios/build-load';
import { parseReplayText, type ReplayLine } from '@seam/infra/pipeline/replay-input';
import { RIDE_OUT_RETRY } from '@seam/infra/pipeline/observer';
import type { FeedOutcome, PipelineRun } from '@seam/infra/pipeline/run';
import type { WaitOutcome } from '@seam/infra/pipeline/wait';
import { expect } from 'vitest';
import { plan } from '../../services/actuator/src/domain/plan';
import { DEFAULT_POLICY_PATH, loadPolicyFile } from '../../services/actuator/src/adapters/policy-file';
import type { Policy } from '../../services/actuator/src/domain/policy';
import { runTopics, SERVICE_NAMES, type ComponentEndpoints, type ServiceName } from '@seam/infra/pipeline/services';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; source .local/endpoints.env`);
  return value;
};

/**
 * Service settings of the fault tests on top of the replay's: a 10 s consumer-group session (the
 * kit's default is 30 s), so the partitions of a SIGKILLed member are handed to its restarted
 * successor sooner — the tests restart six services and must stay within their time budget.
 */
export const FAULT_SERVICE_SETTINGS = { KAFKA_SESSION_TIMEOUT_MS: '10000' } as const;

export function faultExtra(correlator: Readonly<Record<string, string>>): Partial<Record<ServiceName, Readonly<Record<string, string>>>> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, name === 'correlator' ? { ...FAULT_SERVICE_SETTINGS, ...correlator } : FAULT_SERVICE_SETTINGS]));
}

export const sharedEndpoints = (): ComponentEndpoints => ({ KAFKA_BROKERS: env('KAFKA_BROKERS'), SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'), REDIS_URL: env('REDIS_URL') });

/** A seed from SEAM_FAULT_SEED, or a fresh one; the tests print it so a failure can be replayed. */
export function faultSeed(): number {
  const given = process.env['SEAM_FAULT_SEED'];
  return given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/** The generated load (copies of the bundled scenario), parsed. */
export function loadLines(copies: number, seed: number): ReplayLine[] {
  const { lines, errors } = parseReplayText(buildLoad(readFileSync(SCENARIO_PATH, 'utf8'), { copies, seed }));
  if (errors.length > 0) throw new Error(`generated load has errors: ${JSON.stringify(errors.slice(0, 3))}`);
  return lines;
}

/** Every ActionRecord of a run, in topic order (RunResults keeps only the latest per action). */
export class ActionHistory {
  readonly records: ActionRecord[] = [];
  readonly invalid: string[] = [];
  #consumer: Consumer | undefined;

  async start(endpoints: ComponentEndpoints, prefix: string): Promise<void> {
    const kafka = new Kafka({ clientId: `${prefix}action-history`, brokers: endpoints.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING, retry: RIDE_OUT_RETRY });
    const registry = new SchemaRegistry({ host: endpoints.SCHEMA_REGISTRY_URL });
    const consumer = kafka.consumer({ groupId: `${prefix}action-history-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 200 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: runTopics(prefix).actions, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.value === null) return;
        const parsed = actionRecordSchema.safeParse(await registry.decode(message.value));
        if (parsed.success) this.records.push(parsed.data);
        else this.invalid.push(parsed.error.message);
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    this.#consumer = undefined;
  }
}

const TERMINAL = new Set(['rejected', 'expired', 'succeeded', 'failed', 'shadow']);

/** Problems in the action histories (empty when consistent). */
export function historyProblems(records: readonly ActionRecord[]): string[] {
  const problems: string[] = [];
  const byAction = new Map<string, ActionRecord[]>();
  for (const r of records) byAction.set(r.actionId, [...(byAction.get(r.actionId) ?? []), r]);
  for (const [actionId, list] of byAction) {
    const bySequence = new Map<number, ActionRecord>();
    for (const r of list) {
      const known = bySequence.get(r.sequence);
      // A redelivered state change is the same record again; two different states under one sequence is a fork.
      if (known !== undefined && (known.state !== r.state || known.target !== r.target || known.kind !== r.kind)) {
        problems.push(`${actionId}: sequence ${r.sequence} is both ${known.state} and ${r.state}`);
      }
      bySequence.set(r.sequence, r);
    }
    const sequences = [...bySequence.keys()].sort((a, b) => a - b);
    sequences.forEach((s, i) => {
      if (s !== i + 1) problems.push(`${actionId}: sequences ${sequences.join(',')} are not 1..n`);
    });
    const ordered = sequences.map((s) => bySequence.get(s) as ActionRecord);
    const terminalAt = ordered.findIndex((r) => TERMINAL.has(r.state));
    if (terminalAt >= 0 && terminalAt < ordered.length - 1) problems.push(`${actionId}: ${ordered.slice(terminalAt + 1).map((r) => r.state).join(',')} after terminal ${ordered[terminalAt]?.state}`);
    if (ordered.filter((r) => r.state === 'succeeded').length > 1) problems.push(`${actionId}: succeeded twice`);
  }
  return [...new Set(problems)];
}

export interface OutcomeCheck {
  /** Fed inputs that must end in an incident (fed minus dead-lettered). */
  readonly expected: readonly string[];
  /** Expected inputs in no settled surviving incident. */
  readonly unsettled: string[];
  /** Inputs in more than one settled surviving incident. */
  readonly inSeveral: string[];
  /** Settled surviving incidents with no verdict for their final version. */
  readonly unscored: string[];
  /** Action ids whose QRadar note was written more than once. */
  readonly duplicateNotes: string[];
  /** SSM ClientTokens started more than once into different executions, or executions without a token. */
  readonly duplicateExecutions: string[];
  /** Identical BatchUpdateFindings updates of one finding sent more than once. */
  readonly duplicateFindingUpdates: string[];
  readonly historyProblems: string[];
  readonly incidents: number;
  readonly mergedAway: number;
  /** Expected inputs the correlator marked late (in an incident's `late`, not its members). */
  readonly late: number;
  readonly actions: number;
  readonly notes: number;
  /** Planned actions of incidents' latest verdicts with no record on the actions topic. */
  readonly unacted: string[];
}

let policy: Policy | undefined;
/** The policy the pipeline's actuator runs with (no ACTUATOR_POLICY_FILE: its default file). */
function defaultPolicy(): Policy {
  policy ??= loadPolicyFile(DEFAULT_POLICY_PATH);
  return policy;
}

/** Each action the actuator's plan gives for an incident's latest verdict that has no record yet. */
export function unactedActions(run: PipelineRun, history: ActionHistory): string[] {
  const recorded = new Set(history.records.map((r) => r.actionId));
  const missing: string[] = [];
  for (const verdict of run.observer.results.verdicts.values()) {
    for (const candidate of plan(verdict, defaultPolicy())) {
      if (!recorded.has(candidate.actionId)) missing.push(`${verdict.incidentId} v${verdict.verdictVersion}: ${candidate.kind} ${candidate.target} (${candidate.actionId})`);
    }
  }
  return missing;
}

/** Waits (bounded) until every latest verdict's planned actions have records: the actuator may still be working. */
export async function waitUntilActedOn(run: PipelineRun, history: ActionHistory, deadline: number): Promise<void> {
  while (Date.now() < deadline && unactedActions(run, history).length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
}

const sourceIdOf = (eventId: string) => eventId.replace(/^(qradar:offense|cloudtrail|guardduty|securityhub):/, '');

export function checkOutcome(run: PipelineRun, fed: readonly string[], history: ActionHistory): OutcomeCheck {
  const results = run.observer.results;
  const dead = run.observer.deadLetterKeys;
  const expected = fed.filter((eventId) => !dead.has(sourceIdOf(eventId)));
  const owners = new Map<string, string[]>();
  const lines = results.resultLines();
  for (const { incident } of lines) {
    for (const eventId of [...incident.members.map((m) => m.eventId), ...incident.late.map((l) => l.eventId)]) {
      owners.set(eventId, [...new Set([...(owners.get(eventId) ?? []), incident.incidentId])]);
    }
  }
  const unsettled = expected.filter((e) => (owners.get(e) ?? []).length === 0);
  const inSeveral = expected.filter((e) => (owners.get(e) ?? []).length > 1);
  const unscored = lines.filter(({ incident, verdict }) => verdict === null || verdict.incidentVersion < incident.version).map(({ incident }) => incident.incidentId);

  const notesByMarker = new Map<string, number>();
  const notes = run.qradar.state.recordedWrites('offense.note').filter((w) => w.status >= 200 && w.status < 300);
  for (const w of notes) {
    const text = w.params['note_text'] ?? '';
    const marker = /\[seam-action:([^\]]+)\]/.exec(text)?.[1] ?? `(no marker) ${text.slice(0, 40)}`;
    notesByMarker.set(marker, (notesByMarker.get(marker) ?? 0) + 1);
  }
  const duplicateNotes = [...notesByMarker].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);

  const calls = run.aws.state.calls.list();
  const tokens = new Set<string>();
  let untokened = 0;
  for (const c of calls.filter((c) => c.operation === 'StartAutomationExecution' && c.status === 200)) {
    const token = (c.params as { ClientToken?: string }).ClientToken;
    if (token === undefined) untokened++;
    else tokens.add(token.toLowerCase());
  }
  const duplicateExecutions: string[] = [];
  const executions = run.aws.state.ssm.count();
  if (executions !== tokens.size + untokened) duplicateExecutions.push(`${executions} executions for ${tokens.size} ClientTokens`);
  if (untokened > 0) duplicateExecutions.push(`${untokened} StartAutomationExecution calls without a ClientToken`);

  const updates = new Map<string, number>();
  for (const c of calls.filter((c) => c.operation === 'BatchUpdateFindings' && c.status === 200)) {
    const { FindingIdentifiers = [], ...update } = c.params as { FindingIdentifiers?: { Id: string }[] };
    for (const f of FindingIdentifiers) {
      const key = `${f.Id} ${JSON.stringify(update)}`;
      updates.set(key, (updates.get(key) ?? 0) + 1);
    }
  }
  const duplicateFindingUpdates = [...updates].filter(([, n]) => n > 1).map(([k, n]) => `${k.slice(0, 200)} x${n}`);

  return {
    expected,
    unsettled,
    inSeveral,
    unscored,
    duplicateNotes,
    duplicateExecutions,
    duplicateFindingUpdates,
    historyProblems: [...history.invalid.map((m) => `invalid ActionRecord: ${m}`), ...historyProblems(history.records)],
    incidents: lines.length,
    late: lines.reduce((n, { incident }) => n + incident.late.length, 0),
    mergedAway: [...results.incidents.values()].filter((i) => i.mergedInto !== null).length,
    actions: results.actions.size,
    notes: notes.length,
    unacted: unactedActions(run, history),
  };
}

/** A one-line summary for the test log. */
export function describeOutcome(name: string, seed: number, check: OutcomeCheck, extra = ''): string {
  return `[${name}] seed=${seed} expected=${check.expected.length} incidents=${check.incidents} mergedAway=${check.mergedAway} late=${check.late} actions=${check.actions} notes=${check.notes} unsettled=${check.unsettled.length} inSeveral=${check.inSeveral.length} unscored=${check.unscored.length} dupNotes=${check.duplicateNotes.length} dupExec=${check.duplicateExecutions.length} dupBUF=${check.duplicateFindingUpdates.length} historyProblems=${check.historyProblems.length} unacted=${check.unacted.length}${extra === '' ? '' : ` ${extra}`}`;
}

/** Runs one of the infra scripts (infra/kafka-restart.sh, infra/redis-restart.sh) and returns its output. */
export async function infraScript(script: string, args: readonly string[], timeoutMs = 180_000): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile('bash', [`${repoRoot}infra/${script}`, ...args], { cwd: repoRoot, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

// --- the end checks every fault test asserts (called inside its own `it` blocks) -------------------

/** Every line was fed and none lost: each input in exactly one settled surviving incident with a verdict. */
export function expectNothingLost(run: PipelineRun, fed: FeedOutcome, lineCount: number, waited: WaitOutcome, check: OutcomeCheck): void {
  expect(fed.refused).toEqual([]);
  expect(fed.fed).toHaveLength(lineCount);
  expect(run.observer.results.deadLetters).toEqual([]);
  expectAllSettledAndScored(waited, check);
}

/** Every expected input is in exactly one settled surviving incident whose final version has a verdict. */
export function expectAllSettledAndScored(waited: WaitOutcome, check: OutcomeCheck): void {
  expect(waited.pending).toEqual([]);
  expect(check.unsettled).toEqual([]);
  expect(check.inSeveral).toEqual([]);
  expect(check.unscored).toEqual([]);
}

/** No QRadar note, SSM execution or finding update twice, and every action history consistent. */
export function expectNoActionTwice(check: OutcomeCheck): void {
  expect(check.duplicateNotes).toEqual([]);
  expect(check.duplicateExecutions).toEqual([]);
  expect(check.duplicateFindingUpdates).toEqual([]);
  expect(check.historyProblems).toEqual([]);
}

/** Every incident's latest verdict was acted on (see unactedActions). */
export function expectEveryVerdictActedOn(check: OutcomeCheck): void {
  expect(check.unacted).toEqual([]);
}

/** No service exited (so none was restarted by the supervisor). */
export function expectNoRestarts(run: PipelineRun): void {
  for (const service of run.supervisor.services.values()) expect(service.exits, service.spec.name).toEqual([]);
}
