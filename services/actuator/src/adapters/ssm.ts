/**
 * SSM Automation executor: StartAutomationExecution with a ClientToken derived from the action id
 * (so a retry or a restart after a crash gets the same execution back instead of a second one),
 * then GetAutomationExecution until a final state. Throttling is retried by the SDK.
 */
import { GetAutomationExecutionCommand, StartAutomationExecutionCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { clientTokenFor } from '../domain/plan';
import { PermanentActionError, sleep, type ExecAction, type ExecutionResult, type Executor, type Reconciliation } from './executor';

const FINAL_OK = new Set(['Success', 'CompletedWithSuccess']);
const FINAL_BAD = new Set(['Failed', 'TimedOut', 'Cancelled', 'CompletedWithFailure', 'Rejected', 'Exited']);
/** Parameters of the action that are not automation parameters. */
const RESERVED = new Set(['DocumentName', 'DocumentVersion', 'assetTags', 'account', 'accountId', 'identity']);

export interface SsmExecutorOptions {
  readonly client: SSMClient;
  /** AutomationAssumeRole passed when the action does not carry one. */
  readonly assumeRoleArn?: string;
  readonly pollIntervalMs?: number;
  /** How long to follow an execution before reporting it failed (still running). */
  readonly followTimeoutMs?: number;
}

export class SsmAutomationExecutor implements Executor {
  constructor(private readonly options: SsmExecutorOptions) {}

  async execute(action: ExecAction): Promise<ExecutionResult> {
    const documentName = action.parameters['DocumentName'];
    if (documentName === undefined || documentName === '') throw new PermanentActionError('ssm.automation needs DocumentName');
    const parameters: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(action.parameters)) if (!RESERVED.has(name)) parameters[name] = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (parameters['AutomationAssumeRole'] === undefined && this.options.assumeRoleArn !== undefined) parameters['AutomationAssumeRole'] = [this.options.assumeRoleArn];
    const started = await this.options.client.send(new StartAutomationExecutionCommand({
      DocumentName: documentName,
      ...(action.parameters['DocumentVersion'] === undefined ? {} : { DocumentVersion: action.parameters['DocumentVersion'] }),
      Parameters: parameters,
      ClientToken: clientTokenFor(action.actionId),
    }));
    const executionId = started.AutomationExecutionId;
    if (executionId === undefined) throw new Error('StartAutomationExecution returned no execution id');
    return this.follow(executionId, documentName);
  }

  private async follow(executionId: string, documentName: string): Promise<ExecutionResult> {
    const deadline = Date.now() + (this.options.followTimeoutMs ?? 10 * 60_000);
    for (;;) {
      const answer = await this.options.client.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }));
      const status = answer.AutomationExecution?.AutomationExecutionStatus ?? 'Unknown';
      if (FINAL_OK.has(status)) return { ok: true, message: `${documentName} execution ${executionId}: ${status}`, externalId: executionId };
      if (FINAL_BAD.has(status)) {
        const why = (answer.AutomationExecution?.FailureMessage ?? '').slice(0, 300);
        return { ok: false, message: `${documentName} execution ${executionId}: ${status}${why === '' ? '' : ` (${why})`}`, externalId: executionId };
      }
      if (Date.now() > deadline) return { ok: false, message: `${documentName} execution ${executionId} still ${status} when following timed out`, externalId: executionId };
      await sleep(this.options.pollIntervalMs ?? 1_000);
    }
  }

  /** The ClientToken makes StartAutomationExecution idempotent on the server: running again returns the same execution. */
  reconcile(): Promise<Reconciliation> {
    return Promise.resolve({ state: 'run' });
  }
}
