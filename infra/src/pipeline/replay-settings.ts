/**
 * Settings a replay (and the main job, which replays the bundled scenario) gives the services on
 * top of their defaults: short debounce and tick so versions come out quickly. Recorded events are
 * hours or days old: they settle when PipelineRun.feed signals the end of input (the correlator's
 * watermark floor raised to the wall clock), not through the idle advance, which keeps its default
 * (60 s) so that a stage restart or a broker outage during a replay does not make the rest late.
 */
import type { RunSettings } from './services';

export const REPLAY_CORRELATOR_SETTINGS: Readonly<Record<string, string>> = {
  CORRELATOR_DEBOUNCE_MS: '300',
  CORRELATOR_MAX_DEBOUNCE_DELAY_MS: '2000',
  CORRELATOR_TICK_INTERVAL_MS: '250',
};

/** Whether the scorer refines with an LLM in this run (then a replay also waits for each refinement's outcome). */
export function refinesWithLlm(settings: RunSettings): boolean {
  return settings.endpoints.LLM_BASE_URL !== undefined;
}
