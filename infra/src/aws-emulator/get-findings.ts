// GetFindings semantics: filter compilation (StringFilter, DateFilter, NumberFilter), the sort
// order and keyset NextToken paging. Pure: the store passes its findings and the clock in.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dateFields, numberFields, stringFields, type AsffFinding } from './asff-fields';
import { securityHubErrors } from './errors';

const positive = ['EQUALS', 'PREFIX', 'CONTAINS', 'CONTAINS_WORD'] as const;
const negative = ['NOT_EQUALS', 'PREFIX_NOT_EQUALS', 'NOT_CONTAINS'] as const;
const stringFilterSchema = z.object({ Value: z.string().min(1), Comparison: z.enum([...positive, ...negative]) }).strict();
const dateFilterSchema = z
  .object({
    Start: z.string().optional(),
    End: z.string().optional(),
    DateRange: z.object({ Value: z.number().int().min(0), Unit: z.literal('DAYS') }).strict().optional(),
  })
  .strict();
const numberFilterSchema = z.object({ Gte: z.number().optional(), Lte: z.number().optional(), Eq: z.number().optional(), Gt: z.number().optional(), Lt: z.number().optional() }).strict();

export const getFindingsRequestSchema = z
  .object({
    Filters: z.record(z.string(), z.array(z.unknown()).max(20)).optional(),
    SortCriteria: z.array(z.object({ Field: z.string().min(1), SortOrder: z.enum(['asc', 'desc']).optional() }).strict()).max(20).optional(),
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: z.string().optional(),
  })
  .strict();

export type GetFindingsRequest = z.infer<typeof getFindingsRequestSchema>;
type Predicate = (finding: AsffFinding) => boolean;

function invalid(message: string): never {
  throw securityHubErrors.invalidInput(message);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) invalid(`Invalid parameter '${where}': ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`);
  return parsed.data;
}

function stringMatches(comparison: z.infer<typeof stringFilterSchema>['Comparison'], actual: string, wanted: string): boolean {
  switch (comparison) {
    case 'EQUALS':
    case 'NOT_EQUALS':
      return actual === wanted;
    case 'PREFIX':
    case 'PREFIX_NOT_EQUALS':
      return actual.startsWith(wanted);
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      return actual.includes(wanted);
    case 'CONTAINS_WORD':
      return actual.split(/\W+/).includes(wanted);
  }
}

/**
 * Filters on one field: positive comparisons (EQUALS, PREFIX, CONTAINS) are joined by OR,
 * negative ones (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS) by AND, and a finding must satisfy
 * both groups. EQUALS with NOT_EQUALS/PREFIX_NOT_EQUALS, or CONTAINS with NOT_CONTAINS, on the same
 * field is an error, as the StringFilter reference says.
 */
function stringPredicate(field: string, read: (f: AsffFinding) => string[], raw: unknown[]): Predicate {
  const filters = raw.map((item, i) => parseWith(stringFilterSchema, item, `Filters.${field}[${i}]`));
  const has = (c: string) => filters.some((f) => f.Comparison === c);
  if (has('EQUALS') && (has('NOT_EQUALS') || has('PREFIX_NOT_EQUALS'))) invalid(`Invalid parameter 'Filters.${field}': EQUALS cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS on the same field`);
  if (has('CONTAINS') && has('NOT_CONTAINS')) invalid(`Invalid parameter 'Filters.${field}': CONTAINS cannot be combined with NOT_CONTAINS on the same field`);
  const pos = filters.filter((f) => (positive as readonly string[]).includes(f.Comparison));
  const neg = filters.filter((f) => (negative as readonly string[]).includes(f.Comparison));
  return (finding) => {
    const values = read(finding);
    const posOk = pos.length === 0 || pos.some((f) => values.some((v) => stringMatches(f.Comparison, v, f.Value)));
    const negOk = neg.every((f) => !values.some((v) => stringMatches(f.Comparison, v, f.Value)));
    return posOk && negOk;
  };
}

function datePredicate(field: string, read: (f: AsffFinding) => number | undefined, raw: unknown[], now: number): Predicate {
  const ranges = raw.map((item, i) => {
    const filter = parseWith(dateFilterSchema, item, `Filters.${field}[${i}]`);
    const bound = (text: string | undefined, name: string) => {
      if (text === undefined) return undefined;
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) invalid(`Invalid parameter 'Filters.${field}[${i}].${name}': '${text}' is not an ISO 8601 timestamp`);
      return ms;
    };
    let start = bound(filter.Start, 'Start');
    let end = bound(filter.End, 'End');
    if (filter.DateRange) {
      start = now - filter.DateRange.Value * 86_400_000;
      end = now;
    }
    if (start === undefined && end === undefined) invalid(`Invalid parameter 'Filters.${field}[${i}]': a DateFilter needs Start, End or DateRange`);
    return { start, end };
  });
  return (finding) => {
    const value = read(finding);
    if (value === undefined) return false;
    return ranges.some((r) => (r.start === undefined || value >= r.start) && (r.end === undefined || value <= r.end));
  };
}

