import { z } from 'zod';
import { actionKindSchema, avroInt, avroLong, nullable, stringMap, timestampMs } from './common';

export const actionStateSchema = z.enum([
  'proposed', 'approved', 'rejected', 'expired', 'executing', 'succeeded', 'failed', 'shadow', 'unknown',
]);
export type ActionState = z.infer<typeof actionStateSchema>;

export const verdictRefSchema = z.object({
  incidentId: z.string().min(1),
  incidentVersion: avroLong().positive(),
  verdictVersion: avroLong().positive(),
});
export type VerdictRef = z.infer<typeof verdictRefSchema>;

export const actionResultSchema = z.object({
  ok: z.boolean(),
  message: z.string(),
  externalId: nullable(z.string()),
});
export type ActionResult = z.infer<typeof actionResultSchema>;

/** Value of `actions`; mirrors avro/ActionRecord.avsc. */
export const actionRecordSchema = z.object({
  actionId: z.string().min(1),
  verdict: verdictRefSchema,
  kind: actionKindSchema,
  target: z.string(),
  parameters: stringMap(z.string()),
  state: actionStateSchema,
  sequence: avroInt().positive(),
  policyRule: z.string(),
  actor: z.string().min(1),
  at: timestampMs(),
  result: nullable(actionResultSchema),
});
export type ActionRecord = z.infer<typeof actionRecordSchema>;
