import { compareStrings } from './keys';

export interface Ordered {
  readonly observedAt: number;
  readonly eventId: string;
}

/** The total order on events: event time, then eventId (code-unit order). */
export const compareEvents = (a: Ordered, b: Ordered): number =>
  a.observedAt - b.observedAt || compareStrings(a.eventId, b.eventId);
