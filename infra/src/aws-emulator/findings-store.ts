// Security Hub state: ASFF findings keyed by (ProductArn, Id), with the history of customer updates.
// BatchImportFindings (provider side), BatchUpdateFindings (customer side) and GetFindings live here.

import { findingKey, parseTime, type AsffFinding } from './asff-fields';
import { applyUpdate, validateBatchUpdate, type AppliedChange, type FindingIdentifier } from './batch-update';
import { securityHubErrors } from './errors';
import { getFindingsRequestSchema, pageFindings, type FindingsPage } from './get-findings';

export interface FindingHistoryEntry {
  at: string;
  source: 'BatchImportFindings' | 'BatchUpdateFindings';
  changes: AppliedChange[];
}

interface StoredFinding {
  finding: AsffFinding;
  history: FindingHistoryEntry[];
  /** Top-level fields set by BatchUpdateFindings: a later provider import does not overwrite them. */
  customerFields: Set<string>;
}

export interface UnprocessedFinding {
  FindingIdentifier: FindingIdentifier;
  ErrorCode: string;
  ErrorMessage: string;
}

export interface BatchUpdateResult {
  ProcessedFindings: FindingIdentifier[];
  UnprocessedFindings: UnprocessedFinding[];
}

export interface BatchImportResult {
  FailedCount: number;
  SuccessCount: number;
  FailedFindings: { Id: string; ErrorCode: string; ErrorMessage: string }[];
}

export interface FindingsStoreOptions {
  /** Set UpdatedAt on BatchUpdateFindings (the real service does not; off by default). */
  batchUpdateBumpsUpdatedAt?: boolean;
}

/** Partial failures injected for BatchUpdateFindings: finding Id -> ErrorCode. */
export type InjectedUnprocessed = ReadonlyMap<string, string>;

/** Required top-level ASFF attributes for BatchImportFindings (AwsSecurityFinding, "Required: Yes"). */
const requiredAttributes = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'CreatedAt', 'UpdatedAt', 'Title', 'Description', 'Resources'] as const;

