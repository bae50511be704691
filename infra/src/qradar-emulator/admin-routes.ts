// The test-side control API under /_emulator (not part of QRadar): add and change offenses,
// generate load, read recorded writes, set faults and timing, reset. Bodies are validated with zod.

import { z } from 'zod';
import { faultConfigSchema, type FaultInjector } from './faults';
import type { Reply, RequestContext } from './http-util';
import { param } from './http-util';
import { offenseSeedSchema } from './scenario';
import type { EmulatorState, RecordedWrite } from './state';

export interface AdminDeps {
  state: EmulatorState;
  faults: FaultInjector;
}

interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: RegExp;
  handle(ctx: RequestContext, params: string[], deps: AdminDeps): Reply;
}

const syntheticSchema = z
  .object({
    count: z.number().int().min(1).max(1_000_000),
    firstId: z.number().int().min(0).optional(),
    startTime: z.number().int().optional(),
    stepMs: z.number().int().min(0).optional(),
    status: z.enum(['OPEN', 'HIDDEN', 'CLOSED']).optional(),
  })
  .strict();

const changeSchema = z.object({ changes: z.record(z.string(), z.unknown()) }).strict();
const eventsSchema = z.object({ events: z.array(z.record(z.string(), z.unknown())) }).strict();
const configSchema = z
  .object({ eventLagMs: z.number().int().min(0).optional(), searchDurationMs: z.number().int().min(0).optional() })
  .strict();
const resetSchema = z.object({ empty: z.boolean().optional() }).strict();
const writeKinds = [
  'offense.update', 'offense.note', 'reference_set.create', 'reference_set.value', 'reference_set.bulk_load',
  'ariel.search', 'ariel.delete', 'other',
] as const satisfies readonly RecordedWrite['kind'][];

function offenseId(raw: string | undefined): number {
  return z.coerce.number().int().parse(raw);
}

export const adminRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    pattern: /^\/_emulator\/state$/,
    handle: (_ctx, _p, { state, faults }) => ({
      status: 200,
      body: {
        offenses: state.offenseCount(),
        maxOffenseId: state.maxOffenseId(),
        writes: state.recordedWrites().length,
        referenceSets: state.referenceSets.names(),
        eventLagMs: state.eventLagMs,
        searchDurationMs: state.searchDurationMs,
        faults: faults.snapshot(),
      },
    }),
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/offenses$/,
    handle(ctx, _p, { state }) {
      const seeds = z.union([offenseSeedSchema, z.array(offenseSeedSchema)]).parse(ctx.body);
      const added = (Array.isArray(seeds) ? seeds : [seeds]).map((seed) => state.addOffense(seed)['id']);
      return { status: 201, body: { ids: added } };
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/_emulator\/offenses\/([^/]+)$/,
    handle: (ctx, [id], { state }) => ({ status: 200, body: state.changeOffense(offenseId(id), changeSchema.parse(ctx.body).changes) }),
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/offenses\/([^/]+)\/events$/,
    handle(ctx, [id], { state }) {
      state.addEvents(offenseId(id), eventsSchema.parse(ctx.body).events);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/synthetic$/,
    handle: (ctx, _p, { state }) => {
      const options = syntheticSchema.parse(ctx.body);
      const synthetic: Parameters<EmulatorState['generateSynthetic']>[0] = { count: options.count };
      if (options.firstId !== undefined) synthetic.firstId = options.firstId;
      if (options.startTime !== undefined) synthetic.startTime = options.startTime;
      if (options.stepMs !== undefined) synthetic.stepMs = options.stepMs;
      if (options.status !== undefined) synthetic.status = options.status;
      return { status: 201, body: state.generateSynthetic(synthetic) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/writes$/,
    handle(ctx, _p, { state }) {
      const kind = param(ctx.query, 'kind');
      return { status: 200, body: state.recordedWrites(kind === undefined ? undefined : z.enum(writeKinds).parse(kind)) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/writes$/,
    handle(_ctx, _p, { state }) {
      state.clearWrites();
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/reset$/,
    handle(ctx, _p, { state, faults }) {
      const options = resetSchema.parse(ctx.body ?? {});
      state.reset(options.empty === undefined ? {} : { empty: options.empty });
      faults.clear();
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/faults$/,
    handle: (_ctx, _p, { faults }) => ({ status: 200, body: faults.snapshot() }),
  },
  {
    method: 'PUT',
    pattern: /^\/_emulator\/faults$/,
    handle(ctx, _p, { faults }) {
      faults.set(faultConfigSchema.parse(ctx.body ?? {}));
      return { status: 200, body: faults.snapshot() };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_emulator\/faults$/,
    handle(_ctx, _p, { faults }) {
      faults.clear();
      return { status: 204 };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/_emulator\/config$/,
    handle(ctx, _p, { state }) {
      const config = configSchema.parse(ctx.body ?? {});
      if (config.eventLagMs !== undefined) state.eventLagMs = config.eventLagMs;
      if (config.searchDurationMs !== undefined) state.searchDurationMs = config.searchDurationMs;
      return { status: 200, body: { eventLagMs: state.eventLagMs, searchDurationMs: state.searchDurationMs } };
    },
  },
];
