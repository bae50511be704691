/**
 * Pure approval rules: who may approve / reject / edit, N distinct approvers, expiry (fail closed).
 */
import type { Actor } from '../approvals/backend';
import { transition, type StoredAction } from './action';
import { checkEdit, roleSatisfies, type KindPolicy } from './policy';

export type ApprovalOutcome = StoredAction | 'same' | { readonly error: 'forbidden' | 'conflict' | 'invalid'; readonly message: string };

export const actorName = (actor: Actor): string => `${actor.via}:${actor.name}`;

/** The expired version of a proposal past its window, else null. */
export function expireIfDue(a: StoredAction, now: number): StoredAction | null {
  if (a.status !== 'proposed' || now <= a.expiresAt) return null;
  return transition(a, 'expired', { actor: 'system', at: now, rule: 'approvalTimeout', reason: 'approval window expired', result: { ok: false, message: 'expired before approval', externalId: null } });
}

export function approve(a: StoredAction, actor: Actor, now: number, reason?: string): ApprovalOutcome {
  if (a.status !== 'proposed') return { error: 'conflict', message: `action is ${a.status}` };
  if (now > a.expiresAt) return { error: 'conflict', message: 'the approval window has expired' };
  if (!roleSatisfies(actor.role, a.approverRole)) return { error: 'forbidden', message: `approving needs the ${a.approverRole} role` };
  const name = actorName(actor);
  if (a.approvals.includes(name)) return 'same';
  const approvals = [...a.approvals, name];
  if (approvals.length < a.approvalsRequired) {
    return { ...a, approvals, history: [...a.history, { status: 'proposed', actor: name, at: now, reason: `approval ${approvals.length}/${a.approvalsRequired}${reason === undefined ? '' : `: ${reason}`}` }] };
  }
  return transition({ ...a, approvals }, 'approved', { actor: name, at: now, ...(reason === undefined ? {} : { reason }) });
}

export function reject(a: StoredAction, actor: Actor, now: number, reason?: string): ApprovalOutcome {
  if (a.status !== 'proposed') return { error: 'conflict', message: `action is ${a.status}` };
  if (now > a.expiresAt) return { error: 'conflict', message: 'the approval window has expired' };
  if (!roleSatisfies(actor.role, a.approverRole)) return { error: 'forbidden', message: `rejecting needs the ${a.approverRole} role` };
  const message = reason === undefined ? `rejected by ${actorName(actor)}` : `rejected by ${actorName(actor)}: ${reason.slice(0, 300)}`;
  return transition(a, 'rejected', { actor: actorName(actor), at: now, reason: message, result: { ok: false, message, externalId: null } });
}

export function edit(a: StoredAction, actor: Actor, now: number, kindPolicy: KindPolicy, parameters: Readonly<Record<string, string>>): ApprovalOutcome {
  if (a.status !== 'proposed') return { error: 'conflict', message: `action is ${a.status}` };
  if (now > a.expiresAt) return { error: 'conflict', message: 'the approval window has expired' };
  if (!roleSatisfies(actor.role, a.approverRole)) return { error: 'forbidden', message: `editing needs the ${a.approverRole} role` };
  const problem = checkEdit(kindPolicy, a.parameters, parameters);
  if (problem !== null) return { error: 'invalid', message: problem };
  return transition({ ...a, parameters: { ...a.parameters, ...parameters }, approvals: [] }, 'proposed', { actor: actorName(actor), at: now, reason: `parameters edited: ${Object.keys(parameters).join(', ')}` });
}
