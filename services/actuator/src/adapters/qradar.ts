/**
 * QRadar executors: offense note, offense update (assign / close), reference set upsert.
 * Update parameters travel as query parameters, as the QRadar REST API takes them.
 */
import type { Secret } from '@seam/kit';
import { backoffMs, PermanentActionError, sleep, type ExecAction, type ExecutionResult, type Executor, type Reconciliation } from './executor';

export interface QradarClientOptions {
  /** Base URL of the console (the API is under /api). */
  readonly baseUrl: string;
  readonly token: Secret;
  readonly version?: string;
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly timeoutMs?: number;
}

export class QradarHttpError extends Error {
  constructor(readonly status: number, readonly code: number | undefined, message: string) {
    super(message);
  }
}

export class QradarClient {
  constructor(private readonly options: QradarClientOptions) {}

  /** One API call; 429 (Retry-After) and 5xx are retried with backoff, other errors thrown. */
  async call<T>(method: 'GET' | 'POST', path: string, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<T> {
    const url = new URL(`${this.options.baseUrl.replace(/\/$/, '')}/api${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { SEC: this.options.token.reveal(), Accept: 'application/json', Version: this.options.version ?? '20.0', ...headers },
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        });
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        await sleep(backoffMs(attempt, this.options.initialBackoffMs ?? 200, 5_000));
        continue;
      }
      const text = await response.text();
      if (response.ok) return (text === '' ? null : JSON.parse(text)) as T;
      const retriable = response.status === 429 || response.status >= 500;
      if (retriable && attempt < maxAttempts) {
        const retryAfter = Number(response.headers.get('retry-after') ?? 'NaN');
        const wait = Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 10_000) : backoffMs(attempt, this.options.initialBackoffMs ?? 200, 5_000);
        await sleep(wait);
        continue;
      }
      let code: number | undefined;
      let message = `QRadar ${method} ${url.pathname} answered ${response.status}`;
      try {
        const body = JSON.parse(text) as { code?: number; message?: string };
        code = body.code;
        if (typeof body.message === 'string') message += `: ${body.message.slice(0, 300)}`;
      } catch {
        // not JSON
      }
      if (!retriable) throw new PermanentActionError(message);
      throw new QradarHttpError(response.status, code, message);
    }
  }
}

const offenseIdOf = (target: string): string => {
  if (!/^\d+$/.test(target)) throw new PermanentActionError(`QRadar offense id must be numeric, got ${JSON.stringify(target.slice(0, 40))}`);
  return target;
};

export const noteMarker = (actionId: string): string => `[seam-action:${actionId}]`;

interface Note { id: number; note_text: string }

export class QradarNoteExecutor implements Executor {
  constructor(private readonly client: QradarClient) {}

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const offenseId = offenseIdOf(action.target);
    const text = `${action.parameters['note_text'] ?? action.verdict.summary} ${noteMarker(action.actionId)}`;
    const note = await this.client.call<Note>('POST', `/siem/offenses/${offenseId}/notes`, { note_text: text, fields: 'id' });
    return { ok: true, message: `note ${note.id} added to offense ${offenseId}`, externalId: String(note.id) };
  }

  /** Looks for the note by its marker: found → done, absent → safe to add. */
  async reconcile(action: ExecAction): Promise<Reconciliation> {
    const offenseId = offenseIdOf(action.target);
    const notes = await this.client.call<Note[]>('GET', `/siem/offenses/${offenseId}/notes`, { fields: 'id,note_text' }, { Range: 'items=0-4999' });
    const found = notes.find((n) => n.note_text.includes(noteMarker(action.actionId)));
    return found === undefined
      ? { state: 'run' }
      : { state: 'done', result: { ok: true, message: `note ${found.id} found on offense ${offenseId} (reconciled)`, externalId: String(found.id) } };
  }
}

interface Offense { id: number; status: string; assigned_to: string | null; closing_reason_id: number | null }
interface ClosingReason { id: number; text: string; is_deleted: boolean; is_reserved: boolean }

export class QradarAssignExecutor implements Executor {
  constructor(private readonly client: QradarClient) {}

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const offenseId = offenseIdOf(action.target);
    const params: Record<string, string> = { follow_up: 'true', fields: 'id,assigned_to,follow_up' };
    const assignee = action.parameters['assigned_to'];
    if (assignee !== undefined && assignee !== '') params['assigned_to'] = assignee;
    await this.client.call<Offense>('POST', `/siem/offenses/${offenseId}`, params);
    return { ok: true, message: `offense ${offenseId} ${assignee === undefined ? 'flagged for follow-up' : `assigned to ${assignee}`}`, externalId: offenseId };
  }

  /** An offense update sets values: running it again changes nothing. */
  reconcile(): Promise<Reconciliation> {
    return Promise.resolve({ state: 'run' });
  }
}

export class QradarCloseExecutor implements Executor {
  constructor(private readonly client: QradarClient) {}

  /** The closing reason id: `closing_reason_id` if it exists, else looked up by `closing_reason` text. */
  async reasonId(parameters: Readonly<Record<string, string>>): Promise<number> {
    const reasons = await this.client.call<ClosingReason[]>('GET', '/siem/offense_closing_reasons', { fields: 'id,text,is_deleted,is_reserved' });
    const usable = reasons.filter((r) => !r.is_deleted);
    const byId = parameters['closing_reason_id'];
    if (byId !== undefined) {
      const reason = usable.find((r) => String(r.id) === byId);
      if (reason === undefined) throw new PermanentActionError(`closing reason id ${byId} does not exist`);
      return reason.id;
    }
    const wanted = (parameters['closing_reason'] ?? '').trim().toLowerCase();
    const reason = usable.find((r) => r.text.toLowerCase() === wanted) ?? usable.find((r) => wanted !== '' && r.text.toLowerCase().includes(wanted));
    if (reason === undefined) throw new PermanentActionError(`no closing reason matches ${JSON.stringify(wanted.slice(0, 60))}`);
    return reason.id;
  }

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const offenseId = offenseIdOf(action.target);
    const reasonId = await this.reasonId(action.parameters);
    await this.client.call<Offense>('POST', `/siem/offenses/${offenseId}`, { status: 'CLOSED', closing_reason_id: String(reasonId), fields: 'id,status' });
    return { ok: true, message: `offense ${offenseId} closed with reason ${reasonId}`, externalId: offenseId };
  }

  async reconcile(action: ExecAction): Promise<Reconciliation> {
    const offenseId = offenseIdOf(action.target);
    const offense = await this.client.call<Offense>('GET', `/siem/offenses/${offenseId}`, { fields: 'id,status,closing_reason_id' });
    return offense.status === 'CLOSED'
      ? { state: 'done', result: { ok: true, message: `offense ${offenseId} found closed (reconciled)`, externalId: offenseId } }
      : { state: 'run' };
  }
}

export class QradarReferenceSetExecutor implements Executor {
  constructor(private readonly client: QradarClient) {}

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const set = action.parameters['set'];
    const value = action.parameters['value'];
    if (set === undefined || value === undefined) throw new PermanentActionError('reference set action needs set and value');
    const params: Record<string, string> = { value };
    if (action.parameters['source'] !== undefined) params['source'] = action.parameters['source'];
    const path = `/reference_data/sets/${encodeURIComponent(set)}`;
    try {
      await this.client.call('POST', path, params);
    } catch (error) {
      if (!(error instanceof PermanentActionError) || !error.message.includes(' 404')) throw error;
      try {
        await this.client.call('POST', '/reference_data/sets', { name: set, element_type: 'ALN' });
      } catch (createError) {
        if (!(createError instanceof PermanentActionError) || !createError.message.includes(' 409')) throw createError;
      }
      await this.client.call('POST', path, params);
    }
    return { ok: true, message: `value ${value} upserted in reference set ${set}`, externalId: `${set}/${value}` };
  }

  /** An upsert: running it again changes nothing. */
  reconcile(): Promise<Reconciliation> {
    return Promise.resolve({ state: 'run' });
  }
}
