/**
 * Security Hub executor: BatchUpdateFindings in calls of at most 100 findings; findings the service
 * leaves unprocessed are retried with backoff, then reported failed. Throttling is retried by the
 * SDK's standard retry strategy (TooManyRequestsException is in its throttling list).
 */
import {
  BatchUpdateFindingsCommand, GetFindingsCommand, type AwsSecurityFindingIdentifier, type BatchUpdateFindingsCommandInput, type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { Subjects } from '../domain/policy';
import { backoffMs, errorText, PermanentActionError, sleep, type ExecAction, type ExecutionResult, type Executor, type Reconciliation } from './executor';

export const MAX_FINDINGS_PER_CALL = 100;
/** GetFindings takes at most 20 values per string filter. */
const MAX_FILTER_VALUES = 20;
const PERMANENT_CODES = new Set(['FindingNotFound', 'InvalidInput', 'DuplicatedFindingIdentifier', 'FindingSizeExceeded']);
const WORKFLOW = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const LABELS = new Set(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);

export interface SecurityHubExecutorOptions {
  readonly client: SecurityHubClient;
  /** Note.UpdatedBy. */
  readonly updatedBy: string;
  readonly unprocessedAttempts?: number;
  readonly initialBackoffMs?: number;
}

type Update = Omit<BatchUpdateFindingsCommandInput, 'FindingIdentifiers'>;

export class SecurityHubExecutor implements Executor {
  constructor(private readonly options: SecurityHubExecutorOptions) {}

  /** The update an action asks for (without identifiers). */
  updateOf(action: ExecAction): Update {
    const p = action.parameters;
    const update: Update = {
      UserDefinedFields: { seamIncidentId: action.verdict.incidentId, seamVerdictVersion: String(action.verdict.verdictVersion) },
    };
    const status = p['workflowStatus'];
    if (status !== undefined) {
      if (!WORKFLOW.has(status)) throw new PermanentActionError(`workflowStatus ${status} is not one of ${[...WORKFLOW].join(', ')}`);
      update.Workflow = { Status: status as 'NEW' };
    }
    const label = p['severityLabel'];
    if (label !== undefined) {
      if (!LABELS.has(label)) throw new PermanentActionError(`severityLabel ${label} is not valid`);
      update.Severity = { Label: label as 'LOW' };
    }
    const note = p['note'];
    if (note !== undefined && note !== '') update.Note = { Text: note.length > 512 ? `${note.slice(0, 511)}…` : note, UpdatedBy: this.options.updatedBy.slice(0, 512) };
    return update;
  }

  private async lookup(ids: readonly string[]): Promise<Map<string, { productArn: string; account: string; instanceIds: string[] }>> {
    const found = new Map<string, { productArn: string; account: string; instanceIds: string[] }>();
    for (let i = 0; i < ids.length; i += MAX_FILTER_VALUES) {
      const chunk = ids.slice(i, i + MAX_FILTER_VALUES);
      let token: string | undefined;
      do {
        const page = await this.options.client.send(new GetFindingsCommand({
          Filters: { Id: chunk.map((Value) => ({ Value, Comparison: 'EQUALS' })) },
          MaxResults: 100,
          ...(token === undefined ? {} : { NextToken: token }),
        }));
        for (const f of page.Findings ?? []) {
          if (f.Id === undefined || f.ProductArn === undefined) continue;
          const instanceIds = (f.Resources ?? []).map((r) => r.Id ?? '').map((id) => /i-[0-9a-f]{8,17}/.exec(id)?.[0]).filter((x): x is string => x !== undefined);
          found.set(f.Id, { productArn: f.ProductArn, account: f.AwsAccountId ?? '', instanceIds });
        }
        token = page.NextToken;
      } while (token !== undefined && token !== '');
    }
    return found;
  }

  /** Accounts and instances of the finding, for the deny lists. */
  async subjects(action: ExecAction): Promise<Partial<Subjects>> {
    const info = (await this.lookup([action.target])).get(action.target);
    return info === undefined ? {} : { accounts: info.account === '' ? [] : [info.account], instanceIds: info.instanceIds };
  }

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const results = await this.executeMany([action]);
    return results.get(action.actionId) ?? { ok: false, message: 'no result', externalId: null };
  }

  /** Groups actions with the same update, ≤ 100 identifiers a call; one result per action. */
  async executeMany(actions: readonly ExecAction[]): Promise<Map<string, ExecutionResult>> {
    const results = new Map<string, ExecutionResult>();
    const groups = new Map<string, { update: Update; actions: ExecAction[] }>();
    for (const action of actions) {
      try {
        const update = this.updateOf(action);
        const key = JSON.stringify(update);
        const group = groups.get(key) ?? { update, actions: [] };
        group.actions.push(action);
        groups.set(key, group);
      } catch (error) {
        results.set(action.actionId, { ok: false, message: errorText(error), externalId: null });
      }
    }
    const explicit = actions.filter((a) => a.parameters['productArn'] === undefined).map((a) => a.target);
    const arns = explicit.length === 0 ? new Map<string, { productArn: string }>() : await this.lookup([...new Set(explicit)]);
    for (const { update, actions: members } of groups.values()) {
      const byKey = new Map<string, ExecAction[]>();
      const identifiers: AwsSecurityFindingIdentifier[] = [];
      for (const action of members) {
        const productArn = action.parameters['productArn'] ?? arns.get(action.target)?.productArn;
        if (productArn === undefined) {
          results.set(action.actionId, { ok: false, message: `finding ${action.target} not found`, externalId: null });
          continue;
        }
        const key = `${productArn}\n${action.target}`;
        if (!byKey.has(key)) identifiers.push({ Id: action.target, ProductArn: productArn });
        byKey.set(key, [...(byKey.get(key) ?? []), action]);
      }
      for (let i = 0; i < identifiers.length; i += MAX_FINDINGS_PER_CALL) {
        const outcome = await this.updateChunk(update, identifiers.slice(i, i + MAX_FINDINGS_PER_CALL));
        for (const [key, result] of outcome) for (const action of byKey.get(key) ?? []) results.set(action.actionId, result);
      }
    }
    return results;
  }

  private async updateChunk(update: Update, identifiers: AwsSecurityFindingIdentifier[]): Promise<Map<string, ExecutionResult>> {
    const out = new Map<string, ExecutionResult>();
    const attempts = this.options.unprocessedAttempts ?? 4;
    let remaining = identifiers;
    for (let attempt = 1; remaining.length > 0; attempt++) {
      const answer = await this.options.client.send(new BatchUpdateFindingsCommand({ ...update, FindingIdentifiers: remaining }));
      for (const done of answer.ProcessedFindings ?? []) {
        out.set(`${done.ProductArn ?? ''}\n${done.Id ?? ''}`, { ok: true, message: `finding ${done.Id ?? ''} updated`, externalId: done.Id ?? null });
      }
      const retry: AwsSecurityFindingIdentifier[] = [];
      for (const failed of answer.UnprocessedFindings ?? []) {
        const id = failed.FindingIdentifier;
        if (id?.Id === undefined || id.ProductArn === undefined) continue;
        const key = `${id.ProductArn}\n${id.Id}`;
        const code = failed.ErrorCode ?? 'Unknown';
        if (PERMANENT_CODES.has(code) || attempt >= attempts) {
          out.set(key, { ok: false, message: `finding ${id.Id} unprocessed: ${code}${attempt >= attempts ? ` after ${attempt} attempts` : ''}`, externalId: id.Id });
        } else {
          retry.push({ Id: id.Id, ProductArn: id.ProductArn });
        }
      }
      remaining = retry;
      if (remaining.length > 0) await sleep(backoffMs(attempt, this.options.initialBackoffMs ?? 200, 5_000));
    }
    return out;
  }

  /** BatchUpdateFindings sets values: running it again changes nothing. */
  reconcile(): Promise<Reconciliation> {
    return Promise.resolve({ state: 'run' });
  }
}
