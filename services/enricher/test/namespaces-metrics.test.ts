/** Network namespaces in lookups and cache keys, and the provider metrics. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { indicatorsOf, type AssetProvider, type Indicator } from '../src/domain/providers';
import type { SecurityEvent } from '../src/domain/security-event';
import { Enricher } from '../src/enricher';
import { createEnricherMetrics } from '../src/metrics';
import { MemoryLookupCache, cacheKey } from '../src/providers/cache';
import { AssetRanges } from '../src/providers/ranges';
import { FileCmdb } from '../src/providers/servicenow';
import { FileVulns, indexExport } from '../src/providers/tenable';

type Ip = { address: string; role?: 'actor' | 'target'; scope?: 'public' | 'private'; namespace?: string | null };

function event(ips: Ip[]): SecurityEvent {
  return {
    eventId: 'qradar:offense:1', source: 'qradar', rawKind: 'qradar_offense', sourceId: '1', observedAt: 1, sourceUpdatedAt: 1, ingestedAt: 1,
    title: 't', description: null, category: 'c', sourceSeverity: 50, mitre: [],
    entities: {
      ips: ips.map((ip) => ({ address: ip.address, role: ip.role ?? 'actor', scope: ip.scope ?? 'private', namespace: ip.namespace === undefined ? 'dc-1' : ip.namespace })),
      identities: [], hosts: [], cloudResources: [], accounts: [],
    },
    enrichment: { assets: [], vulns: [], intel: [], missing: [] }, raw: '{}', rawEvents: null,
  };
}

const cmdb = () => new FileCmdb([
  { ip_address: '10.0.0.5', name: 'db-frankfurt', owned_by: 'Frankfurt DBA', busines_criticality: '1 - most critical', u_network_namespace: 'dc-1' },
  { ip_address: '10.0.0.5', name: 'build-agent', owned_by: 'CI team', busines_criticality: '4 - not critical', u_network_namespace: 'vpc-prod' },
  { ip_address: '10.0.0.9', name: 'printer', owned_by: 'Facilities' },
  { ip_address: '203.0.113.7', name: 'edge', owned_by: 'Network' },
]);

/** Answers with the owner `<namespace>-owner` and counts calls. */
class CountingCmdb implements AssetProvider {
  readonly name = 'cmdb';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  readonly seen: Indicator[] = [];
  lookup(indicator: Indicator, signal: AbortSignal) {
    this.seen.push(indicator);
    if (this.mode === 'fail') return Promise.reject(new Error('boom'));
    if (this.mode === 'hang') return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    return Promise.resolve([{ key: indicator.value, owner: `${indicator.namespace ?? 'public'}-owner`, supportGroup: null, businessUnit: null, criticality: 3, tags: [], internetFacing: false, namespace: indicator.namespace }]);
  }
}

const settings = (timeoutMs = 1000, failureThreshold = 3) => () => ({ timeoutMs, failureThreshold, coolDownMs: 60_000 });

