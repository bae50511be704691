import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIp } from '../src/domain/ip';
import { tacticKey } from '../src/domain/tactics';
import { compileGlob, matchesAny } from '../src/domain/text';
import { inWindow, parseClock, weeklyWindow } from '../src/domain/time-window';
import { severityOf } from '../src/domain/severity';

const contains = (cidr: string, ip: string): boolean => {
  const block = parseCidr(cidr);
  const address = parseIp(ip);
  if (block === null || address === null) throw new Error('bad test input');
  return cidrContains(block, address);
};

describe('ip', () => {
  it('matches IPv4 CIDRs, single addresses and IPv4-mapped IPv6', () => {
    expect(contains('10.20.30.0/28', '10.20.30.15')).toBe(true);
    expect(contains('10.20.30.0/28', '10.20.30.16')).toBe(false);
    expect(contains('192.0.2.10', '192.0.2.10')).toBe(true);
    expect(contains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(contains('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
  });
  it('matches IPv6 CIDRs', () => {
    expect(contains('2001:db8::/32', '2001:db8:1::7')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(contains('fe80::/10', 'fe80::1%eth0')).toBe(true);
  });
  it('rejects malformed input', () => {
    for (const bad of ['10.0.0.256', '10.0.0', '1.2.3.4/33', 'abc', '1::2::3', '::/129', '10.0.0.0/x']) {
      expect(parseCidr(bad)).toBeNull();
    }
  });
});

describe('time windows', () => {
  it('parses clocks', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('24:00')).toBe(1440);
    expect(parseClock('23:59')).toBe(1439);
    expect(parseClock('24:01')).toBeNull();
    expect(parseClock('7:00')).toBeNull();
  });
  it('handles day-of-week and windows crossing midnight', () => {
    const nightly = weeklyWindow(['mon'], '22:00', '02:00', 0);
    expect(inWindow(nightly, Date.parse('2025-03-10T23:00:00Z'))).toBe(true); // Monday
    expect(inWindow(nightly, Date.parse('2025-03-11T01:59:00Z'))).toBe(true); // Tuesday, from Monday's run
    expect(inWindow(nightly, Date.parse('2025-03-11T02:00:00Z'))).toBe(false);
    expect(inWindow(nightly, Date.parse('2025-03-10T01:00:00Z'))).toBe(false); // Monday early = Sunday's run
    const allDay = weeklyWindow(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], '00:00', '24:00', 0);
    expect(inWindow(allDay, 0)).toBe(true);
  });
});

describe('globs', () => {
  it('are anchored, case-insensitive and escape regex syntax', () => {
    expect(matchesAny([compileGlob('svc-*')], 'SVC-Backup')).toBe(true);
    expect(matchesAny([compileGlob('svc-*')], 'xsvc-backup')).toBe(false);
    expect(matchesAny([compileGlob('a.b')], 'axb')).toBe(false);
    expect(matchesAny([compileGlob('*\\administrator')], 'CORP\\Administrator')).toBe(true);
    expect(matchesAny([compileGlob('us?r')], 'user')).toBe(true);
  });
  it('stay fast on long hostile input', () => {
    const glob = compileGlob('*a*a*a*a*a*b');
    const started = performance.now();
    expect(matchesAny([glob], 'a'.repeat(256))).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('tactics and severity', () => {
  it('normalizes tactic spellings', () => {
    expect(tacticKey('TA0006')).toBe('TA0006');
    expect(tacticKey('ta0006')).toBe('TA0006');
    expect(tacticKey('Credential Access')).toBe('TA0006');
    expect(tacticKey('command-and-control')).toBe('TA0011');
    expect(tacticKey('Behavior')).toBe('behavior');
  });
  it('maps scores to severities at the documented thresholds', () => {
    const t = { critical: 85, high: 65, medium: 40, low: 15 };
    expect([0, 14, 15, 39, 40, 64, 65, 84, 85, 100].map((s) => severityOf(s, t))).toEqual(
      ['info', 'info', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical'],
    );
  });
});
