import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SCHEMA_NAMES, schemas } from '../src/catalogue';
import { AvroNames } from './support/avro-json';
import { diffAvroZod } from './support/avro-zod-walk';

describe('each zod validator matches its Avro schema field by field', () => {
  it.each(SCHEMA_NAMES)('%s', (name) => {
    const { avsc, validator } = schemas[name];
    expect(diffAvroZod(avsc, validator)).toEqual([]);
  });
});

describe('the parallel walk catches differences', () => {
  const avsc = {
    type: 'record', name: 'T', namespace: 'dev.seam.test', fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'int' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'sev', type: { type: 'enum', name: 'Sev', symbols: ['high', 'low'] } },
      { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
      { name: 'counts', type: { type: 'map', values: 'long' }, default: {} },
    ],
  };
  const good = {
    id: z.string(),
    n: z.int32(),
    at: z.int().meta({ avroLogicalType: 'timestamp-millis' }),
    note: z.string().nullable().default(null),
    sev: z.enum(['high', 'low']),
    tags: z.array(z.string()).default([]),
    counts: z.record(z.string(), z.int()).default({}),
  };

  it('accepts the matching validator', () => {
    expect(diffAvroZod(avsc, z.object(good))).toEqual([]);
  });

  it.each([
    ['a missing field', { ...good, n: undefined }, '$.n: Avro field missing from zod'],
    ['an extra field', { ...good, extra: z.string() }, '$.extra: zod field missing from Avro record'],
    ['long vs int', { ...good, n: z.int() }, '$.n: Avro int'],
    ['missing logical type', { ...good, at: z.int() }, '$.at: logicalType'],
    ['nullable without default', { ...good, note: z.string().nullable() }, '$.note: Avro default null but zod has none'],
    ['optional instead of nullable', { ...good, note: z.string().optional() }, '$.note: zod optional'],
    ['an enum symbol less', { ...good, sev: z.enum(['high']) }, '$.sev: enum dev.seam.test.Sev'],
    ['array of numbers', { ...good, tags: z.array(z.number()).default([]) }, '$.tags[]: Avro string'],
    ['map of strings', { ...good, counts: z.record(z.string(), z.string()).default({}) }, '$.counts{}: Avro long'],
    ['a different default', { ...good, tags: z.array(z.string()).default(['x']) }, '$.tags: default Avro []'],
  ])('reports %s', (_label, shape, expected) => {
    const defined = Object.fromEntries(Object.entries(shape).filter(([, v]) => v !== undefined)) as Record<string, z.ZodType>;
    const problems = diffAvroZod(avsc, z.object(defined));
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });
});

// Named types are repeated in each self-contained .avsc file (one subject, no references);
// every copy of a name must be the same definition, or the files have drifted apart.
describe('named types shared between files', () => {
  function namedTypes(schema: unknown): Map<string, unknown> {
    const found = new Map<string, unknown>();
    const names = new AvroNames();
    const visit = (node: unknown, namespace: string | undefined): void => {
      if (typeof node === 'string') return;
      const { node: n, namespace: ns } = names.node(node, namespace);
      switch (n.kind) {
        case 'record':
          found.set(n.fullName, n.json);
          for (const field of n.fields) visit(field.type, ns);
          return;
        case 'enum': found.set(n.fullName, n.json); return;
        case 'array': visit(n.items, ns); return;
        case 'map': visit(n.values, ns); return;
        case 'union': for (const b of n.branches) visit(b, ns); return;
        case 'primitive': return;
      }
    };
    visit(schema, undefined);
    return found;
  }

  it('are identical wherever they appear', () => {
    const seen = new Map<string, { file: string; json: unknown }>();
    const conflicts: string[] = [];
    for (const name of SCHEMA_NAMES) {
      for (const [fullName, json] of namedTypes(schemas[name].avsc)) {
        const first = seen.get(fullName);
        if (first === undefined) seen.set(fullName, { file: name, json });
        else if (!isDeepStrictEqual(first.json, json)) conflicts.push(`${fullName}: ${first.file} vs ${name}`);
      }
    }
    expect(conflicts).toEqual([]);
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['dev.seam.RawKind', 'dev.seam.SourceSystem', 'dev.seam.ActionKind', 'dev.seam.MitreTechnique']));
  });
});

describe('evolution hygiene of the .avsc files', () => {
  it('every nullable field defaults to null and every enum with an unknown symbol defaults to it', () => {
    const problems: string[] = [];
    const check = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((b, i) => { check(b, `${path}|${i}`); });
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'enum' && Array.isArray(record.symbols) && record.symbols.includes('unknown') && record.default !== 'unknown') {
        problems.push(`${path}: enum with an unknown symbol but no default`);
      }
      if (Array.isArray(record.fields)) {
        for (const field of record.fields as Record<string, unknown>[]) {
          if (Array.isArray(field.type) && field.type[0] === 'null' && field.default !== null) problems.push(`${path}.${String(field.name)}: nullable without default null`);
          check(field.type, `${path}.${String(field.name)}`);
        }
      }
      for (const key of ['items', 'values', 'type'] as const) if (key in record && typeof record[key] === 'object') check(record[key], path);
    };
    for (const name of SCHEMA_NAMES) check(schemas[name].avsc, name);
    expect(problems).toEqual([]);
  });
});
