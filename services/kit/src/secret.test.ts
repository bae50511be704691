import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from './secret';

describe('Secret', () => {
  it('reveals only on demand', () => {
    const s = new Secret('hunter2');
    expect(s.reveal()).toBe('hunter2');
    expect(JSON.stringify({ s })).toBe('{"s":"[REDACTED]"}');
    expect(inspect({ s })).not.toContain('hunter2');
    expect(`${String(s)}`).toBe('[REDACTED]');
  });
});
