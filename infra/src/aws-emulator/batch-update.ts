// BatchUpdateFindings: request validation and how an update changes one stored ASFF finding.
// Limits and enums from the Security Hub API reference (BatchUpdateFindings, NoteUpdate,
// SeverityUpdate, WorkflowUpdate); see README.md, "Fidelity".

import { z } from 'zod';
import type { AsffFinding } from './asff-fields';
import { securityHubErrors } from './errors';

const nonEmpty = z.string().regex(/\S/, 'must contain a non-blank character');
export const findingIdentifierSchema = z.object({ Id: nonEmpty, ProductArn: nonEmpty }).strict();
export type FindingIdentifier = z.infer<typeof findingIdentifierSchema>;

export const severityLabels = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const workflowStatuses = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] as const;
export const verificationStates = ['UNKNOWN', 'TRUE_POSITIVE', 'FALSE_POSITIVE', 'BENIGN_POSITIVE'] as const;

export const maxIdentifiersPerCall = 100;
export const maxNoteTextLength = 512;

export const batchUpdateRequestSchema = z
  .object({
    FindingIdentifiers: z.array(z.unknown()),
    Note: z.object({ Text: z.string().optional(), UpdatedBy: z.string().optional() }).strict().optional(),
    Severity: z
      .object({ Label: z.enum(severityLabels).optional(), Normalized: z.number().int().min(0).max(100).optional(), Product: z.number().optional() })
      .strict()
      .optional(),
    VerificationState: z.enum(verificationStates).optional(),
    Confidence: z.number().int().min(0).max(100).optional(),
    Criticality: z.number().int().min(0).max(100).optional(),
    Types: z.array(nonEmpty).max(50).optional(),
    UserDefinedFields: z.record(z.string(), z.string()).optional(),
    Workflow: z.object({ Status: z.enum(workflowStatuses).optional() }).strict().optional(),
    RelatedFindings: z.array(findingIdentifierSchema).max(10).optional(),
  })
  .strict();

export interface ValidatedUpdate {
  identifiers: FindingIdentifier[];
  request: z.infer<typeof batchUpdateRequestSchema>;
}

function invalid(message: string): never {
  throw securityHubErrors.invalidInput(message);
}

/** Whole-request checks: any failure rejects the call with InvalidInputException (400). */
export function validateBatchUpdate(body: unknown): ValidatedUpdate {
  const parsed = batchUpdateRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`Invalid parameter '${issue?.path.join('.') ?? 'request'}': ${issue?.message ?? 'invalid'}`);
  }
  const request = parsed.data;
  const count = request.FindingIdentifiers.length;
  if (count < 1 || count > maxIdentifiersPerCall) {
    invalid(`Invalid parameter 'FindingIdentifiers': the list must contain between 1 and ${maxIdentifiersPerCall} finding identifiers, not ${count}`);
  }
  const identifiers = request.FindingIdentifiers.map((raw, i) => {
    const one = findingIdentifierSchema.safeParse(raw);
    if (!one.success) invalid(`Invalid parameter 'FindingIdentifiers[${i}]': Id and ProductArn are required non-empty strings`);
    return one.data;
  });
  if (request.Note) {
    const { Text, UpdatedBy } = request.Note;
    if (Text === undefined || !/\S/.test(Text)) invalid("Invalid parameter 'Note.Text': Text is required when Note is given");
    if (UpdatedBy === undefined || !/\S/.test(UpdatedBy)) invalid("Invalid parameter 'Note.UpdatedBy': UpdatedBy is required when Note is given");
    if (Text.length > maxNoteTextLength) invalid(`Invalid parameter 'Note.Text': length ${Text.length} exceeds the maximum of ${maxNoteTextLength}`);
    if (UpdatedBy.length > maxNoteTextLength) invalid(`Invalid parameter 'Note.UpdatedBy': length ${UpdatedBy.length} exceeds the maximum of ${maxNoteTextLength}`);
  }
  return { identifiers, request };
}

/** Normalized score Security Hub assigns for a label set through BatchUpdateFindings. */
const normalizedForLabel: Readonly<Record<(typeof severityLabels)[number], number>> = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90 };

export function labelForNormalized(normalized: number): (typeof severityLabels)[number] {
  if (normalized >= 90) return 'CRITICAL';
  if (normalized >= 70) return 'HIGH';
  if (normalized >= 40) return 'MEDIUM';
  if (normalized >= 1) return 'LOW';
  return 'INFORMATIONAL';
}

export interface AppliedChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * Applies the update to a copy of `finding`. UpdatedAt is left alone, as the API reference says of
 * BatchUpdateFindings, unless `bumpUpdatedAt` is set (a test convenience; see README).
 */
export function applyUpdate(finding: AsffFinding, request: ValidatedUpdate['request'], nowIso: string, bumpUpdatedAt: boolean): { finding: AsffFinding; changes: AppliedChange[] } {
  const next = structuredClone(finding);
  const changes: AppliedChange[] = [];
  const set = (field: string, value: unknown) => {
    changes.push({ field, from: structuredClone(next[field]), to: structuredClone(value) });
    next[field] = value;
  };
  if (request.Note?.Text !== undefined && request.Note.UpdatedBy !== undefined) {
    set('Note', { Text: request.Note.Text, UpdatedBy: request.Note.UpdatedBy, UpdatedAt: nowIso });
  }
  if (request.Workflow?.Status !== undefined) set('Workflow', { ...(next['Workflow'] as object | undefined), Status: request.Workflow.Status });
  if (request.Severity) {
    const current = { ...((next['Severity'] as Record<string, unknown> | undefined) ?? {}) };
    const { Label, Normalized, Product } = request.Severity;
    if (Label !== undefined) {
      current['Label'] = Label;
      current['Normalized'] = Normalized ?? normalizedForLabel[Label];
    } else if (Normalized !== undefined) {
      current['Normalized'] = Normalized;
      current['Label'] = labelForNormalized(Normalized);
    }
    if (Product !== undefined) current['Product'] = Product;
    set('Severity', current);
  }
  if (request.VerificationState !== undefined) set('VerificationState', request.VerificationState);
  if (request.Confidence !== undefined) set('Confidence', request.Confidence);
  if (request.Criticality !== undefined) set('Criticality', request.Criticality);
  if (request.Types !== undefined) set('Types', [...request.Types]);
  if (request.RelatedFindings !== undefined) set('RelatedFindings', structuredClone(request.RelatedFindings));
  if (request.UserDefinedFields !== undefined) {
    set('UserDefinedFields', { ...((next['UserDefinedFields']) ?? {}), ...request.UserDefinedFields });
  }
  if (bumpUpdatedAt && changes.length > 0) set('UpdatedAt', nowIso);
  return { finding: next, changes };
}