describe('network namespaces in lookups and cache keys', () => {
  it('10.0.0.5 in two namespaces gets each its own CMDB asset, also when the first answer is cached', async () => {
    const cache = new MemoryLookupCache();
    const enricher = new Enricher({ providers: [cmdb()], settings: settings(), cache, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60, cachePrefix: 't' });
    const frankfurt = await enricher.enrich(event([{ address: '10.0.0.5', namespace: 'dc-1' }]));
    const vpc = await enricher.enrich(event([{ address: '10.0.0.5', namespace: 'vpc-prod' }]));
    expect(frankfurt.enrichment.assets.map((a) => [a.key, a.namespace, a.owner, a.criticality])).toEqual([['10.0.0.5', 'dc-1', 'Frankfurt DBA', 5]]);
    expect(vpc.enrichment.assets.map((a) => [a.key, a.namespace, a.owner, a.criticality])).toEqual([['10.0.0.5', 'vpc-prod', 'CI team', 2]]);
    // Again, now from the cache: still apart.
    const again = await enricher.enrich(event([{ address: '10.0.0.5', namespace: 'vpc-prod' }]));
    expect(again.enrichment.assets.map((a) => a.owner)).toEqual(['CI team']);
    expect(enricher.stats.cacheHits).toBe(1);
  });

  it('a namespace the CMDB does not know gets no tagged CI; untagged CIs apply in any namespace; public IPs take every CI', async () => {
    const enricher = new Enricher({ providers: [cmdb()], settings: settings(), cache: null, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60 });
    expect((await enricher.enrich(event([{ address: '10.0.0.5', namespace: 'lab' }]))).enrichment.assets).toEqual([]);
    expect((await enricher.enrich(event([{ address: '10.0.0.9', namespace: 'lab' }]))).enrichment.assets.map((a) => a.owner)).toEqual(['Facilities']);
    const pub = await enricher.enrich(event([{ address: '203.0.113.7', scope: 'public', namespace: null }]));
    expect(pub.enrichment.assets.map((a) => [a.owner, a.namespace])).toEqual([['Network', null]]);
  });

  it('one event with the same private address in two namespaces keeps both assets', async () => {
    const enricher = new Enricher({ providers: [cmdb()], settings: settings(), cache: new MemoryLookupCache(), cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60 });
    const both = await enricher.enrich(event([{ address: '10.0.0.5', namespace: 'dc-1' }, { address: '10.0.0.5', role: 'target', namespace: 'vpc-prod' }]));
    expect(both.enrichment.assets.map((a) => `${a.key}@${String(a.namespace)}=${String(a.owner)}`)).toEqual(['10.0.0.5@dc-1=Frankfurt DBA', '10.0.0.5@vpc-prod=CI team']);
  });

  it('cache keys carry the namespace (public addresses and hosts have none); each namespace is asked once', async () => {
    const provider = new CountingCmdb();
    const cache = new MemoryLookupCache();
    const enricher = new Enricher({ providers: [provider], settings: settings(), cache, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60, cachePrefix: 'p' });
    for (const namespace of ['dc-1', 'vpc-prod', 'dc-1', 'vpc-prod']) {
      const out = await enricher.enrich(event([{ address: '10.0.0.5', namespace }]));
      expect(out.enrichment.assets.map((a) => a.owner)).toEqual([`${namespace}-owner`]);
    }
    expect(provider.seen.map((i) => i.namespace)).toEqual(['dc-1', 'vpc-prod']);
    expect(cacheKey('cmdb', { kind: 'ip', value: '10.0.0.5', namespace: 'dc-1' }, 'p')).toBe('p:cmdb:ip:dc-1:10.0.0.5');
    expect(cacheKey('cmdb', { kind: 'ip', value: '203.0.113.7', namespace: null }, 'p')).toBe('p:cmdb:ip:@:203.0.113.7');
    // Namespaces are encoded: no ':' or '@' can make two keys collide.
    expect(cacheKey('cmdb', { kind: 'ip', value: '::1', namespace: 'a:b@' }, 'p')).toBe('p:cmdb:ip:a%3Ab%40:::1');
    expect(await cache.get('p:cmdb:ip:dc-1:10.0.0.5')).toContain('dc-1-owner');
    expect(await cache.get('p:cmdb:ip:vpc-prod:10.0.0.5')).toContain('vpc-prod-owner');
  });

  it('indicators: one per (address, namespace); public addresses have no namespace', () => {
    expect(indicatorsOf(event([
      { address: '10.0.0.5', namespace: 'vpc-prod' }, { address: '10.0.0.5', namespace: 'dc-1' }, { address: '10.0.0.5', role: 'target', namespace: 'dc-1' },
      { address: '8.8.8.8', scope: 'public', namespace: null },
    ]))).toEqual([
      { kind: 'ip', value: '10.0.0.5', namespace: 'dc-1' },
      { kind: 'ip', value: '10.0.0.5', namespace: 'vpc-prod' },
      { kind: 'ip', value: '8.8.8.8', namespace: null },
    ]);
  });

  it('asset ranges and Tenable networks honour the namespace', async () => {
    const ranges = AssetRanges.parse(JSON.stringify({ ranges: [
      { cidr: '10.0.0.0/8', criticality: 2, owner: 'any-site' },
      { cidr: '10.0.0.0/16', criticality: 4, owner: 'frankfurt', namespace: 'dc-1' },
    ] }));
    expect((await ranges.lookup({ kind: 'ip', value: '10.0.0.5', namespace: 'dc-1' })).map((a) => [a.owner, a.namespace])).toEqual([['frankfurt', 'dc-1']]);
    expect((await ranges.lookup({ kind: 'ip', value: '10.0.0.5', namespace: 'vpc-prod' })).map((a) => [a.owner, a.namespace])).toEqual([['any-site', 'vpc-prod']]);

    const vulns = new FileVulns(indexExport([
      { asset: { ipv4: '10.0.0.5', network_id: 'net-fra' }, plugin: { cve: ['CVE-2021-44228'], cvss3_base_score: 10 }, state: 'OPEN' },
      { asset: { ipv4: '10.0.0.5', network_id: 'net-aws' }, plugin: { cve: ['CVE-2019-0708'], cvss3_base_score: 9.8 }, state: 'OPEN' },
    ], { 'net-fra': 'dc-1', 'net-aws': 'vpc-prod' }));
    expect((await vulns.lookup({ kind: 'ip', value: '10.0.0.5', namespace: 'dc-1' })).map((v) => [v.cve, v.namespace])).toEqual([['CVE-2021-44228', 'dc-1']]);
    expect((await vulns.lookup({ kind: 'ip', value: '10.0.0.5', namespace: 'vpc-prod' })).map((v) => [v.cve, v.namespace])).toEqual([['CVE-2019-0708', 'vpc-prod']]);
  });
});

