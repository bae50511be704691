/**
 * The contract between the actuator's action lifecycle (policy, pending store, executors) and the
 * approvals front ends (HTTP API, web page, Slack-style callback). The lifecycle implements it; the
 * front ends only call it, so authentication and rendering never touch Redis or the executors.
 *
 * Every method that changes state is idempotent on (actionId, actor, transition): a double click or
 * a retried callback does not approve twice. Policy checks (role, N approvers, expiry, parameter
 * bounds, deny lists) live behind this interface, not in the front ends.
 */

export type Role = 'viewer' | 'approver' | 'admin';

/** Who is acting, as established by the front end's authentication. */
export interface Actor {
  /** Stable identity (token's subject name, or `slack:<user id>`). Never a secret. */
  readonly name: string;
  readonly role: Role;
  /** How the actor was authenticated, for the ActionRecord's `actor` and the audit. */
  readonly via: 'bearer' | 'slack';
}

/** Design names (dots); the Avro enum uses underscores. */
export type ActionKindName =
  | 'qradar.note'
  | 'qradar.assign'
  | 'qradar.close'
  | 'qradar.reference_set'
  | 'securityhub.update'
  | 'ssm.automation'
  | 'notify';

export type ActionStatus = 'proposed' | 'approved' | 'rejected' | 'expired' | 'executing' | 'succeeded' | 'failed' | 'shadow';

/** A parameter the approver may edit, and the bounds the policy allows for it. */
export interface EditableParameter {
  readonly name: string;
  readonly value: string;
  /** When present, the new value must be one of these. */
  readonly allowed?: readonly string[];
  /** When present, the new value must match (anchored). */
  readonly pattern?: string;
  readonly maxLength?: number;
}

export interface EvidenceItem {
  readonly eventId: string;
  readonly source: string;
  readonly title: string;
  readonly observedAt: number;
}

/** What the front ends show: the action, its verdict, its evidence and the rule that proposed it. */
export interface PendingActionView {
  readonly actionId: string;
  readonly kind: ActionKindName;
  readonly target: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly editable: readonly EditableParameter[];
  readonly status: ActionStatus;
  readonly policyRule: string;
  readonly proposedAt: number;
  /** Epoch ms after which the proposal expires (fail closed). */
  readonly expiresAt: number;
  readonly approvalsRequired: number;
  /** Names of the approvers so far. */
  readonly approvals: readonly string[];
  readonly verdict: {
    readonly incidentId: string;
    readonly incidentVersion: number;
    readonly verdictVersion: number;
    readonly severity: string;
    readonly riskScore: number;
    readonly confidence: number;
    readonly summary: string;
    readonly rationale: string;
  };
  readonly evidence: readonly EvidenceItem[];
  /** Latest result message once executed (redacted). */
  readonly result?: { readonly ok: boolean; readonly message: string };
}

export type TransitionResult =
  | { readonly ok: true; readonly action: PendingActionView }
  | {
      readonly ok: false;
      /** not_found -> 404, forbidden -> 403, conflict (not pending / superseded / expired) -> 409, invalid -> 422 */
      readonly error: 'not_found' | 'forbidden' | 'conflict' | 'invalid';
      readonly message: string;
    };

export interface ApprovalsBackend {
  /** Actions, newest first; `status` filters (default: every status). */
  list(filter?: { readonly status?: ActionStatus }): Promise<readonly PendingActionView[]>;
  get(actionId: string): Promise<PendingActionView | undefined>;
  approve(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult>;
  reject(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult>;
  /** Changes parameters of a proposed action; values outside the policy bounds -> `invalid`. */
  edit(actionId: string, actor: Actor, parameters: Readonly<Record<string, string>>): Promise<TransitionResult>;
}
