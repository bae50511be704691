import { createHash, timingSafeEqual } from 'node:crypto';
import { Secret } from '@seam/kit';
import { z } from 'zod';
import type { Role } from './backend';

/** A bearer token of the approvals API and who holds it. */
export interface ApprovalToken {
  /** Stable identity recorded as the actor of approvals (never a secret). */
  readonly name: string;
  readonly role: Role;
  readonly token: Secret;
}

/** A Slack user the callback accepts, keyed by Slack user id in the options. */
export interface SlackUser {
  readonly name: string;
  readonly role: Role;
}

export const MIN_TOKEN_LENGTH = 32;
const MIN_DISTINCT_CHARACTERS = 10;

export const RoleSchema = z.enum(['viewer', 'approver', 'admin']);
/** Identities end up in the audit trail and in log fields: keep them short and plain. */
const NameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._@:+-]+$/, 'name may use letters, digits and . _ @ : + - only');

const TokenEntrySchema = z
  .object({
    name: NameSchema,
    role: RoleSchema,
    token: z
      .string()
      .min(MIN_TOKEN_LENGTH, `token must be at least ${MIN_TOKEN_LENGTH} characters`)
      .max(512, 'token must be at most 512 characters')
      .regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces')
      .refine((token) => new Set(token).size >= MIN_DISTINCT_CHARACTERS, 'token is too simple (use a random value, e.g. openssl rand -hex 32)'),
  })
  .strict();

const TokensFileSchema = z.array(TokenEntrySchema).min(1, 'at least one token is required');

/** Lists what is wrong without ever echoing a value (the input holds secrets). */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

/**
 * Parses an approvals tokens file: `[{"name": "alice", "role": "approver", "token": "<32+ random chars>"}]`.
 * Refuses an empty list, short or trivial tokens, duplicate tokens and one name with two roles; there is
 * no default token. Errors name the entry and the rule, never the token.
 */
export function parseApprovalTokens(json: unknown): ApprovalToken[] {
  const parsed = TokensFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid approvals tokens: ${describeIssues(parsed.error)}`);
  const seenTokens = new Map<string, number>();
  const roleByName = new Map<string, Role>();
  parsed.data.forEach((entry, index) => {
    const key = createHash('sha256').update(entry.token).digest('hex');
    const earlier = seenTokens.get(key);
    if (earlier !== undefined) throw new Error(`invalid approvals tokens: ${index}.token: duplicates the token of entry ${earlier}`);
    seenTokens.set(key, index);
    const role = roleByName.get(entry.name);
    if (role !== undefined && role !== entry.role) {
      throw new Error(`invalid approvals tokens: ${index}.role: name ${entry.name} already has role ${role}`);
    }
    roleByName.set(entry.name, entry.role);
  });
  return parsed.data.map((entry) => ({ name: entry.name, role: entry.role, token: new Secret(entry.token) }));
}

const SlackUsersSchema = z.record(z.string().regex(/^[A-Z0-9]{2,32}$/, 'Slack user ids look like U0123ABCD'), z.object({ name: NameSchema, role: RoleSchema }).strict());

/** Parses the Slack user map of a config file: `{"U0123ABCD": {"name": "alice", "role": "approver"}}`. */
export function parseSlackUsers(json: unknown): Record<string, SlackUser> {
  const parsed = SlackUsersSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid Slack users: ${describeIssues(parsed.error)}`);
  // A null-prototype copy: lookups by attacker-supplied ids never reach Object.prototype.
  return Object.assign(Object.create(null) as Record<string, SlackUser>, parsed.data);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The token holder named by an `Authorization: Bearer <token>` header, or undefined. Compares
 * fixed-length digests with timingSafeEqual against every configured token (no early exit), so
 * neither a token's content nor its length nor its position leaks through timing.
 */
export function authenticateBearer(authorization: string | undefined, tokens: readonly ApprovalToken[]): ApprovalToken | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  const presented = digest(match[1]);
  let found: ApprovalToken | undefined;
  for (const entry of tokens) {
    if (timingSafeEqual(presented, digest(entry.token.reveal())) && found === undefined) found = entry;
  }
  return found;
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/** True when `role` may do what `required` may (admin ⊇ approver ⊇ viewer). */
export function roleAllows(role: Role, required: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}
