import { z } from 'zod';
import {
  actionKindSchema, avroDouble, avroInt, avroLong, list, mitreTechniqueSchema, nullable, score100,
  stringMap, timestampMs, unit,
} from './common';

export const verdictPhaseSchema = z.enum(['baseline', 'llm']);
export type VerdictPhase = z.infer<typeof verdictPhaseSchema>;

export const severitySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof severitySchema>;

export const ownerSchema = z.object({ team: z.string(), person: nullable(z.string()) });
export type Owner = z.infer<typeof ownerSchema>;

export const recommendedActionSchema = z.object({
  kind: actionKindSchema,
  target: z.string(),
  parameters: stringMap(z.string()),
  rationale: z.string(),
});
export type RecommendedAction = z.infer<typeof recommendedActionSchema>;

export const riskFactorSchema = z.object({
  name: z.string().min(1),
  points: avroDouble(),
  detail: z.string(),
});
export type RiskFactor = z.infer<typeof riskFactorSchema>;

export const modelInfoSchema = z.object({
  name: z.string().min(1),
  promptVersion: z.string().min(1),
  tokensIn: avroInt().nonnegative(),
  tokensOut: avroInt().nonnegative(),
  latencyMs: avroInt().nonnegative(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** Value of `verdicts`; mirrors avro/Verdict.avsc. The analytics contract. */
export const verdictSchema = z.object({
  incidentId: z.string().min(1),
  incidentVersion: avroLong().positive(),
  verdictVersion: avroLong().positive(),
  phase: verdictPhaseSchema,
  severity: severitySchema,
  riskScore: score100(),
  confidence: unit(),
  falsePositiveLikelihood: unit(),
  summary: z.string(),
  owner: ownerSchema,
  mitre: list(mitreTechniqueSchema),
  recommendedActions: list(recommendedActionSchema),
  evidence: list(z.string()),
  factors: list(riskFactorSchema),
  model: nullable(modelInfoSchema),
  decidedAt: timestampMs(),
});
export type Verdict = z.infer<typeof verdictSchema>;
