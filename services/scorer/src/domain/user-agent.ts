import type { SecurityEvent } from '@seam/schemas/records/security-event';

/**
 * The user agent of a CloudTrail event (`userAgent`) or of a GuardDuty API-call finding
 * (native `service.action.awsApiCallAction.userAgent`, or the ASFF ProductFields entry when present),
 * from the v2 field `userAgent` when set, else read from `raw`; null otherwise.
 * Parses JSON, so callers build ScoringContext.userAgents once per event, outside the hot path.
 */
export function userAgentOf(event: SecurityEvent): string | null {
  // SecurityEvent v2 carries it (filled by the enricher); v1 records only have it in `raw`.
  if (typeof event.userAgent === 'string') return event.userAgent;
  if (event.source !== 'cloudtrail' && event.source !== 'guardduty') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(event.raw);
  } catch {
    return null;
  }
  if (event.source === 'cloudtrail') return stringAt(raw, ['userAgent']);
  return stringAt(raw, ['service', 'action', 'awsApiCallAction', 'userAgent'])
    ?? stringAt(raw, ['ProductFields', 'action/awsApiCallAction/userAgent']);
}

function stringAt(value: unknown, path: readonly string[]): string | null {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' ? current : null;
}
