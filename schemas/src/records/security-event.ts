import { z } from 'zod';
import {
  avroDouble, avroInt, list, mitreTechniqueSchema, nullable, rawKindSchema, roleSchema, score100,
  sourceSystemSchema, timestampMs,
} from './common';

/**
 * A field added in SecurityEvent v2 (avro/released/SecurityEvent.v2.avsc). At run time it is the
 * ZodDefault the Avro default mirrors (parsing fills it; test/structure.test.ts sees the default),
 * but its TypeScript type is optional, so code written against v1 that builds records by hand keeps
 * compiling. Parsed and decoded records always carry it; read it as `ip.nonEvidence ?? false`.
 */
const addedInV2 = <T extends z.ZodType>(schema: z.ZodDefault<T>): z.ZodOptional<T> => schema as unknown as z.ZodOptional<T>;

export const scopeSchema = z.enum(['public', 'private']);
export type Scope = z.infer<typeof scopeSchema>;

export const identityKindSchema = z.enum(['ad', 'iam_user', 'iam_role_session', 'email', 'root', 'unknown']);
export type IdentityKind = z.infer<typeof identityKindSchema>;

export const ipEntitySchema = z.object({
  address: z.string().min(1),
  role: roleSchema,
  scope: scopeSchema,
  namespace: nullable(z.string()),
  /** True when the address can never link events; such addresses are only in `entities.nonEvidenceIps`. */
  nonEvidence: addedInV2(z.boolean().default(false)),
  nonEvidenceReason: addedInV2(nullable(z.string())),
});
export type IpEntity = z.infer<typeof ipEntitySchema>;

export const identityEntitySchema = z.object({
  canonical: z.string().min(1),
  raw: z.string(),
  kind: identityKindSchema,
  role: roleSchema,
  resolved: z.boolean(),
  /** The directory's flag; null when unresolved. */
  privileged: addedInV2(nullable(z.boolean())),
  department: addedInV2(nullable(z.string())),
  /** True for service principals; such identities are only in `entities.nonEvidenceIdentities`. */
  nonEvidence: addedInV2(z.boolean().default(false)),
  nonEvidenceReason: addedInV2(nullable(z.string())),
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
  /** Addresses seen but never evidence (nonEvidence true); kept out of `ips`. */
  nonEvidenceIps: addedInV2(list(ipEntitySchema)),
  /** Service principals (nonEvidence true); kept out of `identities`. */
  nonEvidenceIdentities: addedInV2(list(identityEntitySchema)),
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
  /** Namespace of the private address looked up; null for public addresses and host names. */
  namespace: addedInV2(nullable(z.string())),
});
export type Asset = z.infer<typeof assetSchema>;

export const vulnerabilitySchema = z.object({
  cve: z.string(),
  cvss: nullable(avroDouble().min(0).max(10)),
  exploitAvailable: z.boolean(),
  host: z.string(),
  namespace: addedInV2(nullable(z.string())),
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
  /** CloudTrail `errorCode`; null on success or when the source has none. */
  errorCode: addedInV2(nullable(z.string())),
  /** CloudTrail `userAgent` / GuardDuty `awsApiCallAction.userAgent`. */
  userAgent: addedInV2(nullable(z.string())),
});
export type SecurityEvent = z.infer<typeof securityEventSchema>;
