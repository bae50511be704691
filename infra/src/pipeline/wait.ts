/**
 * Waits until every fed event is in a settled incident whose final version is scored (see
 * RunResults.progress), or the deadline passes. Events a stage dead-lettered are left out: their
 * DLQ record is their outcome.
 */
import type { PipelineRun } from './run';
import { refinesWithLlm } from './replay-settings';

export interface WaitOutcome {
  readonly complete: boolean;
  /** Fed event ids that must end in an incident (fed minus dead-lettered). */
  readonly expected: readonly string[];
  readonly pending: readonly string[];
}

/** The source's record id inside an event id: the key its raw and DLQ records carry. */
const sourceIdOf = (eventId: string) => eventId.replace(/^(qradar:offense|cloudtrail|guardduty|securityhub):/, '');

export async function waitUntilScored(
  run: PipelineRun,
  fed: readonly string[],
  deadline: number,
  onProgress?: (progress: { settled: number; scored: number; expected: number }) => void,
): Promise<WaitOutcome> {
  const refined = refinesWithLlm(run.settings);
  for (;;) {
    const dead = run.observer.deadLetterKeys;
    const expected = fed.filter((eventId) => !dead.has(sourceIdOf(eventId)));
    const progress = run.observer.results.progress(expected, refined);
    onProgress?.({ settled: progress.settled, scored: progress.scored, expected: expected.length });
    if (progress.pending.length === 0) return { complete: true, expected, pending: [] };
    if (Date.now() > deadline) return { complete: false, expected, pending: progress.pending };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
