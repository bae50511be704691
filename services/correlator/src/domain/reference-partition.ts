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
