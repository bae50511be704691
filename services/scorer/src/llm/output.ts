import { z } from 'zod';
import { severitySchema } from '@seam/schemas/records/verdict';

/**
 * Reason codes the model may give. A closed list: free text from the model never reaches the
 * verdict (it could carry whatever an injected instruction asked for), only these codes do.
 */
export const REASON_CODES = [
  'corroborated-across-sources', 'critical-asset-targeted', 'exploitable-vulnerability',
  'malicious-intel', 'privileged-identity', 'credential-misuse', 'lateral-movement',
  'data-exfiltration', 'persistence', 'reconnaissance', 'defense-evasion', 'prompt-injection-attempt',
  'known-benign-automation', 'scanner-noise', 'insufficient-evidence', 'isolated-low-signal',
] as const;
export const reasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof reasonCodeSchema>;

/** What the model must answer. Bounds are checked by zod; the JSON schema carries the shape. */
export const refinementOutputSchema = z.strictObject({
  severity: severitySchema,
  riskScore: z.int().min(0).max(100),
  confidence: z.number().min(0).max(1),
  falsePositiveLikelihood: z.number().min(0).max(1),
  reasons: z.array(reasonCodeSchema).min(1).max(3),
  evidence: z.array(z.string().min(1).max(300)).min(1).max(25),
  /** Kept in the audit record only, never in the verdict. */
  analysis: z.string().max(400),
});
export type RefinementOutput = z.infer<typeof refinementOutputSchema>;

export const REFINEMENT_SCHEMA_NAME = 'incident_refinement';

/**
 * The strict JSON schema sent as `response_format`. OpenAI's strict mode wants every property
 * required and `additionalProperties: false`; zod's strictObject gives both.
 */
export function refinementJsonSchema(memberIds?: readonly string[]): Record<string, unknown> {
  const evidence = memberIds === undefined || memberIds.length === 0
    ? z.array(z.string().min(1).max(300)).min(1).max(25)
    // Constrains decoding (llama.cpp grammars, strict mode) to real ids; zod still checks them.
    : z.array(z.enum(memberIds as [string, ...string[]])).min(1).max(Math.min(25, memberIds.length));
  const shape = refinementOutputSchema.extend({ evidence });
  const schema = z.toJSONSchema(shape, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

export type ParsedOutput =
  | { readonly ok: true; readonly value: RefinementOutput }
  | { readonly ok: false; readonly error: string };

/** Parses and validates the model's text; never throws. */
export function parseRefinementOutput(text: string | null): ParsedOutput {
  if (text === null || text.trim() === '') return { ok: false, error: 'empty output' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'output is not JSON' };
  }
  const parsed = refinementOutputSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, error: `schema violation: ${issues.join('; ')}`.slice(0, 500) };
  }
  return { ok: true, value: parsed.data };
}
