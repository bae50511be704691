import { fileURLToPath } from 'node:url';
import { securityEventSchema } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { mergeEnrichment, type AssetProvider, type Indicator, type IntelHit } from '../src/domain/providers';
import type { SecurityEvent } from '../src/domain/security-event';
import { Enricher } from '../src/enricher';
import { MemoryLookupCache } from '../src/providers/cache';
import { FeedIntel, parseIndicatorFeed } from '../src/providers/misp';
import { AssetRanges } from '../src/providers/ranges';
import { FileCmdb } from '../src/providers/servicenow';
import { FileVulns } from '../src/providers/tenable';
import { FakeClock } from './fake-clock';

const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

function event(ips: { address: string; role?: 'actor' | 'target'; scope?: 'public' | 'private' }[], missing: string[] = []): SecurityEvent {
  return {
    eventId: 'guardduty:1', source: 'guardduty', rawKind: 'guardduty_finding', sourceId: '1', observedAt: 1, sourceUpdatedAt: 1, ingestedAt: 1,
    title: 't', description: null, category: 'unauthorized-access', sourceSeverity: 50, mitre: [],
    entities: { ips: ips.map((ip) => ({ address: ip.address, role: ip.role ?? 'actor', scope: ip.scope ?? 'public', namespace: null })), identities: [], hosts: [], cloudResources: [], accounts: [] },
    enrichment: { assets: [], vulns: [], intel: [], missing }, raw: '{}', rawEvents: null,
  };
}

/** A provider whose answers the test controls: 'hang' never answers, 'fail' rejects. */
class ScriptedCmdb implements AssetProvider {
  readonly name = 'cmdb';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  calls = 0;
  lookup(indicator: Indicator, signal: AbortSignal) {
    this.calls++;
    if (this.mode === 'fail') return Promise.reject(new Error('boom'));
    if (this.mode === 'hang') return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    return Promise.resolve([{ key: indicator.value, owner: 'o', supportGroup: null, businessUnit: null, criticality: 4, tags: [], internetFacing: false }]);
  }
}

describe('mergeEnrichment', () => {
  it('keeps the first asset per key, the highest CVSS and any exploit flag, the best intel score, and unions missing', () => {
    const base = event([{ address: '1.2.3.4' }], ['qradar-addresses']);
    const intel = (score: number | null): IntelHit => ({ indicator: '1.2.3.4', verdict: 'malicious', score, source: 'misp', tags: [] });
    const merged = mergeEnrichment(base, [
      { provider: 'cmdb', status: 'ok', assets: [{ key: '1.2.3.4', owner: 'cmdb', supportGroup: null, businessUnit: null, criticality: 5, tags: [], internetFacing: true }] },
      { provider: 'asset-ranges', status: 'ok', assets: [{ key: '1.2.3.4', owner: null, supportGroup: null, businessUnit: null, criticality: 2, tags: [], internetFacing: false }] },
      { provider: 'vulns', status: 'ok', vulns: [{ cve: 'CVE-1', cvss: 5, exploitAvailable: true, host: '1.2.3.4' }, { cve: 'CVE-1', cvss: 7.5, exploitAvailable: false, host: '1.2.3.4' }] },
      { provider: 'intel', status: 'ok', intel: [intel(30), intel(90), intel(null)] },
      { provider: 'intel-feed', status: 'missing', reason: 'timeout' },
    ]);
    expect(merged.enrichment.assets.map((a) => a.owner)).toEqual(['cmdb']);
    expect(merged.enrichment.vulns).toEqual([{ cve: 'CVE-1', cvss: 7.5, exploitAvailable: true, host: '1.2.3.4' }]);
    expect(merged.enrichment.intel.map((i) => i.score)).toEqual([90]);
    expect(merged.enrichment.missing).toEqual(['intel-feed', 'qradar-addresses']);
    expect(securityEventSchema.safeParse(merged).success).toBe(true);
  });
});

