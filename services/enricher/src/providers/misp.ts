/** Threat intelligence: a MISP-style `POST /attributes/restSearch`, and a plain indicator feed file. */
import { readFileSync } from 'node:fs';
import type { Secret } from '@seam/kit';
import { z } from 'zod';
import { canonicalizeIp } from '../domain/ip';
import { scoreFromMispThreatLevel, type Indicator, type IntelHit, type IntelProvider } from '../domain/providers';
import { fetchJson } from './http-json';

const tag = z.object({ name: z.string() });
const attribute = z.object({
  value: z.string(),
  type: z.string().optional(),
  category: z.string().optional(),
  to_ids: z.boolean().optional(),
  Tag: z.array(tag).optional(),
  Event: z.object({ threat_level_id: z.union([z.string(), z.number()]).optional(), Tag: z.array(tag).optional() }).optional(),
});
export const restSearchAnswer = z.object({ response: z.object({ Attribute: z.array(attribute).default([]) }) });

/** MISP attribute types searched per indicator kind. */
export const MISP_TYPES: Record<Indicator['kind'], readonly string[]> = {
  ip: ['ip-src', 'ip-dst'],
  host: ['domain', 'hostname'],
};

/** All attributes for one indicator, folded into one hit: to_ids anywhere -> malicious, else suspicious; the highest threat level; every tag. */
export function intelFromMisp(indicator: string, attributes: readonly z.infer<typeof attribute>[], source = 'misp'): IntelHit[] {
  if (attributes.length === 0) return [];
  const tags = new Set<string>();
  let score: number | null = null;
  let malicious = false;
  for (const a of attributes) {
    malicious ||= a.to_ids === true;
    const s = scoreFromMispThreatLevel(a.Event?.threat_level_id);
    if (s !== null && (score === null || s > score)) score = s;
    for (const t of [...(a.Tag ?? []), ...(a.Event?.Tag ?? [])]) tags.add(t.name);
    if (a.category !== undefined) tags.add(`category:${a.category}`);
  }
  return [{ indicator, verdict: malicious ? 'malicious' : 'suspicious', score, source, tags: [...tags].sort() }];
}

export interface MispOptions {
  readonly baseUrl: string;
  readonly apiKey: Secret;
}

export class MispIntel implements IntelProvider {
  readonly name = 'intel';
  readonly kind = 'intel';
  readonly indicatorKinds = ['ip', 'host'] as const;
  constructor(private readonly options: MispOptions) {}

  async lookup(indicator: Indicator, signal: AbortSignal): Promise<IntelHit[]> {
    const url = new URL('attributes/restSearch', this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    const body = await fetchJson(this.name, url, {
      method: 'POST',
      headers: { authorization: this.options.apiKey.reveal() },
      body: { returnFormat: 'json', value: indicator.value, type: MISP_TYPES[indicator.kind], includeEventTags: true },
      signal,
    });
    const parsed = restSearchAnswer.safeParse(body);
    if (!parsed.success) throw new Error('intel: answer is not a restSearch result');
    // Exact matches only (MISP's value search may match wider patterns).
    return intelFromMisp(indicator.value, parsed.data.response.Attribute.filter((a) => a.value.toLowerCase() === indicator.value.toLowerCase()));
  }
}

const VERDICTS = new Set(['malicious', 'suspicious', 'benign', 'unknown']);

/**
 * A plain feed: one indicator per line, optionally `indicator,verdict,score,tag;tag`; `#` starts a
 * comment. IPs are canonicalized, names lower-cased. Bad lines reject the file with their numbers.
 */
export function parseIndicatorFeed(text: string, source: string): Map<string, IntelHit> {
  const hits = new Map<string, IntelHit>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [indicatorText = '', verdictText = 'malicious', scoreText = '', tagsText = ''] = line.split(',').map((f) => f.trim());
    const indicator = canonicalizeIp(indicatorText) ?? indicatorText.toLowerCase();
    const score = scoreText === '' ? null : Number(scoreText);
    if (!/^[a-z0-9.:_-]+$/.test(indicator)) problems.push(`line ${i + 1}: not an IP or host name`);
    else if (!VERDICTS.has(verdictText)) problems.push(`line ${i + 1}: verdict must be malicious, suspicious, benign or unknown`);
    else if (score !== null && !(score >= 0 && score <= 100)) problems.push(`line ${i + 1}: score must be 0-100`);
    else hits.set(indicator, { indicator, verdict: verdictText as IntelHit['verdict'], score, source, tags: tagsText.split(/[;|]/).map((t) => t.trim()).filter((t) => t !== '') });
  });
  if (problems.length > 0) throw new Error(`indicator feed ${source}: ${problems.join('; ')}`);
  return hits;
}

export class FeedIntel implements IntelProvider {
  readonly kind = 'intel';
  readonly indicatorKinds = ['ip', 'host'] as const;
  constructor(
    readonly name: string,
    private readonly hits: ReadonlyMap<string, IntelHit>,
  ) {}

  static fromFile(path: string, name = 'intel-feed'): FeedIntel {
    return new FeedIntel(name, parseIndicatorFeed(readFileSync(path, 'utf8'), name));
  }

  lookup(indicator: Indicator): Promise<IntelHit[]> {
    const hit = this.hits.get(indicator.value);
    return Promise.resolve(hit === undefined ? [] : [hit]);
  }
}
