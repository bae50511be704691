import { createHash } from 'node:crypto';

/**
 * An incident is named after its earliest member by (observedAt, eventId): the union-find root.
 * The root is a function of the member set only, so the surviving id does not depend on arrival
 * order or on which instance saw what. Hashing keeps ids fixed-length and free of source syntax.
 */
export const incidentIdFor = (rootEventId: string): string =>
  `inc-${createHash('sha256').update(rootEventId, 'utf8').digest('hex').slice(0, 32)}`;
