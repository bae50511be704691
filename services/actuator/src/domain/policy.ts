/**
 * The actuation policy: a zod-validated document (config/policy.json) and the pure decision that
 * turns a candidate action into shadow / execute / propose / deny. No I/O here.
 */
import { z } from 'zod';
import type { ActionKindName, Role } from '../approvals/backend';

export const ACTION_KINDS = [
  'qradar.note', 'qradar.assign', 'qradar.close', 'qradar.reference_set', 'securityhub.update', 'ssm.automation', 'notify',
] as const satisfies readonly ActionKindName[];

const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityName = (typeof severities)[number];
export const severityRank = (s: string): number => severities.indexOf(s as SeverityName);

const subjectList = z.object({
  accounts: z.array(z.string().min(1)).default([]),
  instanceIds: z.array(z.string().min(1)).default([]),
  assetTags: z.array(z.string().min(1)).default([]),
  identities: z.array(z.string().min(1)).default([]),
}).strict();

const editableSchema = z.object({
  allowed: z.array(z.string()).min(1).optional(),
  pattern: z.string().min(1).refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, 'not a valid regular expression').optional(),
  maxLength: z.number().int().positive().optional(),
}).strict();

const kindPolicySchema = z.object({
  phase: z.enum(['shadow', 'assist', 'auto']),
  /** Conditions for executing without approval in the auto phase (all must hold). */
  auto: z.object({
    minSeverity: z.enum(severities).default('high'),
    minConfidence: z.number().min(0).max(1).default(0.8),
    /** When non-empty, one of the verdict's MITRE tactics must be listed. */
    tactics: z.array(z.string().min(1)).default([]),
  }).strict().default({ minSeverity: 'high', minConfidence: 0.8, tactics: [] }),
  approvers: z.object({
    count: z.number().int().min(1).max(10),
    role: z.enum(['approver', 'admin']),
  }).strict().optional(),
  approvalTimeoutMs: z.number().int().positive().optional(),
  /** At most `max` automatic executions of this kind per `windowMs`; over it, the action is proposed instead. */
  rateLimit: z.object({ max: z.number().int().min(0), windowMs: z.number().int().positive() }).strict().optional(),
  /** Parameters an approver may edit, with their bounds; any other parameter is read-only. */
  editable: z.record(z.string().min(1), editableSchema).default({}),
}).strict();
export type KindPolicy = z.output<typeof kindPolicySchema>;

export const policySchema = z.object({
  version: z.literal(1),
  defaults: z.object({
    approvers: z.object({ count: z.number().int().min(1).max(10), role: z.enum(['approver', 'admin']) }).strict(),
    approvalTimeoutMs: z.number().int().positive(),
  }).strict(),
  /** When a list is non-empty, only subjects on it may be touched (automatically or not). */
  allow: subjectList.default({ accounts: [], instanceIds: [], assetTags: [], identities: [] }),
  /** Subjects that are never touched. */
  deny: subjectList.default({ accounts: [], instanceIds: [], assetTags: [], identities: [] }),
  actions: z.object(Object.fromEntries(ACTION_KINDS.map((k) => [k, kindPolicySchema])) as Record<ActionKindName, typeof kindPolicySchema>).strict(),
  qradar: z.object({
    /** qradar.close is allowed only for a verdict at least this likely to be a false positive. */
    closeMinFalsePositiveLikelihood: z.number().min(0).max(1),
    /** Reference set that receives the AI criticality of every QRadar offense at or above minSeverity. */
    referenceSet: z.object({ name: z.string().min(1).max(255), minSeverity: z.enum(severities) }).strict().optional(),
  }).strict(),
  ssm: z.object({ documents: z.array(z.string().min(1)).min(1) }).strict(),
  notify: z.object({ minSeverity: z.enum(severities) }).strict(),
}).strict();
export type Policy = z.output<typeof policySchema>;

