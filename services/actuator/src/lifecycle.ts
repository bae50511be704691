/**
 * The action lifecycle: plan → decide → (shadow | reject | propose | execute), approvals, expiry,
 * and exactly-once execution through claims. Implements the approvals contract (backend.ts).
 */
import { RetriableError } from '@seam/kit';
import type { ActionRecord } from '@seam/schemas/records/action';
import type { Verdict } from '@seam/schemas/records/verdict';
import type { Logger } from 'pino';
import type { ActionStatus, Actor, ApprovalsBackend, EditableParameter, PendingActionView, TransitionResult } from './approvals/backend';
import { recordsOf, toRecord, toView, transition, type StoredAction } from './domain/action';
import { plan, subjectsOf, type Candidate } from './domain/plan';
import { approve as approveAction, edit as editAction, expireIfDue, reject as rejectAction, type ApprovalOutcome } from './domain/approval';
import { decide, rateWindow, subjectViolation, type Policy, type Subjects } from './domain/policy';
import { errorText, sleep, type ExecAction, type ExecutionResult, type Executors } from './adapters/executor';
import type { RedisActionStore } from './adapters/redis-store';
import type { SecurityHubExecutor } from './adapters/securityhub';

export interface LifecycleOptions {
  readonly store: RedisActionStore;
  readonly policy: () => Policy;
  readonly executors: Executors;
  /** The Security Hub executor again, for batched updates and account lookups (optional). */
  readonly securityHub?: SecurityHubExecutor;
  /** Produces records of transitions made outside the consume loop (approvals, sweeper). */
  readonly emit: (records: readonly ActionRecord[]) => Promise<void>;
  readonly log: Logger;
  /** Identity of this process in claims. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly now?: () => number;
  /** Test hook: pause this long after an execution, before its outcome is committed. */
  readonly pauseAfterExecuteMs?: number;
}

const SYSTEM = 'system';

function mergeSubjects(a: Subjects, b: Partial<Subjects>): Subjects {
  const u = (x: readonly string[], y: readonly string[] | undefined) => [...new Set([...x, ...(y ?? [])])];
  return { accounts: u(a.accounts, b.accounts), instanceIds: u(a.instanceIds, b.instanceIds), assetTags: u(a.assetTags, b.assetTags), identities: u(a.identities, b.identities) };
}

