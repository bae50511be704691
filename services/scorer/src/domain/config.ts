import { z } from 'zod';
import { sourceSystemSchema } from '@seam/schemas/records/common';
import { severitySchema } from '@seam/schemas/records/verdict';
import { parseCidr } from './ip';
import { parseClock } from './time-window';

// The risk model's tunables as data (config/risk-model.default.json). Validated once at load; the
// scoring path only reads the compiled form (model.ts), never this raw shape.

const points = z.number().finite().min(-100).max(100);
const positivePoints = z.number().finite().min(0).max(100);
const likelihood = z.number().min(0).max(1);
const glob = z.string().min(1).max(200);
const clock = z.string().refine((value) => parseClock(value) !== null, 'expected HH:MM (00:00-24:00)');
const cidr = z.string().refine((value) => parseCidr(value) !== null, 'expected an IPv4/IPv6 address or CIDR');
const weekday = z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);

const patternBase = {
  /** Named in the factor (`known-fp:<name>`) and in the close proposal. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case kebab name, at most 64 characters'),
  /** Negative contribution when every member matches; scaled by the fraction of members that do. */
  points: z.number().finite().min(-100).max(0),
  /** How strongly a full match suggests a false positive (0-1). */
  likelihood,
  /** Restrict the pattern to these sources; empty means every source. */
  sources: z.array(sourceSystemSchema).default([]),
  /** QRadar closing reason proposed when this pattern explains the whole incident. */
  closingReason: z.string().min(1).max(100).default('Non-Issue'),
  description: z.string().max(300).default(''),
};

