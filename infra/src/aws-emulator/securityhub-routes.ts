// The Security Hub operations (restJson1): method + path -> operation -> handler. Handlers return
// the 200 body or throw AwsApiError.

import type { FaultInjector } from './faults';
import type { EmulatorState } from './state';

export interface ServiceDeps {
  state: EmulatorState;
  faults: FaultInjector;
}

export interface SecurityHubRoute {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  operation: string;
  handle(body: unknown, deps: ServiceDeps): unknown;
}

export const securityHubRoutes: readonly SecurityHubRoute[] = [
  {
    method: 'PATCH',
    path: '/findings/batchupdate',
    operation: 'BatchUpdateFindings',
    handle: (body, { state, faults }) => state.securityHub.batchUpdate(body, state.now(), faults.unprocessedForCall()),
  },
  {
    method: 'POST',
    path: '/findings/import',
    operation: 'BatchImportFindings',
    handle: (body, { state }) => state.securityHub.import(body, state.now()),
  },
  {
    method: 'POST',
    path: '/findings',
    operation: 'GetFindings',
    handle: (body, { state }) => state.securityHub.query(body, state.now()),
  },
];

export function findSecurityHubRoute(method: string, path: string): SecurityHubRoute | undefined {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return securityHubRoutes.find((r) => r.method === method && r.path === normalized);
}
