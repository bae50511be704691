import { z } from 'zod';
import { arrivalSchema, list, nullable, rawKindSchema, timestampMs } from './common';

/** IPs resolved from an offense's source_address_ids and local_destination_address_ids. */
export const resolvedAddressesSchema = z.object({
  source: list(z.string()),
  localDestination: list(z.string()),
});
export type ResolvedAddresses = z.infer<typeof resolvedAddressesSchema>;

/** Value of `offenses.raw`; mirrors avro/OffenseRaw.avsc. */
export const offenseRawSchema = z.object({
  sourceId: z.string().min(1),
  kind: rawKindSchema,
  arrival: arrivalSchema,
  receivedAt: timestampMs(),
  sourceUpdatedAt: nullable(timestampMs()),
  origin: nullable(z.string()),
  payload: z.string(),
  addresses: nullable(resolvedAddressesSchema),
  events: nullable(z.string()),
});
export type OffenseRaw = z.infer<typeof offenseRawSchema>;

/** Value of `findings.raw`; mirrors avro/FindingRaw.avsc. */
export const findingRawSchema = z.object({
  sourceId: z.string().min(1),
  kind: rawKindSchema,
  arrival: arrivalSchema,
  receivedAt: timestampMs(),
  sourceUpdatedAt: nullable(timestampMs()),
  origin: nullable(z.string()),
  payload: z.string(),
});
export type FindingRaw = z.infer<typeof findingRawSchema>;