/** Messages the API reference lists for BatchUpdateFindingsUnprocessedFinding.ErrorCode values. */
export const unprocessedMessages: Readonly<Record<string, string>> = {
  ConcurrentUpdateError: 'Concurrent finding updates detected',
  DuplicatedFindingIdentifier: 'Finding Identifier is duplicated',
  FindingNotFound: 'Finding Not Found',
  FindingSizeExceeded: 'Finding size exceeded 240 KB',
  InternalFailure: 'Internal service failure',
  InvalidInput: 'Invalid Input',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why a finding does not adhere to ASFF (the checks the emulator makes), or undefined. */
export function asffProblem(finding: unknown): string | undefined {
  if (!isObject(finding)) return 'data should be object';
  for (const name of requiredAttributes) {
    if (finding[name] === undefined) return `data should have required property '${name}'`;
  }
  for (const name of ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Title', 'Description'] as const) {
    if (typeof finding[name] !== 'string' || finding[name].trim() === '') return `data.${name} should be a non-empty string`;
  }
  if (!/^\d{12}$/.test(finding['AwsAccountId'] as string)) return 'data.AwsAccountId should match pattern "^\\d{12}$"';
  for (const name of ['CreatedAt', 'UpdatedAt'] as const) {
    if (parseTime(finding[name]) === undefined) return `data.${name} should match format "date-time"`;
  }
  const resources = finding['Resources'];
  if (!Array.isArray(resources) || resources.length < 1 || resources.length > 32) return 'data.Resources should have between 1 and 32 items';
  if ((finding['Title'] as string).length > 256) return 'data.Title should NOT be longer than 256 characters';
  if ((finding['Description'] as string).length > 1024) return 'data.Description should NOT be longer than 1024 characters';
  return undefined;
}

export class FindingsStore {
  private readonly findings = new Map<string, StoredFinding>();
  batchUpdateBumpsUpdatedAt: boolean;

  constructor(options: FindingsStoreOptions = {}) {
    this.batchUpdateBumpsUpdatedAt = options.batchUpdateBumpsUpdatedAt ?? false;
  }

  count(): number {
    return this.findings.size;
  }

  clear(): void {
    this.findings.clear();
  }

  /** Copies of every stored finding (insertion order). */
  all(): AsffFinding[] {
    return [...this.findings.values()].map((s) => structuredClone(s.finding));
  }

  get(productArn: string, id: string): AsffFinding | undefined {
    const stored = this.findings.get(findingKey(productArn, id));
    return stored ? structuredClone(stored.finding) : undefined;
  }

  history(productArn: string, id: string): FindingHistoryEntry[] {
    return structuredClone(this.findings.get(findingKey(productArn, id))?.history ?? []);
  }

  /** BatchImportFindings: 1..100 findings; each valid one is created or replaced (customer fields kept). */
  import(body: unknown, now: Date): BatchImportResult {
    const findings = isObject(body) ? body['Findings'] : undefined;
    if (!Array.isArray(findings)) throw securityHubErrors.invalidInput("Invalid parameter 'Findings': Findings is required");
    if (findings.length < 1 || findings.length > 100) {
      throw securityHubErrors.invalidInput(`Invalid parameter 'Findings': the list must contain between 1 and 100 findings, not ${findings.length}`);
    }
    const result: BatchImportResult = { FailedCount: 0, SuccessCount: 0, FailedFindings: [] };
    for (const raw of findings) {
      const problem = asffProblem(raw);
      if (problem !== undefined) {
        result.FailedCount += 1;
        const id = isObject(raw) && typeof raw['Id'] === 'string' ? raw['Id'] : '';
        result.FailedFindings.push({ Id: id, ErrorCode: 'InvalidInput', ErrorMessage: `Finding does not adhere to Amazon Finding Format. ${problem}.` });
        continue;
      }
      this.put(raw as AsffFinding, now);
      result.SuccessCount += 1;
    }
    return result;
  }

  /** Stores one provider finding without the per-call limits (also used for seeding). */
  put(raw: AsffFinding, now: Date): void {
    const incoming = structuredClone(raw);
    const key = findingKey(String(incoming['ProductArn']), String(incoming['Id']));
    const existing = this.findings.get(key);
    incoming['RecordState'] ??= 'ACTIVE';
    incoming['Workflow'] ??= { Status: 'NEW' };
    incoming['WorkflowState'] ??= 'NEW';
    if (!existing) {
      this.findings.set(key, { finding: incoming, history: [{ at: now.toISOString(), source: 'BatchImportFindings', changes: [] }], customerFields: new Set() });
      return;
    }
    for (const field of existing.customerFields) {
      if (existing.finding[field] === undefined) delete incoming[field];
      else incoming[field] = structuredClone(existing.finding[field]);
    }
    existing.history.push({ at: now.toISOString(), source: 'BatchImportFindings', changes: [] });
    existing.finding = incoming;
  }

  /** BatchUpdateFindings: whole-request validation, then per-finding outcome. */
  batchUpdate(body: unknown, now: Date, injected: InjectedUnprocessed = new Map()): BatchUpdateResult {
    const { identifiers, request } = validateBatchUpdate(body);
    const nowIso = now.toISOString();
    const result: BatchUpdateResult = { ProcessedFindings: [], UnprocessedFindings: [] };
    const seen = new Map<string, number>();
    for (const identifier of identifiers) {
      const key = findingKey(identifier.ProductArn, identifier.Id);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const unprocessed = (identifier: FindingIdentifier, code: string) =>
      result.UnprocessedFindings.push({ FindingIdentifier: { ...identifier }, ErrorCode: code, ErrorMessage: unprocessedMessages[code] ?? code });
    const done = new Set<string>();
    for (const identifier of identifiers) {
      const key = findingKey(identifier.ProductArn, identifier.Id);
      if ((seen.get(key) ?? 0) > 1) {
        if (!done.has(key)) unprocessed(identifier, 'DuplicatedFindingIdentifier');
        done.add(key);
        continue;
      }
      const stored = this.findings.get(key);
      const injectedCode = injected.get(identifier.Id);
      if (!stored) unprocessed(identifier, 'FindingNotFound');
      else if (injectedCode !== undefined) unprocessed(identifier, injectedCode);
      else {
        const { finding, changes } = applyUpdate(stored.finding, request, nowIso, this.batchUpdateBumpsUpdatedAt);
        stored.finding = finding;
        for (const change of changes) if (change.field !== 'UpdatedAt') stored.customerFields.add(change.field);
        stored.history.push({ at: nowIso, source: 'BatchUpdateFindings', changes });
        result.ProcessedFindings.push({ ...identifier });
      }
    }
    return result;
  }

  /** GetFindings with the emulator's filter subset, stable order and keyset NextToken. */
  query(body: unknown, now: Date): FindingsPage {
    const parsed = getFindingsRequestSchema.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw securityHubErrors.invalidInput(`Invalid parameter '${issue?.path.join('.') ?? 'request'}': ${issue?.message ?? 'invalid'}`);
    }
    return pageFindings([...this.findings.values()].map((s) => s.finding), parsed.data, now.getTime());
  }
}
