import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, readJsonBody, type HttpServer, type RouteHandler, type Secret } from '@seam/kit';
import { z } from 'zod';
import type { ActionStatus, Actor, ApprovalsBackend, PendingActionView, Role, TransitionResult } from './backend';
import { loadPageAssets, PAGE_CSP, SECURITY_HEADERS, sendAsset } from './page';
import { parseSlackInteraction, verifySlackRequest } from './slack';
import { authenticateBearer, roleAllows, type ApprovalToken, type SlackUser } from './tokens';

export { parseApprovalTokens, parseSlackUsers, type ApprovalToken, type SlackUser } from './tokens';

export interface ApprovalsHttpOptions {
  readonly backend: ApprovalsBackend;
  /** Bearer tokens of the API and the page (see parseApprovalTokens); at least one. */
  readonly tokens: readonly ApprovalToken[];
  /** Enables POST /slack/interactions; without it the route does not exist. */
  readonly slack?: {
    readonly signingSecret: Secret;
    /** Slack user id -> who that is here. Anyone else is refused. */
    readonly users: Readonly<Record<string, SlackUser>>;
  };
  /** Epoch ms; tests pin it to check the Slack replay window. */
  readonly now?: () => number;
}

/** Limits of the JSON bodies of the API: an approval is a few hundred bytes. */
export const JSON_BODY_LIMIT_BYTES = 16 * 1024;
/** Slack's block_actions payloads carry the whole message; generous but bounded. */
export const SLACK_BODY_LIMIT_BYTES = 256 * 1024;

const ACTION_STATUSES = ['proposed', 'approved', 'rejected', 'expired', 'executing', 'succeeded', 'failed', 'shadow'] as const satisfies readonly ActionStatus[];
const StatusSchema = z.enum(ACTION_STATUSES);
const ActionIdSchema = z.string().min(1).max(256);
const ReasonSchema = z.string().max(2000);

const DecisionBodySchema = z.object({ actionId: ActionIdSchema, reason: ReasonSchema.optional() }).strict();
const EditBodySchema = z
  .object({
    actionId: ActionIdSchema,
    parameters: z
      .record(z.string().min(1).max(128), z.string().max(8192))
      .refine((parameters) => Object.keys(parameters).length >= 1 && Object.keys(parameters).length <= 64, 'between 1 and 64 parameters'),
    reason: ReasonSchema.optional(),
  })
  .strict();

type ErrorCode = Extract<TransitionResult, { ok: false }>['error'];

export function transitionErrorStatus(error: ErrorCode): number {
  switch (error) {
    case 'not_found':
      return 404;
    case 'forbidden':
      return 403;
    case 'conflict':
      return 409;
    case 'invalid':
      return 422;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'content-type': 'application/json; charset=utf-8',
    ...extra,
  });
  res.end(text);
}

function sendTransition(res: ServerResponse, result: TransitionResult): void {
  if (result.ok) sendJson(res, 200, { action: result.action });
  else sendJson(res, transitionErrorStatus(result.error), { error: result.error, message: result.message });
}

/** State-changing API calls must be JSON: a cross-site HTML form can send neither that nor the Authorization header. */
function requireContentType(req: IncomingMessage, expected: string): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== expected) throw new HttpError(415, `content-type must be ${expected}`);
}

function queryParam(req: IncomingMessage, name: string): string | undefined {
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get(name) ?? undefined;
}

type AuthedHandler = (req: IncomingMessage, res: ServerResponse, actor: Actor) => Promise<void>;

/**
 * Registers the approvals front ends on the kit's HTTP server:
 * - GET /approvals, /approvals.js, /approvals.css: the page (public shell, no data in it)
 * - GET /api/me, /api/actions?status=, /api/action?id=: read (viewer and up)
 * - POST /api/actions/approve|reject|edit: JSON {actionId, reason?, parameters?} (approver and up)
 * - POST /slack/interactions: Slack-signed interactive callbacks (only when options.slack is set)
 * Ids travel in the query string or body because the kit matches exact paths.
 */
