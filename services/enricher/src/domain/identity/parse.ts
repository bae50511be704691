import { z } from 'zod';
import { type LineError, type Result, err, jsonErrorLine, ok } from '../result';
import type { DirectoryEntry } from './directory';

/**
 * Parsers for the identity directory exports. Pure: text in, entries (or every problem, each with
 * its line) out. A file with any bad entry is rejected as a whole, so a typo never silently drops
 * a person from resolution.
 */

const MULTI_VALUE_SEPARATOR = /[;|]/;

const splitList = (value: string): string[] =>
  value.split(MULTI_VALUE_SEPARATOR).map((v) => v.trim()).filter((v) => v !== '');

const emptyToNull = (value: string | undefined | null): string | null => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', '']);

interface EntryFields {
  canonical: string | null;
  samAccountName: string | null;
  domain: string | null;
  upn: string | null;
  emails: string[];
  iamUsers: string[];
  roleSessionNames: string[];
  privileged: boolean;
  department: string | null;
}

/** Cross-field checks shared by both formats; returns the entry or the problems. */
function finishEntry(fields: EntryFields): Result<DirectoryEntry, string[]> {
  const problems: string[] = [];
  if (fields.canonical === null) problems.push('canonical is required');
  let sam = fields.samAccountName;
  let domain = fields.domain;
  // `CORP\jdoe` in the sAMAccountName column carries its domain.
  if (sam !== null && sam.includes('\\')) {
    const [samDomain = '', account = ''] = sam.split('\\', 2);
    if (domain !== null && domain.toLowerCase() !== samDomain.toLowerCase()) {
      problems.push(`samAccountName domain "${samDomain}" differs from domain "${domain}"`);
    }
    domain = samDomain.trim() || domain;
    sam = account.trim() || null;
  }
  if (sam !== null && /[@/\s]/.test(sam)) problems.push(`samAccountName "${sam}" is not an account name`);
  for (const address of [...(fields.upn === null ? [] : [fields.upn]), ...fields.emails]) {
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) problems.push(`"${address}" is not an e-mail address`);
  }
  if (problems.length > 0 || fields.canonical === null) return err(problems);
  return ok({
    canonical: fields.canonical,
    samAccountName: sam,
    domain,
    upn: fields.upn,
    emails: fields.emails,
    iamUsers: fields.iamUsers,
    roleSessionNames: fields.roleSessionNames,
    privileged: fields.privileged,
    department: fields.department,
  });
}

/** RFC 4180 records with the 1-based line each starts on. Quoted fields may span lines. */
function csvRecords(text: string): Result<{ line: number; fields: string[] }[], LineError> {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]?.trim() === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i];
    if (inQuotes) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          inQuotes = false;
          const next = source[i + 1];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
            return err({ line, message: 'text after a closing quote' });
          }
        }
      } else {
        if (ch === '\n') line += 1;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else if (ch === '"') {
      return err({ line, message: 'stray quote inside an unquoted field' });
    } else {
      field += ch;
      if (ch !== ' ' && ch !== '\t') fieldStarted = true;
    }
  }
  if (inQuotes) return err({ line: recordLine, message: 'unterminated quoted field' });
  if (field !== '' || fields.length > 0) endRecord();
  return ok(records);
}

const CSV_COLUMNS: Record<string, keyof EntryFields> = {
  canonical: 'canonical',
  samaccountname: 'samAccountName',
  sam: 'samAccountName',
  domain: 'domain',
  upn: 'upn',
  userprincipalname: 'upn',
  emails: 'emails',
  email: 'emails',
  mail: 'emails',
  iamusers: 'iamUsers',
  iamuser: 'iamUsers',
  rolesessionnames: 'roleSessionNames',
  rolesessions: 'roleSessionNames',
  privileged: 'privileged',
  department: 'department',
};

const normalizeHeader = (name: string): string => name.trim().toLowerCase().replace(/[\s_-]/g, '');

/**
 * CSV export: a header row naming the columns (any order; `canonical` required), then one row per
 * person. Multi-valued columns (emails, iamUsers, roleSessionNames) separate values with `;` or `|`.
 * Lines starting with `#` are comments. Unknown columns are an error (a misspelt column would
 * otherwise silently drop data).
 */
