import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Incident, SecurityEvent } from '@seam/schemas';
import type { Verdict } from '@seam/schemas/records/verdict';
import { userAgentOf } from '../domain/user-agent';

/** A prompt kept as versioned data (services/scorer/prompts/*.json). */
export const promptTemplateSchema = z.object({
  version: z.string().regex(/^[a-z][a-z0-9-]*\.v\d+$/),
  description: z.string(),
  system: z.array(z.string()).min(1),
  user: z.array(z.string()).min(1),
  limits: z.object({
    fieldChars: z.int().min(16).max(4000),
    rawFieldChars: z.int().min(16).max(8000),
    maxMembers: z.int().min(1).max(200),
    maxTokensOut: z.int().min(32).max(8000),
  }),
});
export type PromptTemplate = z.infer<typeof promptTemplateSchema>;

export interface ChatMessage {
  readonly role: 'system' | 'user';
  readonly content: string;
}

export interface RenderedPrompt {
  readonly messages: readonly ChatMessage[];
  /** sha256 of prompt version and messages: the audit's inputHash and the cache key. */
  readonly inputHash: string;
  readonly memberIds: readonly string[];
}

// Format (Cf: bidi overrides, zero-width, tags), control, private-use and lone surrogate code
// points: invisible to a reviewer, useful only to smuggle instructions.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;

/**
 * Attacker-controlled text as it enters the prompt: invisible characters removed, NFKC-folded,
 * cut to `max` characters (marked). JSON encoding afterwards escapes quotes and newlines, so no
 * value can close the data block or start a new line.
 */
export function untrusted(text: string, max: number): string {
  const head = text.length > max * 4 ? text.slice(0, max * 4) : text;
  const clean = head.normalize('NFKC').replace(INVISIBLE, ' ');
  return clean.length > max || head.length < text.length ? `${clean.slice(0, max)}…[truncated]` : clean;
}

const rawObjectSchema = z.record(z.string(), z.unknown());

/** Free-text fields of the original payload that carry most of its meaning (all attacker-controlled). */
const RAW_TEXT_FIELDS = ['description', 'Description', 'offense_source', 'eventName', 'errorMessage'] as const;
const RAW_STRUCTURED_FIELDS = ['requestParameters', 'Resources', 'service'] as const;

function rawFields(event: SecurityEvent, limits: PromptTemplate['limits']): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.raw.length > 200_000 ? '{}' : event.raw);
  } catch {
    return {};
  }
  const raw = rawObjectSchema.safeParse(parsed);
  if (!raw.success) return {};
  const out: Record<string, string> = {};
  for (const key of RAW_TEXT_FIELDS) {
    const value = raw.data[key];
    if (typeof value === 'string' && value !== '') out[key] = untrusted(value, limits.rawFieldChars);
  }
  for (const key of RAW_STRUCTURED_FIELDS) {
    const value = raw.data[key];
    if (value !== undefined && value !== null) out[key] = untrusted(JSON.stringify(value), limits.rawFieldChars);
  }
  return out;
}

function eventData(event: SecurityEvent, limits: PromptTemplate['limits']): Record<string, unknown> {
  const f = (text: string): string => untrusted(text, limits.fieldChars);
  const userAgent = userAgentOf(event);
  return {
    title: f(event.title),
    category: f(event.category),
    sourceSeverity: event.sourceSeverity,
    ips: event.entities.ips.slice(0, 10).map((ip) => ({ address: f(ip.address), role: ip.role, scope: ip.scope })),
    identities: event.entities.identities.slice(0, 10).map((id) => ({ name: f(id.raw), canonical: f(id.canonical), kind: id.kind })),
    hosts: event.entities.hosts.slice(0, 10).map((h) => ({ name: f(h.name), role: h.role })),
    ...(userAgent === null ? {} : { userAgent: f(userAgent) }),
    assets: event.enrichment.assets.slice(0, 5).map((a) => ({ key: f(a.key), criticality: a.criticality, internetFacing: a.internetFacing })),
    vulns: event.enrichment.vulns.slice(0, 5).map((v) => ({ cve: f(v.cve), cvss: v.cvss, exploitAvailable: v.exploitAvailable })),
    intel: event.enrichment.intel.slice(0, 5).map((i) => ({ indicator: f(i.indicator), verdict: i.verdict, score: i.score })),
    raw: rawFields(event, limits),
  };
}

/** The data the model sees: every string in it is treated as untrusted. */
function promptData(incident: Incident, events: readonly SecurityEvent[], baseline: Verdict, limits: PromptTemplate['limits']): unknown {
  const byId = new Map<string, SecurityEvent>();
  for (const e of events) byId.set(e.eventId, e);
  const members = incident.members.slice(0, limits.maxMembers).map((m) => {
    const event = byId.get(m.eventId);
    return {
      eventId: m.eventId,
      source: m.source,
      observedAt: new Date(m.observedAt).toISOString(),
      ...(event === undefined ? { title: untrusted(m.title, limits.fieldChars), sourceSeverity: m.sourceSeverity } : eventData(event, limits)),
    };
  });
  return {
    incident: { hybrid: incident.hybrid, tactics: incident.tactics.slice(0, 20), memberCount: incident.members.length + incident.membersOmitted, hotKeys: incident.hotKeys.length + incident.hotKeysOmitted },
    baseline: {
      severity: baseline.severity,
      riskScore: baseline.riskScore,
      confidence: baseline.confidence,
      falsePositiveLikelihood: baseline.falsePositiveLikelihood,
      factors: baseline.factors.map((x) => ({ name: x.name, points: x.points, detail: untrusted(x.detail, limits.fieldChars) })),
    },
    members,
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Renders the prompt. The data block is JSON (one line, every string escaped) between markers
 * carrying a nonce derived from the data itself: data cannot contain its own hash, so it cannot
 * forge the closing marker. No randomness, so equal content gives an equal input hash (cache key).
 */
export function renderPrompt(
  template: PromptTemplate, incident: Incident, events: readonly SecurityEvent[], baseline: Verdict, modelName: string,
): RenderedPrompt {
  const data = JSON.stringify(promptData(incident, events, baseline, template.limits));
  const nonce = sha256(data).slice(0, 16);
  const block = `<<<UNTRUSTED-DATA nonce=${nonce}\n${data}\n<<<END-UNTRUSTED-DATA nonce=${nonce}`;
  const fill = (line: string): string => line
    .replaceAll('{{baselineSeverity}}', baseline.severity)
    .replaceAll('{{nonce}}', nonce)
    .replaceAll('{{data}}', block);
  const messages: ChatMessage[] = [
    { role: 'system', content: template.system.join('\n') },
    { role: 'user', content: template.user.map(fill).join('\n') },
  ];
  const inputHash = sha256(JSON.stringify({ prompt: template.version, model: modelName, messages }));
  return { messages, inputHash, memberIds: incident.members.map((m) => m.eventId) };
}
