import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { securityEventSchema } from '@seam/schemas';
import { expect } from 'vitest';
import { type DirectoryEntry, buildIdentityDirectory, emptyDirectory } from '../src/domain/identity/directory';
import { type NamespaceMapInput, buildNamespaceMap, emptyNamespaceMap } from '../src/domain/namespaces';
import type { NormalizeError, Result } from '../src/domain/result';
import type { NormalizeContext, NormalizedEvent, SecurityEvent } from '../src/domain/security-event';

export const INGESTED_AT = 1_700_000_000_000;

export function fixtureText(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/reference/${name}`, import.meta.url)), 'utf8');
}

export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown;
}

export function context(options: { entries?: DirectoryEntry[]; namespaces?: NamespaceMapInput } = {}): NormalizeContext {
  let namespaces = emptyNamespaceMap();
  if (options.namespaces !== undefined) {
    const built = buildNamespaceMap(options.namespaces);
    if (!built.ok) throw new Error(built.error.join('; '));
    namespaces = built.value;
  }
  const directory = options.entries === undefined ? emptyDirectory() : buildIdentityDirectory(options.entries).directory;
  return { ingestedAt: INGESTED_AT, namespaces, directory };
}

export function entry(partial: Partial<DirectoryEntry> & { canonical: string }): DirectoryEntry {
  return {
    samAccountName: null, domain: null, upn: null, emails: [], iamUsers: [], roleSessionNames: [],
    privileged: false, department: null, ...partial,
  };
}

/** Unwraps a successful normalization and checks the event against the schemas package's validator. */
export function expectOk(result: Result<NormalizedEvent, NormalizeError>): NormalizedEvent {
  if (!result.ok) throw new Error(`expected success, got ${result.error.kind}: ${result.error.message}`);
  expectValidEvent(result.value.event);
  return result.value;
}

export function expectValidEvent(event: SecurityEvent): void {
  const parsed = securityEventSchema.safeParse(event);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  // Nothing may rely on a schema default: the parsed record equals what we produced.
  if (parsed.success) expect(parsed.data).toEqual(event);
}

export function expectError(result: Result<NormalizedEvent, NormalizeError>): NormalizeError {
  if (result.ok) throw new Error(`expected an error, got event ${result.value.event.eventId}`);
  return result.error;
}

/** The event without `raw`, for comparing two arrivals of the same record. */
export function withoutRaw(normalized: NormalizedEvent): unknown {
  const { raw: _raw, ...rest } = normalized.event;
  return { ...normalized, event: rest };
}

/**
 * SecurityEvent v2 defaults on expected entities: evidence keys carry `nonEvidence: false`;
 * identities carry the directory's privileged / department (null = unresolved, unless the
 * expectation states them). Expectations that list whole `entities` get the two new lists empty.
 */
export const v2Ip = <T extends object>(ip: T) => ({ nonEvidence: false, nonEvidenceReason: null, ...ip });
export const v2Identity = <T extends object>(identity: T) => ({ privileged: null, department: null, nonEvidence: false, nonEvidenceReason: null, ...identity });
export const v2Entities = <T extends { ips?: readonly object[]; identities?: readonly object[] }>(entities: T) => ({
  nonEvidenceIps: [],
  nonEvidenceIdentities: [],
  ...entities,
  ...(entities.ips === undefined ? {} : { ips: entities.ips.map(v2Ip) }),
  ...(entities.identities === undefined ? {} : { identities: entities.identities.map(v2Identity) }),
});
