// The HTTP server: authentication, Version/Accept checks, fault injection and dispatch to the
// API routes (/api/...) and the admin routes (/_emulator/...). Deliberately thin: all behaviour
// lives in the route tables and in EmulatorState.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminAuthFailure, adminFailure, adminNoRoute } from '../emulator-kit/admin';
import { listen } from '../emulator-kit/listen';
import { matchRoute } from '../emulator-kit/routes';
import { loadScenario } from '../emulator-kit/scenario';
import { adminRoutes } from './admin-routes';
import { apiRoutes } from './api-routes';
import { QradarApiError, errors } from './errors';
import { FaultInjector, type FaultConfig } from './faults';
import { errorReply, header, readJsonBody, send, sleep, type Reply, type RequestContext } from './http-util';
import { parseScenario, type OffenseSeed } from './scenario';
import { EmulatorState, type StateOptions } from './state';

/** API versions accepted in the `Version` header (12.0 = QRadar 7.4.0 … 26.0 = 7.5.0 UP12/13). */
export const supportedVersionRange = { min: 12, max: 26 } as const;

export interface QradarEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The authorized-service token every /api request must carry in the SEC header. */
  token: string;
  /** Token for /_emulator (header X-Emulator-Token); defaults to `token`. */
  adminToken?: string;
  /** Path of a scenario JSONL file (DESIGN.md section 8); non-QRadar lines are ignored. */
  scenarioPath?: string;
  /** Scenario text, or already-parsed seeds, instead of a file. */
  scenarioText?: string;
  seeds?: readonly OffenseSeed[];
  faults?: FaultConfig;
  state?: StateOptions;
}

export interface QradarEmulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (the API is under /api). */
  url: string;
  port: number;
  state: EmulatorState;
  faults: FaultInjector;
  close(): Promise<void>;
}

function versionIsSupported(version: string): boolean {
  const match = /^(\d+)(\.\d+)?$/.exec(version.trim());
  const major = Number(match?.[1]);
  return match !== null && major >= supportedVersionRange.min && major <= supportedVersionRange.max;
}

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]?.trim().toLowerCase() ?? '';
    return type === 'application/json' || type === '*/*' || type === 'application/*';
  });
}

interface Deps {
  state: EmulatorState;
  faults: FaultInjector;
  token: string;
  adminToken: string;
}

async function handleApi(req: IncomingMessage, ctx: RequestContext, deps: Deps): Promise<Reply> {
  const delay = deps.faults.delayFor(ctx.path);
  if (delay > 0) await sleep(delay);
  const sec = header(ctx.headers, 'sec');
  if (sec === undefined || sec === '') throw errors.missingSec();
  if (sec !== deps.token) throw errors.invalidSec();

  const fault = deps.faults.next(ctx.path);
  switch (fault.kind) {
    case 'none':
      break;
    case 'unauthorized':
      throw errors.invalidSec();
    case 'rateLimited':
      throw new QradarApiError(429, 1010, 'Too many requests; retry later.', 'The request rate limit was exceeded.', {
        'Retry-After': String(fault.retryAfterSeconds),
      });
    case 'serverError':
      throw new QradarApiError(fault.status, fault.status === 503 ? 1010 : 1020, 'Injected server error', 'An error occurred on the server (injected by the emulator).');
  }

  const version = header(ctx.headers, 'version');
  if (version !== undefined && !versionIsSupported(version)) throw errors.invalidVersion(version);
  const accept = header(ctx.headers, 'accept');
  if (!acceptsJson(accept)) throw errors.notAcceptable(accept ?? '');

  const found = matchRoute(apiRoutes, ctx.method, ctx.path);
  if (!('route' in found)) {
    if (found.pathMatched) throw new QradarApiError(405, 1005, `Method ${ctx.method} is not supported on ${ctx.path}`);
    throw errors.noRoute(ctx.method, ctx.path);
  }
  const { route, params } = found;
  if (ctx.method !== 'GET') ctx.body = await readJsonBody(req);
  let reply: Reply;
  try {
    reply = await route.handle(ctx, params, deps);
  } catch (error) {
    reply = errorReply(error);
  }
  if (route.writeKind) {
    deps.state.recordWrite({
      kind: route.writeKind,
      method: ctx.method,
      path: ctx.path,
      params: Object.fromEntries(ctx.query.entries()),
      ...(ctx.body === undefined ? {} : { body: ctx.body }),
      status: reply.status,
    });
  }
  return reply;
}

async function handleAdmin(req: IncomingMessage, ctx: RequestContext, deps: Deps): Promise<Reply> {
  const unauthorized = adminAuthFailure(ctx.headers, deps.adminToken);
  if (unauthorized) return unauthorized;
  const found = matchRoute(adminRoutes, ctx.method, ctx.path);
  if (!('route' in found)) return adminNoRoute(ctx.method, ctx.path, found.pathMatched);
  // A body QRadar cannot read answers in QRadar's envelope (readJsonBody throws it), as on /api.
  ctx.body = ctx.method === 'GET' ? undefined : await readJsonBody(req);
  try {
    return found.route.handle(ctx, found.params, deps);
  } catch (error) {
    return adminFailure(error, (e) => (e instanceof QradarApiError ? errorReply(e) : undefined));
  }
}

function requestHandler(deps: Deps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const ctx: RequestContext = { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.searchParams, headers: req.headers, body: undefined };
    const work = ctx.path.startsWith('/_emulator/')
      ? handleAdmin(req, ctx, deps)
      : ctx.path.startsWith('/api/')
        ? handleApi(req, ctx, deps)
        : Promise.resolve(errorReply(errors.noRoute(ctx.method, ctx.path)));
    work.then(
      (reply) => send(res, reply),
      (error: unknown) => send(res, errorReply(error)),
    );
  };
}

export async function startQradarEmulator(options: QradarEmulatorOptions): Promise<QradarEmulator> {
  if (options.token === '') throw new Error('the emulator needs a non-empty SEC token');
  const state = new EmulatorState(await loadScenario(options.seeds, options, parseScenario), options.state ?? {});
  const faults = new FaultInjector(options.faults ?? {});
  const deps: Deps = { state, faults, token: options.token, adminToken: options.adminToken ?? options.token };
  const { url, port, close } = await listen(requestHandler(deps), { port: options.port, host: options.host });
  return { url, port, state, faults, close };
}
