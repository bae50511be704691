import { z } from 'zod';
import {
  avroDouble, avroInt, list, mitreTechniqueSchema, nullable, rawKindSchema, roleSchema, score100,
  sourceSystemSchema, timestampMs,
} from './common';

export const scopeSchema = z.enum(['public', 'private']);
export type Scope = z.infer<typeof scopeSchema>;

export const identityKindSchema = z.enum(['ad', 'iam_user', 'iam_role_session', 'email', 'root', 'unknown']);
export type IdentityKind = z.infer<typeof identityKindSchema>;

export const ipEntitySchema = z.object({
  address: z.string().min(1),
  role: roleSchema,
  scope: scopeSchema,
  namespace: nullable(z.string()),
});
export type IpEntity = z.infer<typeof ipEntitySchema>;

export const identityEntitySchema = z.object({
  canonical: z.string().min(1),
  raw: z.string(),
  kind: identityKindSchema,
  role: roleSchema,
  resolved: z.boolean(),
});
export type IdentityEntity = z.infer<typeof identityEntitySchema>;

export const hostEntitySchema = z.object({ name: z.string().min(1), role: roleSchema });
export type HostEntity = z.infer<typeof hostEntitySchema>;

export const entitiesSchema = z.object({
  ips: list(ipEntitySchema),
  identities: list(identityEntitySchema),
  hosts: list(hostEntitySchema),
  cloudResources: list(z.string()),
  accounts: list(z.string()),
});
export type Entities = z.infer<typeof entitiesSchema>;

export const assetSchema = z.object({
  key: z.string(),
  owner: nullable(z.string()),
  supportGroup: nullable(z.string()),
  businessUnit: nullable(z.string()),
  criticality: avroInt().min(1).max(5),
  tags: list(z.string()),
  internetFacing: z.boolean(),
});
export type Asset = z.infer<typeof assetSchema>;

export const vulnerabilitySchema = z.object({
  cve: z.string(),
  cvss: nullable(avroDouble().min(0).max(10)),
  exploitAvailable: z.boolean(),
  host: z.string(),
});
export type Vulnerability = z.infer<typeof vulnerabilitySchema>;

export const intelVerdictSchema = z.enum(['malicious', 'suspicious', 'benign', 'unknown']);
export type IntelVerdict = z.infer<typeof intelVerdictSchema>;

export const intelHitSchema = z.object({
  indicator: z.string(),
  verdict: intelVerdictSchema,
  score: nullable(avroDouble().min(0).max(100)),
  source: z.string(),
  tags: list(z.string()),
});
export type IntelHit = z.infer<typeof intelHitSchema>;

export const enrichmentSchema = z.object({
  assets: list(assetSchema),
  vulns: list(vulnerabilitySchema),
  intel: list(intelHitSchema),
  missing: list(z.string()),
});
export type Enrichment = z.infer<typeof enrichmentSchema>;

/** Value of `enriched`; mirrors avro/SecurityEvent.avsc. */
export const securityEventSchema = z.object({
  eventId: z.string().min(1),
  source: sourceSystemSchema,
  rawKind: rawKindSchema,
  sourceId: z.string().min(1),
  observedAt: timestampMs(),
  sourceUpdatedAt: timestampMs(),
  ingestedAt: timestampMs(),
  title: z.string(),
  description: nullable(z.string()),
  category: z.string(),
  sourceSeverity: score100(),
  mitre: list(mitreTechniqueSchema),
  entities: entitiesSchema,
  enrichment: enrichmentSchema,
  raw: z.string(),
  rawEvents: nullable(z.string()),
});
export type SecurityEvent = z.infer<typeof securityEventSchema>;
