import { parseCorrelationConfig, type CorrelationConfigInput } from './config';
import type { CorrelationEvent } from './event';
import { hotCount } from './hot';
import { incidentIdFor } from './incident-id';
import { compareStrings, compileKeyPolicy, extractKeys, type EventKeys } from './keys';
import { rolesLink, withinWindow } from './linking';
import { compareEvents } from './order';
import { DeterministicUnionFind } from './union-find';

/**
 * The specification of the final partition, written as plainly as possible (all pairs, no
 * incremental state): the engine must end in exactly this partition for any arrival order in which
 * no event is late. Quadratic; for tests and for explaining the rules.
 */
export const referencePartition = (
  events: readonly CorrelationEvent[],
  configInput: CorrelationConfigInput = {},
): Map<string, string[]> => {
  const { config, unique, keyed, hotAt } = referenceInput(events, configInput);
  const linkable = (event: CorrelationEvent, keys: EventKeys, key: string): boolean =>
    keys.keys.get(key)?.kind === 'identity' || !hotAt(key, event.observedAt);

  const byId = new Map(unique.map((event) => [event.eventId, event]));
  const components = new DeterministicUnionFind((a, b) => {
    const left = byId.get(a);
    const right = byId.get(b);
    return left !== undefined && right !== undefined && compareEvents(left, right) < 0;
  });
  for (const event of unique) components.add(event.eventId);
  for (const [i, a] of keyed.entries()) {
    for (const b of keyed.slice(i + 1)) {
      for (const [key, occurrence] of a.keys.keys) {
        const other = b.keys.keys.get(key);
        if (other === undefined || !rolesLink(occurrence, other)) continue;
        if (!withinWindow(config, occurrence.kind, a.event.observedAt, b.event.observedAt)) continue;
        if (!linkable(a.event, a.keys, key) || !linkable(b.event, b.keys, key)) continue;
        components.union(a.event.eventId, b.event.eventId);
      }
    }
  }
  const result = new Map<string, string[]>();
  for (const root of components.roots()) {
    result.set(incidentIdFor(root), [...components.membersOf(root)].sort(compareStrings));
  }
  return result;
};

/**
 * The IP occurrences that are hot at their own event (`<key>|<eventId>`, sorted): exactly the hot
 * decisions a run over these events must report, once each (the `hot key` metric). Identity keys
 * are never hot.
 */
export const referenceHotOccurrences = (events: readonly CorrelationEvent[], configInput: CorrelationConfigInput = {}): string[] => {
  const { keyed, hotAt } = referenceInput(events, configInput);
  const hot: string[] = [];
  for (const { event, keys } of keyed) {
    for (const [key, occurrence] of keys.keys) if (occurrence.kind === 'ip' && hotAt(key, event.observedAt)) hot.push(`${key}|${event.eventId}`);
  }
  return hot.sort(compareStrings);
};

/** The distinct events with their keys, and the hotness rule over all of them (all pairs). */
const referenceInput = (events: readonly CorrelationEvent[], configInput: CorrelationConfigInput) => {
  const config = parseCorrelationConfig(configInput);
  const policy = compileKeyPolicy(config);
  const unique = [...new Map(events.map((event) => [event.eventId, event])).values()];
  const keyed = unique.map((event) => ({ event, keys: extractKeys(event, policy) }));
  const hotAt = (key: string, at: number): boolean =>
    hotCount(
      keyed
        .filter(({ event, keys }) => keys.keys.has(key) && event.observedAt >= at - config.windowMs.ip && event.observedAt <= at + config.hotKeyLookaheadMs)
        .map(({ keys }) => keys.identities),
    ) > config.hotKeyDistinctIdentities;
  return { config, unique, keyed, hotAt };
};
