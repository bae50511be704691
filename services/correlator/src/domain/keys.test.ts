import { describe, expect, it } from 'vitest';
import { parseCorrelationConfig } from './config';
import type { CorrelationEvent } from './event';
import { compileKeyPolicy, extractKeys, ipKey } from './keys';

const policy = compileKeyPolicy(parseCorrelationConfig({ scannerAllowList: ['198.51.100.0/24', '2001:db8::7'], nonEvidenceIdentities: ['Robot'] }));

const event = (ips: CorrelationEvent['ips'], identities: CorrelationEvent['identities'] = []): CorrelationEvent => ({
  eventId: 'e',
  source: 'cloudtrail',
  observedAt: 0,
  title: 't',
  sourceSeverity: 0,
  tactics: [],
  ips,
  identities,
});

describe('key hygiene', () => {
  it('namespaces private addresses and keeps public ones global', () => {
    expect(ipKey({ address: '10.0.0.1', scope: 'private', namespace: 'vpc-1' })).toBe('ip:vpc-1:10.0.0.1');
    expect(ipKey({ address: '10.0.0.1', scope: 'private', namespace: '' })).toBe('ip:default:10.0.0.1');
    expect(ipKey({ address: '203.0.113.1', scope: 'public', namespace: 'ignored' })).toBe('ip:public:203.0.113.1');
  });

  it('merges the roles of one address on one event', () => {
    const keys = extractKeys(
      event([
        { address: '203.0.113.1', role: 'actor', scope: 'public', namespace: '' },
        { address: '203.0.113.1', role: 'target', scope: 'public', namespace: '' },
      ]),
      policy,
    );
    expect([...keys.keys.values()]).toEqual([{ kind: 'ip', value: 'ip:public:203.0.113.1', actor: true, target: true }]);
  });

  it.each([
    ['AWS Internal', 'aws-internal'],
    ['ec2.amazonaws.com', 'aws-service-host'],
    ['not an address', 'not-an-ip'],
    ['127.0.0.53', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['198.51.100.77', 'scanner'],
    ['2001:db8::7', 'scanner'],
    ['', 'empty'],
  ])('rejects %s as %s', (address, reason) => {
    const keys = extractKeys(event([{ address, role: 'actor', scope: 'public', namespace: '' }]), policy);
    expect(keys.keys.size).toBe(0);
    expect(keys.rejected).toEqual([{ kind: 'ip', raw: address, reason }]);
  });

  it('accepts ordinary public and private addresses, v4 and v6', () => {
    for (const address of ['203.0.113.9', '10.1.2.3', '2001:db8::8', '::ffff:203.0.113.9']) {
      expect(extractKeys(event([{ address, role: 'actor', scope: 'public', namespace: '' }]), policy).keys.size).toBe(1);
    }
  });

  it('rejects flagged addresses and non-evidence identities, and lower-cases identity keys', () => {
    const keys = extractKeys(
      event(
        [{ address: '203.0.113.9', role: 'actor', scope: 'public', namespace: '', nonEvidence: true }],
        [
          { canonical: 'JDoe@Example.com', kind: 'email' },
          { canonical: 'config.amazonaws.com', kind: 'iam-role-session' },
          { canonical: 'arn:aws:sts::1:assumed-role/AWSServiceRoleForECS/x', kind: 'iam-role-session' },
          { canonical: 'deployer', kind: 'iam-role-session', servicePrincipal: true },
          { canonical: 'robot', kind: 'ad' },
        ],
      ),
      policy,
    );
    expect([...keys.keys.keys()]).toEqual(['id:jdoe@example.com']);
    expect(keys.identities).toEqual(['id:jdoe@example.com']);
    expect(keys.rejected.map((rejected) => rejected.reason)).toEqual([
      'flagged-non-evidence',
      'service-principal',
      'service-linked-role',
      'service-principal',
      'configured-non-evidence',
    ]);
  });

  it('refuses a malformed scanner allow-list entry at configuration time', () => {
    expect(() => compileKeyPolicy(parseCorrelationConfig({ scannerAllowList: ['10.0.0.0/33'] }))).toThrow(/scannerAllowList/);
  });
});
