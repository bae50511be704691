// The test-side control API under /_emulator (not part of AWS): recorded calls, state listings,
// seeding, faults, timing and reset. Bodies are validated with zod.

import { z } from 'zod';
import { automationDocumentSchema } from './automation-documents';
import { faultConfigSchema } from './faults';
import type { Reply } from './http-util';
import type { ServiceDeps } from './securityhub-routes';

export interface AdminRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  handle(request: AdminRequest, deps: ServiceDeps): Reply;
}

const resetSchema = z.object({ empty: z.boolean().optional() }).strict();
const timingSchema = z
  .object({ pendingMs: z.number().int().min(0).optional(), runMs: z.number().int().min(0).optional(), cancelMs: z.number().int().min(0).optional() })
  .strict();
const configSchema = z.object({ automation: timingSchema.optional(), batchUpdateBumpsUpdatedAt: z.boolean().optional() }).strict();
const findingsSchema = z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))]);

function queryNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  return raw === null ? undefined : z.coerce.number().int().parse(raw);
}

export const adminRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    pattern: /^\/_emulator\/state$/,
    handle: (_r, { state, faults }) => ({
      status: 200,
      body: {
        findings: state.securityHub.count(),
        executions: state.ssm.count(),
        calls: state.calls.list().length,
        documents: state.ssm.documentNames(),
        automation: state.ssm.timing,
        batchUpdateBumpsUpdatedAt: state.securityHub.batchUpdateBumpsUpdatedAt,
        faults: faults.snapshot(),
      },
    }),
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/calls$/,
    handle: ({ query }, { state }) => {
      const filter: Parameters<typeof state.calls.list>[0] = {};
      const operation = query.get('operation');
      const service = query.get('service');
      const status = queryNumber(query, 'status');
      if (operation !== null) filter.operation = operation;
      if (service !== null) filter.service = service;
      if (status !== undefined) filter.status = status;
      return { status: 200, body: state.calls.list(filter) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/calls$/,
    handle: (_r, { state }) => {
      state.calls.clear();
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/findings$/,
    handle: (_r, { state }) => ({ status: 200, body: state.securityHub.all() }),
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/findings\/history$/,
    handle: ({ query }, { state }) => {
      const productArn = z.string().min(1).parse(query.get('productArn'));
      const id = z.string().min(1).parse(query.get('id'));
      return { status: 200, body: state.securityHub.history(productArn, id) };
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/findings$/,
    handle: ({ body }, { state }) => {
      const parsed = findingsSchema.parse(body);
      const findings = Array.isArray(parsed) ? parsed : [parsed];
      const result = state.securityHub.import({ Findings: findings }, state.now());
      return { status: result.FailedCount > 0 ? 400 : 201, body: result };
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/executions$/,
    handle: (_r, { state }) => ({ status: 200, body: state.ssm.list(state.now().getTime()) }),
  },
  {
    method: 'PUT',
    pattern: /^\/_emulator\/documents$/,
    handle: ({ body }, { state }) => {
      state.ssm.putDocument(automationDocumentSchema.parse(body));
      return { status: 200, body: { documents: state.ssm.documentNames() } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/faults$/,
    handle: (_r, { faults }) => ({ status: 200, body: faults.snapshot() }),
  },
  {
    method: 'PUT',
    pattern: /^\/_emulator\/faults$/,
    handle: ({ body }, { faults }) => {
      faults.set(faultConfigSchema.parse(body ?? {}));
      return { status: 200, body: faults.snapshot() };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/faults$/,
    handle: (_r, { faults }) => {
      faults.clear();
      return { status: 204 };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/_emulator\/config$/,
    handle: ({ body }, { state }) => {
      const config = configSchema.parse(body ?? {});
      if (config.automation?.pendingMs !== undefined) state.ssm.timing.pendingMs = config.automation.pendingMs;
      if (config.automation?.runMs !== undefined) state.ssm.timing.runMs = config.automation.runMs;
      if (config.automation?.cancelMs !== undefined) state.ssm.timing.cancelMs = config.automation.cancelMs;
      if (config.batchUpdateBumpsUpdatedAt !== undefined) state.securityHub.batchUpdateBumpsUpdatedAt = config.batchUpdateBumpsUpdatedAt;
      return { status: 200, body: { automation: state.ssm.timing, batchUpdateBumpsUpdatedAt: state.securityHub.batchUpdateBumpsUpdatedAt } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/reset$/,
    handle: ({ body }, { state, faults }) => {
      const options = resetSchema.parse(body ?? {});
      state.reset(options.empty === undefined ? {} : { empty: options.empty });
      faults.clear();
      return { status: 204 };
    },
  },
];
