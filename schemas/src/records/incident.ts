import { z } from 'zod';
import {
  avroInt, avroLong, keyKindSchema, list, nullable, score100, sourceSystemSchema, stringMap, timestampMs,
} from './common';

export const incidentStatusSchema = z.enum(['open', 'settled']);
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

export const incidentMemberSchema = z.object({
  eventId: z.string().min(1),
  source: sourceSystemSchema,
  observedAt: timestampMs(),
  title: z.string(),
  sourceSeverity: score100(),
});
export type IncidentMember = z.infer<typeof incidentMemberSchema>;

export const incidentKeySchema = z.object({ kind: keyKindSchema, value: z.string().min(1) });
export type IncidentKey = z.infer<typeof incidentKeySchema>;

export const incidentLinkSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  via: keyKindSchema,
  value: z.string().min(1),
});
export type IncidentLink = z.infer<typeof incidentLinkSchema>;

export const hotKeySchema = z.object({
  kind: keyKindSchema,
  value: z.string().min(1),
  distinctIdentities: avroInt().nonnegative(),
  detectedAt: timestampMs(),
});
export type HotKey = z.infer<typeof hotKeySchema>;

export const lateMemberSchema = z.object({
  eventId: z.string().min(1),
  observedAt: timestampMs(),
  arrivedAt: timestampMs(),
});
export type LateMember = z.infer<typeof lateMemberSchema>;

/** Value of `correlated`; mirrors avro/Incident.avsc. */
export const incidentSchema = z.object({
  incidentId: z.string().min(1),
  version: avroLong().positive(),
  status: incidentStatusSchema,
  firstSeen: timestampMs(),
  lastSeen: timestampMs(),
  updatedAt: timestampMs(),
  members: z.array(incidentMemberSchema),
  keys: list(incidentKeySchema),
  links: list(incidentLinkSchema),
  hybrid: z.boolean(),
  sources: stringMap(avroInt().nonnegative()),
  tactics: list(z.string()),
  absorbed: list(z.string()),
  mergedInto: nullable(z.string()),
  hotKeys: list(hotKeySchema),
  late: list(lateMemberSchema),
  /** Left out to keep the record under the correlator's size budget (see avro/Incident.avsc). */
  membersOmitted: avroInt().nonnegative().default(0),
  linksOmitted: avroInt().nonnegative().default(0),
  keysOmitted: avroInt().nonnegative().default(0),
  absorbedOmitted: avroInt().nonnegative().default(0),
  hotKeysOmitted: avroInt().nonnegative().default(0),
  tacticsOmitted: avroInt().nonnegative().default(0),
});
export type Incident = z.infer<typeof incidentSchema>;
