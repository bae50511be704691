import { fileURLToPath } from 'node:url';
import { continueTrace, createLogger, jsonCodec, PoisonError, type HandlerContext } from '@seam/kit';
import { findingRawSchema, offenseRawSchema, securityEventSchema, type FindingRaw, type OffenseRaw } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { staticDirectory } from '../src/directory-source';
import { emptyNamespaceMap } from '../src/domain/namespaces';
import type { SecurityEvent } from '../src/domain/security-event';
import { Enricher } from '../src/enricher';
import { FeedIntel } from '../src/providers/misp';
import { FileCmdb } from '../src/providers/servicenow';
import { enricherStage } from '../src/stage';
import { fixtureText } from './helpers';

const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

function stage(directoryAvailable = true) {
  return enricherStage({
    topics: { offenses: 'offenses.raw', findings: 'findings.raw', enriched: 'enriched' },
    codecs: { offense: jsonCodec<unknown>(), finding: jsonCodec<unknown>(), event: jsonCodec<SecurityEvent>() },
    enricher: new Enricher({ providers: [FileCmdb.fromFile(data('cmdb.json')), FeedIntel.fromFile(data('intel-feed.txt'))], settings: () => ({ timeoutMs: 1000, failureThreshold: 3, coolDownMs: 1000 }), cache: null, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 5 }),
    namespaces: emptyNamespaceMap(),
    directory: () => staticDirectory(undefined, directoryAvailable).current(),
    maxPayloadBytes: 1_048_576,
  });
}

const ctx: HandlerContext = { stage: 'enricher', log: createLogger({ service: 'enricher-test', level: 'silent' }), trace: continueTrace(undefined), attempt: 1, signal: new AbortController().signal };

function finding(kind: FindingRaw['kind'], payload: string): FindingRaw {
  return findingRawSchema.parse({ sourceId: 'x', kind, arrival: 'file', receivedAt: 1_700_000_000_000, sourceUpdatedAt: null, origin: null, payload });
}

async function handleFinding(value: FindingRaw, available = true) {
  return stage(available).handle({ input: 'findings', topic: 'findings.raw', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: undefined }, ctx);
}

describe('enricher stage handler', () => {
  it('splits a CloudTrail Records file into one enriched event per record, keyed by eventId', async () => {
    const out = await handleFinding(finding('cloudtrail_event', fixtureText('cloudtrail_invictus_aws_dataset_excerpt.json')));
    const records = (JSON.parse(fixtureText('cloudtrail_invictus_aws_dataset_excerpt.json')) as { Records: unknown[] }).Records;
    expect(out).toHaveLength(records.length);
    for (const r of out) {
      expect(r.key).toBe(r.value.eventId);
      expect(r.value.eventId).toMatch(/^cloudtrail:/);
      expect(securityEventSchema.safeParse(r.value).success).toBe(true);
    }
    const admin = out.find((r) => r.value.entities.ips.some((ip) => ip.address === '192.168.10.20'));
    expect(admin?.value.enrichment.assets[0]).toMatchObject({ key: '192.168.10.20', owner: 'Lee Park', criticality: 3 });
  });

  it('enriches a QRadar offense with its resolved addresses', async () => {
    const offenses = JSON.parse(fixtureText('xsoar_offenses_list_response.json')) as { id: number }[];
    const value: OffenseRaw = offenseRawSchema.parse({ sourceId: String(offenses[0]?.id), kind: 'qradar_offense', arrival: 'poll', receivedAt: 1_700_000_000_000, sourceUpdatedAt: null, origin: null, payload: JSON.stringify(offenses[0]), addresses: { source: ['192.168.0.1'], localDestination: [] }, events: null });
    const out = await stage().handle({ input: 'offenses', topic: 'offenses.raw', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: undefined }, ctx);
    expect(out).toHaveLength(1);
    expect(out[0]?.value.eventId).toBe(`qradar:offense:${offenses[0]?.id}`);
    expect(out[0]?.value.enrichment.assets.map((a) => a.key)).toContain('192.168.0.1');
    expect(out[0]?.value.enrichment.intel.map((i) => i.indicator)).toContain('39.116.161.122');
  });

  it.each([
    ['unknown kind', finding('unknown', '{}'), /findings\.raw carries kind unknown/],
    ['truncated JSON', finding('securityhub_finding', fixtureText('asff_guardduty_sshbruteforce_awsdocs.json').slice(0, 200)), /invalid-json/],
    ['a field of the wrong type', finding('securityhub_finding', fixtureText('asff_guardduty_sshbruteforce_awsdocs.json').replace('"UpdatedAt"', '"UpdatedAt": 12, "_old"')), /invalid-payload.*UpdatedAt/],
    ['a 5 MB payload', finding('guardduty_finding', `{"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`), /exceeds the 1048576-byte limit/],
    ['an empty Records array', finding('cloudtrail_event', '{"Records": []}'), /Records array is empty/],
  ])('%s is poison with a reason', async (_name, value, reason) => {
    const error = await handleFinding(value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonError);
    expect((error as Error).message).toMatch(reason);
  });

  it('an offense on offenses.raw must be a qradar_offense', async () => {
    const value = offenseRawSchema.parse({ sourceId: '1', kind: 'cloudtrail_event', arrival: 'poll', receivedAt: 1, sourceUpdatedAt: null, origin: null, payload: '{}', addresses: null, events: null });
    await expect(stage().handle({ input: 'offenses', topic: 'offenses.raw', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: undefined }, ctx)).rejects.toBeInstanceOf(PoisonError);
  });

  it('lists the identity directory as missing while it is unavailable', async () => {
    const out = await handleFinding(finding('cloudtrail_event', fixtureText('cloudtrail_stratus_console-login-without-mfa.json')), false);
    expect(out[0]?.value.entities.identities.length).toBeGreaterThan(0);
    expect(out[0]?.value.enrichment.missing).toContain('identity-directory');
  });
});
