import { randomBytes } from 'node:crypto';
import { schemas } from '@seam/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitIncidentRecord } from '../src/adapters/incident-size';
import { toIncidentRecord } from '../src/adapters/security-event';
import { DEFAULT_MAX_RECORD_BYTES } from '../src/stage';
import { busyRoleVersion } from './fixtures';

/**
 * A very large incident against a real broker's record limit: a topic created like `correlated`
 * (no max.message.bytes of its own, so the broker's 1 MiB default) refuses the whole record and
 * accepts it cut to the correlator's budget.
 */

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const kafka = new Kafka({ clientId: 'correlator-record-size', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
const topic = `record-size-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await producer.disconnect();
  await admin.disconnect();
});

describe('Incident record size against the broker', () => {
  it('a 5,000-member incident: refused whole, accepted within the budget and read back with its counts', async () => {
    const whole = toIncidentRecord(busyRoleVersion(5_000), Date.now());
    const wholeBytes = schemas.Incident.type.toBuffer(whole);
    expect(wholeBytes.length).toBeGreaterThan(1_048_576);
    const refused = await producer.send({ topic, acks: -1, messages: [{ key: whole.incidentId, value: wholeBytes }] }).then(
      () => 'accepted',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).toMatch(/too large|MESSAGE_TOO_LARGE|larger than/i);

    const { record, fits } = fitIncidentRecord(whole, DEFAULT_MAX_RECORD_BYTES);
    expect(fits).toBe(true);
    await producer.send({ topic, acks: -1, messages: [{ key: record.incidentId, value: schemas.Incident.type.toBuffer(record) }] });

    const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const read = await new Promise<Buffer>((resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            if (message.value !== null) resolve(message.value);
            return Promise.resolve();
          },
        });
      });
      const back = schemas.Incident.type.fromBuffer(read) as typeof record;
      expect(back.members.length + back.membersOmitted).toBe(5_000);
      expect(back.membersOmitted).toBeGreaterThan(0);
      expect(back.sources).toEqual({ cloudtrail: 5_000 });
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  // With default limits an enriched record cannot carry such a title, but `enriched` may be configured
  // with a larger max.message.bytes than `correlated`: the record must still fit.
  it('one member whose title alone is over the limit: refused whole, accepted with the title cut', async () => {
    const one = toIncidentRecord(busyRoleVersion(1), Date.now());
    const whole = { ...one, members: one.members.map((member) => ({ ...member, title: 't'.repeat(1_049_000) })) };
    const refused = await producer.send({ topic, acks: -1, messages: [{ key: whole.incidentId, value: schemas.Incident.type.toBuffer(whole) }] }).then(
      () => 'accepted',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).toMatch(/too large|MESSAGE_TOO_LARGE|larger than/i);
    const { record, fits, titlesCut } = fitIncidentRecord(whole, DEFAULT_MAX_RECORD_BYTES);
    expect([fits, titlesCut, record.membersOmitted]).toEqual([true, 1, 0]);
    const [sent] = await producer.send({ topic, acks: -1, messages: [{ key: record.incidentId, value: schemas.Incident.type.toBuffer(record) }] });
    expect(sent?.errorCode).toBe(0);
  }, 60_000);
});
