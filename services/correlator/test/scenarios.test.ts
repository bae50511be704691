import { describe, expect, it } from 'vitest';
import { incidentIdFor, type CorrelationEvent } from '../src/domain/index';
import { actor, compacted, ev, groups, MINUTE, runAll, target } from './fixtures';

describe('scenarios', () => {
  it('brute-forced VPN identity, then an AWS console login of the same person from the same IP: one hybrid incident', () => {
    const offense = ev('qradar:offense:1001', 0, {
      source: 'qradar',
      title: 'Multiple VPN login failures followed by success',
      severity: 60,
      tactics: ['TA0006'],
      ips: [actor('203.0.113.7'), target('10.0.0.1')], // the VPN gateway is a target
      ids: [{ canonical: 'jdoe@example.com', kind: 'ad' }], // sAMAccountName jdoe, resolved
    });
    const consoleLogin = ev('cloudtrail:7f3c-console-login', 25, {
      source: 'cloudtrail',
      title: 'ConsoleLogin',
      severity: 30,
      tactics: ['TA0001'],
      ips: [actor('203.0.113.7')],
      ids: [{ canonical: 'jdoe@example.com', kind: 'iam-role-session' }], // SSO session carries the e-mail
    });
    const unrelatedVpnUser = ev('qradar:offense:1002', 5, { ips: [actor('198.51.100.40'), target('10.0.0.1')] });

    const out = runAll([offense, unrelatedVpnUser, consoleLogin]);
    const incidents = compacted(out);
    const incident = incidents.get(incidentIdFor('qradar:offense:1001'));
    expect(incident).toMatchObject({
      status: 'settled',
      hybrid: true,
      sources: { cloudtrail: 1, qradar: 1 },
      tactics: ['TA0001', 'TA0006'],
      firstSeen: offense.observedAt,
      lastSeen: consoleLogin.observedAt,
      mergedInto: null,
    });
    expect(incident?.links).toEqual([
      { from: 'qradar:offense:1001', to: 'cloudtrail:7f3c-console-login', via: 'identity', value: 'id:jdoe@example.com' },
    ]);
    expect(incident?.keys.map((key) => key.value)).toEqual(['id:jdoe@example.com', 'ip:corp:10.0.0.1', 'ip:public:203.0.113.7']);
    // Sharing the VPN gateway as a target is not evidence.
    expect(groups(out)).toEqual([['cloudtrail:7f3c-console-login', 'qradar:offense:1001'], ['qradar:offense:1002']]);
  });

  it('stolen instance credentials used from an outside IP that an on-prem offense also names: joined', () => {
    const session = { canonical: 'arn:aws:sts::111122223333:assumed-role/web-role/i-0abc123', kind: 'iam-role-session' as const };
    const events: CorrelationEvent[] = [
      ev('qradar:offense:2001', 0, {
        source: 'qradar',
        title: 'Outbound connection to known C2',
        ips: [actor('198.51.100.23'), target('10.20.0.15')],
      }),
      ev('guardduty:abc123', 12, {
        source: 'guardduty',
        title: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        severity: 80,
        ips: [actor('198.51.100.23')],
        ids: [session],
      }),
      ev('cloudtrail:e1', 14, { source: 'cloudtrail', title: 'ListBuckets', ips: [actor('198.51.100.23')], ids: [session] }),
      // The instance's own legitimate calls through the AWS network: not evidence.
      ev('cloudtrail:e2', 15, {
        source: 'cloudtrail',
        title: 'DescribeInstances',
        ips: [actor('AWS Internal')],
        ids: [{ canonical: 'AWSServiceRoleForAutoScaling', kind: 'iam-role-session' }],
      }),
      ev('cloudtrail:e3', 16, { source: 'cloudtrail', title: 'AssumeRole', ips: [actor('ec2.amazonaws.com')] }),
    ];
    const out = runAll(events);
    expect(groups(out)).toEqual([['cloudtrail:e1', 'guardduty:abc123', 'qradar:offense:2001'], ['cloudtrail:e2'], ['cloudtrail:e3']]);
    const incident = compacted(out).get(incidentIdFor('qradar:offense:2001'));
    expect(incident).toMatchObject({ hybrid: true, sources: { cloudtrail: 1, guardduty: 1, qradar: 1 } });
    expect(incident?.links).toContainEqual({
      from: 'qradar:offense:2001',
      to: 'guardduty:abc123',
      via: 'ip',
      value: 'ip:public:198.51.100.23',
    });
  });

  describe('unrelated traffic from a shared NAT egress IP', () => {
    const nat = '203.0.113.250';
    const traffic = Array.from({ length: 30 }, (_, i) =>
      ev(`cloudtrail:nat-${String(i).padStart(2, '0')}`, i * 2, {
        source: 'cloudtrail',
        ips: [actor(nat)],
        ids: [{ canonical: `user${i % 15}@example.com`, kind: 'email' }],
      }),
    );

    it('does not merge everything: the key turns hot and is reported; one person’s events still join', () => {
      const out = runAll(traffic, { hotKeyDistinctIdentities: 5 });
      const incidents = [...compacted(out).values()];
      const mostPeople = Math.max(...incidents.map((incident) => incident.keys.filter((key) => key.kind === 'identity').length));
      expect(incidents.length).toBeGreaterThanOrEqual(10);
      // Only the first carriers, before more than K identities were seen in the window, link via the
      // NAT (with the default lookahead 0): no incident holds more than K people.
      expect(mostPeople).toBeLessThanOrEqual(5);
      expect(incidents.some((incident) => incident.hotKeys.some((key) => key.value === `ip:public:${nat}`))).toBe(true);
      // user7 appears at minute 14 and 44 (i = 7, 22): joined by identity, not by the NAT.
      expect(groups(out)).toContainEqual(['cloudtrail:nat-07', 'cloudtrail:nat-22']);
    });

    it('with the lookahead set to W, no event links through the NAT at all', () => {
      const out = runAll(traffic, { hotKeyDistinctIdentities: 5, hotKeyLookaheadMs: 60 * MINUTE });
      for (const incident of compacted(out).values()) {
        expect(incident.links.every((link) => link.via === 'identity')).toBe(true);
      }
    });
  });
});