export const falsePositivePatternSchema = z.discriminatedUnion('kind', [
  z.object({ ...patternBase, kind: z.literal('scanner'), cidrs: z.array(cidr).min(1) }),
  z.object({ ...patternBase, kind: z.literal('service-account'), identities: z.array(glob).min(1) }),
  z.object({
    ...patternBase,
    kind: z.literal('scheduled-job'),
    titles: z.array(glob).min(1),
    /** Optional: the job's run-as identities; empty means any identity. */
    identities: z.array(glob).default([]),
    window: z.object({
      days: z.array(weekday).default(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
      start: clock,
      end: clock,
      /** Offset of the job's clock from UTC, e.g. 60 for CET. */
      utcOffsetMinutes: z.int().min(-14 * 60).max(14 * 60).default(0),
    }),
  }),
  z.object({ ...patternBase, kind: z.literal('benign-user-agent'), userAgents: z.array(glob).min(1) }),
]);
export type FalsePositivePattern = z.infer<typeof falsePositivePatternSchema>;
export type FalsePositivePatternKind = FalsePositivePattern['kind'];

const thresholdsSchema = z.object({
  critical: z.int().min(0).max(100),
  high: z.int().min(0).max(100),
  medium: z.int().min(0).max(100),
  low: z.int().min(0).max(100),
}).refine((t) => t.critical > t.high && t.high > t.medium && t.medium > t.low && t.low > 0,
  'thresholds must satisfy 100 >= critical > high > medium > low > 0');

export const riskModelConfigSchema = z.object({
  version: z.string().min(1).max(40),
  weights: z.object({
    /** points = maxSourceSeverity * sourceSeverity. */
    sourceSeverity: z.number().min(0).max(1),
    /** Each member beyond the first at or above `spreadThreshold` adds `perMember`, up to `max`. */
    severitySpread: z.object({ threshold: z.number().min(0).max(100), perMember: positivePoints, max: positivePoints }),
    /** Points by the highest criticality (1-5) of a targeted asset. */
    assetCriticality: z.tuple([positivePoints, positivePoints, positivePoints, positivePoints, positivePoints]),
    /** An exploitable vulnerability on a targeted asset: max * max(minFraction, cvss/10). */
    exploitableVulnerability: z.object({ max: positivePoints, minFraction: z.number().min(0).max(1) }),
    /** Threat intel: weight * score/100 (score null counts as 100) of the strongest hit. */
    threatIntel: z.object({ malicious: positivePoints, suspicious: positivePoints }),
    privilegedIdentity: positivePoints,
    internetExposure: positivePoints,
    hybridLink: positivePoints,
    /** Each distinct ATT&CK tactic beyond the first adds `per`, up to `max`. */
    tacticDiversity: z.object({ per: positivePoints, max: positivePoints }),
    /** Each distinct source beyond the first adds `per`, up to `max`. */
    sourceDiversity: z.object({ per: positivePoints, max: positivePoints }),
    lateMembers: points,
    hotKeys: points,
  }),
  thresholds: thresholdsSchema,
  /** Minimum severity for an incident whose targeted assets include one at `criticality`. */
  criticalAssetFloor: z.object({ criticality: z.int().min(1).max(5), severity: severitySchema }),
  confidence: z.object({
    base: likelihood,
    perExtraSource: likelihood,
    perExtraMember: likelihood,
    maxCorroboration: likelihood,
    enrichmentHit: likelihood,
    perMissingProvider: likelihood,
    maxMissingPenalty: likelihood,
    perUnavailableEvent: likelihood,
    late: likelihood,
    fullPatternMatch: likelihood,
    min: likelihood,
    max: likelihood,
  }),
  falsePositive: z.object({
    /** Prior likelihood before any pattern; combined as 1 - (1-prior) * prod(1 - l_i * coverage_i). */
    prior: likelihood,
    /** Multiplier applied when a threat-intel feed calls an indicator malicious. */
    maliciousIntelFactor: likelihood,
  }),
  privileged: z.object({
    /** Case-insensitive globs on the canonical and raw identity (e.g. root, *admin*). */
    namePatterns: z.array(glob),
  }),
  falsePositivePatterns: z.array(falsePositivePatternSchema).default([]),
  routing: z.object({
    /** Team per SecurityEvent category (kebab-case), used when no targeted asset names a team. */
    byCategory: z.record(z.string(), z.string().min(1).max(100)).default({}),
    default: z.string().min(1).max(100),
  }),
  actions: z.object({
    /** Chat channel for critical verdicts. */
    notifyChannel: z.string().min(1).max(200),
    /** Severities at and above which `notify` is proposed. */
    notifyAtOrAbove: severitySchema,
    containDocument: z.string().min(1).max(128),
    containAtOrAbove: severitySchema,
    maxContainments: z.int().min(0).max(20),
    /** qradar.close is proposed when falsePositiveLikelihood and confidence reach these. */
    closeMinFalsePositiveLikelihood: likelihood,
    closeMinConfidence: likelihood,
    /** ...and the severity is at most this. */
    closeAtOrBelow: severitySchema,
    noteMaxLength: z.int().min(64).max(4000),
  }),
  summary: z.object({ maxTitleLength: z.int().min(8).max(200), maxLength: z.int().min(80).max(2000) }),
}).superRefine((config, ctx) => {
  const seen = new Set<string>();
  for (const [index, pattern] of config.falsePositivePatterns.entries()) {
    if (seen.has(pattern.name)) {
      ctx.addIssue({ code: 'custom', path: ['falsePositivePatterns', index, 'name'], message: `duplicate pattern name ${pattern.name}` });
    }
    seen.add(pattern.name);
  }
  if (config.confidence.min > config.confidence.max) {
    ctx.addIssue({ code: 'custom', path: ['confidence', 'min'], message: 'min must not exceed max' });
  }
});
export type RiskModelConfig = z.infer<typeof riskModelConfigSchema>;

export class RiskModelConfigError extends Error {
  override readonly name = 'RiskModelConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`invalid risk model config: ${issues.join('; ')}`);
  }
}

/** Validates already-parsed JSON (the caller reads the file); throws RiskModelConfigError. */
export function parseRiskModelConfig(json: unknown): RiskModelConfig {
  const result = riskModelConfigSchema.safeParse(json);
  if (result.success) return result.data;
  throw new RiskModelConfigError(
    result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
  );
}
