import { describe, expect, it } from 'vitest';
import {
  type DirectoryEntry, buildIdentityDirectory, classifyUserName, emptyDirectory, resolveIdentity,
} from '../src/domain/identity/directory';
import { parseDirectoryCsv, parseDirectoryJson } from '../src/domain/identity/parse';
import type { IdentityKind } from '../src/domain/security-event';
import { entry } from './helpers';

const jdoe = entry({
  canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example',
  emails: ['john.doe@corp.example'], iamUsers: ['jdoe', 'john-admin'], roleSessionNames: ['jdoe-breakglass'],
  privileged: true, department: 'Platform',
});
const asmith = entry({ canonical: 'asmith@corp.example', samAccountName: 'asmith', upn: 'asmith@corp.example' });
const { directory, conflicts } = buildIdentityDirectory([jdoe, asmith]);

describe('resolveIdentity', () => {
  it('has no conflicts for a clean directory', () => {
    expect(conflicts).toEqual([]);
  });

  it.each<[string, IdentityKind, string]>([
    ['CORP\\jdoe', 'ad', 'jdoe@corp.example'],
    ['corp\\JDOE', 'ad', 'jdoe@corp.example'],
    ['jdoe', 'ad', 'jdoe@corp.example'],
    ['JDoe@Corp.Example', 'email', 'jdoe@corp.example'],
    ['john.doe@corp.example', 'email', 'jdoe@corp.example'],
    ['jdoe', 'iam_user', 'jdoe@corp.example'],
    ['John-Admin', 'iam_user', 'jdoe@corp.example'],
    ['AWSReservedSSO_Admin_0123456789abcdef/jdoe@corp.example', 'iam_role_session', 'jdoe@corp.example'],
    ['AWSReservedSSO_ReadOnly_fedcba/JDOE', 'iam_role_session', 'jdoe@corp.example'], // SSO user name = sAMAccountName
    ['BreakGlassRole/jdoe-breakglass', 'iam_role_session', 'jdoe@corp.example'],
    ['asmith', 'ad', 'asmith@corp.example'],
    ['OTHERDOMAIN\\asmith', 'ad', 'asmith@corp.example'], // the entry has no domain: any domain matches
  ])('%s (%s) -> %s', (raw, kind, canonical) => {
    const resolution = resolveIdentity(directory, raw, kind);
    expect(resolution).toMatchObject({ resolved: true, canonical });
  });

  it.each<[string, IdentityKind, string]>([
    ['OTHER\\jdoe', 'ad', 'other\\jdoe'], // jdoe is CORP\jdoe only
    ['mallory', 'ad', 'mallory'],
    ['Mallory@Evil.Example', 'email', 'mallory@evil.example'],
    ['stratus-user', 'iam_user', 'stratus-user'],
    ['SomeRole/i-0dbc91f429e48eeed', 'iam_role_session', 'somerole/i-0dbc91f429e48eeed'],
    ['AWSReservedSSO_Admin_x/Mallory@Evil.Example', 'iam_role_session', 'mallory@evil.example'],
    ['SomeRole/jdoe', 'iam_role_session', 'somerole/jdoe'], // not SSO: a session name is not an AD account
    ['arn:aws:iam::123456789012:root', 'root', 'arn:aws:iam::123456789012:root'],
    ['admin', 'unknown', 'admin'],
  ])('%s (%s) stays unresolved as %s', (raw, kind, canonical) => {
    expect(resolveIdentity(directory, raw, kind)).toEqual({ resolved: false, canonical, ambiguousWith: [] });
  });

  it('IAM user names do not fall back to AD account names', () => {
    expect(resolveIdentity(directory, 'asmith', 'iam_user').resolved).toBe(false);
  });

  it('resolves nothing against an empty directory', () => {
    expect(resolveIdentity(emptyDirectory(), 'CORP\\jdoe', 'ad')).toEqual({ resolved: false, canonical: 'corp\\jdoe', ambiguousWith: [] });
  });

  it('a key two entries claim is ambiguous and resolves to nobody', () => {
    const a = entry({ canonical: 'a@corp.example', iamUsers: ['shared'] });
    const b = entry({ canonical: 'b@corp.example', iamUsers: ['Shared'] });
    const built = buildIdentityDirectory([a, b]);
    expect(built.conflicts).toEqual(['iam:shared']);
    expect(resolveIdentity(built.directory, 'shared', 'iam_user')).toEqual({
      resolved: false, canonical: 'shared', ambiguousWith: ['a@corp.example', 'b@corp.example'],
    });
  });

  it('the same sAMAccountName in two domains is no conflict; the domain picks the person', () => {
    const corp = entry({ canonical: 'corp-jdoe', samAccountName: 'jdoe', domain: 'CORP' });
    const lab = entry({ canonical: 'lab-jdoe', samAccountName: 'jdoe', domain: 'LAB' });
    const built = buildIdentityDirectory([corp, lab]);
    expect(built.conflicts).toEqual([]);
    expect(resolveIdentity(built.directory, 'LAB\\jdoe', 'ad')).toMatchObject({ resolved: true, canonical: 'lab-jdoe' });
    expect(resolveIdentity(built.directory, 'jdoe', 'ad')).toMatchObject({ resolved: false, ambiguousWith: ['corp-jdoe', 'lab-jdoe'] });
  });
});

