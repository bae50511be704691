import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '@seam/kit';
import { authenticateBearer, parseApprovalTokens, parseSlackUsers, roleAllows } from '../../src/approvals/tokens';

const A = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7';
const B = 'f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6';

describe('parseApprovalTokens', () => {
  it('parses a tokens file into names, roles and Secrets', () => {
    const tokens = parseApprovalTokens([
      { name: 'alice', role: 'approver', token: A },
      { name: 'victor', role: 'viewer', token: B },
    ]);
    expect(tokens.map((t) => [t.name, t.role])).toEqual([
      ['alice', 'approver'],
      ['victor', 'viewer'],
    ]);
    expect(tokens[0]?.token).toBeInstanceOf(Secret);
    expect(tokens[0]?.token.reveal()).toBe(A);
    expect(JSON.stringify(tokens)).not.toContain(A);
    expect(inspect(tokens)).not.toContain(A);
  });

  it('refuses empty lists, short, trivial and duplicate tokens, unknown roles and extra fields, without echoing tokens', () => {
    const bad: unknown[] = [
      [],
      {},
      null,
      [{ name: 'alice', role: 'approver', token: 'short-token' }],
      [{ name: 'alice', role: 'approver', token: 'a'.repeat(40) }],
      [{ name: 'alice', role: 'approver', token: 'password'.repeat(5) }],
      [{ name: 'alice', role: 'approver', token: `${A} x` }],
      [{ name: 'alice', role: 'root', token: A }],
      [{ name: 'alice', role: 'approver', token: A, extra: 1 }],
      [{ name: '<b>alice</b>', role: 'approver', token: A }],
      [
        { name: 'alice', role: 'approver', token: A },
        { name: 'bob', role: 'admin', token: A },
      ],
      [
        { name: 'alice', role: 'approver', token: A },
        { name: 'alice', role: 'admin', token: B },
      ],
    ];
    for (const input of bad) {
      let message = '';
      try {
        parseApprovalTokens(input);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(input)).toMatch(/^invalid approvals tokens: /);
      expect(message).not.toContain(A);
      expect(message).not.toContain('password');
    }
  });

  it('allows one person two tokens with the same role (rotation)', () => {
    expect(parseApprovalTokens([{ name: 'alice', role: 'approver', token: A }, { name: 'alice', role: 'approver', token: B }])).toHaveLength(2);
  });
});

describe('authenticateBearer', () => {
  const tokens = parseApprovalTokens([
    { name: 'alice', role: 'approver', token: A },
    { name: 'victor', role: 'viewer', token: B },
  ]);
  it('finds the holder of a presented token and nothing else', () => {
    expect(authenticateBearer(`Bearer ${A}`, tokens)?.name).toBe('alice');
    expect(authenticateBearer(`bearer ${B}`, tokens)?.name).toBe('victor');
    for (const header of [undefined, '', A, `Bearer ${A.slice(0, -1)}`, `Bearer ${A}${A}`, `Basic ${A}`, 'Bearer ', `Bearer ${A} ${B}`]) {
      expect(authenticateBearer(header, tokens)).toBeUndefined();
    }
  });
});

describe('roles and Slack users', () => {
  it('orders viewer < approver < admin', () => {
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'approver')).toBe(false);
    expect(roleAllows('approver', 'approver')).toBe(true);
    expect(roleAllows('approver', 'admin')).toBe(false);
    expect(roleAllows('admin', 'approver')).toBe(true);
  });

  it('parses the Slack user map and never resolves prototype keys', () => {
    const users = parseSlackUsers({ U0123ABCD: { name: 'alice', role: 'approver' } });
    expect(users['U0123ABCD']).toEqual({ name: 'alice', role: 'approver' });
    expect(users['constructor']).toBeUndefined();
    expect(() => parseSlackUsers({ 'not an id': { name: 'alice', role: 'approver' } })).toThrow(/invalid Slack users/);
    expect(() => parseSlackUsers({ U0123ABCD: { name: 'alice', role: 'god' } })).toThrow(/invalid Slack users/);
  });
});
