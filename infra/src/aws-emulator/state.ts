// Everything the emulator holds, with the seeds it resets to.

import { defaultDocuments, type AutomationDocumentInput } from './automation-documents';
import { AutomationStore, type AutomationTiming } from './automation-store';
import { CallLog } from './call-log';
import { FindingsStore } from './findings-store';
import type { AsffFinding } from './asff-fields';

export interface StateOptions {
  /** ASFF findings present at start (and after reset), stored without the per-call limits. */
  findings?: readonly AsffFinding[];
  /** Automation documents; defaults to AWSSupport-ContainEC2Instance and AWS-StopEC2Instance. */
  documents?: readonly AutomationDocumentInput[];
  automation?: Partial<AutomationTiming>;
  batchUpdateBumpsUpdatedAt?: boolean;
  /** The emulator's clock (tests may drive it); defaults to the system clock. */
  now?: () => Date;
}

export class EmulatorState {
  readonly securityHub: FindingsStore;
  readonly ssm: AutomationStore;
  readonly calls = new CallLog();
  readonly now: () => Date;
  private readonly seeds: readonly AsffFinding[];

  constructor(options: StateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.securityHub = new FindingsStore(options.batchUpdateBumpsUpdatedAt === undefined ? {} : { batchUpdateBumpsUpdatedAt: options.batchUpdateBumpsUpdatedAt });
    this.ssm = new AutomationStore(options.documents ?? defaultDocuments, options.automation ?? {});
    this.seeds = structuredClone([...(options.findings ?? [])]);
    this.seed();
  }

  private seed(): void {
    const now = this.now();
    for (const finding of this.seeds) this.securityHub.put(finding, now);
  }

  /** Back to the seeded findings (or none), no executions, no recorded calls. */
  reset(options: { empty?: boolean } = {}): void {
    this.securityHub.clear();
    this.ssm.clear();
    this.calls.clear();
    if (options.empty !== true) this.seed();
  }
}