describe('classifyUserName', () => {
  it.each<[string, IdentityKind]>([
    ['CORP\\jdoe', 'ad'], ['jdoe', 'ad'], ['jdoe@corp.example', 'email'], ['yarden', 'ad'],
  ])('%s -> %s', (raw, kind) => {
    expect(classifyUserName(raw)).toBe(kind);
  });
});

const csv = [
  '# identity directory export',
  'canonical,samAccountName,domain,upn,emails,iamUsers,roleSessionNames,privileged,department',
  'jdoe@corp.example,jdoe,CORP,jdoe@corp.example,john.doe@corp.example;jd@corp.example,jdoe|john-admin,,yes,Platform',
  '"asmith@corp.example","CORP\\asmith",,,,,,no,"Finance, Treasury"',
  '',
].join('\n');

describe('parseDirectoryCsv', () => {
  it('parses a valid export, with quoted fields, lists and DOMAIN\\sam', () => {
    const parsed = parseDirectoryCsv(csv);
    expect(parsed).toEqual({
      ok: true,
      value: [
        {
          canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example',
          emails: ['john.doe@corp.example', 'jd@corp.example'], iamUsers: ['jdoe', 'john-admin'], roleSessionNames: [],
          privileged: true, department: 'Platform',
        },
        {
          canonical: 'asmith@corp.example', samAccountName: 'asmith', domain: 'CORP', upn: null, emails: [],
          iamUsers: [], roleSessionNames: [], privileged: false, department: 'Finance, Treasury',
        },
      ] satisfies DirectoryEntry[],
    });
  });

  it('accepts CRLF line ends and header aliases in any order', () => {
    const parsed = parseDirectoryCsv('Department,Canonical,IAM_Users,mail\r\nOps,x@corp.example,x,x@corp.example\r\n');
    expect(parsed.ok && parsed.value[0]).toMatchObject({ canonical: 'x@corp.example', iamUsers: ['x'], emails: ['x@corp.example'], department: 'Ops' });
  });

  it.each([
    ['', [{ line: null, message: 'empty file: a header row is required' }]],
    ['canonical,samAccountName,colour\nx,y,z', [{ line: 1, message: 'unknown column "colour"' }]],
    ['samAccountName\njdoe', [{ line: 1, message: 'missing column "canonical"' }]],
    ['canonical,privileged\nx,maybe\ny,true,extra', [
      { line: 2, message: 'privileged: "maybe" is not a boolean' },
      { line: 3, message: 'expected 2 fields, found 3' },
    ]],
    ['canonical,upn\nx,not-an-email\n,y@corp.example', [
      { line: 2, message: '"not-an-email" is not an e-mail address' },
      { line: 3, message: 'canonical is required' },
    ]],
    ['canonical,department\n"x,"multi\nline"', [{ line: 2, message: 'text after a closing quote' }]],
    ['canonical,department\nx,y"z', [{ line: 2, message: 'stray quote inside an unquoted field' }]],
    ['canonical,department\nx,"never closed\n', [{ line: 2, message: 'unterminated quoted field' }]],
    ['canonical,samAccountName,domain\nx,CORP\\jdoe,LAB', [{ line: 2, message: 'samAccountName domain "CORP" differs from domain "LAB"' }]],
  ])('reports line-numbered errors for %j', (text, errors) => {
    expect(parseDirectoryCsv(text)).toEqual({ ok: false, error: errors });
  });

  it('counts lines inside quoted multi-line fields', () => {
    const parsed = parseDirectoryCsv('canonical,department\nx,"two\nlines"\ny,maybe,extra');
    expect(parsed).toEqual({ ok: false, error: [{ line: 4, message: 'expected 2 fields, found 3' }] });
  });
});

describe('parseDirectoryJson', () => {
  it('parses an array of entries and {"entries": [...]}', () => {
    const text = '[{"canonical": "jdoe@corp.example", "samAccountName": "CORP\\\\jdoe", "emails": "a@corp.example; b@corp.example", "iamUsers": ["jdoe"], "privileged": true}]';
    const parsed = parseDirectoryJson(text);
    expect(parsed).toEqual({
      ok: true,
      value: [{
        canonical: 'jdoe@corp.example', samAccountName: 'jdoe', domain: 'CORP', upn: null,
        emails: ['a@corp.example', 'b@corp.example'], iamUsers: ['jdoe'], roleSessionNames: [], privileged: true, department: null,
      }],
    });
    const wrapped = parseDirectoryJson(`{"version": 1, "entries": ${text}}`);
    expect(wrapped).toEqual(parsed);
  });

  it('gives each bad entry the line it starts on', () => {
    const text = [
      '{',
      '  "entries": [',
      '    {"canonical": "ok@corp.example"},',
      '    {"canonical": "x", "privileged": "yes"},',
      '    {',
      '      "canonical": "",',
      '      "colour": "blue"',
      '    }',
      '  ]',
      '}',
    ].join('\n');
    const parsed = parseDirectoryJson(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.map((e) => e.line)).toEqual([4, 5, 5]);
      expect(parsed.error[0]?.message).toMatch(/^entries\[1\]\.privileged: /);
      expect(parsed.error.map((e) => e.message).join('\n')).toMatch(/colour/);
    }
  });

  it.each([
    ['{"canonical": "x"}', 1, 'expected an array of entries or {"entries": [...]}'],
    ['[\n  {"canonical": "x"},\n  oops\n]', 3, 'invalid JSON'],
  ])('rejects %j', (text, line, message) => {
    const parsed = parseDirectoryJson(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error[0]?.line).toBe(line);
      expect(parsed.error[0]?.message).toContain(message);
    }
  });
});
