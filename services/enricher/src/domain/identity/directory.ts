import type { IdentityKind } from '@seam/schemas';

/**
 * The identity directory maps every name a person goes by (AD sAMAccountName, UPN and e-mails, IAM
 * user names, role-session names) onto one canonical identity. Matching is case-insensitive.
 */
export interface DirectoryEntry {
  readonly canonical: string;
  readonly samAccountName: string | null;
  /** NetBIOS domain of the account (CORP); null matches any domain. */
  readonly domain: string | null;
  readonly upn: string | null;
  readonly emails: readonly string[];
  readonly iamUsers: readonly string[];
  /** Role-session names, bare (`jdoe@corp.example`) or with their role (`Role/jdoe`). */
  readonly roleSessionNames: readonly string[];
  readonly privileged: boolean;
  readonly department: string | null;
}

export interface IdentityDirectory {
  readonly entries: readonly DirectoryEntry[];
  /** Lookup key (`sam:jdoe`, `email:jdoe@corp.example`, ...) to the entries that claim it. */
  readonly index: ReadonlyMap<string, readonly DirectoryEntry[]>;
}

export interface DirectoryBuild {
  readonly directory: IdentityDirectory;
  /** Keys claimed by more than one entry; such keys resolve to nobody (ambiguous). */
  readonly conflicts: readonly string[];
}

export type Resolution =
  | { readonly resolved: true; readonly canonical: string; readonly entry: DirectoryEntry }
  | {
      readonly resolved: false;
      readonly canonical: string;
      /** Canonical ids of the entries that matched when more than one did. */
      readonly ambiguousWith: readonly string[];
    };

const lower = (value: string): string => value.trim().toLowerCase();
const isEmail = (value: string): boolean => /^[^\s@\\/]+@[^\s@\\/]+$/.test(value.trim());

function keysOf(entry: DirectoryEntry): string[] {
  const keys = [`canonical:${lower(entry.canonical)}`];
  if (isEmail(entry.canonical)) keys.push(`email:${lower(entry.canonical)}`);
  if (entry.samAccountName !== null) keys.push(`sam:${lower(entry.samAccountName)}`);
  if (entry.upn !== null) keys.push(`email:${lower(entry.upn)}`);
  for (const email of entry.emails) keys.push(`email:${lower(email)}`);
  for (const name of entry.iamUsers) keys.push(`iam:${lower(name)}`);
  for (const name of entry.roleSessionNames) keys.push(`session:${lower(name)}`);
  return [...new Set(keys)];
}

export function buildIdentityDirectory(entries: readonly DirectoryEntry[]): DirectoryBuild {
  const index = new Map<string, DirectoryEntry[]>();
  const conflicts = new Set<string>();
  for (const entry of entries) {
    for (const key of keysOf(entry)) {
      const claimed = index.get(key);
      if (claimed === undefined) {
        index.set(key, [entry]);
        continue;
      }
      // Two entries with the same sAMAccountName in different domains are fine; otherwise a key
      // claimed twice is a directory error and matches nobody.
      const differentDomains = key.startsWith('sam:') && entry.domain !== null &&
        claimed.every((other) => other.domain !== null && lower(other.domain) !== lower(entry.domain ?? ''));
      if (!differentDomains) conflicts.add(key);
      claimed.push(entry);
    }
  }
  return { directory: { entries, index }, conflicts: [...conflicts].sort() };
}

export const emptyDirectory = (): IdentityDirectory => ({ entries: [], index: new Map() });

type Lookup = { readonly key: string; readonly domain?: string };

function find(directory: IdentityDirectory, lookup: Lookup): DirectoryEntry[] {
  const matches = directory.index.get(lookup.key) ?? [];
  const domain = lookup.domain;
  if (domain === undefined) return [...matches];
  return matches.filter((entry) => entry.domain === null || lower(entry.domain) === domain);
}

/** The session part of a `role/session` raw value. */
function splitRoleSession(raw: string): { role: string; session: string } {
  const slash = raw.indexOf('/');
  return slash < 0 ? { role: '', session: raw } : { role: raw.slice(0, slash), session: raw.slice(slash + 1) };
}

/** The lookups to try for a raw identity of a given kind, most specific first. */
function lookupsFor(raw: string, kind: IdentityKind): Lookup[] {
  const value = lower(raw);
  const byShape = (name: string): Lookup[] =>
    isEmail(name) ? [{ key: `email:${name}` }] : [{ key: `sam:${name}` }];
  switch (kind) {
    case 'ad': {
      const backslash = value.indexOf('\\');
      if (backslash < 0) return [{ key: `canonical:${value}` }, ...byShape(value)];
      const domain = value.slice(0, backslash);
      const account = value.slice(backslash + 1);
      return [{ key: `canonical:${value}` }, { key: `sam:${account}`, domain }];
    }
    case 'email':
      return [{ key: `canonical:${value}` }, { key: `email:${value}` }];
    case 'iam_user':
      return [
        { key: `iam:${value}` },
        ...(isEmail(value) ? [{ key: `email:${value}` }] : []),
      ];
    case 'iam_role_session': {
      const { role, session } = splitRoleSession(value);
      const lookups: Lookup[] = [{ key: `session:${value}` }, { key: `session:${session}` }];
      if (isEmail(session)) lookups.push({ key: `email:${session}` });
      // IAM Identity Center sessions are named after the user's sign-in name, which is the
      // sAMAccountName when the identity source is AD.
      else if (role.startsWith('awsreservedsso_')) lookups.push({ key: `sam:${session}` });
      return lookups;
    }
    case 'root':
      return [];
    case 'unknown':
      return [{ key: `canonical:${value}` }, ...(isEmail(value) ? [{ key: `email:${value}` }] : [])];
  }
}

/**
 * How an unresolved identity is written: lowercased, and for a role session whose session name is
 * an e-mail (SSO), the e-mail, since that is the person. Root keeps its ARN.
 */
export function unresolvedCanonical(raw: string, kind: IdentityKind): string {
  if (kind === 'root') return raw.trim();
  const value = lower(raw);
  if (kind === 'iam_role_session') {
    const { session } = splitRoleSession(value);
    if (isEmail(session)) return session;
  }
  return value;
}

/** Resolves a raw identity onto the directory's canonical identity, or labels it unresolved. */
export function resolveIdentity(directory: IdentityDirectory, raw: string, kind: IdentityKind): Resolution {
  for (const lookup of lookupsFor(raw, kind)) {
    const matches = [...new Set(find(directory, lookup))];
    if (matches.length === 0) continue;
    const [only] = matches;
    if (matches.length === 1 && only !== undefined) return { resolved: true, canonical: only.canonical, entry: only };
    return {
      resolved: false,
      canonical: unresolvedCanonical(raw, kind),
      ambiguousWith: matches.map((entry) => entry.canonical).sort(),
    };
  }
  return { resolved: false, canonical: unresolvedCanonical(raw, kind), ambiguousWith: [] };
}

/**
 * The kind of a user name as an on-prem source writes it (QRadar `username`, offense_source):
 * `DOMAIN\user` and bare names are AD accounts, `user@domain` an e-mail / UPN.
 */
export function classifyUserName(raw: string): IdentityKind {
  const value = raw.trim();
  if (value.includes('\\')) return 'ad';
  if (isEmail(value)) return 'email';
  return 'ad';
}
