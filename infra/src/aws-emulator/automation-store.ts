// SSM Automation state: executions whose status follows the clock (Pending -> InProgress -> a
// terminal status), ClientToken idempotency, stop, and DescribeAutomationExecutions filtering.
// Status is derived on read from the start time and the configured durations, so nothing runs
// in the background and a test clock can drive it.

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseDocuments, renderOutputs, resolveParameters, type AutomationDocument, type AutomationDocumentInput, type AutomationParameters } from './automation-documents';
import { ssmErrors } from './errors';

export type AutomationStatus = 'Pending' | 'InProgress' | 'Waiting' | 'Success' | 'TimedOut' | 'Cancelling' | 'Cancelled' | 'Failed';
export const terminalStatuses: ReadonlySet<AutomationStatus> = new Set(['Success', 'TimedOut', 'Cancelled', 'Failed']);

export interface AutomationTiming {
  /** How long a new execution stays Pending. */
  pendingMs: number;
  /** How long it then stays InProgress before it reaches its outcome. */
  runMs: number;
  /** How long a stopped execution stays Cancelling before it is Cancelled. */
  cancelMs: number;
}

export interface PlannedOutcome {
  status: 'Success' | 'Failed' | 'TimedOut';
  failureMessage?: string;
}

interface Execution {
  id: string;
  document: AutomationDocument;
  parameters: AutomationParameters;
  clientToken?: string;
  fingerprint: string;
  startMs: number;
  /** Fixed at start so timing changes made later do not rewrite history. */
  pendingMs: number;
  runMs: number;
  outcome: PlannedOutcome;
  stoppedMs?: number;
  cancelMs: number;
  executedBy: string;
}

const uuidPattern = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;

export const startRequestSchema = z.object({
  DocumentName: z.string(),
  DocumentVersion: z.string().optional(),
  Parameters: z.record(z.string(), z.array(z.string())).optional(),
  ClientToken: z.string().optional(),
  Mode: z.enum(['Auto', 'Interactive']).optional(),
}).loose();
export type StartRequest = z.infer<typeof startRequestSchema>;

export class AutomationStore {
  private readonly executions = new Map<string, Execution>();
  private readonly byToken = new Map<string, string>();
  private documents: Map<string, AutomationDocument>;
  timing: AutomationTiming;

  constructor(documents: readonly AutomationDocumentInput[], timing: Partial<AutomationTiming> = {}) {
    this.documents = parseDocuments(documents);
    this.timing = { pendingMs: timing.pendingMs ?? 100, runMs: timing.runMs ?? 400, cancelMs: timing.cancelMs ?? 0 };
  }

  documentNames(): string[] {
    return [...this.documents.keys()];
  }

  putDocument(document: AutomationDocumentInput): void {
    const [parsed] = parseDocuments([document]).values();
    if (parsed) this.documents.set(parsed.name, parsed);
  }

  count(): number {
    return this.executions.size;
  }

  clear(): void {
    this.executions.clear();
    this.byToken.clear();
  }

  /**
   * StartAutomationExecution. `planOutcome` is asked only when a new execution is created (so a
   * retried call with the same ClientToken does not consume an injected failure).
   */
  start(request: StartRequest, nowMs: number, executedBy: string, planOutcome: (documentName: string) => PlannedOutcome): string {
    const token = request.ClientToken?.toLowerCase();
    if (request.ClientToken !== undefined && !uuidPattern.test(request.ClientToken)) {
      throw ssmErrors.validation([{ value: request.ClientToken, path: 'clientToken', constraint: 'Member must satisfy regular expression pattern: [a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}' }]);
    }
    const document = this.documents.get(request.DocumentName);
    if (!document) throw ssmErrors.definitionNotFound(request.DocumentName);
    if (request.DocumentVersion !== undefined && !['$DEFAULT', '$LATEST', document.version].includes(request.DocumentVersion)) {
      throw ssmErrors.definitionVersionNotFound(request.DocumentName, request.DocumentVersion);
    }
    const given = request.Parameters ?? {};
    const fingerprint = JSON.stringify([request.DocumentName, request.DocumentVersion ?? null, Object.entries(given).sort(([a], [b]) => (a < b ? -1 : 1)), request.Mode ?? 'Auto']);
    if (token !== undefined) {
      const existingId = this.byToken.get(token);
      const existing = existingId === undefined ? undefined : this.executions.get(existingId);
      if (existing) {
        if (existing.fingerprint !== fingerprint) throw ssmErrors.idempotentMismatch();
        return existing.id;
      }
    }
    const parameters = resolveParameters(document, given);
    const id = randomUUID();
    const execution: Execution = {
      id,
      document,
      parameters,
      fingerprint,
      startMs: nowMs,
      pendingMs: this.timing.pendingMs,
      runMs: this.timing.runMs,
      cancelMs: this.timing.cancelMs,
      outcome: planOutcome(document.name),
      executedBy,
    };
    if (token !== undefined) {
      execution.clientToken = token;
      this.byToken.set(token, id);
    }
    this.executions.set(id, execution);
    return id;
  }

  private find(id: string): Execution {
    const execution = this.executions.get(id);
    if (!execution) throw ssmErrors.executionNotFound(id);
    return execution;
  }

  private statusAt(e: Execution, nowMs: number): { status: AutomationStatus; endMs?: number } {
    const doneMs = e.startMs + e.pendingMs + e.runMs;
    if (e.stoppedMs !== undefined && e.stoppedMs < doneMs) {
      const cancelledMs = e.stoppedMs + e.cancelMs;
      return nowMs >= cancelledMs ? { status: 'Cancelled', endMs: cancelledMs } : { status: 'Cancelling' };
    }
    if (nowMs < e.startMs + e.pendingMs) return { status: 'Pending' };
    if (nowMs < doneMs) return { status: 'InProgress' };
    return { status: e.outcome.status, endMs: doneMs };
  }

  /** The AutomationExecution structure of GetAutomationExecution (timestamps as epoch seconds). */
  get(id: string, nowMs: number): Record<string, unknown> {
    const e = this.find(id);
    const { status, endMs } = this.statusAt(e, nowMs);
    const view: Record<string, unknown> = {
      AutomationExecutionId: e.id,
      DocumentName: e.document.name,
      DocumentVersion: e.document.version,
      ExecutionStartTime: e.startMs / 1000,
      AutomationExecutionStatus: status,
      Parameters: structuredClone(e.parameters),
      Outputs: status === 'Success' ? renderOutputs(e.document, e.parameters) : {},
      Mode: 'Auto',
      ExecutedBy: e.executedBy,
      AutomationType: 'Local',
      StepExecutions: [],
    };
    if (endMs !== undefined) view['ExecutionEndTime'] = endMs / 1000;
    if ((status === 'Failed' || status === 'TimedOut') && e.outcome.failureMessage !== undefined) view['FailureMessage'] = e.outcome.failureMessage;
    return view;
  }

  /** StopAutomationExecution (Type Cancel or Complete; both cancel here). */
  stop(id: string, nowMs: number): void {
    const e = this.find(id);
    const { status } = this.statusAt(e, nowMs);
    if (terminalStatuses.has(status) || status === 'Cancelling') throw ssmErrors.invalidStatusUpdate(id, status);
    e.stoppedMs = nowMs;
  }

  /** AutomationExecutionMetadata for every execution, newest first. */
  list(nowMs: number): Record<string, unknown>[] {
    return [...this.executions.values()]
      .sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? -1 : 1))
      .map((e) => {
        const full = this.get(e.id, nowMs);
        const { Parameters: _p, StepExecutions: _s, ...metadata } = full;
        return metadata;
      });
  }
}
