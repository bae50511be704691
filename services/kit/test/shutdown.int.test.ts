import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SampleEvent } from '../src/sample/passthrough-stage';
import { committedOffset, createTopics, endpoint, plainKafka, readTopic, uniqueName, until, withAdmin } from './helpers';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

function startChild(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/kit/src/sample/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function produceMany(topic: string, total: number): Promise<void> {
  const producer = plainKafka().producer();
  await producer.connect();
  const payload = 'p'.repeat(1000);
  for (let start = 0; start < total; start += 500) {
    const messages = Array.from({ length: Math.min(500, total - start) }, (_, i) => {
      const seq = start + i;
      return { key: `k${seq % 13}`, value: JSON.stringify({ id: `e-${seq}`, seq, payload } satisfies SampleEvent) };
    });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function highWatermark(topic: string): Promise<number> {
  return withAdmin(async (admin) => Number((await admin.fetchTopicOffsets(topic))[0]?.high ?? 0));
}

function childEnv(input: string, output: string, group: string): Record<string, string> {
  return {
    KAFKA_BROKERS: endpoint('KAFKA_BROKERS'),
    KAFKA_GROUP_ID: group,
    SAMPLE_INPUT_TOPIC: input,
    SAMPLE_OUTPUT_TOPIC: output,
    SAMPLE_CODEC: 'json',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    KAFKA_MAX_BATCH_RECORDS: '200',
    SHUTDOWN_TIMEOUT_MS: '20000',
    KAFKA_SESSION_TIMEOUT_MS: '8000',
  };
}

describe('the sample stage as a process', () => {
  it('on SIGTERM drains, commits everything it acknowledged, and exits 0', async () => {
    const input = uniqueName('kit-term-in');
    const output = uniqueName('kit-term-out');
    const group = uniqueName('kit-term');
    await createTopics([input, output], 1);
    const total = 30_000;
    await produceMany(input, total);

    const { child, exited, output: logs } = startChild(childEnv(input, output, group));
    await until(async () => (await highWatermark(output)) >= 1000, 45_000, 50);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, logs()).toBe(0);

    const committed = await committedOffset(group, input);
    const produced = await highWatermark(output);
    expect(committed).toBeGreaterThan(0);
    expect(produced).toBeLessThan(total); // it really was stopped mid-stream
    const records = await readTopic(output, produced);
    const seqs = records.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as SampleEvent).seq);
    // Everything acknowledged was committed: no output beyond the committed offset...
    expect(Math.max(...seqs)).toBe(committed - 1);
    // ...and nothing below it is missing, exactly once each.
    expect(new Set(seqs).size).toBe(committed);
    expect(seqs.length).toBe(committed);

    const lines = logs().split('\n').filter((line) => line.startsWith('{'));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.some((l) => l['msg'] === 'shutdown requested: draining' && l['service'] === 'sample-passthrough')).toBe(true);
    expect(parsed.some((l) => l['msg'] === 'stage stopped' && l['exitCode'] === 0)).toBe(true);
  });

  it('after SIGKILL (no commit, no disconnect) a restart loses nothing; duplicates stay within the uncommitted batches', async () => {
    const input = uniqueName('kit-kill-in');
    const output = uniqueName('kit-kill-out');
    const group = uniqueName('kit-kill');
    await createTopics([input, output], 1);
    const total = 20_000;
    await produceMany(input, total);

    const first = startChild(childEnv(input, output, group));
    await until(async () => (await highWatermark(output)) >= 1000, 45_000, 50);
    first.child.kill('SIGKILL');
    await first.exited;
    const committedAtKill = Math.max(0, await committedOffset(group, input));
    const producedAtKill = await highWatermark(output);

    const second = startChild(childEnv(input, output, group));
    try {
      await until(async () => (await committedOffset(group, input)) === total, 60_000, 200);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output()).toBe(0);
    }
    const produced = await highWatermark(output);
    const records = await readTopic(output, produced);
    const seqs = records.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as SampleEvent).seq);
    expect(new Set(seqs).size).toBe(total);
    const duplicates = seqs.length - total;
    // Duplicates are exactly the outputs acknowledged after the last commit before the kill.
    expect(duplicates).toBe(producedAtKill - committedAtKill);
    // One partition, autoCommit after every fetched batch: at most one fetched batch is uncommitted.
    expect(duplicates).toBeLessThanOrEqual(2000);
  });
});
