import { z } from 'zod';
import { avroInt, avroLong, nullable, timestampMs } from './common';

export const inferenceOutcomeSchema = z.enum([
  'ok', 'cache_hit', 'invalid_output', 'invented_evidence', 'guardrail_clamped', 'timeout',
  'rate_limited', 'server_error', 'budget_exhausted', 'error', 'unknown',
]);
export type InferenceOutcome = z.infer<typeof inferenceOutcomeSchema>;

/** Value of `llm.audit`; mirrors avro/LlmInference.avsc. */
export const llmInferenceSchema = z.object({
  inferenceId: z.string().min(1),
  incidentId: z.string().min(1),
  incidentVersion: avroLong().positive(),
  promptVersion: z.string().min(1),
  model: z.string().min(1),
  inputHash: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 hex'),
  output: nullable(z.string()),
  tokensIn: avroInt().nonnegative(),
  tokensOut: avroInt().nonnegative(),
  latencyMs: avroInt().nonnegative(),
  attempt: avroInt().positive(),
  outcome: inferenceOutcomeSchema,
  error: nullable(z.string()),
  at: timestampMs(),
});
export type LlmInference = z.infer<typeof llmInferenceSchema>;
