import { z } from 'zod';

// Builders that mirror Avro constructs one-to-one, so the parallel walk in
// test/structure.test.ts can prove each zod validator matches its .avsc file:
//   Avro int  -> z.int32()          Avro long -> z.int() (safe integer; avsc decodes longs to numbers)
//   Avro field default null / [] / {} -> ZodDefault with the same value
//   Avro timestamp-millis -> z.int() tagged with meta { avroLogicalType }
// Range checks (0-100, 0-1, 1-5) are semantic constraints zod adds on top of the Avro shape.

export const avroInt = (): z.ZodNumber => z.int32();
// avsc encodes longs through doubles: beyond ±2^52 the zigzag encoding loses precision
// (found by the property test), so zod bounds longs to what round-trips.
export const AVRO_LONG_LIMIT = 2 ** 52;
export const avroLong = (): z.ZodNumber => z.int().min(-AVRO_LONG_LIMIT).max(AVRO_LONG_LIMIT);
export const avroDouble = (): z.ZodNumber => z.number();

/** Epoch milliseconds (Avro long, logicalType timestamp-millis). Kept as a number, never a Date. */
export const timestampMs = (): z.ZodNumber =>
  avroLong().nonnegative().meta({ avroLogicalType: 'timestamp-millis' });

/** Avro `["null", T]` with `"default": null`. */
export const nullable = <T extends z.ZodType>(inner: T) => inner.nullable().default(null);

/** Avro array with `"default": []`. */
export const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

/** Avro map with `"default": {}`. */
export const stringMap = <T extends z.ZodType>(value: T) => z.record(z.string(), value).default({});

/** Avro bytes, represented as a Node Buffer (what avsc decodes to). */
export const avroBytes = (): z.ZodCustom<Buffer, Buffer> =>
  z.instanceof(Buffer).meta({ avroType: 'bytes' });

// Enums shared by several records. Avro symbols must match [A-Za-z_][A-Za-z0-9_]*, so DESIGN's
// dotted and dashed names (qradar.note, iam-user) are spelled with '_' (see design-names.ts).

export const sourceSystemSchema = z.enum(['qradar', 'securityhub', 'guardduty', 'cloudtrail', 'unknown']);
export type SourceSystem = z.infer<typeof sourceSystemSchema>;

export const rawKindSchema = z.enum([
  'qradar_offense', 'securityhub_finding', 'guardduty_finding', 'cloudtrail_event', 'unknown',
]);
export type RawKind = z.infer<typeof rawKindSchema>;

export const arrivalSchema = z.enum(['poll', 'webhook', 'eventbridge', 'file', 'unknown']);
export type Arrival = z.infer<typeof arrivalSchema>;

export const roleSchema = z.enum(['actor', 'target']);
export type Role = z.infer<typeof roleSchema>;

export const keyKindSchema = z.enum(['ip', 'identity', 'unknown']);
export type KeyKind = z.infer<typeof keyKindSchema>;

export const actionKindSchema = z.enum([
  'qradar_note', 'qradar_assign', 'qradar_close', 'qradar_reference_set',
  'securityhub_update', 'ssm_automation', 'notify', 'unknown',
]);
export type ActionKind = z.infer<typeof actionKindSchema>;

export const mitreTechniqueSchema = z.object({
  tactic: nullable(z.string()),
  technique: nullable(z.string()),
  name: nullable(z.string()),
});
export type MitreTechnique = z.infer<typeof mitreTechniqueSchema>;

/** Source severity and risk score scale. */
export const score100 = (): z.ZodNumber => avroInt().min(0).max(100);
/** A probability-like value. */
export const unit = (): z.ZodNumber => avroDouble().min(0).max(1);
