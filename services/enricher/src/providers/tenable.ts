/**
 * Vulnerabilities from a Tenable-style export (`POST /vulns/export`, `GET .../status`,
 * `GET .../chunks/<n>`; items `{asset: {ipv4, hostname}, plugin: {cve[], cvss3_base_score,
 * cvss_base_score, exploit_available}, state}`). An export is a bulk snapshot, not a per-IP query,
 * so both backends index a snapshot by address; the HTTP one refreshes it when it gets old.
 */
import { readFileSync } from 'node:fs';
import type { Secret } from '@seam/kit';
import { z } from 'zod';
import { forNamespace, type Indicator, type Vulnerability, type VulnProvider } from '../domain/providers';
import { fetchJson } from './http-json';
import { systemClock, type Clock } from './resilience';

const exportItem = z.object({
  asset: z.object({ ipv4: z.string().optional(), ipv6: z.string().optional(), hostname: z.string().optional(), fqdn: z.string().optional(), network_id: z.string().optional() }),
  plugin: z.object({
    cve: z.array(z.string()).optional(),
    cvss3_base_score: z.number().min(0).max(10).optional(),
    cvss_base_score: z.number().min(0).max(10).optional(),
    exploit_available: z.boolean().optional(),
  }),
  state: z.string().optional(),
});
type ExportItem = z.infer<typeof exportItem>;
export const exportChunk = z.array(exportItem);

/** A finding with the network namespace of its asset (null: Tenable's default network, any namespace). */
export interface IndexedVuln {
  readonly namespace: string | null;
  readonly vuln: Vulnerability;
}
export type VulnIndex = ReadonlyMap<string, readonly IndexedVuln[]>;

/**
 * Indexes export items by IP and host name (lower-case); fixed findings are left out. Tenable
 * separates overlapping address spaces into networks: `networkNamespaces` maps an asset's
 * `network_id` onto a Seam network namespace (unmapped networks apply in any namespace).
 */
export function indexExport(items: readonly ExportItem[], networkNamespaces: Readonly<Record<string, string>> = {}): Map<string, IndexedVuln[]> {
  const index = new Map<string, IndexedVuln[]>();
  for (const item of items) {
    if (item.state !== undefined && /^fixed$/i.test(item.state)) continue;
    const networkId = item.asset.network_id;
    const namespace = networkId !== undefined && Object.hasOwn(networkNamespaces, networkId) ? (networkNamespaces[networkId] ?? null) : null;
    const keys = [item.asset.ipv4, item.asset.ipv6, item.asset.hostname?.toLowerCase(), item.asset.fqdn?.toLowerCase()].filter((k): k is string => k !== undefined && k !== '');
    for (const cve of item.plugin.cve ?? []) {
      for (const key of keys) {
        const vuln: Vulnerability = {
          cve,
          cvss: item.plugin.cvss3_base_score ?? item.plugin.cvss_base_score ?? null,
          exploitAvailable: item.plugin.exploit_available ?? false,
          host: key,
        };
        index.set(key, [...(index.get(key) ?? []), { namespace, vuln }]);
      }
    }
  }
  return index;
}

/** The findings that apply to the indicator in its namespace (see forNamespace). */
export function vulnsFor(index: VulnIndex, indicator: Indicator): Vulnerability[] {
  return forNamespace(index.get(indicator.value) ?? [], (v) => v.namespace, indicator.namespace).map((v) => ({ ...v.vuln, namespace: indicator.namespace }));
}

export class FileVulns implements VulnProvider {
  readonly name = 'vulns';
  readonly kind = 'vulns';
  readonly indicatorKinds = ['ip', 'host'] as const;
  constructor(private readonly index: VulnIndex) {}

  static fromFile(path: string, networkNamespaces: Readonly<Record<string, string>> = {}): FileVulns {
    const parsed = exportChunk.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: not a vulnerability export chunk: ${parsed.error.issues[0]?.message ?? ''}`);
    return new FileVulns(indexExport(parsed.data, networkNamespaces));
  }

  lookup(indicator: Indicator): Promise<Vulnerability[]> {
    return Promise.resolve(vulnsFor(this.index, indicator));
  }
}

export interface TenableOptions {
  readonly baseUrl: string;
  readonly accessKey: Secret;
  readonly secretKey: Secret;
  /** A snapshot older than this is re-exported on the next lookup. */
  readonly refreshMs: number;
  readonly pollMs?: number;
  readonly clock?: Clock;
  /** Tenable network id -> Seam network namespace. */
  readonly networkNamespaces?: Readonly<Record<string, string>>;
}

const exportStarted = z.object({ export_uuid: z.string().regex(/^[A-Za-z0-9-]+$/) });
const exportStatus = z.object({ status: z.string(), chunks_available: z.array(z.number().int().nonnegative()).default([]) });

export class TenableVulns implements VulnProvider {
  readonly name = 'vulns';
  readonly kind = 'vulns';
  readonly indicatorKinds = ['ip', 'host'] as const;
  #snapshot: { index: VulnIndex; at: number } | undefined;
  #loading: Promise<VulnIndex> | undefined;
  readonly #clock: Clock;

  constructor(private readonly options: TenableOptions) {
    this.#clock = options.clock ?? systemClock;
  }

  async lookup(indicator: Indicator, signal: AbortSignal): Promise<Vulnerability[]> {
    return vulnsFor(await this.#current(signal), indicator);
  }

  async #current(signal: AbortSignal): Promise<VulnIndex> {
    const snapshot = this.#snapshot;
    if (snapshot !== undefined && this.#clock.now() - snapshot.at < this.options.refreshMs) return snapshot.index;
    // One export at a time, shared by concurrent lookups; the export itself is not tied to one
    // lookup's deadline, so a slow export finishes for the next lookup instead of restarting.
    this.#loading ??= this.#export().then(
      (index) => {
        this.#snapshot = { index, at: this.#clock.now() };
        this.#loading = undefined;
        return index;
      },
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    const loading = this.#loading;
    if (snapshot !== undefined) {
      // Serve the stale snapshot while the refresh runs.
      loading.catch(() => undefined);
      return snapshot.index;
    }
    return new Promise<VulnIndex>((resolve, reject) => {
      const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      loading.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #export(): Promise<VulnIndex> {
    const base = this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
    const headers = { 'x-apikeys': `accessKey=${this.options.accessKey.reveal()};secretKey=${this.options.secretKey.reveal()}` };
    const signal = AbortSignal.timeout(120_000);
    const started = exportStarted.parse(await fetchJson(this.name, new URL('vulns/export', base), { method: 'POST', headers, body: { num_assets: 500, filters: { state: ['OPEN', 'REOPENED'] } }, signal }));
    const items: ExportItem[] = [];
    const fetched = new Set<number>();
    for (;;) {
      const status = exportStatus.parse(await fetchJson(this.name, new URL(`vulns/export/${started.export_uuid}/status`, base), { headers, signal }));
      for (const chunk of status.chunks_available) {
        if (fetched.has(chunk)) continue;
        items.push(...exportChunk.parse(await fetchJson(this.name, new URL(`vulns/export/${started.export_uuid}/chunks/${chunk}`, base), { headers, signal })));
        fetched.add(chunk);
      }
      if (status.status === 'FINISHED') break;
      if (status.status === 'ERROR' || status.status === 'CANCELLED') throw new Error(`vulns: export ${status.status}`);
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 1000));
      if (signal.aborted) throw new Error('vulns: export did not finish in time');
    }
    return indexExport(items, this.options.networkNamespaces);
  }
}
