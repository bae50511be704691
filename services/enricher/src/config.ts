import { fileURLToPath } from 'node:url';
import { defineConfigSchema, envInt, optionalSecret } from '@seam/kit';
import { z } from 'zod';

const dataFile = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));

/** The enricher's variables on top of the kit's common ones. Credentials accept `<KEY>_FILE`. */
export const enricherConfigSchema = defineConfigSchema({
  ENRICHER_OFFENSES_TOPIC: z.string().min(1).default('offenses.raw'),
  ENRICHER_FINDINGS_TOPIC: z.string().min(1).default('findings.raw'),
  ENRICHER_OUTPUT_TOPIC: z.string().min(1).default('enriched'),
  /** Larger raw payloads are poison (DLQ), never parsed. */
  ENRICHER_MAX_PAYLOAD_BYTES: envInt(1_048_576, 1024),

  NAMESPACE_MAP_FILE: z.string().min(1).optional(),

  CMDB_BACKEND: z.enum(['file', 'servicenow', 'none']).default('file'),
  CMDB_FILE: z.string().min(1).default(dataFile('cmdb.json')),
  SERVICENOW_URL: z.url().optional(),
  SERVICENOW_USERNAME: z.string().min(1).optional(),
  SERVICENOW_PASSWORD: optionalSecret(),

  VULNS_BACKEND: z.enum(['file', 'tenable', 'none']).default('file'),
  VULNS_FILE: z.string().min(1).default(dataFile('vulns.json')),
  TENABLE_URL: z.url().optional(),
  TENABLE_ACCESS_KEY: optionalSecret(),
  TENABLE_SECRET_KEY: optionalSecret(),
  TENABLE_REFRESH_MS: envInt(3_600_000, 1000),

  INTEL_BACKEND: z.enum(['misp', 'none']).default('none'),
  MISP_URL: z.url().optional(),
  MISP_API_KEY: optionalSecret(),
  /** A plain indicator feed; `none` disables it. */
  INTEL_FEED_FILE: z.string().min(1).default(dataFile('intel-feed.txt')),

  /** CIDR-based asset ranges; `none` disables them. */
  ASSET_RANGES_FILE: z.string().min(1).default(dataFile('asset-ranges.json')),

  DIRECTORY_BACKEND: z.enum(['file', 'http', 'none']).default('file'),
  DIRECTORY_FILE: z.string().min(1).default(dataFile('directory.csv')),
  DIRECTORY_URL: z.url().optional(),
  DIRECTORY_TOKEN: optionalSecret(),
  DIRECTORY_REFRESH_MS: envInt(300_000, 1000),

  PROVIDER_TIMEOUT_MS: envInt(500, 1),
  /** Per-provider overrides of PROVIDER_TIMEOUT_MS (0: use it). */
  CMDB_TIMEOUT_MS: envInt(0),
  VULNS_TIMEOUT_MS: envInt(0),
  INTEL_TIMEOUT_MS: envInt(0),
  BREAKER_FAILURE_THRESHOLD: envInt(5, 1),
  BREAKER_COOLDOWN_MS: envInt(30_000, 1),

  ENRICH_CACHE: z.enum(['redis', 'memory', 'none']).default('redis'),
  ENRICH_CACHE_PREFIX: z.string().min(1).default('seam:enrich:v2'),
  /** ServiceNow CI column holding the network namespace of its address (CIs without one apply in any namespace). */
  SERVICENOW_NAMESPACE_FIELD: z.string().regex(/^[A-Za-z0-9_]+$/).default('u_network_namespace'),
  /** JSON object: Tenable network id -> network namespace (assets of unmapped networks apply in any namespace). */
  TENABLE_NETWORK_NAMESPACES: z.string().default('{}'),
  CACHE_TTL_SECONDS: envInt(3600, 1),
  CACHE_NEGATIVE_TTL_SECONDS: envInt(60, 1),
});

export type EnricherConfig = z.output<typeof enricherConfigSchema>;
