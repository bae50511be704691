import { continueTrace, createLogger, jsonCodec } from '@seam/kit';
import { schemas, securityEventSchema, type Incident } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import type { IncidentVersion, IngestOutcome } from './domain/index';
import { correlatorStage, type CorrelationStore } from './stage';

/** The stage on a store twin that always has one very large incident due (no Redis). */
const bigVersion = (members: number): IncidentVersion => ({
  incidentId: 'inc-big',
  version: 7,
  status: 'open',
  firstSeen: 1_000,
  lastSeen: 1_000 + members,
  members: Array.from({ length: members }, (_, i) => ({
    eventId: `cloudtrail:${String(i).padStart(6, '0')}`,
    source: 'cloudtrail' as const,
    observedAt: 1_000 + i,
    title: 'AssumeRole by arn:aws:iam::123456789012:role/deploy-pipeline',
    sourceSeverity: 30,
  })),
  keys: [{ kind: 'identity', value: 'id:deploy-pipeline' }],
  links: Array.from({ length: members - 1 }, (_, i) => ({
    from: `cloudtrail:${String(i + 1).padStart(6, '0')}`,
    to: `cloudtrail:${String(i).padStart(6, '0')}`,
    via: 'identity' as const,
    value: 'id:deploy-pipeline',
  })),
  hybrid: false,
  sources: { cloudtrail: members },
  tactics: ['TA0004'],
  hotKeys: [],
  late: false,
  absorbed: [],
  mergedInto: null,
});

const store = (version: IncidentVersion): CorrelationStore => ({
  ingest: () => Promise.resolve({ status: 'accepted', incidentId: version.incidentId } satisfies IngestOutcome),
  ingestBatch: (events) => Promise.resolve(events.map(() => ({ status: 'accepted', incidentId: version.incidentId }) satisfies IngestOutcome)),
  advance: () => Promise.resolve({ more: false }),
  tick: () => Promise.resolve([version]),
});

const event = securityEventSchema.parse({
  eventId: 'cloudtrail:x', source: 'cloudtrail', rawKind: 'cloudtrail_event', sourceId: 'x', observedAt: 1_000, sourceUpdatedAt: 1_000,
  ingestedAt: 1_000, title: 't', description: null, category: 'c', sourceSeverity: 10, mitre: [],
  entities: { ips: [], identities: [{ canonical: 'deploy-pipeline', raw: 'deploy-pipeline', kind: 'iam_role_session', role: 'actor', resolved: true }], hosts: [], cloudResources: [], accounts: [] },
  enrichment: { assets: [], vulns: [], intel: [], missing: [] }, raw: '{}', rawEvents: null,
});
const record = { input: 'enriched', topic: 'enriched', partition: 0, offset: '0', key: null, value: event, headers: {}, timestamp: undefined } as const;

/** The stage over the store twin, with a logger that keeps its warnings. */
const setup = (version: IncidentVersion, maxRecordBytes?: number) => {
  const warnings: unknown[] = [];
  const log = createLogger({ service: 'correlator-test', level: 'silent' });
  const spy = Object.assign(Object.create(log) as typeof log, { warn: (fields: unknown) => void warnings.push(fields) });
  const stage = correlatorStage({
    topics: { enriched: 'enriched', correlated: 'correlated' },
    codecs: { event: jsonCodec<unknown>(), incident: jsonCodec<Incident>() },
    store: store(version),
    now: () => 5_000,
    ...(maxRecordBytes === undefined ? {} : { maxRecordBytes }),
  });
  return { stage, spy, warnings };
};

describe('correlator stage: record size', () => {
  it('cuts an incident over the byte budget to fit, counts what it left out and logs it', async () => {
    const { stage, spy, warnings } = setup(bigVersion(6_000), 100_000);
    const [item] = (await stage.handleBatch?.([record], { stage: 'correlator', log: spy, traces: [], attempt: 1, signal: new AbortController().signal })) ?? [];
    if (item === undefined || !('outputs' in item)) throw new Error('expected outputs');
    const value = item.outputs[0]?.value;
    if (value === undefined) throw new Error('expected a version');
    expect(schemas.Incident.type.toBuffer(value).length).toBeLessThanOrEqual(100_000);
    expect(value.members.length).toBeGreaterThan(100);
    expect(value.members.length + value.membersOmitted).toBe(6_000);
    expect(value.links.length + value.linksOmitted).toBe(5_999);
    expect(value.sources).toEqual({ cloudtrail: 6_000 });
    expect(warnings).toEqual([expect.objectContaining({ incidentId: 'inc-big', members: 6_000, membersOmitted: value.membersOmitted, fits: true })]);
  });

  it('leaves a small incident whole, without a warning', async () => {
    const { stage, spy, warnings } = setup(bigVersion(3));
    const outputs = await stage.handle(record, { stage: 'correlator', log: spy, trace: continueTrace(undefined), attempt: 1, signal: new AbortController().signal });
    expect(outputs[0]?.value).toMatchObject({ membersOmitted: 0, linksOmitted: 0, keysOmitted: 0 });
    expect(outputs[0]?.value.members).toHaveLength(3);
    expect(warnings).toEqual([]);
  });
});

describe('correlator stage: start', () => {
  const start = (prepare: () => Promise<void>) => {
    const stage = correlatorStage({
      topics: { enriched: 'enriched', correlated: 'correlated' },
      codecs: { event: jsonCodec<unknown>(), incident: jsonCodec<Incident>() },
      store: { ...store(bigVersion(1)), prepare },
      now: () => 5_000,
    });
    return stage.onStart?.({ stage: 'correlator', log: createLogger({ service: 'correlator-test', level: 'silent' }) });
  };

  it('prepares the store before anything else, and does not start when the store refuses', async () => {
    let prepared = 0;
    await start(() => {
      prepared += 1;
      return Promise.resolve();
    });
    expect(prepared).toBe(1);
    await expect(start(() => Promise.reject(new Error('correlator: Redis prefix "seam:" holds correlation state of another layout')))).rejects.toThrow(
      'another layout',
    );
  });
});
