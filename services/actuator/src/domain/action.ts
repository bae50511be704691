/**
 * The stored action and its ActionRecord view. Pure.
 */
import { actionKindFromDesignName } from '@seam/schemas/design-names';
import type { ActionRecord } from '@seam/schemas/records/action';
import type { ActionKindName, ActionStatus, EditableParameter, EvidenceItem, PendingActionView, Role } from '../approvals/backend';

export interface StoredAction {
  actionId: string;
  kind: ActionKindName;
  target: string;
  parameters: Record<string, string>;
  status: ActionStatus;
  /** Sequence of the last state change (1 for the first record). */
  sequence: number;
  policyRule: string;
  actor: string;
  at: number;
  proposedAt: number;
  expiresAt: number;
  approvalsRequired: number;
  approverRole: Role;
  approvals: string[];
  editable: EditableParameter[];
  verdict: PendingActionView['verdict'];
  evidence: EvidenceItem[];
  result?: { ok: boolean; message: string; externalId: string | null };
  /** Actor, transition and reason of each change, for the audit trail. */
  history: { status: ActionStatus; actor: string; at: number; reason?: string }[];
  /**
   * The ActionRecord of every sequence so far, as produced. A redelivered verdict produces them all
   * again: a crash after the state was stored but before its records reached the topic would
   * otherwise leave a gap (e.g. `succeeded#2` without `executing#1`). Absent on actions stored
   * before this field existed.
   */
  records?: ActionRecord[];
}

/** A state change applied to a copy: sequence + 1, who/when/why recorded. */
export function transition(
  action: StoredAction,
  status: ActionStatus,
  change: { actor: string; at: number; rule?: string; reason?: string; result?: StoredAction['result'] },
): StoredAction {
  const next: StoredAction = {
    ...action,
    status,
    sequence: action.sequence + 1,
    actor: change.actor,
    at: change.at,
    policyRule: change.rule ?? action.policyRule,
    history: [...action.history, { status, actor: change.actor, at: change.at, ...(change.reason === undefined ? {} : { reason: change.reason }) }],
  };
  if (change.result !== undefined) next.result = change.result;
  next.records = [...(action.records ?? []), toRecord(next)];
  return next;
}

/** Every record of this action's history, in sequence order (only the current one for old actions). */
export function recordsOf(action: StoredAction): ActionRecord[] {
  const records = action.records ?? [];
  return records.length > 0 && records.at(-1)?.sequence === action.sequence ? records : [toRecord(action)];
}

export const TERMINAL: ReadonlySet<ActionStatus> = new Set(['rejected', 'expired', 'succeeded', 'failed', 'shadow']);

export function toRecord(action: StoredAction): ActionRecord {
  return {
    actionId: action.actionId,
    verdict: { incidentId: action.verdict.incidentId, incidentVersion: action.verdict.incidentVersion, verdictVersion: action.verdict.verdictVersion },
    kind: actionKindFromDesignName(action.kind) ?? 'unknown',
    target: action.target,
    parameters: action.parameters,
    state: action.status,
    sequence: action.sequence,
    policyRule: action.policyRule,
    actor: action.actor,
    at: action.at,
    result: action.result === undefined ? null : { ok: action.result.ok, message: action.result.message, externalId: action.result.externalId },
  };
}

export function toView(action: StoredAction): PendingActionView {
  return {
    actionId: action.actionId,
    kind: action.kind,
    target: action.target,
    parameters: action.parameters,
    editable: action.editable.map((e) => ({ ...e, value: action.parameters[e.name] ?? e.value })),
    status: action.status,
    policyRule: action.policyRule,
    proposedAt: action.proposedAt,
    expiresAt: action.expiresAt,
    approvalsRequired: action.approvalsRequired,
    approvals: action.approvals,
    verdict: action.verdict,
    evidence: action.evidence,
    ...(action.result === undefined ? {} : { result: { ok: action.result.ok, message: action.result.message } }),
  };
}