export class ActionLifecycle implements ApprovalsBackend {
  private readonly now: () => number;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly o: LifecycleOptions) {
    this.now = o.now ?? Date.now;
  }

  // ---- the consume loop ------------------------------------------------------------------------

  /** Everything one verdict causes, as ActionRecords in order. Safe to call again for the same verdict. */
  async handleVerdict(verdict: Verdict): Promise<ActionRecord[]> {
    const policy = this.o.policy();
    const records: ActionRecord[] = [];
    const now = this.now();
    const candidates = plan(verdict, policy);
    // A pending proposal this version plans again (the same note text) is still wanted: not superseded.
    const plannedAgain = new Set(candidates.map((c) => c.actionId));

    for (const id of await this.o.store.pendingIdsOfIncident(verdict.incidentId)) {
      if (plannedAgain.has(id)) continue;
      const changed = await this.o.store.update(id, (a) =>
        a.status === 'proposed' && a.verdict.verdictVersion < verdict.verdictVersion
          ? transition(a, 'rejected', { actor: SYSTEM, at: now, rule: 'superseded', reason: `superseded by verdict version ${verdict.verdictVersion}`, result: { ok: false, message: `superseded by verdict version ${verdict.verdictVersion}`, externalId: null } })
          : null);
      if (changed?.changed === true) records.push(toRecord(changed.after));
    }

    // An older verdict version arriving after a newer one (replay, reordering) proposes nothing new.
    const latest = await this.o.store.latestVerdictVersion(verdict.incidentId, verdict.verdictVersion);
    const stale = latest > verdict.verdictVersion;
    const toRun: StoredAction[] = [];
    for (const candidate of candidates) {
      const existing = await this.o.store.get(candidate.actionId);
      if (existing !== undefined) {
        // Redelivery: every state so far again (consumers dedupe on actionId + sequence), since the
        // crash may have come before any of them reached the topic; an execution interrupted by a
        // crash is then resumed through its claim.
        records.push(...recordsOf(existing));
        if (existing.status === 'executing') toRun.push(existing);
        continue;
      }
      if (stale) continue;
      const action = await this.decideNew(policy, verdict, candidate, now);
      if (!(await this.o.store.create(action))) {
        const raced = await this.o.store.get(candidate.actionId);
        if (raced !== undefined) records.push(...recordsOf(raced));
        continue;
      }
      records.push(toRecord(action));
      if (action.status === 'executing') toRun.push(action);
    }
    for (const final of await this.runClaimed(toRun)) records.push(toRecord(final));
    return records;
  }

  private async subjectsFor(candidate: { kind: Candidate['kind']; target: string; parameters: Readonly<Record<string, string>> }, verdict: ExecAction['verdict']): Promise<Subjects> {
    const base = subjectsOf(candidate.kind, candidate.target, candidate.parameters);
    if (candidate.kind !== 'securityhub.update' || this.o.securityHub === undefined) return base;
    const extra = await this.o.securityHub.subjects({ actionId: '', kind: candidate.kind, target: candidate.target, parameters: candidate.parameters, verdict });
    return mergeSubjects(base, extra);
  }

  private async decideNew(policy: Policy, verdict: Verdict, candidate: Candidate, now: number): Promise<StoredAction> {
    const kindPolicy = policy.actions[candidate.kind];
    const verdictView: StoredAction['verdict'] = {
      incidentId: verdict.incidentId, incidentVersion: verdict.incidentVersion, verdictVersion: verdict.verdictVersion,
      severity: verdict.severity, riskScore: verdict.riskScore, confidence: verdict.confidence, summary: verdict.summary, rationale: candidate.rationale,
    };
    const subjects = kindPolicy.phase === 'shadow' ? candidate.subjects : mergeSubjects(candidate.subjects, await this.subjectsFor(candidate, verdictView));
    const limit = kindPolicy.rateLimit;
    const counted = limit === undefined ? 0 : await this.o.store.rateCount(candidate.kind, rateWindow(now, limit.windowMs));
    const decision = decide(policy, {
      kind: candidate.kind,
      verdict: { severity: verdict.severity, confidence: verdict.confidence, falsePositiveLikelihood: verdict.falsePositiveLikelihood, tactics: verdict.mitre.map((m) => m.tactic ?? '').filter((t) => t !== '') },
      subjects, now, autoExecutionsInWindow: counted, parameters: candidate.parameters,
    });
    const editable: EditableParameter[] = Object.entries(kindPolicy.editable)
      .filter(([name]) => name in candidate.parameters)
      .map(([name, b]) => ({ name, value: candidate.parameters[name] ?? '', ...(b.allowed === undefined ? {} : { allowed: b.allowed }), ...(b.pattern === undefined ? {} : { pattern: b.pattern }), ...(b.maxLength === undefined ? {} : { maxLength: b.maxLength }) }));
    const base: StoredAction = {
      actionId: candidate.actionId, kind: candidate.kind, target: candidate.target, parameters: { ...candidate.parameters },
      status: 'proposed', sequence: 0, policyRule: decision.rule, actor: SYSTEM, at: now, proposedAt: now, expiresAt: now,
      approvalsRequired: 0, approverRole: 'approver', approvals: [], editable, verdict: verdictView,
      evidence: verdict.evidence.map((eventId) => ({ eventId, source: eventId.split(':')[0] ?? 'unknown', title: eventId, observedAt: verdict.decidedAt })),
      history: [],
    };
    switch (decision.disposition) {
      case 'shadow':
        return transition(base, 'shadow', { actor: SYSTEM, at: now, reason: 'shadow phase: recorded only' });
      case 'deny':
        return transition(base, 'rejected', { actor: 'policy', at: now, reason: decision.reason, result: { ok: false, message: decision.reason, externalId: null } });
      case 'propose':
        return transition({ ...base, expiresAt: decision.expiresAt, approvalsRequired: decision.approvers.count, approverRole: decision.approvers.role }, 'proposed', { actor: SYSTEM, at: now });
      case 'execute':
        if (limit !== undefined) await this.o.store.rateIncrement(candidate.kind, rateWindow(now, limit.windowMs), limit.windowMs);
        return transition(base, 'executing', { actor: SYSTEM, at: now });
    }
  }

  // ---- execution through claims ----------------------------------------------------------------

  private execAction(a: StoredAction): ExecAction {
    return { actionId: a.actionId, kind: a.kind, target: a.target, parameters: a.parameters, verdict: { incidentId: a.verdict.incidentId, verdictVersion: a.verdict.verdictVersion, severity: a.verdict.severity, riskScore: a.verdict.riskScore, summary: a.verdict.summary } };
  }

  /**
   * Claims each action (SET NX), runs the claimed ones (Security Hub ones batched), records the
   * outcome on the claim, then commits the final state. Returns the final actions.
   */
  private async runClaimed(actions: readonly StoredAction[], outbox = false): Promise<StoredAction[]> {
    const finals: StoredAction[] = [];
    const toExecute: StoredAction[] = [];
    const known = new Map<string, ExecutionResult>();
    const busy: string[] = [];
    for (const action of actions) {
      const outcome = await this.acquire(action);
      if (outcome.kind === 'known') known.set(action.actionId, outcome.result);
      else if (outcome.kind === 'run') toExecute.push(action);
      else busy.push(action.actionId);
    }
    const results = new Map<string, ExecutionResult>(known);
    const hub = toExecute.filter((a) => a.kind === 'securityhub.update');
    if (hub.length > 0 && this.o.securityHub !== undefined) {
      try {
        const many = await this.o.securityHub.executeMany(hub.map((a) => this.execAction(a)));
        for (const a of hub) results.set(a.actionId, many.get(a.actionId) ?? { ok: false, message: 'no result', externalId: null });
      } catch (error) {
        for (const a of hub) results.set(a.actionId, { ok: false, message: errorText(error), externalId: null });
      }
    }
    for (const action of toExecute) {
      if (results.has(action.actionId)) continue;
      try {
        results.set(action.actionId, await this.o.executors[action.kind].execute(this.execAction(action)));
      } catch (error) {
        results.set(action.actionId, { ok: false, message: errorText(error), externalId: null });
      }
    }
    if (toExecute.length > 0 && this.o.pauseAfterExecuteMs !== undefined && this.o.pauseAfterExecuteMs > 0) {
      this.o.log.warn({ pauseMs: this.o.pauseAfterExecuteMs, actions: toExecute.map((a) => a.actionId) }, 'test hook: pausing after execution, before commit');
      await sleep(this.o.pauseAfterExecuteMs);
    }
    for (const action of actions) {
      const result = results.get(action.actionId);
      if (result === undefined) continue;
      if (!known.has(action.actionId)) await this.o.store.completeClaim(action.actionId, this.o.owner, { ...result }, this.now());
      const done = await this.o.store.update(action.actionId, (a) =>
        a.status === 'executing' ? transition(a, result.ok ? 'succeeded' : 'failed', { actor: SYSTEM, at: this.now(), result: { ...result } }) : null, { outbox });
      if (done !== undefined) finals.push(done.after);
      this.o.log.info({ actionId: action.actionId, kind: action.kind, ok: result.ok }, 'action executed');
    }
    // Still claimed by a live owner: retry the verdict later (the kit's backoff), never commit past it.
    if (busy.length > 0) throw new RetriableError(`actions still being executed elsewhere: ${busy.join(', ')}`);
    return finals;
  }

  /** Claim protocol: run it, or the outcome is already known, or (another live owner) skip. */
  private async acquire(action: StoredAction): Promise<{ kind: 'run' } | { kind: 'known'; result: ExecutionResult } | { kind: 'busy' }> {
    for (let round = 0; round < 3; round++) {
      const now = this.now();
      const claim = await this.o.store.claim(action.actionId, this.o.owner, this.o.leaseMs, now);
      if (claim === null) return { kind: 'run' };
      if (claim.state !== 'executing') return { kind: 'known', result: claim.result ?? { ok: claim.state === 'succeeded', message: `outcome ${claim.state}`, externalId: null } };
      if (claim.leaseUntil > now) {
        // Someone (maybe a previous life of this process) holds a live lease: wait for it once.
        await sleep(Math.min(claim.leaseUntil - now + 50, this.o.leaseMs + 50));
        continue;
      }
      if (!(await this.o.store.takeOver(action.actionId, claim, this.o.owner, this.o.leaseMs, this.now()))) continue;
      try {
        const rec = await this.o.executors[action.kind].reconcile(this.execAction(action));
        this.o.log.warn({ actionId: action.actionId, kind: action.kind, reconciliation: rec.state }, 'reconciling an execution left by a crash');
        switch (rec.state) {
          case 'run': return { kind: 'run' };
          case 'done': return { kind: 'known', result: rec.result };
          case 'unknown': return { kind: 'known', result: { ok: false, message: rec.message, externalId: null } };
        }
      } catch (error) {
        return { kind: 'known', result: { ok: false, message: `reconciliation failed: ${errorText(error)}`, externalId: null } };
      }
    }
    return { kind: 'busy' };
  }

  // ---- approvals (ApprovalsBackend) ------------------------------------------------------------

  async list(filter?: { readonly status?: ActionStatus }): Promise<readonly PendingActionView[]> {
    const all = await this.o.store.list();
    return all.filter((a) => filter?.status === undefined || a.status === filter.status).map(toView);
  }

  async get(actionId: string): Promise<PendingActionView | undefined> {
    const action = await this.o.store.get(actionId);
    return action === undefined ? undefined : toView(action);
  }

  private async change(actionId: string, actor: Actor, apply: (a: StoredAction, now: number) => ApprovalOutcome): Promise<TransitionResult> {
    if (actor.role === 'viewer') return { ok: false, error: 'forbidden', message: 'viewers cannot change actions' };
    let failure: { error: 'forbidden' | 'conflict' | 'invalid'; message: string } | undefined;
    const now = this.now();
    const updated = await this.o.store.update(actionId, (a) => {
      failure = undefined;
      const expired = expireIfDue(a, now);
      if (expired !== null) {
        failure = { error: 'conflict', message: 'the approval window has expired' };
        return expired;
      }
      const next = apply(a, now);
      if (next === 'same') return null;
      if ('error' in next) {
        failure = { error: next.error, message: next.message };
        return null;
      }
      return next;
    }, { outbox: true });
    if (updated === undefined) return { ok: false, error: 'not_found', message: 'no such action' };
    if (updated.changed && updated.after.sequence !== updated.before.sequence) {
      // The new state is stored and listed unsent in one transaction: if its produce fails now, the
      // sweeper produces it after a lease. The approver's decision stands either way.
      await this.emitOutside([updated.after]).catch((error: unknown) =>
        this.o.log.warn({ actionId, sequence: updated.after.sequence, err: errorText(error) }, 'action record not produced yet; the sweeper will produce it'));
    }
    if (failure !== undefined) return { ok: false, ...failure };
    if (updated.after.status === 'approved' && updated.before.status !== 'approved') this.track(this.executeApproved(actionId));
    return { ok: true, action: toView(updated.after) };
  }

  approve(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult> {
    return this.change(actionId, actor, (a, now) => approveAction(a, actor, now, reason));
  }

  reject(actionId: string, actor: Actor, reason?: string): Promise<TransitionResult> {
    return this.change(actionId, actor, (a, now) => rejectAction(a, actor, now, reason));
  }

  edit(actionId: string, actor: Actor, parameters: Readonly<Record<string, string>>): Promise<TransitionResult> {
    const policy = this.o.policy();
    return this.change(actionId, actor, (a, now) => editAction(a, actor, now, policy.actions[a.kind], parameters));
  }

  // ---- outside the loop: approved executions, expiry -------------------------------------------

  /**
   * Produces the current records of actions changed outside the consume loop, then takes them off
   * the store's unsent list (their update put them there in the same transaction).
   */
  private async emitOutside(actions: readonly StoredAction[]): Promise<void> {
    if (actions.length === 0) return;
    await this.o.emit(actions.map(toRecord));
    await this.o.store.sent(actions);
  }

  private track(promise: Promise<unknown>): void {
    const p = promise.catch((error: unknown) => this.o.log.error({ err: errorText(error) }, 'background action failed')).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Settles when background executions started so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** approved → executing → succeeded/failed; the deny lists are checked again under the current policy. */
  async executeApproved(actionId: string): Promise<void> {
    const policy = this.o.policy();
    const current = await this.o.store.get(actionId);
    if (current?.status !== 'approved') return;
    const violation = subjectViolation(policy, await this.subjectsFor(current, current.verdict));
    const now = this.now();
    const started = await this.o.store.update(actionId, (a) => {
      if (a.status !== 'approved') return null;
      if (violation !== null) return transition(a, 'rejected', { actor: 'policy', at: now, rule: violation.rule, reason: violation.reason, result: { ok: false, message: violation.reason, externalId: null } });
      return transition(a, 'executing', { actor: SYSTEM, at: now });
    }, { outbox: true });
    if (started?.changed !== true) return;
    await this.emitOutside([started.after]);
    if (started.after.status !== 'executing') return;
    await this.emitOutside(await this.runClaimed([started.after], true));
  }

  /**
   * Expires proposals past their window; produces again the records a crash kept from the topic
   * (listed unsent for longer than a lease); resumes approved and executing actions a crash left
   * behind (executions through their claims, so never twice). A call while a sweep is running joins
   * it (the sweeper's timer does not wait for the previous sweep).
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private sweeping: Promise<number> | undefined;

  private async sweepOnce(): Promise<number> {
    const now = this.now();
    let changed = 0;
    for (const id of await this.o.store.expiredPendingIds(now)) {
      const updated = await this.o.store.update(id, (a) => expireIfDue(a, now), { outbox: true });
      if (updated?.changed === true) {
        changed++;
        await this.emitOutside([updated.after]);
      }
    }
    const unsent = await this.o.store.unsent(now - this.o.leaseMs);
    // Every record so far of each action listed (once, however many of its states are), in one
    // produce: consumers dedupe on actionId + sequence.
    const actions = await Promise.all([...new Set(unsent.map((state) => state.actionId))].map((id) => this.o.store.get(id)));
    const records = actions.flatMap((action) => (action === undefined ? [] : recordsOf(action)));
    if (records.length > 0) await this.o.emit(records);
    await this.o.store.sent(unsent);
    for (const id of await this.o.store.approvedIds(now - this.o.leaseMs)) this.track(this.executeApproved(id));
    for (const id of await this.o.store.executingIds(now - this.o.leaseMs)) this.track(this.resumeExecuting(id));
    return changed;
  }

  /** An execution its owner left (crash, failed produce): finish it through the claim and produce the outcome. */
  private async resumeExecuting(actionId: string): Promise<void> {
    const action = await this.o.store.get(actionId);
    if (action?.status !== 'executing') return;
    await this.emitOutside(await this.runClaimed([action], true));
  }
}
