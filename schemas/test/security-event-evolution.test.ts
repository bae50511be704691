// SecurityEvent v2 adds optional fields (non-evidence keys and flags, identity privileged/department,
// errorCode, userAgent). Old data must read with the defaults; new data must round-trip.
import { describe, expect, it } from 'vitest';
import { parseAvro, readAvsc } from '../src/avro';
import { schemas } from '../src/catalogue';
import { securityEventSchema } from '../src/records/security-event';
import { securityEventFixtures } from './fixtures/records';

const releasedDir = new URL('../avro/released/', import.meta.url);
const current = parseAvro(schemas.SecurityEvent.avsc);
const v1 = parseAvro(readAvsc('SecurityEvent.v1', releasedDir));

describe('SecurityEvent v2 fields', () => {
  it('a v1-written event decodes with the current schema, the new fields at their defaults', () => {
    const input = securityEventFixtures[0];
    if (input === undefined) throw new Error('no fixture');
    const old = securityEventSchema.parse(input);
    // Write with v1: only v1's fields exist there.
    const bytes = v1.toBuffer(old);
    const decoded = securityEventSchema.parse(current.fromBuffer(bytes, current.createResolver(v1)));
    expect(decoded.errorCode).toBeNull();
    expect(decoded.userAgent).toBeNull();
    expect(decoded.entities.nonEvidenceIps).toEqual([]);
    expect(decoded.entities.nonEvidenceIdentities).toEqual([]);
    expect(decoded.entities.ips[0]).toMatchObject({ address: '225.01.00.16', nonEvidence: false, nonEvidenceReason: null });
    expect(decoded.entities.identities[0]).toMatchObject({ canonical: 'alice@corp.example', privileged: null, department: null, nonEvidence: false, nonEvidenceReason: null });
    // Everything v1 had is unchanged.
    expect({ ...decoded, errorCode: undefined, userAgent: undefined }).toMatchObject({ eventId: old.eventId, title: old.title, enrichment: old.enrichment, raw: old.raw });
  });

  it('the new fields round-trip through Avro', () => {
    const input = securityEventFixtures[0];
    if (input === undefined) throw new Error('no fixture');
    const event = securityEventSchema.parse({
      ...input,
      errorCode: 'AccessDenied',
      userAgent: 'aws-cli/2.15.0 Python/3.11',
      entities: {
        ...input.entities,
        identities: [{ canonical: 'alice@corp.example', raw: 'alice', kind: 'iam_user', role: 'actor', resolved: true, privileged: true, department: 'Platform' }],
        nonEvidenceIps: [{ address: '127.0.0.1', role: 'actor', scope: 'private', namespace: null, nonEvidence: true, nonEvidenceReason: 'loopback' }],
        nonEvidenceIdentities: [{ canonical: 'ec2.amazonaws.com', raw: 'ec2.amazonaws.com', kind: 'unknown', role: 'actor', resolved: false, nonEvidence: true, nonEvidenceReason: 'aws-service' }],
      },
    });
    const decoded = securityEventSchema.parse(current.fromBuffer(current.toBuffer(event)));
    expect(decoded).toEqual(event);
    expect(decoded.entities.identities[0]).toMatchObject({ privileged: true, department: 'Platform' });
    expect(decoded.entities.nonEvidenceIps?.[0]).toMatchObject({ nonEvidence: true, nonEvidenceReason: 'loopback' });
  });

  it('a v1 reader (an old consumer) still reads v2 data: FORWARD for the added fields', () => {
    const input = securityEventFixtures[0];
    if (input === undefined) throw new Error('no fixture');
    const event = securityEventSchema.parse({ ...input, errorCode: 'AccessDenied', userAgent: 'curl/8' });
    const old = v1.fromBuffer(current.toBuffer(event), v1.createResolver(current)) as Record<string, unknown>;
    expect(old['eventId']).toBe(event.eventId);
    expect(old).not.toHaveProperty('errorCode');
  });
});
