import type { ActionKindName } from '../approvals/backend';

export interface ExecutionResult {
  readonly ok: boolean;
  readonly message: string;
  readonly externalId: string | null;
}

export interface ExecAction {
  readonly actionId: string;
  readonly kind: ActionKindName;
  readonly target: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly verdict: { readonly incidentId: string; readonly verdictVersion: number; readonly severity: string; readonly riskScore: number; readonly summary: string };
}

/** What a restarted actuator learns about an action whose claim was left 'executing'. */
export type Reconciliation =
  | { readonly state: 'done'; readonly result: ExecutionResult }
  /** Not visible, or the call is idempotent on the server: safe to run (again). */
  | { readonly state: 'run' }
  /** Cannot tell: not re-run (at most once), reported as failed. */
  | { readonly state: 'unknown'; readonly message: string };

export interface Executor {
  execute(action: ExecAction): Promise<ExecutionResult>;
  reconcile(action: ExecAction): Promise<Reconciliation>;
}

export type Executors = Readonly<Record<ActionKindName, Executor>>;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bounded exponential backoff with jitter (attempt 1 = first retry). */
export const backoffMs = (attempt: number, initialMs: number, maxMs: number): number => {
  const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.2 * Math.random()));
};

/** A permanent failure of the call (4xx other than throttling): reported, not retried. */
export class PermanentActionError extends Error {}

/** Error text safe for records: no secrets, bounded. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 500);
