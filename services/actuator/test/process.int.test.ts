/**
 * The actuator process (`node --import tsx services/actuator/src/main.ts`) on real Kafka, the schema
 * registry and Redis, with the QRadar and AWS emulators:
 * - a verdict becomes ActionRecords on `actions`, keyed by actionId; an approval through the HTTP API
 *   produces approved → executing → succeeded with the stage's own producer;
 * - crash test: SIGKILL between an execution and its commit (test hook pause), restart: the action
 *   ran exactly once (the emulators' recorded calls), and the actions topic ends in succeeded;
 * - the approvals page in Debian's Chromium against this real process: sign in, see the proposal
 *   a verdict produced, approve it, see it executed on the AWS emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAwsEmulator, type AwsEmulator } from '@seam/infra/aws-emulator/index';
import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { avroCodec, createSchemaRegistry, type AvroSchemaJson } from '@seam/kit';
import { schemas } from '@seam/schemas';
import { actionRecordSchema, type ActionRecord } from '@seam/schemas/records/action';
import type { Verdict } from '@seam/schemas/records/verdict';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actionIdFor, noteActionIdFor } from '../src/domain/plan';
import { defaultPolicyJson, verdict } from './fixtures';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set; source .local/endpoints.env`);
  return value;
};
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const scenarioPath = join(repoRoot, 'infra/scenarios/qradar-sample.jsonl');
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const topics = { verdicts: `t-actuator-verdicts-${suffix}`, actions: `t-actuator-actions-${suffix}` };
const redisPrefix = `t-actuator-${suffix}:`;
const approverToken = randomBytes(24).toString('hex');
const kafka = new Kafka({ clientId: 'actuator-int-test', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'), SCHEMA_REGISTRY_USERNAME: undefined, SCHEMA_REGISTRY_PASSWORD: undefined });
const avsc = (name: 'Verdict' | 'ActionRecord') => schemas[name].avsc as unknown as AvroSchemaJson;
const verdictCodec = avroCodec<Verdict>(registry, avsc('Verdict'), { autoRegister: true });
const actionCodec = avroCodec<ActionRecord>(registry, avsc('ActionRecord'), { autoRegister: true, readerSchema: avsc('ActionRecord') });

let qradar: QradarEmulator;
let aws: AwsEmulator;
let dir: string;
let policyPath: string;
let reader: Consumer;
const seen: ActionRecord[] = [];
const children: ChildProcess[] = [];

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

async function startActuator(extra: Record<string, string>, port: number, groupId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/actuator/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      KAFKA_BROKERS: env('KAFKA_BROKERS'),
      SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'),
      SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
      REDIS_URL: env('REDIS_URL'),
      KAFKA_GROUP_ID: groupId,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      ACTUATOR_INPUT_TOPIC: topics.verdicts,
      ACTUATOR_OUTPUT_TOPIC: topics.actions,
      ACTUATOR_POLICY_FILE: policyPath,
      ACTUATOR_REDIS_PREFIX: redisPrefix,
      ACTUATOR_CLAIM_LEASE_MS: '1500',
      ACTUATOR_SWEEP_INTERVAL_MS: '500',
      QRADAR_URL: qradar.url,
      QRADAR_TOKEN: 'qradar-test-token',
      ACTUATOR_AWS_ENDPOINT: aws.url,
      AWS_ACCESS_KEY_ID: 'AKIDSEAMACTUATOR',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      ACTUATOR_SSM_ASSUME_ROLE_ARN: 'arn:aws:iam::123456789012:role/SeamContain',
      ACTUATOR_SSM_POLL_MS: '50',
      ACTUATOR_APPROVALS_TOKENS: JSON.stringify([{ name: 'alice', role: 'approver', token: approverToken }]),
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4000); });
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) process.stderr.write(`actuator exited ${code}: ${stderr}\n`);
  });
  const end = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready) return child;
    if (child.exitCode !== null) throw new Error(`actuator exited: ${stderr}`);
    if (Date.now() > end) throw new Error(`actuator not ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function produce(v: Verdict): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: topics.verdicts, messages: [{ key: v.incidentId, value: await verdictCodec.encode(v, topics.verdicts) }] });
  await producer.disconnect();
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; seen ${JSON.stringify(seen.map((r) => `${r.kind} ${r.target} ${r.state}#${r.sequence}`))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statesOf = (id: string) => seen.filter((r) => r.actionId === id).map((r) => `${r.state}#${r.sequence}`);

beforeAll(async () => {
  qradar = await startQradarEmulator({ token: 'qradar-test-token', scenarioPath });
  aws = await startAwsEmulator({ accessKeyIds: ['AKIDSEAMACTUATOR'], adminToken: 'admin', state: { automation: { pendingMs: 30, runMs: 100 } } });
  dir = mkdtempSync(join(tmpdir(), 'actuator-int-'));
  policyPath = join(dir, 'policy.json');
  const policy = defaultPolicyJson();
  policy.actions['ssm.automation'].approvers = { count: 1, role: 'approver' };
  policy.actions['notify'].phase = 'shadow';
  writeFileSync(policyPath, JSON.stringify(policy));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [topics.verdicts, topics.actions].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
  await admin.disconnect();
  reader = kafka.consumer({ groupId: `t-actuator-reader-${suffix}`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: topics.actions, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const record = actionRecordSchema.parse(await actionCodec.decode(message.value, topics.actions));
      expect(message.key?.toString()).toBe(record.actionId);
      seen.push(record);
    },
  });
}, 60_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await reader.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topics.verdicts, topics.actions] }).catch(() => undefined);
  await admin.disconnect();
  const redis = new Redis(env('REDIS_URL'));
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await qradar.close();
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('actuator process', () => {
  it('turns a verdict into ActionRecords, and an approval over HTTP into an executed action', async () => {
    const port = await freePort();
    const child = await startActuator({}, port, `t-actuator-${suffix}-a`);
    const v = verdict({ incidentId: `inc-${randomUUID().slice(0, 8)}` });
    await produce(v);
    const note = noteActionIdFor(v.incidentId, '15', 'Seam verdict: critical');
    const ssm = actionIdFor(v.incidentId, 1, 'ssm.automation', 'i-0abc1234def567890');
    await until('note succeeded', () => statesOf(note).includes('succeeded#2'));
    await until('ssm proposed', () => statesOf(ssm).includes('proposed#1'));
    expect(seen.find((r) => r.actionId === note && r.state === 'succeeded')).toMatchObject({ kind: 'qradar_note', policyRule: 'qradar.note.phase=assist', actor: 'system' });
    expect(statesOf(actionIdFor(v.incidentId, 1, 'notify', '#soc'))).toEqual(['shadow#1']);

    const denied = await fetch(`http://127.0.0.1:${port}/api/actions/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actionId: ssm }) });
    expect(denied.status).toBe(401);
    const approved = await fetch(`http://127.0.0.1:${port}/api/actions/approve`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${approverToken}` }, body: JSON.stringify({ actionId: ssm, reason: 'contain it' }),
    });
    expect(approved.status).toBe(200);
    await until('ssm succeeded', () => statesOf(ssm).includes('succeeded#4'));
    expect(statesOf(ssm)).toEqual(['proposed#1', 'approved#2', 'executing#3', 'succeeded#4']);
    expect(seen.find((r) => r.actionId === ssm && r.state === 'approved')?.actor).toBe('bearer:alice');
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution', status: 200 })).toHaveLength(1);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
  }, 90_000);

  it('the approvals page in Chromium: an approver approves a real proposal and sees it executed', async () => {
    aws.state.reset();
    const policy = JSON.parse(readFileSync(policyPath, 'utf8')) as ReturnType<typeof defaultPolicyJson>;
    policy.actions['ssm.automation'].phase = 'assist';
    writeFileSync(policyPath, JSON.stringify(policy));
    const port = await freePort();
    const child = await startActuator({}, port, `t-actuator-${suffix}-page`);
    const v = verdict({ incidentId: `inc-${randomUUID().slice(0, 8)}` });
    await produce(v);
    const ssm = actionIdFor(v.incidentId, 1, 'ssm.automation', 'i-0abc1234def567890');
    await until('ssm proposed', () => statesOf(ssm).includes('proposed#1'));

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', timeout: 30_000 });
    try {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`http://127.0.0.1:${port}/approvals`);
      await page.fill('#token', approverToken);
      await page.click('#sign-in');
      const card = page.locator(`li.card[data-action-id="${ssm}"]`);
      await card.waitFor({ state: 'visible' });
      expect(await card.locator('.status').textContent()).toBe('proposed');
      expect(await card.textContent()).toContain(v.summary);
      await card.locator('button.approve').click();
      await expect.poll(() => card.locator('.status').textContent(), { timeout: 30_000, interval: 500 }).toBe('succeeded');
    } finally {
      await browser.close();
    }
    expect(statesOf(ssm)).toEqual(['proposed#1', 'approved#2', 'executing#3', 'succeeded#4']);
    expect(seen.find((r) => r.actionId === ssm && r.state === 'approved')?.actor).toBe('bearer:alice');
    const starts = aws.state.calls.list({ operation: 'StartAutomationExecution', status: 200 });
    expect(starts).toHaveLength(1);
    expect((starts[0]?.params as { DocumentName?: string }).DocumentName).toBe('AWSSupport-ContainEC2Instance');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }, 120_000);

  it('crash test: SIGKILL between execution and commit, restart: the note and the containment ran exactly once', async () => {
    qradar.state.reset();
    aws.state.reset();
    const policy = JSON.parse(readFileSync(policyPath, 'utf8')) as ReturnType<typeof defaultPolicyJson>;
    policy.actions['ssm.automation'].phase = 'auto';
    writeFileSync(policyPath, JSON.stringify(policy));
    const group = `t-actuator-${suffix}-crash`;
    const v = verdict({ incidentId: `inc-${randomUUID().slice(0, 8)}` });
    const note = noteActionIdFor(v.incidentId, '15', 'Seam verdict: critical');
    const ssm = actionIdFor(v.incidentId, 1, 'ssm.automation', 'i-0abc1234def567890');
    const first = await startActuator({ ACTUATOR_TEST_PAUSE_AFTER_EXECUTE_MS: '120000' }, await freePort(), group);
    await produce(v);
    await until('note and automation executed', () =>
      qradar.state.recordedWrites('offense.note').some((w) => w.path === '/api/siem/offenses/15/notes' && w.status === 201)
      && aws.state.calls.list({ operation: 'StartAutomationExecution', status: 200 }).length === 1);
    // Paused after execution, before the outcome is committed: kill it.
    await new Promise((r) => setTimeout(r, 300));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(statesOf(note)).toEqual([]);

    await startActuator({}, await freePort(), group);
    await until('note committed after restart', () => statesOf(note).includes('succeeded#2'), 60_000);
    await until('automation committed after restart', () => statesOf(ssm).includes('succeeded#2'), 60_000);
    expect(qradar.state.recordedWrites('offense.note').filter((w) => w.path === '/api/siem/offenses/15/notes' && w.status === 201)).toHaveLength(1);
    expect(seen.find((r) => r.actionId === note && r.state === 'succeeded')?.result?.message).toMatch(/reconciled/);
    const starts = aws.state.calls.list({ operation: 'StartAutomationExecution', status: 200 });
    expect(new Set(starts.map((c) => (c.params as { ClientToken: string }).ClientToken)).size).toBe(1);
    expect(aws.state.ssm.list(Date.now())).toHaveLength(1);
  }, 120_000);
});
