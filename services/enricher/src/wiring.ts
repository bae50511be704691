/** Builds the providers, cache, directory and namespace map from the parsed config. */
import { readFileSync } from 'node:fs';
import { ConfigError, type Kit } from '@seam/kit';
import { z } from 'zod';
import { emptyNamespaceMap, parseNamespaceMapJson, type NamespaceMap } from './domain/namespaces';
import type { EnrichmentProvider } from './domain/providers';
import type { EnricherConfig } from './config';
import { fileDirectory, httpDirectory, staticDirectory, type DirectorySource } from './directory-source';
import { Enricher, type ProviderSettings } from './enricher';
import { createEnricherMetrics } from './metrics';
import { MemoryLookupCache, RedisLookupCache, type LookupCache } from './providers/cache';
import { FeedIntel, MispIntel } from './providers/misp';
import { AssetRanges } from './providers/ranges';
import { FileCmdb, ServiceNowCmdb } from './providers/servicenow';
import { FileVulns, TenableVulns } from './providers/tenable';

function networkNamespaces(config: EnricherConfig, problems: string[]): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.TENABLE_NETWORK_NAMESPACES);
  } catch {
    problems.push('TENABLE_NETWORK_NAMESPACES: is not JSON');
    return {};
  }
  const map = z.record(z.string().min(1), z.string().min(1)).safeParse(parsed);
  if (!map.success) {
    problems.push('TENABLE_NETWORK_NAMESPACES: must be a JSON object of network id -> namespace');
    return {};
  }
  return map.data;
}

function required<T>(value: T | undefined, name: string, because: string, problems: string[]): T | undefined {
  if (value === undefined) problems.push(`${name}: is required when ${because}`);
  return value;
}

/** Providers in merge order: the CMDB before the coarse ranges, so a CI wins over its range. */
export function buildProviders(config: EnricherConfig): EnrichmentProvider[] {
  const problems: string[] = [];
  const providers: EnrichmentProvider[] = [];
  switch (config.CMDB_BACKEND) {
    case 'file':
      providers.push(FileCmdb.fromFile(config.CMDB_FILE, config.SERVICENOW_NAMESPACE_FIELD));
      break;
    case 'servicenow': {
      const because = 'CMDB_BACKEND=servicenow';
      const baseUrl = required(config.SERVICENOW_URL, 'SERVICENOW_URL', because, problems);
      const username = required(config.SERVICENOW_USERNAME, 'SERVICENOW_USERNAME', because, problems);
      const password = required(config.SERVICENOW_PASSWORD, 'SERVICENOW_PASSWORD', because, problems);
      if (baseUrl !== undefined && username !== undefined && password !== undefined) providers.push(new ServiceNowCmdb({ baseUrl, username, password, namespaceField: config.SERVICENOW_NAMESPACE_FIELD }));
      break;
    }
    case 'none':
      break;
  }
  if (config.ASSET_RANGES_FILE !== 'none') providers.push(AssetRanges.fromFile(config.ASSET_RANGES_FILE));
  const networks = networkNamespaces(config, problems);
  switch (config.VULNS_BACKEND) {
    case 'file':
      providers.push(FileVulns.fromFile(config.VULNS_FILE, networks));
      break;
    case 'tenable': {
      const because = 'VULNS_BACKEND=tenable';
      const baseUrl = required(config.TENABLE_URL, 'TENABLE_URL', because, problems);
      const accessKey = required(config.TENABLE_ACCESS_KEY, 'TENABLE_ACCESS_KEY', because, problems);
      const secretKey = required(config.TENABLE_SECRET_KEY, 'TENABLE_SECRET_KEY', because, problems);
      if (baseUrl !== undefined && accessKey !== undefined && secretKey !== undefined) providers.push(new TenableVulns({ baseUrl, accessKey, secretKey, refreshMs: config.TENABLE_REFRESH_MS, networkNamespaces: networks }));
      break;
    }
    case 'none':
      break;
  }
  switch (config.INTEL_BACKEND) {
    case 'misp': {
      const because = 'INTEL_BACKEND=misp';
      const baseUrl = required(config.MISP_URL, 'MISP_URL', because, problems);
      const apiKey = required(config.MISP_API_KEY, 'MISP_API_KEY', because, problems);
      if (baseUrl !== undefined && apiKey !== undefined) providers.push(new MispIntel({ baseUrl, apiKey }));
      break;
    }
    case 'none':
      break;
  }
  if (config.INTEL_FEED_FILE !== 'none') providers.push(FeedIntel.fromFile(config.INTEL_FEED_FILE));
  if (problems.length > 0) throw new ConfigError(problems);
  return providers;
}

export function providerSettings(config: EnricherConfig): (provider: string) => ProviderSettings {
  const overrides: Record<string, number> = { cmdb: config.CMDB_TIMEOUT_MS, vulns: config.VULNS_TIMEOUT_MS, intel: config.INTEL_TIMEOUT_MS };
  return (provider) => ({
    timeoutMs: overrides[provider] !== undefined && overrides[provider] > 0 ? overrides[provider] : config.PROVIDER_TIMEOUT_MS,
    failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
    coolDownMs: config.BREAKER_COOLDOWN_MS,
  });
}

export function buildCache(config: EnricherConfig, kit: Kit): LookupCache | null {
  switch (config.ENRICH_CACHE) {
    case 'redis':
      return new RedisLookupCache(kit.redis(), 200, (error) => kit.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'enrichment cache unavailable'));
    case 'memory':
      return new MemoryLookupCache();
    case 'none':
      return null;
  }
}

export function buildDirectory(config: EnricherConfig, kit: Kit): DirectorySource {
  switch (config.DIRECTORY_BACKEND) {
    case 'file':
      return fileDirectory(config.DIRECTORY_FILE);
    case 'http':
      if (config.DIRECTORY_URL === undefined) throw new ConfigError(['DIRECTORY_URL: is required when DIRECTORY_BACKEND=http']);
      return httpDirectory({ url: config.DIRECTORY_URL, token: config.DIRECTORY_TOKEN, refreshMs: config.DIRECTORY_REFRESH_MS, timeoutMs: config.PROVIDER_TIMEOUT_MS * 10, log: kit.logger });
    case 'none':
      return staticDirectory(undefined, true);
  }
}

export function loadNamespaces(path: string | undefined): NamespaceMap {
  if (path === undefined) return emptyNamespaceMap();
  const parsed = parseNamespaceMapJson(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new ConfigError([`NAMESPACE_MAP_FILE: ${parsed.error.slice(0, 5).map((e) => JSON.stringify(e)).join('; ')}`]);
  return parsed.value;
}

export function buildEnricher(config: EnricherConfig, kit: Kit): Enricher {
  return new Enricher({
    providers: buildProviders(config),
    settings: providerSettings(config),
    cache: buildCache(config, kit),
    cacheTtlSeconds: config.CACHE_TTL_SECONDS,
    negativeCacheTtlSeconds: config.CACHE_NEGATIVE_TTL_SECONDS,
    cachePrefix: config.ENRICH_CACHE_PREFIX,
    log: kit.logger,
    metrics: createEnricherMetrics(kit.metrics.registry),
  });
}
