/** CMDB lookups modelled on the ServiceNow Table API (`GET /api/now/table/cmdb_ci`). */
import { readFileSync } from 'node:fs';
import type { Secret } from '@seam/kit';
import { z } from 'zod';
import { criticalityFromServiceNow, forNamespace, type Asset, type AssetProvider, type Indicator } from '../domain/providers';
import { basicAuth, fetchJson } from './http-json';

/** A field as the Table API returns it: plain (display values) or `{value, display_value, link}`. */
const snField = z.union([z.string(), z.boolean(), z.number(), z.object({ value: z.unknown().optional(), display_value: z.unknown().optional() }), z.null()]).optional();

// Loose: the network-namespace column is configurable (SERVICENOW_NAMESPACE_FIELD), so extra columns are kept.
const cmdbCi = z.looseObject({
  ip_address: snField,
  name: snField,
  owned_by: snField,
  support_group: snField,
  department: snField,
  sys_class_name: snField,
  /** ServiceNow's own spelling of the business criticality column. */
  busines_criticality: snField,
  business_criticality: snField,
  u_internet_facing: snField,
});
type CmdbCi = z.infer<typeof cmdbCi>;

export const tableAnswer = z.object({ result: z.array(cmdbCi) });

export const SERVICENOW_FIELDS = ['ip_address', 'name', 'owned_by', 'support_group', 'department', 'sys_class_name', 'busines_criticality', 'u_internet_facing'] as const;

/** The CI column naming the network namespace of its address (a custom column; empty = any namespace). */
export const DEFAULT_NAMESPACE_FIELD = 'u_network_namespace';

function text(value: z.infer<typeof snField>): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') {
    const shown = value.display_value ?? value.value;
    return typeof shown === 'string' && shown.trim() !== '' ? shown.trim() : null;
  }
  const s = String(value).trim();
  return s === '' ? null : s;
}

/** The CI's network namespace (null: the CI applies in any namespace). */
function namespaceOfCi(ci: CmdbCi, field: string): string | null {
  const value = ci[field];
  return snField.safeParse(value).success ? text(value as z.infer<typeof snField>) : null;
}

/** The CIs that apply to the indicator in its namespace (see forNamespace), as assets. */
function assetsFor(cis: readonly CmdbCi[], indicator: Indicator, field: string): Asset[] {
  return forNamespace(cis, (ci) => namespaceOfCi(ci, field), indicator.namespace).map((ci) => ({ ...assetFromCi(ci, indicator.value), namespace: indicator.namespace }));
}

/** One CMDB CI as an Asset keyed by the looked-up entity. */
export function assetFromCi(ci: CmdbCi, key: string): Asset {
  const name = text(ci.name);
  const cls = text(ci.sys_class_name);
  return {
    key,
    owner: text(ci.owned_by),
    supportGroup: text(ci.support_group),
    businessUnit: text(ci.department),
    criticality: criticalityFromServiceNow(text(ci.busines_criticality) ?? text(ci.business_criticality)),
    tags: [...(name === null ? [] : [`ci:${name}`]), ...(cls === null ? [] : [`class:${cls}`])],
    internetFacing: /^(true|yes|1)$/i.test(text(ci.u_internet_facing) ?? ''),
  };
}

export interface ServiceNowOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: Secret;
  /** CI column with the address's network namespace; default `u_network_namespace`. */
  readonly namespaceField?: string;
}

export class ServiceNowCmdb implements AssetProvider {
  readonly name = 'cmdb';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;

  constructor(private readonly options: ServiceNowOptions) {}

  async lookup(indicator: Indicator, signal: AbortSignal): Promise<Asset[]> {
    // Canonical IPs only: an encoded query must not be extendable (`^` joins conditions).
    if (!/^[0-9a-fA-F.:]+$/.test(indicator.value)) return [];
    const url = new URL('api/now/table/cmdb_ci', this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    url.searchParams.set('sysparm_query', `ip_address=${indicator.value}`);
    url.searchParams.set('sysparm_display_value', 'true');
    url.searchParams.set('sysparm_fields', [...SERVICENOW_FIELDS, this.options.namespaceField ?? DEFAULT_NAMESPACE_FIELD].join(','));
    url.searchParams.set('sysparm_limit', '10');
    const body = await fetchJson(this.name, url, { headers: { authorization: basicAuth(this.options.username, this.options.password) }, signal });
    const parsed = tableAnswer.safeParse(body);
    if (!parsed.success) throw new Error('cmdb: answer is not a Table API result');
    return assetsFor(parsed.data.result, indicator, this.options.namespaceField ?? DEFAULT_NAMESPACE_FIELD);
  }
}

/** The same records from a file (`{"result": [...]}` as the Table API returns them), indexed by IP. */
export class FileCmdb implements AssetProvider {
  readonly name = 'cmdb';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;
  readonly #byIp = new Map<string, CmdbCi[]>();

  constructor(
    records: readonly CmdbCi[],
    private readonly namespaceField = DEFAULT_NAMESPACE_FIELD,
  ) {
    for (const ci of records) {
      const ip = text(ci.ip_address);
      if (ip === null) continue;
      this.#byIp.set(ip, [...(this.#byIp.get(ip) ?? []), ci]);
    }
  }

  static fromFile(path: string, namespaceField = DEFAULT_NAMESPACE_FIELD): FileCmdb {
    const parsed = tableAnswer.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: not a {"result": [...]} CMDB file: ${parsed.error.issues[0]?.message ?? ''}`);
    return new FileCmdb(parsed.data.result, namespaceField);
  }

  lookup(indicator: Indicator): Promise<Asset[]> {
    return Promise.resolve(assetsFor(this.#byIp.get(indicator.value) ?? [], indicator, this.namespaceField));
  }
}