export function parseDirectoryCsv(text: string): Result<DirectoryEntry[], LineError[]> {
  const parsed = csvRecords(text);
  if (!parsed.ok) return err([parsed.error]);
  const records = parsed.value.filter((r) => !(r.fields[0] ?? '').trimStart().startsWith('#'));
  const [header, ...rows] = records;
  if (header === undefined) return err([{ line: null, message: 'empty file: a header row is required' }]);
  const columns: (keyof EntryFields)[] = [];
  const errors: LineError[] = [];
  for (const name of header.fields) {
    const column = CSV_COLUMNS[normalizeHeader(name)];
    if (column === undefined) errors.push({ line: header.line, message: `unknown column "${name.trim()}"` });
    else if (columns.includes(column)) errors.push({ line: header.line, message: `duplicate column "${name.trim()}"` });
    else columns.push(column);
  }
  if (!columns.includes('canonical')) errors.push({ line: header.line, message: 'missing column "canonical"' });
  if (errors.length > 0) return err(errors);
  const entries: DirectoryEntry[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      errors.push({ line: row.line, message: `expected ${columns.length} fields, found ${row.fields.length}` });
      continue;
    }
    const fields: EntryFields = {
      canonical: null, samAccountName: null, domain: null, upn: null, emails: [], iamUsers: [],
      roleSessionNames: [], privileged: false, department: null,
    };
    columns.forEach((column, i) => {
      const value = row.fields[i] ?? '';
      switch (column) {
        case 'emails':
        case 'iamUsers':
        case 'roleSessionNames':
          fields[column] = splitList(value);
          break;
        case 'privileged': {
          const word = value.trim().toLowerCase();
          if (TRUE_WORDS.has(word)) fields.privileged = true;
          else if (!FALSE_WORDS.has(word)) errors.push({ line: row.line, message: `privileged: "${value}" is not a boolean` });
          break;
        }
        case 'canonical':
        case 'samAccountName':
        case 'domain':
        case 'upn':
        case 'department':
          fields[column] = emptyToNull(value);
          break;
      }
    });
    const entry = finishEntry(fields);
    if (entry.ok) entries.push(entry.value);
    else for (const message of entry.error) errors.push({ line: row.line, message });
  }
  return errors.length > 0 ? err(errors) : ok(entries);
}

const stringOrList = z.union([z.string(), z.array(z.string())]).optional();
const jsonEntrySchema = z.object({
  canonical: z.string().trim().min(1),
  samAccountName: z.string().nullable().optional(),
  domain: z.string().nullable().optional(),
  upn: z.string().nullable().optional(),
  emails: stringOrList,
  iamUsers: stringOrList,
  roleSessionNames: stringOrList,
  privileged: z.boolean().optional(),
  department: z.string().nullable().optional(),
}).strict();

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? splitList(value) : value.map((v) => v.trim()).filter((v) => v !== '');

/** 1-based lines on which each object at `depth` (1 = elements of a top-level array) starts. */
function objectStartLines(text: string, depth: number): number[] {
  const lines: number[] = [];
  let line = 1;
  let level = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\n') line += 1;
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (ch === '{' && level === depth) lines.push(line);
      level += 1;
    } else if (ch === '}' || ch === ']') level -= 1;
  }
  return lines;
}

/**
 * JSON export: an array of entries, or `{"entries": [...]}`. Each entry has `canonical` and any of
 * samAccountName, domain, upn, emails, iamUsers, roleSessionNames (string or array), privileged,
 * department. Unknown keys are an error. Errors carry the line on which the entry starts.
 */
export function parseDirectoryJson(text: string): Result<DirectoryEntry[], LineError[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return err([{ line: jsonErrorLine(text), message: `invalid JSON: ${String(error)}` }]);
  }
  let items: unknown[];
  let depth: number;
  if (Array.isArray(value)) {
    items = value;
    depth = 1;
  } else if (typeof value === 'object' && value !== null && 'entries' in value && Array.isArray(value.entries)) {
    items = value.entries as unknown[];
    depth = 2;
  } else {
    return err([{ line: 1, message: 'expected an array of entries or {"entries": [...]}' }]);
  }
  const lines = objectStartLines(text, depth);
  const errors: LineError[] = [];
  const entries: DirectoryEntry[] = [];
  items.forEach((item, index) => {
    const line = lines[index] ?? null;
    const parsed = jsonEntrySchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        errors.push({ line, message: `entries[${index}].${issue.path.join('.') || '(entry)'}: ${issue.message}` });
      }
      return;
    }
    const data = parsed.data;
    const entry = finishEntry({
      canonical: data.canonical.trim(),
      samAccountName: emptyToNull(data.samAccountName),
      domain: emptyToNull(data.domain),
      upn: emptyToNull(data.upn),
      emails: asList(data.emails),
      iamUsers: asList(data.iamUsers),
      roleSessionNames: asList(data.roleSessionNames),
      privileged: data.privileged ?? false,
      department: emptyToNull(data.department),
    });
    if (entry.ok) entries.push(entry.value);
    else for (const message of entry.error) errors.push({ line, message: `entries[${index}]: ${message}` });
  });
  return errors.length > 0 ? err(errors) : ok(entries);
}
