import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCHEMA_NAMES, schemas } from '../src/catalogue';
import { fixtures } from './fixtures/records';
import { avroArbitrary } from './support/avro-arbitrary';

// Issues that come from the semantic checks zod adds on top of the Avro shape (ranges, non-empty
// ids, a sha256 pattern). Anything else (invalid_type, invalid_value, unrecognized_keys, ...)
// would mean the zod shape rejects a value Avro accepts.
const SEMANTIC_ISSUES = new Set(['too_small', 'too_big', 'invalid_format', 'not_multiple_of']);

describe.each(SCHEMA_NAMES)('%s', (name) => {
  const { type, validator, avsc } = schemas[name];

  it('every Avro-valid value (fast-check, derived from the .avsc) has a zod-valid shape and round-trips', () => {
    fc.assert(
      fc.property(avroArbitrary(avsc), (value) => {
        expect(type.isValid(value)).toBe(true);
        expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
        const result = validator.safeParse(value);
        if (result.success) expect(result.data).toEqual(value);
        else expect(result.error.issues.filter((issue) => !SEMANTIC_ISSUES.has(issue.code))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('values from avsc type.random() have a zod-valid shape', () => {
    for (let i = 0; i < 100; i += 1) {
      const result = validator.safeParse(type.random());
      if (!result.success) expect(result.error.issues.filter((issue) => !SEMANTIC_ISSUES.has(issue.code))).toEqual([]);
    }
  });

  it.each(fixtures[name].map((fixture, index) => [index, fixture] as const))('fixture #%i passes zod, Avro and round-trips', (_index, fixture) => {
    const record: unknown = validator.parse(fixture);
    const errors: string[] = [];
    const valid = type.isValid(record, { errorHook: (path) => errors.push(path.join('.')) });
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
    const decoded: unknown = type.fromBuffer(type.toBuffer(record));
    expect(decoded).toEqual(record);
    expect(validator.parse(decoded)).toEqual(record);
  });

  it('zod rejects a record with a required field missing or mistyped', () => {
    const first = fixtures[name][0];
    const record = validator.parse(first) as Record<string, unknown>;
    const required = (avsc.fields as { name: string; default?: unknown }[]).find((f) => !('default' in f));
    if (required === undefined) return;
    const { [required.name]: _dropped, ...without } = record;
    expect(validator.safeParse(without).success).toBe(false);
    expect(type.isValid(without)).toBe(false);
    expect(validator.safeParse({ ...record, [required.name]: Symbol('x') }).success).toBe(false);
  });
});
