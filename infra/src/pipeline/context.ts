/**
 * `seam replay --context <dir>`: context files that replace the configured context for one run.
 * Each file is optional; the ones present are handed to the service that reads that kind of context,
 * through the variable its config already has. The formats are the services' own (README "Replay
 * context files" lists them).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServiceName } from './services';

export interface ContextFile {
  readonly file: string;
  readonly service: ServiceName;
  readonly variable: string;
  readonly what: string;
}

export const CONTEXT_FILES: readonly ContextFile[] = [
  { file: 'directory.csv', service: 'enricher', variable: 'DIRECTORY_FILE', what: 'identity directory (CSV; services/enricher/README.md "Identity resolution")' },
  { file: 'directory.json', service: 'enricher', variable: 'DIRECTORY_FILE', what: 'identity directory (JSON export)' },
  { file: 'cmdb.json', service: 'enricher', variable: 'CMDB_FILE', what: 'CMDB, ServiceNow Table API cmdb_ci records' },
  { file: 'vulns.json', service: 'enricher', variable: 'VULNS_FILE', what: 'vulnerabilities, Tenable-style export' },
  { file: 'intel-feed.txt', service: 'enricher', variable: 'INTEL_FEED_FILE', what: 'threat intelligence indicator feed' },
  { file: 'asset-ranges.json', service: 'enricher', variable: 'ASSET_RANGES_FILE', what: 'CIDR asset ranges' },
  { file: 'namespaces.json', service: 'enricher', variable: 'NAMESPACE_MAP_FILE', what: 'network namespaces (CIDR -> namespace)' },
];

/** Per-service variables for the context files found in `dir`; unknown files are an error (a typo must not pass silently). */
export function contextVariables(dir: string, extraFiles: readonly ContextFile[] = []): { variables: Partial<Record<ServiceName, Record<string, string>>>; used: ContextFile[] } {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`--context ${dir} is not a directory`);
  const known = [...CONTEXT_FILES, ...extraFiles];
  const variables: Partial<Record<ServiceName, Record<string, string>>> = {};
  const used: ContextFile[] = [];
  const names = readdirSync(root).filter((name) => !name.startsWith('.')).sort();
  const unknown = names.filter((name) => !known.some((k) => k.file === name));
  if (unknown.length > 0) throw new Error(`--context ${dir}: unknown file(s) ${unknown.join(', ')}; known: ${known.map((k) => k.file).join(', ')}`);
  if (names.includes('directory.csv') && names.includes('directory.json')) throw new Error(`--context ${dir}: give directory.csv or directory.json, not both`);
  for (const name of names) {
    const entry = known.find((k) => k.file === name) as ContextFile;
    (variables[entry.service] ??= {})[entry.variable] = join(root, name);
    used.push(entry);
  }
  return { variables, used };
}
