import type { ActionStatus, Actor, ApprovalsBackend, PendingActionView, TransitionResult } from '../../src/approvals/backend';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

export interface FakeCall {
  readonly method: 'approve' | 'reject' | 'edit';
  readonly actionId: string;
  readonly actor: Actor;
  readonly reason?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * An in-memory ApprovalsBackend for the front-end tests. It applies the contract's rules the way the
 * lifecycle does (viewer forbidden, only proposed actions change, expiry fails closed, N approvers,
 * edit bounds, idempotent per actor) and, once approved, can play the executor: executing, then
 * succeeded after `executeAfterMs`.
 */
export class FakeApprovalsBackend implements ApprovalsBackend {
  readonly calls: FakeCall[] = [];
  readonly #actions = new Map<string, Mutable<PendingActionView>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: { now?: () => number; executeAfterMs?: number } = {}) {}

  add(action: PendingActionView): void {
    this.#actions.set(action.actionId, structuredClone(action) as Mutable<PendingActionView>);
  }

  snapshot(actionId: string): PendingActionView | undefined {
    const action = this.#actions.get(actionId);
    return action ? structuredClone(action) : undefined;
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  list(filter?: { readonly status?: ActionStatus }): Promise<readonly PendingActionView[]> {
    const all = [...this.#actions.values()].filter((a) => !filter?.status || a.status === filter.status).sort((a, b) => b.proposedAt - a.proposedAt);
    return Promise.resolve(all.map((a) => structuredClone(a)));
  }

  get(actionId: string): Promise<PendingActionView | undefined> {
    return Promise.resolve(this.snapshot(actionId));
  }

  approve(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult> {
    this.calls.push({ method: 'approve', actionId, actor, ...(reason === undefined ? {} : { reason }) });
    return Promise.resolve(
      this.#transition(actionId, actor, (action) => {
        if (action.approvals.includes(actor.name)) return undefined; // idempotent
        action.approvals.push(actor.name);
        if (action.approvals.length >= action.approvalsRequired) {
          action.status = 'approved';
          this.#execute(action);
        }
        return undefined;
      }),
    );
  }

  reject(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult> {
    this.calls.push({ method: 'reject', actionId, actor, ...(reason === undefined ? {} : { reason }) });
    return Promise.resolve(
      this.#transition(actionId, actor, (action) => {
        action.status = 'rejected';
        return undefined;
      }),
    );
  }

  edit(actionId: string, actor: Actor, parameters: Readonly<Record<string, string>>): Promise<TransitionResult> {
    this.calls.push({ method: 'edit', actionId, actor, parameters });
    return Promise.resolve(
      this.#transition(actionId, actor, (action) => {
        for (const [name, value] of Object.entries(parameters)) {
          const bound = action.editable.find((e) => e.name === name);
          if (!bound) return `parameter ${name} is not editable`;
          if (bound.allowed && !bound.allowed.includes(value)) return `parameter ${name} must be one of ${bound.allowed.join(', ')}`;
          if (bound.pattern && !new RegExp(`^(?:${bound.pattern})$`).test(value)) return `parameter ${name} does not match ${bound.pattern}`;
          if (bound.maxLength !== undefined && value.length > bound.maxLength) return `parameter ${name} is too long`;
        }
        action.parameters = { ...action.parameters, ...parameters };
        action.editable = action.editable.map((e) => (parameters[e.name] === undefined ? e : { ...e, value: parameters[e.name] ?? e.value }));
        return undefined;
      }),
    );
  }

  #transition(actionId: string, actor: Actor, apply: (action: Mutable<PendingActionView>) => string | undefined): TransitionResult {
    const action = this.#actions.get(actionId);
    if (!action) return { ok: false, error: 'not_found', message: 'no such action' };
    if (actor.role === 'viewer') return { ok: false, error: 'forbidden', message: 'viewers may not decide' };
    const now = this.options.now?.() ?? Date.now();
    if (action.status === 'proposed' && action.expiresAt <= now) action.status = 'expired';
    if (action.status !== 'proposed') return { ok: false, error: 'conflict', message: `action is ${action.status}` };
    const invalid = apply(action);
    if (invalid !== undefined) return { ok: false, error: 'invalid', message: invalid };
    return { ok: true, action: structuredClone(action) };
  }

  #execute(action: Mutable<PendingActionView>): void {
    const delay = this.options.executeAfterMs;
    if (delay === undefined) return;
    const step = (fn: () => void, ms: number): void => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        fn();
      }, ms);
      this.#timers.add(timer);
    };
    step(() => {
      action.status = 'executing';
      step(() => {
        action.status = 'succeeded';
        action.result = { ok: true, message: 'note added' };
      }, delay);
    }, delay);
  }
}

export function sampleAction(overrides: Partial<PendingActionView> = {}): PendingActionView {
  const now = Date.now();
  return {
    actionId: 'act-1',
    kind: 'qradar.note',
    target: 'qradar:offense:4242',
    parameters: { note_text: 'Seam: likely credential stuffing', assigned_to: 'soc-tier2' },
    editable: [
      { name: 'note_text', value: 'Seam: likely credential stuffing', maxLength: 200 },
      { name: 'assigned_to', value: 'soc-tier2', allowed: ['soc-tier1', 'soc-tier2', 'soc-tier3'] },
    ],
    status: 'proposed',
    policyRule: 'assist.qradar-note.high',
    proposedAt: now - 60_000,
    expiresAt: now + 30 * 60_000,
    approvalsRequired: 1,
    approvals: [],
    verdict: {
      incidentId: 'inc-7',
      incidentVersion: 3,
      verdictVersion: 2,
      severity: 'high',
      riskScore: 81,
      confidence: 0.86,
      summary: 'Password spray from 203.0.113.9 followed by console login of alice',
      rationale: 'Same public IP in QRadar offense and CloudTrail ConsoleLogin within 10 minutes',
    },
    evidence: [
      { eventId: 'qradar:offense:4242', source: 'qradar', title: 'Multiple login failures', observedAt: now - 600_000 },
      { eventId: 'cloudtrail:abc', source: 'cloudtrail', title: 'ConsoleLogin', observedAt: now - 300_000 },
    ],
    ...overrides,
  };
}
