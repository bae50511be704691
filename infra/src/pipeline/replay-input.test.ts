import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventBridgeToRaw } from '@seam/aws-ingest/domain/aws-shapes';
import { describe, expect, it } from 'vitest';
import { toEventBridgeEvent } from './eventbridge-envelope';
import { parseReplayLine, parseReplayText, type ReplayLine } from './replay-input';

const reference = (path: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../../shared/reference-payloads/${path}`, import.meta.url)), 'utf8'));
const line = (source: string, payload: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ source, payload, ...extra });

const invictus = (reference('aws/cloudtrail_invictus_aws_dataset_excerpt.json') as { Records: Record<string, unknown>[] }).Records;
const stratusConsole = reference('aws/cloudtrail_stratus_console-login-without-mfa.json') as Record<string, unknown>[];
const asff = reference('aws/asff_guardduty_sshbruteforce_awsdocs.json') as Record<string, unknown>;
const offenses = reference('qradar/xsoar_offenses_list_response.json') as Record<string, unknown>[];
const scenarioFile = readFileSync(fileURLToPath(new URL('../../scenarios/qradar-sample.jsonl', import.meta.url)), 'utf8');

const ok = (value: ReturnType<typeof parseReplayLine>): ReplayLine => {
  if (value === undefined || 'reason' in value) throw new Error(`expected a line, got ${JSON.stringify(value)}`);
  return value;
};

describe('replay input lines', () => {
  it('accepts every reference payload with its event time and source id', () => {
    const ct = ok(parseReplayLine(line('cloudtrail.event', invictus[0]), 1));
    expect(ct.eventTime).toBe(Date.parse(String(invictus[0]?.['eventTime'])));
    expect(ct.sourceId).toBe(invictus[0]?.['eventID']);
    const hub = ok(parseReplayLine(line('securityhub.finding', asff), 2));
    expect(hub.eventTime).toBe(Date.parse(String(asff['FirstObservedAt'])));
    expect(hub.sourceId).toBe(asff['Id']);
    const offense = ok(parseReplayLine(line('qradar.offense', offenses[0], { addresses: { source: ['10.0.0.1'], localDestination: [] }, events: [] }), 3));
    expect(offense.eventTime).toBe(offenses[0]?.['start_time']);
    expect(offense.sourceId).toBe(String(offenses[0]?.['id']));
    expect(offense.addresses?.source).toEqual(['10.0.0.1']);
    const { lines, errors } = parseReplayText(scenarioFile);
    expect(errors).toEqual([]);
    expect(lines.map((l) => l.sourceId)).toEqual(['15', '16']);
  });

  it('reads GuardDuty findings in camelCase (EventBridge) and PascalCase (API)', () => {
    const camel = ok(parseReplayLine(line('guardduty.finding', { id: 'abc', createdAt: '2024-01-02T03:04:05.000Z', service: { eventFirstSeen: '2024-01-02T03:00:00.000Z' } }), 1));
    expect(camel.eventTime).toBe(Date.parse('2024-01-02T03:00:00.000Z'));
    const pascal = ok(parseReplayLine(line('guardduty.finding', { Id: 'def', CreatedAt: '2024-01-02T03:04:05.000Z' }), 2));
    expect(pascal.eventTime).toBe(Date.parse('2024-01-02T03:04:05.000Z'));
    expect(pascal.sourceId).toBe('def');
  });

  it.each([
    ['{not json', /^not JSON: /],
    [line('splunk.alert', {}), /^source: Invalid option/],
    [JSON.stringify({ source: 'cloudtrail.event' }), /^payload: /],
    [JSON.stringify({ source: 'cloudtrail.event', payload: [] }), /^payload: /],
    [line('cloudtrail.event', { ...invictus[0], eventTime: 'yesterday' }), /^cloudtrail\.event: payload\.eventTime must be an ISO 8601 time$/],
    [line('cloudtrail.event', { eventTime: '2024-01-01T00:00:00Z' }), /eventID is missing/],
    [line('qradar.offense', { ...offenses[0], start_time: '1613395296537' }), /start_time must be epoch milliseconds/],
    [line('securityhub.finding', { Id: 'x' }), /none of FirstObservedAt/],
    [line('cloudtrail.event', invictus[0], { events: [] }), /addresses and events belong to qradar\.offense lines/],
    [line('cloudtrail.event', invictus[0], { comment: 'x' }), /Unrecognized key/],
  ])('refuses %s with a reason', (raw, reason) => {
    const result = parseReplayLine(raw, 7);
    expect(result).toMatchObject({ lineNumber: 7 });
    expect((result as { reason: string }).reason).toMatch(reason);
  });

  it('reports bad lines by number, keeps the good ones, skips blank lines and sorts by event time', () => {
    const late = { ...invictus[0], eventID: 'late', eventTime: '2030-01-01T00:00:00Z' };
    const early = { ...invictus[0], eventID: 'early', eventTime: '2001-01-01T00:00:00Z' };
    const text = [line('cloudtrail.event', late), '', 'garbage', line('cloudtrail.event', early), '   ', line('cloudtrail.event', late)].join('\r\n');
    const { lines, errors } = parseReplayText(text);
    expect(lines.map((l) => [l.sourceId, l.lineNumber])).toEqual([
      ['early', 4],
      ['late', 1],
    ]);
    expect(errors.map((e) => e.lineNumber)).toEqual([3, 6]);
    expect(errors[0]?.reason).toMatch(/^not JSON/);
    expect(errors[1]?.reason).toBe('cloudtrail.event late already given on line 1');
  });
});

describe('EventBridge envelopes for the AWS lines', () => {
  const accepted = (l: ReplayLine) => {
    const result = eventBridgeToRaw(JSON.parse(JSON.stringify(toEventBridgeEvent(l))), 1);
    if (!result.ok) throw new Error(result.reason);
    return result.records;
  };

  it("are accepted by aws-ingest's own intake parser, payload unchanged", () => {
    for (const record of [...invictus, ...stratusConsole]) {
      const [raw] = accepted(ok(parseReplayLine(line('cloudtrail.event', record), 1)));
      expect(raw?.kind).toBe('cloudtrail_event');
      expect(JSON.parse(raw?.payload ?? 'null')).toEqual(record);
    }
    const [hub] = accepted(ok(parseReplayLine(line('securityhub.finding', asff), 1)));
    expect(hub?.kind).toBe('securityhub_finding');
    expect(JSON.parse(hub?.payload ?? 'null')).toEqual(asff);
    const camel = JSON.parse(readFileSync(fileURLToPath(new URL('../../../services/aws-ingest/test/fixtures/guardduty_eventbridge_camel.json', import.meta.url)), 'utf8')) as { detail: Record<string, unknown> };
    const [gd] = accepted(ok(parseReplayLine(line('guardduty.finding', camel.detail), 1)));
    expect(gd?.kind).toBe('guardduty_finding');
  });

  it('marks console sign-ins as such and names the service for API calls', () => {
    const signIn = toEventBridgeEvent(ok(parseReplayLine(line('cloudtrail.event', stratusConsole[0]), 1)));
    expect(signIn['detail-type']).toBe('AWS Console Sign In via CloudTrail');
    expect(signIn.source).toBe('aws.signin');
    const api = invictus.find((r) => r['eventType'] === 'AwsApiCall');
    const call = toEventBridgeEvent(ok(parseReplayLine(line('cloudtrail.event', api), 1)));
    expect(call['detail-type']).toBe('AWS API Call via CloudTrail');
    expect(call.source).toBe(`aws.${String(api?.['eventSource']).replace('.amazonaws.com', '')}`);
    expect(call.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
