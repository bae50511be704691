import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReplayText } from '@seam/infra/pipeline/replay-input';
import { historyProblems } from './fault-support';
import { buildLoad, SCENARIO_PATH } from '../../infra/scenarios/build-load';

const scenario = readFileSync(SCENARIO_PATH, 'utf8');

describe('the generated load (infra/scenarios/build-load.ts)', () => {
  it('is deterministic per seed, parses without errors and gives every record its own id', () => {
    const a = buildLoad(scenario, { copies: 5, seed: 11 });
    expect(buildLoad(scenario, { copies: 5, seed: 11 })).toBe(a);
    expect(buildLoad(scenario, { copies: 5, seed: 12 })).not.toBe(a);
    const { lines, errors } = parseReplayText(a);
    expect(errors).toEqual([]);
    expect(lines).toHaveLength(5 * 18);
    expect(new Set(lines.map((l) => `${l.source} ${l.sourceId}`)).size).toBe(lines.length);
  });

  it('gives each copy its own attacker IPs and users, keeps the shared keys, and shifts event times', () => {
    const { lines } = parseReplayText(buildLoad(scenario, { copies: 3, seed: 5 }));
    const text = JSON.stringify(lines.map((l) => l.payload));
    for (const ip of ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.130']) expect(text).toContain(ip);
    expect(text).not.toContain('39.116.161.122');
    expect(text).toContain('198.51.100.7');
    expect(text).toMatch(/"userName":"jdoe2"/);
    const times = new Set(lines.filter((l) => l.source === 'qradar.offense' && l.sourceId.endsWith('101')).map((l) => l.eventTime));
    expect(times.size).toBe(3);
  });
});

describe('historyProblems', () => {
  const record = (actionId: string, sequence: number, state: 'executing' | 'succeeded' | 'proposed' | 'approved') => ({
    actionId, sequence, state, kind: 'qradar_note' as const, target: '1', parameters: {}, policyRule: 'r', actor: 'system', at: 1, result: null,
    verdict: { incidentId: 'i', incidentVersion: 1, verdictVersion: 1 },
  });

  it('accepts redelivered records and a complete history', () => {
    expect(historyProblems([record('a', 1, 'executing'), record('a', 1, 'executing'), record('a', 2, 'succeeded')])).toEqual([]);
  });

  it('reports a missing state change, a fork, and a change after a terminal state', () => {
    expect(historyProblems([record('a', 2, 'succeeded')])).toEqual(['a: sequences 2 are not 1..n']);
    expect(historyProblems([record('b', 1, 'executing'), record('b', 1, 'proposed')])).toEqual(['b: sequence 1 is both executing and proposed']);
    expect(historyProblems([record('c', 1, 'executing'), record('c', 2, 'succeeded'), record('c', 3, 'approved')])).toEqual(['c: approved after terminal succeeded']);
  });
});