/** Parses policy text (JSON); the error message names the offending field(s). */
export function parsePolicy(text: string): { ok: true; policy: Policy } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `policy is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    return { ok: false, message: `invalid policy: ${problems.join('; ')}` };
  }
  return { ok: true, policy: parsed.data };
}

/** What the action would touch, as far as the verdict and the executor's lookups tell. */
export interface Subjects {
  readonly accounts: readonly string[];
  readonly instanceIds: readonly string[];
  readonly assetTags: readonly string[];
  readonly identities: readonly string[];
}

export interface VerdictFacts {
  readonly severity: string;
  readonly confidence: number;
  readonly falsePositiveLikelihood: number;
  readonly tactics: readonly string[];
}

export type Decision =
  | { readonly disposition: 'shadow'; readonly rule: string }
  | { readonly disposition: 'deny'; readonly rule: string; readonly reason: string }
  | { readonly disposition: 'execute'; readonly rule: string }
  | { readonly disposition: 'propose'; readonly rule: string; readonly approvers: { count: number; role: Role }; readonly expiresAt: number };

const subjectKeys = ['accounts', 'instanceIds', 'assetTags', 'identities'] as const;

/** The first deny / allow-list rule the subjects break, or null. */
export function subjectViolation(policy: Policy, subjects: Subjects): { rule: string; reason: string } | null {
  for (const key of subjectKeys) {
    const denied = subjects[key].find((value) => policy.deny[key].includes(value));
    if (denied !== undefined) return { rule: `deny.${key}`, reason: `${key} ${denied} is on the deny list` };
  }
  for (const key of subjectKeys) {
    if (policy.allow[key].length === 0) continue;
    const outside = subjects[key].find((value) => !policy.allow[key].includes(value));
    if (outside !== undefined) return { rule: `allow.${key}`, reason: `${key} ${outside} is not on the allow list` };
  }
  return null;
}

export interface DecideInput {
  readonly kind: ActionKindName;
  readonly verdict: VerdictFacts;
  readonly subjects: Subjects;
  readonly now: number;
  /** Automatic executions of this kind already counted in the current rate-limit window. */
  readonly autoExecutionsInWindow: number;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Pure decision for one candidate. Order: deny/allow lists (never touched, whatever the phase,
 * except shadow which touches nothing) → kind-specific guards → phase.
 */
export function decide(policy: Policy, input: DecideInput): Decision {
  const kindPolicy = policy.actions[input.kind];
  if (kindPolicy.phase === 'shadow') return { disposition: 'shadow', rule: `${input.kind}.phase=shadow` };
  const violation = subjectViolation(policy, input.subjects);
  if (violation) return { disposition: 'deny', rule: violation.rule, reason: violation.reason };
  if (input.kind === 'qradar.close' && input.verdict.falsePositiveLikelihood < policy.qradar.closeMinFalsePositiveLikelihood) {
    return {
      disposition: 'deny',
      rule: 'qradar.closeMinFalsePositiveLikelihood',
      reason: `false-positive likelihood ${input.verdict.falsePositiveLikelihood} is below ${policy.qradar.closeMinFalsePositiveLikelihood}`,
    };
  }
  if (input.kind === 'ssm.automation') {
    const document = input.parameters['DocumentName'] ?? '';
    if (!policy.ssm.documents.includes(document)) return { disposition: 'deny', rule: 'ssm.documents', reason: `automation document ${document} is not allowed` };
  }
  if (input.kind === 'notify' && severityRank(input.verdict.severity) < severityRank(policy.notify.minSeverity)) {
    return { disposition: 'deny', rule: 'notify.minSeverity', reason: `severity ${input.verdict.severity} is below ${policy.notify.minSeverity}` };
  }
  const propose = (rule: string): Decision => ({
    disposition: 'propose',
    rule,
    approvers: kindPolicy.approvers ?? policy.defaults.approvers,
    expiresAt: input.now + (kindPolicy.approvalTimeoutMs ?? policy.defaults.approvalTimeoutMs),
  });
  const rateLimited = kindPolicy.rateLimit !== undefined && input.autoExecutionsInWindow >= kindPolicy.rateLimit.max;
  if (kindPolicy.phase === 'assist') {
    if (input.kind === 'qradar.note') return rateLimited ? propose(`${input.kind}.rateLimit`) : { disposition: 'execute', rule: 'qradar.note.phase=assist' };
    return propose(`${input.kind}.phase=assist`);
  }
  const auto = kindPolicy.auto;
  if (severityRank(input.verdict.severity) < severityRank(auto.minSeverity)) return propose(`${input.kind}.auto.minSeverity`);
  if (input.verdict.confidence < auto.minConfidence) return propose(`${input.kind}.auto.minConfidence`);
  if (auto.tactics.length > 0 && !input.verdict.tactics.some((t) => auto.tactics.includes(t))) return propose(`${input.kind}.auto.tactics`);
  if (rateLimited) return propose(`${input.kind}.rateLimit`);
  return { disposition: 'execute', rule: `${input.kind}.phase=auto` };
}

/** Checks an approver's parameter edit against the policy's bounds; returns the problem or null. */
export function checkEdit(kindPolicy: KindPolicy, current: Readonly<Record<string, string>>, changes: Readonly<Record<string, string>>): string | null {
  for (const [name, value] of Object.entries(changes)) {
    const bounds = kindPolicy.editable[name];
    if (bounds === undefined) return `parameter ${name} is not editable`;
    if (!(name in current)) return `parameter ${name} does not exist on this action`;
    if (bounds.allowed !== undefined && !bounds.allowed.includes(value)) return `parameter ${name} must be one of ${bounds.allowed.join(', ')}`;
    if (bounds.pattern !== undefined && !new RegExp(`^(?:${bounds.pattern})$`).test(value)) return `parameter ${name} does not match the allowed pattern`;
    if (bounds.maxLength !== undefined && value.length > bounds.maxLength) return `parameter ${name} is longer than ${bounds.maxLength}`;
  }
  return null;
}

/** Which rate-limit window a time falls in (fixed windows). */
export const rateWindow = (now: number, windowMs: number): number => Math.floor(now / windowMs);

export const roleSatisfies = (have: Role, need: Role): boolean => have === 'admin' || (have === 'approver' && need === 'approver');
