import type { z } from 'zod';
import { incidentSchema, securityEventSchema, type Incident, type SecurityEvent } from '@seam/schemas';
import { DEFAULT_RISK_MODEL_CONFIG } from '../src/default-config';
import { compileRiskModel, parseRiskModelConfig, type RiskModel, type RiskModelConfig } from '../src/domain/index';

// Hand-made incidents: builders with neutral defaults, so each test states only what it is about.

export const T0 = Date.UTC(2025, 2, 12, 14, 0, 0); // Wednesday 2025-03-12 14:00 UTC
export const MINUTE = 60_000;

type EventInput = z.input<typeof securityEventSchema>;
export type EventOverrides = Partial<Omit<EventInput, 'entities' | 'enrichment'>> & {
  entities?: Partial<z.input<typeof securityEventSchema>['entities']>;
  enrichment?: Partial<z.input<typeof securityEventSchema>['enrichment']>;
};

let counter = 0;

export function event(overrides: EventOverrides = {}): SecurityEvent {
  counter += 1;
  const source = overrides.source ?? 'qradar';
  const id = overrides.sourceId ?? String(1000 + counter);
  const eventId = overrides.eventId ?? (source === 'qradar' ? `qradar:offense:${id}` : `${source}:${id}`);
  return securityEventSchema.parse({
    sourceId: id,
    rawKind: source === 'qradar' ? 'qradar_offense' : source === 'cloudtrail' ? 'cloudtrail_event'
      : source === 'guardduty' ? 'guardduty_finding' : 'securityhub_finding',
    observedAt: T0,
    sourceUpdatedAt: T0,
    ingestedAt: T0 + MINUTE,
    title: 'Suspicious activity',
    category: 'suspicious-activity',
    sourceSeverity: 20,
    raw: '{}',
    ...overrides,
    source,
    eventId,
    entities: { ...overrides.entities },
    enrichment: { ...overrides.enrichment },
  });
}

export function incidentOf(events: readonly SecurityEvent[], overrides: Partial<z.input<typeof incidentSchema>> = {}): Incident {
  const sources: Record<string, number> = {};
  for (const e of events) sources[e.source] = (sources[e.source] ?? 0) + 1;
  const present = new Set(events.map((e) => e.source));
  return incidentSchema.parse({
    incidentId: 'inc-test',
    version: 1,
    status: 'open',
    firstSeen: T0,
    lastSeen: T0,
    updatedAt: T0 + MINUTE,
    members: events.map((e) => ({
      eventId: e.eventId, source: e.source, observedAt: e.observedAt, title: e.title, sourceSeverity: e.sourceSeverity,
    })),
    hybrid: present.has('qradar') && [...present].some((s) => s !== 'qradar'),
    sources,
    ...overrides,
  });
}

export const STAMP = { verdictVersion: 1, decidedAt: T0 + 2 * MINUTE } as const;

export const defaultModel: RiskModel = compileRiskModel(DEFAULT_RISK_MODEL_CONFIG);

/** A model from the defaults with a part replaced (validated like the real thing). */
export function modelWith(patch: (config: RiskModelConfig) => RiskModelConfig): RiskModel {
  const copy = JSON.parse(JSON.stringify(DEFAULT_RISK_MODEL_CONFIG)) as RiskModelConfig;
  return compileRiskModel(parseRiskModelConfig(patch(copy)));
}

export const asset = (key: string, criticality: number, more: Partial<{ owner: string | null; supportGroup: string | null; internetFacing: boolean }> = {}) => ({
  key, criticality, owner: null, supportGroup: null, businessUnit: null, tags: [], internetFacing: false, ...more,
});

export const targetIp = (address: string) => ({ address, role: 'target' as const, scope: 'private' as const, namespace: 'corp' });
export const actorIp = (address: string, scope: 'public' | 'private' = 'public') =>
  ({ address, role: 'actor' as const, scope, namespace: scope === 'private' ? 'corp' : null });
export const actorIdentity = (canonical: string, raw = canonical, kind: 'ad' | 'iam_user' | 'iam_role_session' | 'email' | 'root' = 'ad') =>
  ({ canonical, raw, kind, role: 'actor' as const, resolved: true });

export const factorNamed = (verdict: { factors: readonly { name: string; points: number; detail: string }[] }, name: string) =>
  verdict.factors.find((factor) => factor.name === name);

/** Whether `text` holds a control, line-separator or bidi character, or one of `extra`. */
export function hasUnsafeCharacters(text: string, extra = ''): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e)) return true;
    if (extra.includes(ch)) return true;
  }
  return false;
}