export function registerApprovalsRoutes(server: HttpServer, options: ApprovalsHttpOptions): void {
  if (options.tokens.length === 0) throw new Error('approvals routes need at least one token');
  const { backend } = options;
  const now = options.now ?? Date.now;
  const assets = loadPageAssets();

  const authed =
    (required: Role, handler: AuthedHandler): RouteHandler =>
    async (req, res) => {
      const holder = authenticateBearer(req.headers.authorization, options.tokens);
      if (!holder) {
        sendJson(res, 401, { error: 'unauthorized', message: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer' });
        return;
      }
      if (!roleAllows(holder.role, required)) {
        sendJson(res, 403, { error: 'forbidden', message: `role ${holder.role} may not do this (needs ${required})` });
        return;
      }
      await handler(req, res, { name: holder.name, role: holder.role, via: 'bearer' });
    };

  server.addRoute('GET', '/approvals', (_req, res) => sendAsset(res, assets.html));
  server.addRoute('GET', '/approvals.js', (_req, res) => sendAsset(res, assets.js));
  server.addRoute('GET', '/approvals.css', (_req, res) => sendAsset(res, assets.css));

  server.addRoute(
    'GET',
    '/api/me',
    authed('viewer', (_req, res, actor) => {
      sendJson(res, 200, { name: actor.name, role: actor.role, canDecide: roleAllows(actor.role, 'approver') });
      return Promise.resolve();
    }),
  );

  server.addRoute(
    'GET',
    '/api/actions',
    authed('viewer', async (req, res) => {
      const statusText = queryParam(req, 'status');
      let actions: readonly PendingActionView[];
      if (statusText === undefined || statusText === '' || statusText === 'all') {
        actions = await backend.list();
      } else {
        const status = StatusSchema.safeParse(statusText);
        if (!status.success) throw new HttpError(400, `status must be one of ${ACTION_STATUSES.join(', ')}, or all`);
        actions = await backend.list({ status: status.data });
      }
      sendJson(res, 200, { actions });
    }),
  );

  server.addRoute(
    'GET',
    '/api/action',
    authed('viewer', async (req, res) => {
      const id = ActionIdSchema.safeParse(queryParam(req, 'id'));
      if (!id.success) throw new HttpError(400, 'id is required');
      const action = await backend.get(id.data);
      if (!action) sendJson(res, 404, { error: 'not_found', message: 'no such action' });
      else sendJson(res, 200, { action });
    }),
  );

  server.addRoute(
    'POST',
    '/api/actions/approve',
    authed('approver', async (req, res, actor) => {
      requireContentType(req, 'application/json');
      const body = await readJsonBody(req, DecisionBodySchema, JSON_BODY_LIMIT_BYTES);
      sendTransition(res, await backend.approve(body.actionId, actor, body.reason));
    }),
  );

  server.addRoute(
    'POST',
    '/api/actions/reject',
    authed('approver', async (req, res, actor) => {
      requireContentType(req, 'application/json');
      const body = await readJsonBody(req, DecisionBodySchema, JSON_BODY_LIMIT_BYTES);
      sendTransition(res, await backend.reject(body.actionId, actor, body.reason));
    }),
  );

  server.addRoute(
    'POST',
    '/api/actions/edit',
    authed('approver', async (req, res, actor) => {
      requireContentType(req, 'application/json');
      const body = await readJsonBody(req, EditBodySchema, JSON_BODY_LIMIT_BYTES);
      sendTransition(res, await backend.edit(body.actionId, actor, body.parameters));
    }),
  );

  const slack = options.slack;
  if (slack) {
    server.addRoute('POST', '/slack/interactions', async (req, res) => {
      // The signature covers the raw bytes, so read them before anything parses them.
      const rawBody = await readBody(req, SLACK_BODY_LIMIT_BYTES);
      const verification = verifySlackRequest(
        { rawBody, timestamp: headerValue(req, 'x-slack-request-timestamp'), signature: headerValue(req, 'x-slack-signature') },
        slack.signingSecret,
        now(),
      );
      if (!verification.ok) {
        sendJson(res, 401, { error: 'unauthorized', message: `Slack signature ${verification.reason}` });
        return;
      }
      requireContentType(req, 'application/x-www-form-urlencoded');
      const interaction = parseSlackInteraction(rawBody);
      if (!interaction) throw new HttpError(400, 'payload is missing or does not match the expected schema');
      const user = Object.hasOwn(slack.users, interaction.user.id) ? slack.users[interaction.user.id] : undefined;
      if (!user) {
        sendJson(res, 403, { error: 'forbidden', message: 'this Slack user may not decide on actions', response_type: 'ephemeral', text: 'You are not allowed to approve Seam actions.' });
        return;
      }
      if (!roleAllows(user.role, 'approver')) {
        sendJson(res, 403, { error: 'forbidden', message: `role ${user.role} may not decide on actions`, response_type: 'ephemeral', text: 'Your role may not approve Seam actions.' });
        return;
      }
      const [action] = interaction.actions;
      const verb = action?.action_id ?? action?.name;
      if (!action || (verb !== 'approve' && verb !== 'reject')) throw new HttpError(400, 'action_id must be approve or reject');
      const actor: Actor = { name: user.name, role: user.role, via: 'slack' };
      const result = verb === 'approve' ? await backend.approve(action.value, actor, 'approved in Slack') : await backend.reject(action.value, actor, 'rejected in Slack');
      if (result.ok) {
        sendJson(res, 200, {
          action: result.action,
          response_type: 'ephemeral',
          replace_original: false,
          text: `${verb === 'approve' ? 'Approved' : 'Rejected'} by ${user.name}: now ${result.action.status}.`,
        });
      } else {
        sendJson(res, transitionErrorStatus(result.error), { error: result.error, message: result.message, response_type: 'ephemeral', text: `Not done: ${result.error}.` });
      }
    });
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Exported for tests and the README. */
export const APPROVALS_PAGE_CSP = PAGE_CSP;
