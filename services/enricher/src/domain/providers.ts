/**
 * Enrichment providers: the small interfaces every backend (file, HTTP) implements, the indicators
 * an event offers them, and the pure merge of their answers into `enrichment`. No I/O here.
 */
import type { Asset, IntelHit, SecurityEvent, Vulnerability } from '@seam/schemas';

export type { Asset, IntelHit, Vulnerability };

/**
 * What a provider looks up: an IP (canonical text) or a host / domain name (lower-case). A private
 * IP carries its network namespace (overlapping private ranges in two namespaces are different
 * machines); public IPs and host names have namespace null.
 */
export interface Indicator {
  readonly kind: 'ip' | 'host';
  readonly value: string;
  readonly namespace: string | null;
}

/**
 * The records of a source that apply to an indicator in its namespace. Records tagged with the
 * indicator's namespace win; untagged records (a source that knows no namespaces) apply when none
 * is tagged for it; records tagged with another namespace never apply. Public addresses and host
 * names (namespace null) take every record.
 */
export function forNamespace<T>(records: readonly T[], namespaceOf: (record: T) => string | null, namespace: string | null): T[] {
  if (namespace === null) return [...records];
  const exact = records.filter((r) => namespaceOf(r) === namespace);
  return exact.length > 0 ? exact : records.filter((r) => namespaceOf(r) === null);
}

/** A CMDB or asset-range source: the assets an indicator belongs to. */
export interface AssetProvider {
  readonly name: string;
  readonly kind: 'assets';
  readonly indicatorKinds: readonly Indicator['kind'][];
  lookup(indicator: Indicator, signal: AbortSignal): Promise<Asset[]>;
}

/** A vulnerability scanner export: the open findings on an asset. */
export interface VulnProvider {
  readonly name: string;
  readonly kind: 'vulns';
  readonly indicatorKinds: readonly Indicator['kind'][];
  lookup(indicator: Indicator, signal: AbortSignal): Promise<Vulnerability[]>;
}

/** A threat-intelligence source: what it knows about an indicator. */
export interface IntelProvider {
  readonly name: string;
  readonly kind: 'intel';
  readonly indicatorKinds: readonly Indicator['kind'][];
  lookup(indicator: Indicator, signal: AbortSignal): Promise<IntelHit[]>;
}

export type EnrichmentProvider = AssetProvider | VulnProvider | IntelProvider;

/** One provider's answer for one event: everything it found, or the fact that it did not answer. */
export type ProviderOutcome =
  | { readonly provider: string; readonly status: 'ok'; readonly assets?: readonly Asset[]; readonly vulns?: readonly Vulnerability[]; readonly intel?: readonly IntelHit[] }
  | { readonly provider: string; readonly status: 'missing'; readonly reason: 'timeout' | 'error' | 'circuit-open' };

/**
 * The indicators of an event: every entity IP with its namespace (null for public addresses), and
 * host names. Sorted and de-duplicated per (address, namespace).
 */
export function indicatorsOf(event: SecurityEvent): Indicator[] {
  const ips = new Map<string, Indicator>();
  for (const ip of event.entities.ips) {
    const namespace = ip.scope === 'private' ? (ip.namespace ?? null) : null;
    ips.set(`${ip.address}\u0000${namespace ?? ''}`, { kind: 'ip', value: ip.address, namespace });
  }
  const hosts = new Set(event.entities.hosts.map((host) => host.name.toLowerCase()));
  const order = (a: Indicator, b: Indicator) => (a.value < b.value ? -1 : a.value > b.value ? 1 : (a.namespace ?? '') < (b.namespace ?? '') ? -1 : (a.namespace ?? '') > (b.namespace ?? '') ? 1 : 0);
  return [
    ...[...ips.values()].sort(order),
    ...[...hosts].sort().map((value) => ({ kind: 'host' as const, value, namespace: null })),
  ];
}

/** Criticality from ServiceNow's `busines_criticality` choice ("1 - most critical" .. "4 - not critical") on the 1-5 scale (5 = crown jewel). */
export function criticalityFromServiceNow(value: string | null | undefined): number {
  const digit = /^\s*(\d)/.exec(value ?? '')?.[1] ?? '';
  switch (digit) {
    case '1':
      return 5;
    case '2':
      return 4;
    case '3':
      return 3;
    case '4':
      return 2;
    default:
      return 1;
  }
}

/** MISP `threat_level_id` (1 high, 2 medium, 3 low, 4 undefined) as a 0-100 score. */
export function scoreFromMispThreatLevel(level: string | number | null | undefined): number | null {
  switch (String(level ?? '')) {
    case '1':
      return 90;
    case '2':
      return 60;
    case '3':
      return 30;
    default:
      return null;
  }
}

const assetKey = (a: Asset) => `${a.key}\u0000${a.namespace ?? ''}`;
const vulnKey = (v: Vulnerability) => `${v.host}\u0000${v.namespace ?? ''}\u0000${v.cve}`;
const intelKey = (i: IntelHit) => `${i.indicator}\u0000${i.source}`;

function mergeInto<T>(target: Map<string, T>, items: readonly T[], key: (item: T) => string, prefer: (current: T, next: T) => T): void {
  for (const item of items) {
    const k = key(item);
    const current = target.get(k);
    target.set(k, current === undefined ? item : prefer(current, item));
  }
}

/**
 * Merges provider outcomes into the event's `enrichment`, in provider order: the first answer for
 * an asset key wins (list the CMDB before coarse CIDR ranges), a vulnerability keeps its highest
 * CVSS and any exploit flag, an intel hit per (indicator, source) keeps the higher score. Providers
 * that did not answer join `missing` (which keeps what the normalizer put there). Output lists are
 * sorted so that the same answers always give the same record.
 */
export function mergeEnrichment(event: SecurityEvent, outcomes: readonly ProviderOutcome[]): SecurityEvent {
  const assets = new Map<string, Asset>();
  const vulns = new Map<string, Vulnerability>();
  const intel = new Map<string, IntelHit>();
  mergeInto(assets, event.enrichment.assets, assetKey, (a) => a);
  mergeInto(vulns, event.enrichment.vulns, vulnKey, (a) => a);
  mergeInto(intel, event.enrichment.intel, intelKey, (a) => a);
  const missing = new Set(event.enrichment.missing);
  for (const outcome of outcomes) {
    if (outcome.status === 'missing') {
      missing.add(outcome.provider);
      continue;
    }
    mergeInto(assets, outcome.assets ?? [], assetKey, (current) => current);
    mergeInto(vulns, outcome.vulns ?? [], vulnKey, (current, next) => ({
      ...current,
      cvss: Math.max(current.cvss ?? -1, next.cvss ?? -1) < 0 ? null : Math.max(current.cvss ?? 0, next.cvss ?? 0),
      exploitAvailable: current.exploitAvailable || next.exploitAvailable,
    }));
    mergeInto(intel, outcome.intel ?? [], intelKey, (current, next) => ((next.score ?? -1) > (current.score ?? -1) ? next : current));
  }
  const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    ...event,
    enrichment: {
      assets: byKey(assets),
      vulns: byKey(vulns),
      intel: byKey(intel),
      missing: [...missing].sort(),
    },
  };
}
