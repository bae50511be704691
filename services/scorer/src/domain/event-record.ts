/**
 * The compact record the scorer keeps per SecurityEvent (from `enriched`) so that an incident's
 * members can be scored with their entities and enrichment: only what the risk model and the prompt
 * read — no `raw`, `rawEvents` or `description`. Bounded in size (lists relevant-first, strings cut),
 * validated on read: anything that does not parse is treated as missing, never thrown.
 * Pure (no I/O): the Redis side is in adapters/event-store.ts.
 */
import { z } from 'zod';
import { roleSchema, sourceSystemSchema, type RawKind, type SourceSystem } from '@seam/schemas/records/common';
import { identityKindSchema, intelVerdictSchema, scopeSchema, type SecurityEvent } from '@seam/schemas/records/security-event';
import { userAgentOf } from './user-agent';

export const EVENT_RECORD_FORMAT = 1;
/** Default cap of one stored record (UTF-8 bytes of its JSON). */
export const DEFAULT_EVENT_RECORD_MAX_BYTES = 8_192;

// String bounds: keys are matched exactly (asset key = IP / host), so they are generous; free text is cut.
const KEY_CHARS = 512;
const TEXT_CHARS = 256;
const USER_AGENT_CHARS = 512;
const SHORT_CHARS = 128;

const text = (max: number) => z.string().max(max);
const nullableText = (max: number) => z.string().max(max).nullable();
const ms = () => z.int().nonnegative().max(2 ** 52);

export const eventRecordSchema = z.object({
  f: z.literal(EVENT_RECORD_FORMAT),
  eventId: z.string().min(1).max(1024),
  source: sourceSystemSchema,
  sourceId: text(1024),
  observedAt: ms(),
  sourceUpdatedAt: ms(),
  ingestedAt: ms(),
  title: text(TEXT_CHARS),
  category: text(SHORT_CHARS),
  sourceSeverity: z.int().min(0).max(100),
  mitre: z.array(z.object({ tactic: nullableText(SHORT_CHARS), technique: nullableText(SHORT_CHARS), name: nullableText(SHORT_CHARS) })),
  ips: z.array(z.object({ address: z.string().min(1).max(KEY_CHARS), role: roleSchema, scope: scopeSchema, namespace: nullableText(SHORT_CHARS) })),
  identities: z.array(z.object({
    canonical: z.string().min(1).max(KEY_CHARS),
    raw: text(KEY_CHARS),
    kind: identityKindSchema,
    role: roleSchema,
    resolved: z.boolean(),
    privileged: z.boolean().nullable(),
    department: nullableText(SHORT_CHARS),
  })),
  hosts: z.array(z.object({ name: z.string().min(1).max(KEY_CHARS), role: roleSchema })),
  cloudResources: z.array(text(KEY_CHARS)),
  accounts: z.array(text(SHORT_CHARS)),
  assets: z.array(z.object({
    key: text(KEY_CHARS),
    owner: nullableText(TEXT_CHARS),
    supportGroup: nullableText(TEXT_CHARS),
    businessUnit: nullableText(TEXT_CHARS),
    criticality: z.int().min(1).max(5),
    tags: z.array(text(SHORT_CHARS)),
    internetFacing: z.boolean(),
    namespace: nullableText(SHORT_CHARS),
  })),
  vulns: z.array(z.object({
    cve: text(SHORT_CHARS),
    cvss: z.number().min(0).max(10).nullable(),
    exploitAvailable: z.boolean(),
    host: text(KEY_CHARS),
    namespace: nullableText(SHORT_CHARS),
  })),
  intel: z.array(z.object({
    indicator: text(KEY_CHARS),
    verdict: intelVerdictSchema,
    score: z.number().min(0).max(100).nullable(),
    source: text(SHORT_CHARS),
    tags: z.array(text(SHORT_CHARS)),
  })),
  missing: z.array(text(SHORT_CHARS)),
  userAgent: nullableText(USER_AGENT_CHARS),
  errorCode: nullableText(SHORT_CHARS),
  /** Lists or strings were cut to fit the size cap. */
  truncated: z.boolean(),
});
export type EventRecord = z.infer<typeof eventRecordSchema>;

export interface CompactedEvent {
  readonly record: EventRecord;
  /** The JSON stored; at most `maxBytes` UTF-8 bytes. */
  readonly text: string;
}

const VERDICT_RANK: Record<string, number> = { malicious: 0, suspicious: 1, unknown: 2, benign: 3 };

/** Most relevant first, so cutting a list keeps what the score depends on. */
function ranked(event: SecurityEvent) {
  const { enrichment, entities } = event;
  return {
    assets: [...enrichment.assets].sort((a, b) => b.criticality - a.criticality || Number(b.internetFacing) - Number(a.internetFacing)),
    vulns: [...enrichment.vulns].sort((a, b) => Number(b.exploitAvailable) - Number(a.exploitAvailable) || (b.cvss ?? 10) - (a.cvss ?? 10)),
    intel: [...enrichment.intel].sort((a, b) => (VERDICT_RANK[a.verdict] ?? 9) - (VERDICT_RANK[b.verdict] ?? 9) || (b.score ?? 100) - (a.score ?? 100)),
    identities: [...entities.identities].sort((a, b) => Number(b.privileged === true) - Number(a.privileged === true)),
    // Targets first: they decide whether an asset counts.
    ips: [...entities.ips].sort((a, b) => Number(b.role === 'target') - Number(a.role === 'target')),
    hosts: [...entities.hosts].sort((a, b) => Number(b.role === 'target') - Number(a.role === 'target')),
  };
}

/**
 * The compact record of `event`, or null when even its smallest form (every list empty) exceeds
 * `maxBytes` (then the event is not stored and its member counts as unavailable).
 */
