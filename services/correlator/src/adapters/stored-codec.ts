import type { CorrelationEvent, EventIdentity, EventIp, KeyKind } from '../domain/index';

/**
 * Compact encodings of what the Redis state stores per event and per key occurrence. Memory per
 * live event is the state's cost driver: Redis keeps a small hash in a flat listpack only while
 * every value is at most `hash-max-listpack-value` (64 bytes by default) — one longer value turns
 * the whole hash into a hashtable at ~3x the size. So an occurrence (kind, roles and, for an IP, the
 * event's evidence identities) is a few characters instead of ~80 bytes of JSON, and an event is a
 * positional JSON array without its id (the key holds it).
 */

/** Per key occurrence: the roles and the event's evidence identities (for hot counting). */
export interface StoredOccurrence {
  readonly kind: KeyKind;
  readonly actor: boolean;
  readonly target: boolean;
  readonly identities: readonly string[];
}

/**
 * `<kind i|d><actor 0|1><target 0|1><identities>`: identities joined by a newline, or as a JSON array
 * when one contains a newline, the first starts with `[` or the only one is empty (attacker-
 * controlled strings must round-trip exactly). Identity occurrences store no identities: only IP keys are counted for hotness.
 */
export const encodeOccurrence = (occurrence: StoredOccurrence): string => {
  const head = `${occurrence.kind === 'ip' ? 'i' : 'd'}${occurrence.actor ? 1 : 0}${occurrence.target ? 1 : 0}`;
  if (occurrence.kind !== 'ip' || occurrence.identities.length === 0) return head;
  const joined = occurrence.identities.join('\n');
  // Plain only when it reads back the same: no newline inside, no leading `[`, not empty ([""]).
  const plain = joined !== '' && !joined.startsWith('[') && !occurrence.identities.some((identity) => identity.includes('\n'));
  return head + (plain ? joined : JSON.stringify(occurrence.identities));
};

export const decodeOccurrence = (text: string): StoredOccurrence => {
  const kind = text[0];
  if ((kind !== 'i' && kind !== 'd') || text.length < 3) throw new Error(`correlator: stored occurrence is not readable (${JSON.stringify(text.slice(0, 40))})`);
  const rest = text.slice(3);
  const identities = rest === '' ? [] : rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split('\n');
  return { kind: kind === 'i' ? 'ip' : 'identity', actor: text[1] === '1', target: text[2] === '1', identities };
};

type StoredIp = [string, 'a' | 't', 'u' | 'p', string] | [string, 'a' | 't', 'u' | 'p', string, 0 | 1];
type StoredIdentity = [string, EventIdentity['kind']] | [string, EventIdentity['kind'], 0 | 1];
type StoredEvent = [CorrelationEvent['source'], number, string, number, readonly string[], StoredIp[], StoredIdentity[]];

/**
 * `[source, observedAt, title, sourceSeverity, tactics, ips, identities]` with an IP as
 * `[address, a|t, u|p, namespace(, nonEvidence 0|1)]` and an identity as
 * `[canonical, kind(, servicePrincipal 0|1)]`: the optional flags are kept only when set on the
 * event (absent and false stay distinct, so a redelivery re-encodes to the same text).
 */
export const encodeEvent = (event: CorrelationEvent): string => {
  const ips = event.ips.map((ip): StoredIp => {
    const base: [string, 'a' | 't', 'u' | 'p', string] = [ip.address, ip.role === 'actor' ? 'a' : 't', ip.scope === 'public' ? 'u' : 'p', ip.namespace];
    return ip.nonEvidence === undefined ? base : [...base, ip.nonEvidence ? 1 : 0];
  });
  const identities = event.identities.map((identity): StoredIdentity =>
    identity.servicePrincipal === undefined ? [identity.canonical, identity.kind] : [identity.canonical, identity.kind, identity.servicePrincipal ? 1 : 0],
  );
  const stored: StoredEvent = [event.source, event.observedAt, event.title, event.sourceSeverity, event.tactics, ips, identities];
  return JSON.stringify(stored);
};

export const decodeEvent = (eventId: string, text: string): CorrelationEvent => {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed) || parsed.length !== 7) throw new Error(`correlator: stored event ${eventId} is not readable`);
  const [source, observedAt, title, sourceSeverity, tactics, ips, identities] = parsed as StoredEvent;
  return {
    eventId,
    source,
    observedAt,
    title,
    sourceSeverity,
    tactics,
    ips: ips.map((ip): EventIp => {
      const base: EventIp = { address: ip[0], role: ip[1] === 'a' ? 'actor' : 'target', scope: ip[2] === 'u' ? 'public' : 'private', namespace: ip[3] };
      return ip.length === 5 ? { ...base, nonEvidence: ip[4] === 1 } : base;
    }),
    identities: identities.map((identity): EventIdentity =>
      identity.length === 3 ? { canonical: identity[0], kind: identity[1], servicePrincipal: identity[2] === 1 } : { canonical: identity[0], kind: identity[1] },
    ),
  };
};
