import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAvsc } from '../src/avro';
import { SCHEMA_NAMES, schemas } from '../src/catalogue';
import { checkBackward, checkBackwardTransitive } from '../src/compatibility';

type Json = Record<string, unknown> & { fields: Record<string, unknown>[] };
const clone = (schema: object): Json => structuredClone(schema) as Json;
const verdict = (): Json => clone(schemas.Verdict.avsc);

describe('offline BACKWARD check (avsc resolver: new reader, old writer)', () => {
  it('accepts an unchanged schema', () => {
    expect(checkBackward(verdict(), verdict())).toEqual({ compatible: true });
  });

  it('accepts a new optional field with a null default', () => {
    const next = verdict();
    next.fields.push({ name: 'ticketUrl', type: ['null', 'string'], default: null });
    expect(checkBackward(next, verdict())).toEqual({ compatible: true });
  });

  it('accepts a new enum symbol', () => {
    const next = verdict();
    const phase = next.fields.find((f) => f.name === 'phase') as { type: { symbols: string[] } };
    phase.type.symbols.push('human');
    expect(checkBackward(next, verdict()).compatible).toBe(true);
  });

  it('rejects a new required field without a default', () => {
    const next = verdict();
    next.fields.push({ name: 'analyst', type: 'string' });
    const result = checkBackward(next, verdict());
    expect(result.compatible).toBe(false);
  });

  it('rejects removing an enum symbol when the enum has no default', () => {
    const next = verdict();
    const severity = next.fields.find((f) => f.name === 'severity') as { type: { symbols: string[] } };
    severity.type.symbols = severity.type.symbols.filter((s) => s !== 'info');
    expect(checkBackward(next, verdict()).compatible).toBe(false);
  });

  it('accepts removing a symbol from an enum that has a default (old data resolves to it)', () => {
    const next = clone(schemas.ActionRecord.avsc);
    const kind = next.fields.find((f) => f.name === 'kind') as { type: { symbols: string[] } };
    kind.type.symbols = kind.type.symbols.filter((s) => s !== 'notify');
    expect(checkBackward(next, schemas.ActionRecord.avsc).compatible).toBe(true);
  });

  it('rejects a type change that is not a promotion, and a rename', () => {
    const next = verdict();
    const score = next.fields.find((f) => f.name === 'riskScore');
    if (score) score.type = 'string';
    expect(checkBackward(next, verdict()).compatible).toBe(false);
    expect(checkBackward({ ...verdict(), name: 'Verdict2' }, verdict()).compatible).toBe(false);
  });

  it('accepts a promotion int -> long', () => {
    const next = verdict();
    const score = next.fields.find((f) => f.name === 'riskScore');
    if (score) score.type = 'long';
    expect(checkBackward(next, verdict()).compatible).toBe(true);
  });
});

// avro/released/<Name>.v<N>.avsc are the versions that have shipped. The current schema must read
// all of them (BACKWARD_TRANSITIVE), which is stricter than the registry's BACKWARD rule.
describe('current schemas read every released version', () => {
  const releasedDir = new URL('../avro/released/', import.meta.url);
  const released = readdirSync(releasedDir).filter((f) => f.endsWith('.avsc'));

  it.each(SCHEMA_NAMES)('%s', (name) => {
    const versions = released.filter((f) => f.startsWith(`${name}.v`)).sort().map((f) => readAvsc(f.replace(/\.avsc$/, ''), releasedDir));
    expect(versions.length).toBeGreaterThan(0);
    expect(checkBackwardTransitive(schemas[name].avsc, versions)).toEqual({ compatible: true });
  });
});