export function compactEvent(event: SecurityEvent, maxBytes: number = DEFAULT_EVENT_RECORD_MAX_BYTES): CompactedEvent | null {
  if (event.eventId.length > 1024 || event.sourceId.length > 1024) return null;
  const order = ranked(event);
  const userAgent = event.userAgent ?? userAgentOf(event);
  let cut = false;
  const s = (value: string, max: number): string => {
    if (value.length <= max) return value;
    cut = true;
    return value.slice(0, max);
  };
  const n = (value: string | null | undefined, max: number): string | null => (value === null || value === undefined ? null : s(value, max));
  const build = (cap: number): EventRecord => {
    const take = <T>(list: readonly T[], limit = cap): T[] => {
      if (list.length > limit) cut = true;
      return list.slice(0, limit);
    };
    return {
      f: EVENT_RECORD_FORMAT,
      eventId: event.eventId,
      source: event.source,
      sourceId: event.sourceId,
      observedAt: event.observedAt,
      sourceUpdatedAt: event.sourceUpdatedAt,
      ingestedAt: event.ingestedAt,
      title: s(event.title, TEXT_CHARS),
      category: s(event.category, SHORT_CHARS),
      sourceSeverity: event.sourceSeverity,
      mitre: take(event.mitre).map((m) => ({ tactic: n(m.tactic, SHORT_CHARS), technique: n(m.technique, SHORT_CHARS), name: n(m.name, SHORT_CHARS) })),
      ips: take(order.ips).map((ip) => ({ address: s(ip.address, KEY_CHARS), role: ip.role, scope: ip.scope, namespace: n(ip.namespace, SHORT_CHARS) })),
      identities: take(order.identities).map((id) => ({
        canonical: s(id.canonical, KEY_CHARS), raw: s(id.raw, KEY_CHARS), kind: id.kind, role: id.role, resolved: id.resolved,
        privileged: id.privileged ?? null, department: n(id.department, SHORT_CHARS),
      })),
      hosts: take(order.hosts).map((h) => ({ name: s(h.name, KEY_CHARS), role: h.role })),
      cloudResources: take(event.entities.cloudResources).map((r) => s(r, KEY_CHARS)),
      accounts: take(event.entities.accounts).map((a) => s(a, SHORT_CHARS)),
      assets: take(order.assets).map((a) => ({
        key: s(a.key, KEY_CHARS), owner: n(a.owner, TEXT_CHARS), supportGroup: n(a.supportGroup, TEXT_CHARS), businessUnit: n(a.businessUnit, TEXT_CHARS),
        criticality: a.criticality, tags: take(a.tags, Math.min(cap, 8)).map((t) => s(t, SHORT_CHARS)), internetFacing: a.internetFacing, namespace: n(a.namespace, SHORT_CHARS),
      })),
      vulns: take(order.vulns).map((v) => ({ cve: s(v.cve, SHORT_CHARS), cvss: v.cvss, exploitAvailable: v.exploitAvailable, host: s(v.host, KEY_CHARS), namespace: n(v.namespace, SHORT_CHARS) })),
      intel: take(order.intel).map((i) => ({
        indicator: s(i.indicator, KEY_CHARS), verdict: i.verdict, score: i.score, source: s(i.source, SHORT_CHARS), tags: take(i.tags, Math.min(cap, 8)).map((t) => s(t, SHORT_CHARS)),
      })),
      missing: take(event.enrichment.missing, Math.max(cap, 16)).map((m) => s(m, SHORT_CHARS)),
      userAgent: n(userAgent, USER_AGENT_CHARS),
      errorCode: n(event.errorCode, SHORT_CHARS),
      truncated: false,
    };
  };
  for (const cap of [64, 16, 4, 1, 0]) {
    cut = false;
    const record = build(cap);
    record.truncated = cut;
    const text = JSON.stringify(record);
    if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { record, text };
  }
  return null;
}

/** The record in `text`, or null when it is not a valid record (corrupted, foreign, older format). */
export function parseEventRecord(text: string, expectedEventId?: string): EventRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = eventRecordSchema.safeParse(value);
  if (!parsed.success) return null;
  if (expectedEventId !== undefined && parsed.data.eventId !== expectedEventId) return null;
  return parsed.data;
}

const RAW_KIND: Record<SourceSystem, RawKind> = {
  qradar: 'qradar_offense',
  securityhub: 'securityhub_finding',
  guardduty: 'guardduty_finding',
  cloudtrail: 'cloudtrail_event',
  unknown: 'unknown',
};

/** A SecurityEvent as the risk model reads it (no raw payload: `raw` is "{}"). */
export function eventOfRecord(record: EventRecord): SecurityEvent {
  return {
    eventId: record.eventId,
    source: record.source,
    rawKind: RAW_KIND[record.source],
    sourceId: record.sourceId,
    observedAt: record.observedAt,
    sourceUpdatedAt: record.sourceUpdatedAt,
    ingestedAt: record.ingestedAt,
    title: record.title,
    description: null,
    category: record.category,
    sourceSeverity: record.sourceSeverity,
    mitre: record.mitre,
    entities: {
      ips: record.ips.map((ip) => ({ ...ip, nonEvidence: false, nonEvidenceReason: null })),
      identities: record.identities.map((id) => ({ ...id, nonEvidence: false, nonEvidenceReason: null })),
      hosts: record.hosts,
      cloudResources: record.cloudResources,
      accounts: record.accounts,
      nonEvidenceIps: [],
      nonEvidenceIdentities: [],
    },
    enrichment: { assets: record.assets, vulns: record.vulns, intel: record.intel, missing: record.missing },
    raw: '{}',
    rawEvents: null,
    errorCode: record.errorCode,
    userAgent: record.userAgent,
  };
}
