/** ISO 8601 date-time with a zone (Z or +hh:mm), as AWS writes it; anything else is rejected. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch milliseconds of an ISO 8601 timestamp, or null when it is not one. */
export function parseIsoMillis(text: string): number | null {
  const trimmed = text.trim();
  if (!ISO_DATE_TIME.test(trimmed)) return null;
  // Date.parse keeps milliseconds only; nanosecond digits beyond are dropped, not rounded.
  const ms = Date.parse(trimmed.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}
