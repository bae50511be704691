/**
 * Planning: Verdict → candidate actions with stable ids. Pure (node:crypto hashing only).
 */
import { createHash } from 'node:crypto';
import { ACTION_KIND_DESIGN_NAMES } from '@seam/schemas/design-names';
import type { Verdict } from '@seam/schemas/records/verdict';
import type { ActionKindName } from '../approvals/backend';
import { severityRank, type Policy, type Subjects } from './policy';

export interface Candidate {
  readonly actionId: string;
  readonly kind: ActionKindName;
  readonly target: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly rationale: string;
  readonly subjects: Subjects;
}

/** Stable id: hash(incidentId, verdictVersion, kind, target). */
export function actionIdFor(incidentId: string, verdictVersion: number, kind: ActionKindName, target: string): string {
  return createHash('sha256').update(JSON.stringify([incidentId, verdictVersion, kind, target])).digest('hex').slice(0, 32);
}

/**
 * A QRadar note's id: hash(incidentId, offense, note text), not the verdict version. An incident
 * gets several verdict versions (baseline and LLM, open and settled); a version whose note says
 * what an earlier one already wrote on the offense is the same action, so the offense is not
 * spammed with identical notes, while a changed verdict (new text) is a new note.
 */
export function noteActionIdFor(incidentId: string, offenseId: string, text: string): string {
  return createHash('sha256').update(JSON.stringify([incidentId, 'qradar.note', offenseId, text])).digest('hex').slice(0, 32);
}

/** The text a note action writes (the executor adds its marker): note_text, else the summary. */
export function noteTextOf(parameters: Readonly<Record<string, string>>, summary: string): string {
  return parameters['note_text'] ?? summary;
}

/** A UUID (v4 layout) derived from the action id: SSM's ClientToken, stable across retries and restarts. */
export function clientTokenFor(actionId: string): string {
  const h = createHash('sha256').update(`ssm:${actionId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const INSTANCE = /^i-[0-9a-f]{8,17}$/;
const ARN_ACCOUNT = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/;

/** What an action touches, as far as its target and parameters tell (executors may add more). */
export function subjectsOf(kind: ActionKindName, target: string, parameters: Readonly<Record<string, string>>): Subjects {
  const instanceIds = new Set<string>();
  const accounts = new Set<string>();
  const identities = new Set<string>();
  const assetTags = new Set<string>();
  if (INSTANCE.test(target)) instanceIds.add(target);
  const instance = parameters['InstanceId'];
  if (instance !== undefined) instanceIds.add(instance);
  for (const value of [target, ...Object.values(parameters)]) {
    const account = ARN_ACCOUNT.exec(value)?.[1];
    if (account !== undefined) accounts.add(account);
  }
  for (const name of ['account', 'accountId', 'AwsAccountId']) {
    const value = parameters[name];
    if (value !== undefined && value !== '') accounts.add(value);
  }
  if (kind === 'qradar.assign' && parameters['assigned_to'] !== undefined) identities.add(parameters['assigned_to']);
  if (parameters['identity'] !== undefined) identities.add(parameters['identity']);
  for (const tag of (parameters['assetTags'] ?? '').split(',')) if (tag.trim() !== '') assetTags.add(tag.trim());
  return { accounts: [...accounts], instanceIds: [...instanceIds], assetTags: [...assetTags], identities: [...identities] };
}

/** The verdict's recommended actions, plus the policy's reference-set upsert, one per kind and target. */
export function plan(verdict: Verdict, policy: Policy): Candidate[] {
  // One action per kind and target: the first recommendation wins.
  const out = new Map<string, Candidate>();
  const add = (kind: ActionKindName, target: string, parameters: Record<string, string>, rationale: string) => {
    const slot = JSON.stringify([kind, target]);
    if (out.has(slot)) return;
    const actionId = kind === 'qradar.note'
      ? noteActionIdFor(verdict.incidentId, target, noteTextOf(parameters, verdict.summary))
      : actionIdFor(verdict.incidentId, verdict.verdictVersion, kind, target);
    out.set(slot, { actionId, kind, target, parameters, rationale, subjects: subjectsOf(kind, target, parameters) });
  };
  for (const action of verdict.recommendedActions) {
    if (action.kind === 'unknown') continue;
    add(ACTION_KIND_DESIGN_NAMES[action.kind], action.target, { ...action.parameters }, action.rationale);
  }
  const referenceSet = policy.qradar.referenceSet;
  if (referenceSet !== undefined && severityRank(verdict.severity) >= severityRank(referenceSet.minSeverity)) {
    const offenses = verdict.recommendedActions.filter((a) => a.kind === 'qradar_note').map((a) => a.target);
    for (const offenseId of new Set(offenses)) {
      add('qradar.reference_set', `${referenceSet.name}/${offenseId}`, {
        set: referenceSet.name,
        value: offenseId,
        source: `seam:${verdict.severity}:${verdict.riskScore}`,
      }, `AI criticality ${verdict.severity} (risk ${verdict.riskScore}) for offense ${offenseId}`);
    }
  }
  return [...out.values()];
}