async function value(registry: Registry, name: string, provider = 'cmdb'): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  const suffix = name.endsWith('_seconds') ? `${name}_count` : name;
  return data.values.filter((v) => v.labels['provider'] === provider && ((v as { metricName?: string }).metricName ?? name) === suffix).reduce((sum, v) => sum + v.value, 0);
}

describe('provider metrics', () => {
  it('calls, cache hits/misses, errors, timeouts, circuit state and latency move', async () => {
    const registry = new Registry();
    const provider = new CountingCmdb();
    const enricher = new Enricher({
      providers: [provider], settings: settings(30, 2), cache: new MemoryLookupCache(), cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60,
      metrics: createEnricherMetrics(registry),
    });
    expect(await value(registry, 'seam_enrich_provider_circuit_state')).toBe(0);

    await enricher.enrich(event([{ address: '10.0.0.1' }]));
    await enricher.enrich(event([{ address: '10.0.0.1' }]));
    expect(await value(registry, 'seam_enrich_provider_calls_total')).toBe(1);
    expect(await value(registry, 'seam_enrich_cache_misses_total')).toBe(1);
    expect(await value(registry, 'seam_enrich_cache_hits_total')).toBe(1);
    expect(await value(registry, 'seam_enrich_provider_duration_seconds')).toBe(1);

    provider.mode = 'fail';
    await enricher.enrich(event([{ address: '10.0.0.2' }]));
    expect(await value(registry, 'seam_enrich_provider_errors_total')).toBe(1);
    provider.mode = 'hang';
    const timedOut = await enricher.enrich(event([{ address: '10.0.0.3' }]));
    expect(timedOut.enrichment.missing).toEqual(['cmdb']);
    expect(await value(registry, 'seam_enrich_provider_timeouts_total')).toBe(1);
    // Two consecutive failures (threshold 2): the circuit is open; the next lookup is refused at once.
    expect(await value(registry, 'seam_enrich_provider_circuit_state')).toBe(2);
    await enricher.enrich(event([{ address: '10.0.0.4' }]));
    expect(await value(registry, 'seam_enrich_provider_short_circuited_total')).toBe(1);
    expect(await value(registry, 'seam_enrich_provider_calls_total')).toBe(3);
    expect(await value(registry, 'seam_enrich_provider_duration_seconds')).toBe(3);
    expect(await registry.metrics()).toContain('seam_enrich_provider_calls_total{provider="cmdb"} 3');
  });
});
