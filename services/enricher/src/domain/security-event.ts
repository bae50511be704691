/**
 * The canonical SecurityEvent comes from the schemas package (the Avro contract of `enriched`);
 * this module re-exports it and adds what the normalizers know but the contract has no field for.
 */
// Type-only: the package index also exports registry and file helpers this pure layer must not load.
import type {
  Entities, HostEntity, IdentityEntity, IdentityKind, IpEntity, MitreTechnique, RawKind, Role, SecurityEvent,
  SourceSystem,
} from '@seam/schemas';
import type { IdentityDirectory } from './identity/directory';
import type { NamespaceMap } from './namespaces';

export type {
  Entities, HostEntity, IdentityEntity, IdentityKind, IpEntity, MitreTechnique, RawKind, Role,
  SecurityEvent, SourceSystem,
};

/**
 * A key the normalizer saw and deliberately kept out of `entities`, so that it can never link two
 * events (DESIGN section 3, noise control), with the reason. Kept for logs, metrics and tests.
 */
export type HygieneNote =
  | { readonly kind: 'non-evidence-ip'; readonly value: string; readonly reason: string; readonly field: string }
  | { readonly kind: 'invalid-ip'; readonly value: string; readonly field: string }
  | { readonly kind: 'not-an-ip'; readonly value: string; readonly reason: 'aws-internal' | 'service-host-name' | 'host-name'; readonly field: string }
  | {
      readonly kind: 'service-principal';
      readonly identity: IdentityEntity;
      readonly reason: 'aws-service' | 'invoked-by-aws-service' | 'service-linked-role';
      readonly by: string;
    }
  | { readonly kind: 'ambiguous-identity'; readonly raw: string; readonly candidates: readonly string[] }
  | { readonly kind: 'missing-context'; readonly what: string };

/** Directory facts about a resolved identity that the SecurityEvent contract has no field for. */
export interface IdentityFact {
  readonly canonical: string;
  readonly privileged: boolean;
  readonly department: string | null;
}

/** The normalizer's output: the contract record plus the domain-level facts around it. */
export interface NormalizedEvent {
  readonly event: SecurityEvent;
  readonly hygiene: readonly HygieneNote[];
  readonly identityFacts: readonly IdentityFact[];
  /** Why sourceSeverity has its value (the CloudTrail heuristic's rules; the mapping otherwise). */
  readonly severityReasons: readonly string[];
  /** The source's error code for the action (CloudTrail `errorCode`), null when it succeeded. */
  readonly errorCode: string | null;
}

/** What every normalizer needs besides the payload. Pure data: no clocks, no I/O. */
export interface NormalizeContext {
  /** When Seam received the record (epoch ms); becomes `ingestedAt`. */
  readonly ingestedAt: number;
  readonly namespaces: NamespaceMap;
  readonly directory: IdentityDirectory;
}
