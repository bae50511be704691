import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
const topic = `it-tail-${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'it-tail', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();

const tail = async (...args: string[]) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bin/seam-tail.ts', ...args], { env: process.env, timeout: 60_000 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { partition: number; offset: string; key: string | null; headers: Record<string, string>; value: unknown });
};

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const registry = new SchemaRegistry({ host: registryUrl });
  const schema = { type: 'record', name: 'TailProbe', namespace: 'dev.seam.it', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'long' }] };
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { partition: 0, key: 'a', value: await registry.encode(id, { id: 'a', n: 1 }) },
      { partition: 1, key: 'b', value: await registry.encode(id, { id: 'b', n: 2 }) },
      { partition: 1, key: 'c', value: Buffer.from('{"raw":true}'), headers: { 'seam.error.reason': 'PoisonError: bad' } },
      { partition: 0, key: null, value: Buffer.from([0xff, 0xfe, 0x00]) },
    ],
  });
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('seam tail', () => {
  it('prints every record decoded, then stops at the end of each partition', async () => {
    const records = await tail(topic);
    const byKey = new Map(records.map((r) => [r.key ?? 'null', r]));
    expect(records).toHaveLength(4);
    expect(byKey.get('a')?.value).toEqual({ id: 'a', n: 1 });
    expect(byKey.get('b')?.value).toEqual({ id: 'b', n: 2 });
    expect(byKey.get('c')?.value).toEqual({ raw: true });
    expect(byKey.get('c')?.headers['seam.error.reason']).toBe('PoisonError: bad');
    expect(byKey.get('null')?.value).toEqual({ base64: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') });
  }, 60_000);

  it('stops after --max records and names an unknown topic', async () => {
    expect(await tail(topic, '--max', '1')).toHaveLength(1);
    await expect(tail(`${topic}-missing`)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`no topic ${topic}-missing`) as unknown });
  }, 60_000);
});