describe('file backends with the shipped demo data', () => {
  it('enrich the GuardDuty SSH brute-force IPs with CMDB, ranges, vulns and the feed', async () => {
    const enricher = new Enricher({
      providers: [FileCmdb.fromFile(data('cmdb.json')), AssetRanges.fromFile(data('asset-ranges.json')), FileVulns.fromFile(data('vulns.json')), FeedIntel.fromFile(data('intel-feed.txt'))],
      settings: () => ({ timeoutMs: 1000, failureThreshold: 3, coolDownMs: 1000 }),
      cache: null, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 5,
    });
    const out = await enricher.enrich(event([{ address: '199.241.229.197' }, { address: '172.31.43.6', role: 'target', scope: 'private' }, { address: '172.31.99.9', role: 'target', scope: 'private' }]));
    expect(out.enrichment.assets.map((a) => [a.key, a.criticality, a.owner])).toEqual([['172.31.43.6', 5, 'Dana Ito'], ['172.31.99.9', 3, null]]);
    expect(out.enrichment.assets[1]?.tags).toEqual(['aws-vpc-prod', 'range:172.31.0.0/16']);
    expect(out.enrichment.vulns.map((v) => v.cve)).toEqual(['CVE-2023-38408', 'CVE-2024-6387']);
    expect(out.enrichment.intel).toEqual([{ indicator: '199.241.229.197', verdict: 'malicious', score: 85, source: 'intel-feed', tags: ['ssh-bruteforce', 'scanner'] }]);
    expect(out.enrichment.missing).toEqual([]);
  });

  it('the feed parser rejects bad lines with their numbers', () => {
    expect(() => parseIndicatorFeed('1.2.3.4\n5.6.7.8,evil\n9.9.9.9,malicious,500', 'f')).toThrow(/line 2: verdict.*line 3: score/);
    expect([...parseIndicatorFeed('# c\n1.2.3.04\nEvil.Example', 'f').keys()]).toEqual(['1.2.3.4', 'evil.example']);
  });
});

describe('Enricher timeouts, breaker and cache', () => {
  it('lists a provider that does not answer in time as missing and goes on; then the breaker opens; after the cool-down it resumes', async () => {
    const clock = new FakeClock();
    const cmdb = new ScriptedCmdb();
    const enricher = new Enricher({ providers: [cmdb], settings: () => ({ timeoutMs: 100, failureThreshold: 2, coolDownMs: 1000 }), cache: null, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 5, clock });
    const ev = event([{ address: '10.0.0.1' }]);

    cmdb.mode = 'hang';
    const first = enricher.enrich(ev);
    await Promise.resolve();
    clock.advance(100);
    expect((await first).enrichment.missing).toEqual(['cmdb']);
    cmdb.mode = 'fail';
    expect((await enricher.enrich(ev)).enrichment.missing).toEqual(['cmdb']);
    expect(enricher.breakers.get('cmdb')?.state).toBe('open');

    cmdb.mode = 'ok';
    const callsWhileOpen = cmdb.calls;
    expect((await enricher.enrich(ev)).enrichment.missing).toEqual(['cmdb']);
    expect(cmdb.calls).toBe(callsWhileOpen);

    clock.advance(1000);
    const resumed = await enricher.enrich(ev);
    expect(resumed.enrichment.missing).toEqual([]);
    expect(resumed.enrichment.assets.map((a) => a.key)).toEqual(['10.0.0.1']);
    expect(enricher.breakers.get('cmdb')?.state).toBe('closed');
  });

  it('serves repeated lookups from the cache, and caches negative answers for their shorter TTL', async () => {
    let now = 0;
    const cache = new MemoryLookupCache(() => now);
    const cmdb = new ScriptedCmdb();
    const feed = new FeedIntel('intel-feed', new Map());
    const enricher = new Enricher({ providers: [cmdb, feed], settings: () => ({ timeoutMs: 1000, failureThreshold: 2, coolDownMs: 1000 }), cache, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 5 });
    const ev = event([{ address: '10.0.0.1' }]);
    await enricher.enrich(ev);
    const again = await enricher.enrich(ev);
    expect(cmdb.calls).toBe(1);
    expect(again.enrichment.assets).toHaveLength(1);
    expect(enricher.stats).toMatchObject({ cacheHits: 2, cacheMisses: 2, lookups: 2 });
    now = 6_000; // the negative feed answer expired, the positive CMDB one did not
    await enricher.enrich(ev);
    expect(enricher.stats).toMatchObject({ cacheHits: 3, cacheMisses: 3, lookups: 3 });
    expect(cmdb.calls).toBe(1);
  });

  it('does not cache failures', async () => {
    const cache = new MemoryLookupCache();
    const cmdb = new ScriptedCmdb();
    const enricher = new Enricher({ providers: [cmdb], settings: () => ({ timeoutMs: 1000, failureThreshold: 5, coolDownMs: 1000 }), cache, cacheTtlSeconds: 60, negativeCacheTtlSeconds: 5 });
    cmdb.mode = 'fail';
    await enricher.enrich(event([{ address: '10.0.0.1' }]));
    cmdb.mode = 'ok';
    const out = await enricher.enrich(event([{ address: '10.0.0.1' }]));
    expect(out.enrichment.assets).toHaveLength(1);
    expect(cmdb.calls).toBe(2);
  });
});

describe('shipped demo data', () => {
  it('every data file loads with its parser', async () => {
    const { fileDirectory } = await import('../src/directory-source');
    const { loadNamespaces } = await import('../src/wiring');
    expect(fileDirectory(data('directory.csv')).current().directory.entries.length).toBe(2);
    expect(loadNamespaces(data('namespaces.json')).ranges.length).toBe(2);
    expect(await AssetRanges.fromFile(data('asset-ranges.json')).lookup({ kind: 'ip', value: '10.1.2.3', namespace: null })).toHaveLength(1);
  });
});
