// The HTTP server: routing by protocol (X-Amz-Target -> SSM awsJson1_1, /findings -> Security Hub
// restJson1), SigV4 credential check, fault injection, call recording, and the admin API under
// /_emulator. Deliberately thin: behaviour lives in the stores and the route tables.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminAuthFailure, adminFailure, adminNoRoute } from '../emulator-kit/admin';
import { listen } from '../emulator-kit/listen';
import { matchRoute } from '../emulator-kit/routes';
import { loadScenario } from '../emulator-kit/scenario';
import { adminRoutes } from './admin-routes';
import type { AsffFinding } from './asff-fields';
import { AwsApiError, errorReply, securityHubErrors, ssmErrors, type AwsProtocol } from './errors';
import { FaultInjector, type FaultConfig } from './faults';
import { BodyError, header, parseJson, readBody, send, sleep, type Reply } from './http-util';
import { parseScenario } from './scenario';
import { findSecurityHubRoute, type ServiceDeps } from './securityhub-routes';
import { authenticate } from './sigv4';
import { ssmOperations } from './ssm-routes';
import { EmulatorState, type StateOptions } from './state';

export interface AwsEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Access key ids accepted in the SigV4 credential scope (at least one). */
  accessKeyIds: readonly string[];
  /** Token for /_emulator (header X-Emulator-Token). */
  adminToken: string;
  /** Account used in ExecutedBy ARNs. */
  accountId?: string;
  /** ASFF findings to seed (as well as those from a scenario). */
  findings?: readonly AsffFinding[];
  /** Scenario JSONL (DESIGN.md section 8): `securityhub.finding` lines are seeded. */
  scenarioPath?: string;
  scenarioText?: string;
  faults?: FaultConfig;
  state?: Omit<StateOptions, 'findings'>;
}

export interface AwsEmulator {
  /** Base URL, e.g. http://127.0.0.1:40123: the `endpoint` for both SDK clients. */
  url: string;
  port: number;
  state: EmulatorState;
  faults: FaultInjector;
  close(): Promise<void>;
}

interface Deps extends ServiceDeps {
  accessKeyIds: ReadonlySet<string>;
  adminToken: string;
  accountId: string;
}

interface Resolved {
  protocol: AwsProtocol;
  service: 'securityhub' | 'ssm';
  operation: string | undefined;
  run?: (body: unknown, caller: string) => unknown;
}

function resolve(req: IncomingMessage, path: string, deps: Deps): Resolved {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = header(req.headers, 'x-amz-target');
  if (target !== undefined) {
    const dot = target.indexOf('.');
    const operation = dot >= 0 && target.slice(0, dot) === 'AmazonSSM' ? target.slice(dot + 1) : undefined;
    const handler = operation === undefined || method !== 'POST' ? undefined : ssmOperations[operation];
    const resolved: Resolved = { protocol: 'awsJson1_1', service: 'ssm', operation: handler ? operation : undefined };
    if (handler) resolved.run = (body, caller) => handler(body, deps, { caller });
    return resolved;
  }
  const route = findSecurityHubRoute(method, path);
  const resolved: Resolved = { protocol: 'restJson1', service: 'securityhub', operation: route?.operation };
  if (route) resolved.run = (body) => route.handle(body, deps);
  return resolved;
}

async function handleApi(req: IncomingMessage, path: string, deps: Deps): Promise<{ reply: Reply; contentType: string }> {
  const api = resolve(req, path, deps);
  const operation = api.operation ?? 'Unknown';
  const contentType = api.protocol === 'awsJson1_1' ? 'application/x-amz-json-1.1' : 'application/json';
  let params: unknown;
  let accessKeyId: string | undefined;
  let reply: Reply;
  try {
    const text = await readBody(req);
    try {
      params = parseJson(text);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      throw api.protocol === 'awsJson1_1' ? ssmErrors.serialization() : securityHubErrors.invalidInput('The request body is not valid JSON.');
    }
    const delay = deps.faults.delayFor(operation);
    if (delay > 0) await sleep(delay);
    accessKeyId = authenticate(header(req.headers, 'authorization'), api.protocol, api.service, deps.accessKeyIds).accessKeyId;
    if (!api.run) throw api.protocol === 'awsJson1_1' ? ssmErrors.unknownOperation() : securityHubErrors.notFound(req.method ?? 'GET', path);
    const fault = deps.faults.next(operation, deps.state.now().getTime());
    switch (fault.kind) {
      case 'none':
        break;
      case 'throttled':
        if (api.protocol === 'awsJson1_1') throw ssmErrors.throttling();
        throw fault.securityHubCode === 'LimitExceededException' ? securityHubErrors.limitExceeded() : securityHubErrors.tooManyRequests();
      case 'serverError':
        throw api.protocol === 'awsJson1_1' ? ssmErrors.internal() : securityHubErrors.internal();
    }
    reply = { status: 200, body: api.run(params, `arn:aws:iam::${deps.accountId}:user/${accessKeyId}`) };
  } catch (error) {
    reply = errorReply(api.protocol, error);
  }
  const errorCode = reply.status >= 300 ? reply.headers?.['x-amzn-ErrorType'] : undefined;
  deps.state.calls.record({
    at: deps.state.now().toISOString(),
    service: api.service,
    operation,
    params: params ?? null,
    status: reply.status,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
  });
  reply.headers = { ...reply.headers, 'x-amzn-RequestId': randomUUID() };
  return { reply, contentType };
}

async function handleAdmin(req: IncomingMessage, url: URL, deps: Deps): Promise<Reply> {
  const unauthorized = adminAuthFailure(req.headers, deps.adminToken);
  if (unauthorized) return unauthorized;
  const method = (req.method ?? 'GET').toUpperCase();
  // Admin patterns have no capture groups, so there are no params to decode.
  const found = matchRoute(adminRoutes, method, url.pathname);
  if (!('route' in found)) return adminNoRoute(method, url.pathname, found.pathMatched);
  try {
    // Every method's body is read; an unreadable one is a plain 400 {error} here.
    const body = parseJson(await readBody(req));
    return found.route.handle({ method, path: url.pathname, query: url.searchParams, body }, deps);
  } catch (error) {
    return adminFailure(error, (e) => (e instanceof AwsApiError ? { status: e.status, body: { error: e.code, message: e.message } } : undefined));
  }
}

function requestHandler(deps: Deps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const work = url.pathname.startsWith('/_emulator/')
      ? handleAdmin(req, url, deps).then((reply) => ({ reply, contentType: 'application/json' }))
      : handleApi(req, url.pathname, deps);
    work.then(
      ({ reply, contentType }) => send(res, reply, contentType),
      (error: unknown) => send(res, { status: 500, body: { message: error instanceof Error ? error.message : String(error) } }),
    );
  };
}

export async function startAwsEmulator(options: AwsEmulatorOptions): Promise<AwsEmulator> {
  if (options.accessKeyIds.length === 0 || options.accessKeyIds.some((k) => k === '')) throw new Error('the emulator needs at least one non-empty access key id');
  if (options.adminToken === '') throw new Error('the emulator needs a non-empty admin token');
  const state = new EmulatorState({ ...options.state, findings: await loadScenario(options.findings, options, parseScenario) });
  const faults = new FaultInjector(options.faults ?? {});
  const deps: Deps = { state, faults, accessKeyIds: new Set(options.accessKeyIds), adminToken: options.adminToken, accountId: options.accountId ?? '123456789012' };
  const { url, port, close } = await listen(requestHandler(deps), { port: options.port, host: options.host });
  return { url, port, state, faults, close };
}
