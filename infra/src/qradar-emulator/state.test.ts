import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QradarApiError } from './errors';
import { FaultInjector } from './faults';
import { parseScenario, ScenarioError } from './scenario';
import { EmulatorState } from './state';

const sample = readFileSync(new URL('../../scenarios/qradar-sample.jsonl', import.meta.url), 'utf8');

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function codeOf(fn: () => unknown): [number, number] | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof QradarApiError) return [error.status, error.code];
    throw error;
  }
  return undefined;
}

describe('scenario parsing', () => {
  it('keeps qradar.offense lines and ignores the other sources and blank lines', () => {
    const text = `${sample}\n{"source":"guardduty.finding","payload":{"Id":"x"}}\n\n`;
    const seeds = parseScenario(text);
    expect(seeds.map((s) => s.offense['id'])).toEqual([15, 16]);
    expect(seeds[0]?.sourceIps).toEqual(['192.168.0.2', '192.168.0.1']);
    expect(seeds[0]?.events).toHaveLength(2);
  });

  it('names the bad line', () => {
    expect(() => parseScenario('{"source":"qradar.offense","payload":{"id":"x"}}')).toThrow(ScenarioError);
    expect(() => parseScenario('\nnot json')).toThrow(/line 2/);
  });
});

describe('EmulatorState', () => {
  it('resolves address ids to the scenario IPs and links them both ways', () => {
    const state = new EmulatorState(parseScenario(sample));
    const sources = state.sourceAddressRecords();
    expect(sources.find((a) => a['id'] === 10)).toMatchObject({ source_ip: '39.116.161.122', offense_ids: [16], local_destination_address_ids: [1] });
    expect(sources.find((a) => a['id'] === 1)).toMatchObject({ source_ip: '192.168.0.1', offense_ids: [15] });
    expect(state.localDestinationRecords()).toEqual([
      expect.objectContaining({ id: 1, local_destination_ip: '192.168.0.1', offense_ids: [15, 16], source_address_ids: [1, 2, 10] }),
    ]);
  });

  it('fills last_persisted_time/first_persisted_time only when missing and bumps it on update', () => {
    const c = clock();
    const state = new EmulatorState(parseScenario(sample), { now: c.now });
    expect(state.getOffense(16)['last_persisted_time']).toBe(1613399051536);
    c.advance(10);
    const updated = state.updateOffense(16, { assigned_to: 'alice', follow_up: 'true' });
    expect(updated).toMatchObject({ assigned_to: 'alice', follow_up: true, last_persisted_time: c.now() });
    expect(updated['last_updated_time']).toBe(1613399051536);
  });

  it('enforces the close rules', () => {
    const state = new EmulatorState(parseScenario(sample), { knownUsers: ['admin'] });
    expect(codeOf(() => state.updateOffense(15, { status: 'CLOSED' }))).toEqual([422, 1005]);
    expect(codeOf(() => state.updateOffense(15, { status: 'CLOSED', closing_reason_id: '99' }))).toEqual([422, 1005]);
    expect(codeOf(() => state.updateOffense(15, { status: 'closed' }))).toEqual([422, 11]);
    expect(codeOf(() => state.updateOffense(15, { assigned_to: 'mallory' }))).toEqual([422, 1005]);
    expect(codeOf(() => state.updateOffense(99, { status: 'HIDDEN' }))).toEqual([404, 1002]);
    expect(state.updateOffense(15, { status: 'CLOSED', closing_reason_id: '2' })).toMatchObject({ status: 'CLOSED', closing_reason_id: 2 });
    expect(codeOf(() => state.updateOffense(15, { status: 'OPEN' }))).toEqual([409, 1008]);
  });

  it('hides offense events from Ariel until the lag has passed', () => {
    const c = clock();
    const state = new EmulatorState(parseScenario(sample), { now: c.now, eventLagMs: 1_000 });
    expect(state.events.visibleRows(15)).toHaveLength(0);
    c.advance(1_000);
    expect(state.events.visibleRows(15)).toHaveLength(2);
    expect(state.events.visibleRows(undefined)).toHaveLength(2);
  });

  it('generates synthetic offenses fast and resets to the seed', () => {
    const state = new EmulatorState(parseScenario(sample));
    const started = performance.now();
    expect(state.generateSynthetic({ count: 10_000 })).toEqual({ firstId: 17, lastId: 10_016 });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(state.offenseCount()).toBe(10_002);
    state.reset();
    expect(state.offenseCount()).toBe(2);
    state.reset({ empty: true });
    expect(state.offenseCount()).toBe(0);
  });

  it('mutates offenses for the paging fault', () => {
    const c = clock();
    const state = new EmulatorState(parseScenario(sample), { now: c.now });
    state.mutateForPaging({ insert: 2, update: 1, close: 1 });
    expect(state.offenseCount()).toBe(4);
    expect(state.getOffense(15)['status']).toBe('CLOSED'); // lowest open id
    expect(state.getOffense(15)['last_persisted_time']).toBeGreaterThanOrEqual(c.now()); // least recently persisted, bumped
  });
});

describe('FaultInjector', () => {
  it('counts down injected failures in order 401, 429, 5xx', () => {
    const faults = new FaultInjector({ unauthorizedNext: 1, rateLimit: { next: 1, retryAfterSeconds: 2 }, fail5xx: { next: 1, status: 502 } });
    expect(faults.next('/api/x').kind).toBe('unauthorized');
    expect(faults.next('/api/x')).toEqual({ kind: 'rateLimited', retryAfterSeconds: 2 });
    expect(faults.next('/api/x')).toEqual({ kind: 'serverError', status: 502 });
    expect(faults.next('/api/x').kind).toBe('none');
  });

  it('fails at a reproducible rate and only on matching paths', () => {
    const outcomes = (seed: number) => {
      const faults = new FaultInjector({ fail5xx: { rate: 0.5 }, seed, pathContains: '/offenses' });
      expect(faults.next('/api/ariel/searches').kind).toBe('none');
      return Array.from({ length: 200 }, () => faults.next('/api/siem/offenses').kind);
    };
    const run = outcomes(7);
    expect(run).toEqual(outcomes(7));
    const failures = run.filter((k) => k === 'serverError').length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(140);
  });

  it('rejects invalid configuration', () => {
    expect(() => new FaultInjector({ fail5xx: { rate: 2 } })).toThrow();
  });
});