function numberPredicate(field: string, read: (f: AsffFinding) => number | undefined, raw: unknown[]): Predicate {
  const filters = raw.map((item, i) => parseWith(numberFilterSchema, item, `Filters.${field}[${i}]`));
  return (finding) => {
    const v = read(finding);
    if (v === undefined) return false;
    return filters.some(
      (f) => (f.Eq === undefined || v === f.Eq) && (f.Gte === undefined || v >= f.Gte) && (f.Lte === undefined || v <= f.Lte) && (f.Gt === undefined || v > f.Gt) && (f.Lt === undefined || v < f.Lt),
    );
  };
}

/** All filter fields are joined by AND. Unsupported fields are refused rather than ignored. */
export function compileFilters(filters: GetFindingsRequest['Filters'], now: number): Predicate {
  const predicates: Predicate[] = [];
  for (const [field, raw] of Object.entries(filters ?? {})) {
    if (raw.length === 0) continue;
    const readString = stringFields[field];
    const readDate = dateFields[field];
    const readNumber = numberFields[field];
    if (readString) predicates.push(stringPredicate(field, readString, raw));
    else if (readDate) predicates.push(datePredicate(field, readDate, raw, now));
    else if (readNumber) predicates.push(numberPredicate(field, readNumber, raw));
    else invalid(`Invalid parameter 'Filters': the filter ${field} is not supported by this emulator (see README.md)`);
  }
  return (finding) => predicates.every((p) => p(finding));
}

// --- Sort order and keyset paging ---------------------------------------------------------------

type SortValue = string | number | null;
interface SortKey {
  field: string;
  descending: boolean;
  read: (f: AsffFinding) => SortValue;
}

/** Default order when SortCriteria is absent: most recently updated first (an emulator choice). */
const defaultSort = [{ Field: 'UpdatedAt', SortOrder: 'desc' as const }];

export function sortKeys(criteria: GetFindingsRequest['SortCriteria']): SortKey[] {
  return (criteria && criteria.length > 0 ? criteria : defaultSort).map((c) => {
    const readString = stringFields[c.Field];
    const readDate = dateFields[c.Field];
    const readNumber = numberFields[c.Field];
    const read: ((f: AsffFinding) => SortValue) | undefined = readDate
      ? (f) => readDate(f) ?? null
      : readNumber
        ? (f) => readNumber(f) ?? null
        : readString
          ? (f) => readString(f)[0] ?? null
          : undefined;
    if (!read) invalid(`Invalid parameter 'SortCriteria': sorting on ${c.Field} is not supported by this emulator`);
    return { field: c.Field, descending: c.SortOrder === 'desc', read };
  });
}

/** Sort values of a finding, with ProductArn and Id appended so the order is total and stable. */
export function sortTuple(finding: AsffFinding, keys: readonly SortKey[]): SortValue[] {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return [...keys.map((k) => k.read(finding)), text(finding['ProductArn']), text(finding['Id'])];
}

function compareValue(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return 1; // absent values last, whatever the direction
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

export function compareTuples(a: readonly SortValue[], b: readonly SortValue[], keys: readonly SortKey[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const av = a[i] ?? null;
    const bv = b[i] ?? null;
    let c = compareValue(av, bv);
    if (c !== 0 && av !== null && bv !== null && keys[i]?.descending) c = -c;
    if (c !== 0) return c;
  }
  return 0;
}

const tokenSchema = z.object({ q: z.string(), after: z.array(z.union([z.string(), z.number(), z.null()])) }).strict();

/** Identifies the query (filters + sort) a token belongs to, so a token cannot be reused for another. */
export function queryFingerprint(request: GetFindingsRequest): string {
  return createHash('sha256').update(JSON.stringify([request.Filters ?? {}, request.SortCriteria ?? []])).digest('hex').slice(0, 16);
}

export function encodeToken(fingerprint: string, after: SortValue[]): string {
  return Buffer.from(JSON.stringify({ q: fingerprint, after }), 'utf8').toString('base64url');
}

export function decodeToken(token: string, fingerprint: string): SortValue[] {
  try {
    const parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    if (parsed.q === fingerprint) return parsed.after;
  } catch {
    // fall through to the error below
  }
  invalid("Invalid parameter 'NextToken': the token is not valid for this query");
}

export interface FindingsPage {
  Findings: AsffFinding[];
  NextToken?: string;
}

/**
 * Filter, order and cut one page. Paging is by keyset (the token holds the sort values of the last
 * finding served), so findings imported or updated between pages never shift the remaining pages.
 */
export function pageFindings(all: readonly AsffFinding[], request: GetFindingsRequest, now: number): FindingsPage {
  const matches = compileFilters(request.Filters, now);
  const keys = sortKeys(request.SortCriteria);
  const fingerprint = queryFingerprint(request);
  const after = request.NextToken === undefined || request.NextToken === '' ? undefined : decodeToken(request.NextToken, fingerprint);
  const ordered = all
    .filter(matches)
    .map((finding) => ({ finding, tuple: sortTuple(finding, keys) }))
    .filter((entry) => after === undefined || compareTuples(entry.tuple, after, keys) > 0)
    .sort((a, b) => compareTuples(a.tuple, b.tuple, keys));
  const max = request.MaxResults ?? 100;
  const page = ordered.slice(0, max);
  const last = page[page.length - 1];
  const result: FindingsPage = { Findings: page.map((e) => structuredClone(e.finding)) };
  if (ordered.length > max && last) result.NextToken = encodeToken(fingerprint, last.tuple);
  return result;
}
