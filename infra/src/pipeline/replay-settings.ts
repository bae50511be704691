/**
 * Settings a replay (and the main job, which replays the bundled scenario) gives the services on
 * top of their defaults: short debounce and tick so versions come out quickly, and the correlator's
 * idle advance, which lets the watermark move to the wall clock once the input has gone quiet —
 * recorded events are hours or days old, so that settles every incident once the replay is fed.
 */
import type { RunSettings } from './services';

export const REPLAY_CORRELATOR_SETTINGS: Readonly<Record<string, string>> = {
  CORRELATOR_DEBOUNCE_MS: '300',
  CORRELATOR_MAX_DEBOUNCE_DELAY_MS: '2000',
  CORRELATOR_TICK_INTERVAL_MS: '250',
  CORRELATOR_IDLE_ADVANCE_MS: '3000',
};

/** Whether the scorer refines with an LLM in this run (then a replay also waits for each refinement's outcome). */
export function refinesWithLlm(settings: RunSettings): boolean {
  return settings.endpoints.LLM_BASE_URL !== undefined;
}
