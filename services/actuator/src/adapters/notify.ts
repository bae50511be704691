/**
 * Chat notification: a Slack / Teams incoming-webhook JSON POST (`{"text": ...}`; both accept it).
 * The webhook URL is a secret (it authorizes posting) and never appears in results or logs.
 */
import type { Secret } from '@seam/kit';
import { backoffMs, PermanentActionError, sleep, type ExecAction, type ExecutionResult, type Executor, type Reconciliation } from './executor';

export interface NotifyExecutorOptions {
  readonly webhookUrl: Secret | undefined;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  /** Link to the approvals page, added to the message when set. */
  readonly approvalsUrl?: string;
}

/** Strips what chat would render as mentions or links from attacker-influenced text. */
const plain = (text: string): string => text.replace(/[<>]/g, '').replace(/@(channel|here|everyone)/gi, '(at)$1').slice(0, 1500);

export class NotifyExecutor implements Executor {
  constructor(private readonly options: NotifyExecutorOptions) {}

  async execute(action: ExecAction): Promise<ExecutionResult> {
    if (this.options.webhookUrl === undefined) throw new PermanentActionError('no chat webhook configured (ACTUATOR_NOTIFY_WEBHOOK_URL)');
    const v = action.verdict;
    const text = [
      `Seam: ${v.severity.toUpperCase()} incident ${v.incidentId} (risk ${v.riskScore}, verdict v${v.verdictVersion})`,
      plain(v.summary),
      ...(this.options.approvalsUrl === undefined ? [] : [`Approvals: ${this.options.approvalsUrl}`]),
      `[seam-action:${action.actionId}]`,
    ].join('\n');
    const maxAttempts = this.options.maxAttempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const response = await fetch(this.options.webhookUrl.reveal(), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        status = response.status;
        await response.arrayBuffer();
        if (response.ok) return { ok: true, message: `notification posted to ${action.target}`, externalId: null };
        if (status !== 429 && status < 500) return { ok: false, message: `webhook answered ${status}`, externalId: null };
      } catch {
        // network error: retried below
      }
      if (attempt >= maxAttempts) return { ok: false, message: `webhook failed after ${attempt} attempts${status === 0 ? '' : ` (last status ${status})`}`, externalId: null };
      await sleep(backoffMs(attempt, 300, 5_000));
    }
  }

  /** A chat post cannot be looked up: not sent again (at most once). */
  reconcile(): Promise<Reconciliation> {
    return Promise.resolve({ state: 'unknown', message: 'notification outcome unknown after a crash; not sent again' });
  }
}
