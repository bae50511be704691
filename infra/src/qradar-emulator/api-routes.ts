// The emulated QRadar endpoints (everything under /api). Each route turns query parameters and
// headers into calls on EmulatorState and shapes the answer; list endpoints share filter, sort,
// fields and Range handling.

import { QradarApiError, errors } from './errors';
import type { FaultInjector } from './faults';
import { checkFields, parseFields, project } from './fields';
import { matchesFilter, parseFilter } from './filter';
import { header, param, sleep, type Reply, type RequestContext } from './http-util';
import { applyRange, parseRange } from './range';
import { parseSort, sortRecords, type SortKey } from './sort';
import {
  localDestinationAddressFields,
  sourceAddressFields,
  type EmulatorState,
  type JsonRecord,
  type RecordedWrite,
} from './state';

export interface ApiDeps {
  state: EmulatorState;
  faults: FaultInjector;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  /** Set on routes that change state: their calls are recorded for tests to inspect. */
  writeKind?: RecordedWrite['kind'];
  handle(ctx: RequestContext, params: string[], deps: ApiDeps): Reply | Promise<Reply>;
}

const fieldSet = (names: readonly string[]) => {
  const set = new Set(names);
  return (name: string): boolean => set.has(name);
};

function pathInteger(name: string, raw: string | undefined): number {
  if (raw === undefined || !/^-?\d+$/.test(raw)) {
    throw new QradarApiError(422, 11, `Failed to transform user path parameter "${name}" with a content type of "TEXT_PLAIN"`);
  }
  return Number(raw);
}

function selectFields(ctx: RequestContext, isKnown: (field: string) => boolean) {
  const text = param(ctx.query, 'fields');
  if (text === undefined || text.trim() === '') return undefined;
  const selection = parseFields(text);
  checkFields(selection, isKnown);
  return selection;
}

function one(ctx: RequestContext, record: JsonRecord, isKnown: (field: string) => boolean, status = 200): Reply {
  const selection = selectFields(ctx, isKnown);
  return { status, body: selection ? project(record, selection) : record };
}

/** filter -> sort -> Range -> fields, with Content-Range on every list answer. */
function list(
  ctx: RequestContext,
  records: readonly JsonRecord[],
  isKnown: (field: string) => boolean,
  defaultSort: SortKey[] = [{ field: 'id', descending: false }],
): Reply {
  const range = parseRange(header(ctx.headers, 'range'));
  const filterText = param(ctx.query, 'filter');
  const filter = filterText !== undefined && filterText.trim() !== '' ? parseFilter(filterText, isKnown) : undefined;
  const sortText = param(ctx.query, 'sort');
  const sortKeys = sortText !== undefined && sortText.trim() !== '' ? parseSort(sortText, isKnown) : defaultSort;
  const selection = selectFields(ctx, isKnown);
  const matching = filter ? records.filter((record) => matchesFilter(filter, record)) : records;
  const page = applyRange(sortRecords(matching, sortKeys), range);
  const body = page.items.map((record) => (selection ? project(record, selection) : structuredClone(record)));
  return { status: 200, body, headers: { 'Content-Range': page.contentRange } };
}

const offenseIdRoute = /^\/api\/siem\/offenses\/([^/]+)$/;

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offenses$/,
    handle(ctx, _params, { state, faults }) {
      const first = parseRange(header(ctx.headers, 'range'))?.first ?? 0;
      const mutation = faults.pagingMutation(ctx.path, first);
      if (mutation) state.mutateForPaging(mutation);
      // No sort given: newest first, the order a console answers in (see README).
      return list(ctx, state.offenseRecords(), state.isOffenseField, [{ field: 'id', descending: true }]);
    },
  },
  {
    method: 'GET',
    pattern: offenseIdRoute,
    handle: (ctx, [id], { state }) => one(ctx, state.getOffense(pathInteger('offense_id', id)), state.isOffenseField),
  },
  {
    method: 'POST',
    pattern: offenseIdRoute,
    writeKind: 'offense.update',
    handle(ctx, [id], { state }) {
      const q = ctx.query;
      const updated = state.updateOffense(pathInteger('offense_id', id), {
        status: param(q, 'status'),
        closing_reason_id: param(q, 'closing_reason_id'),
        assigned_to: param(q, 'assigned_to'),
        follow_up: param(q, 'follow_up'),
        protected: param(q, 'protected'),
      });
      return one(ctx, updated, state.isOffenseField);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offenses\/([^/]+)\/notes$/,
    handle: (ctx, [id], { state }) =>
      list(ctx, state.listNotes(pathInteger('offense_id', id)) as unknown as JsonRecord[], fieldSet(['id', 'note_text', 'create_time', 'username'])),
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offenses\/([^/]+)\/notes\/([^/]+)$/,
    handle(ctx, [id, noteId], { state }) {
      const wanted = pathInteger('note_id', noteId);
      const note = state.listNotes(pathInteger('offense_id', id)).find((n) => n.id === wanted);
      if (!note) throw errors.notFound('No note was found for the provided note_id.', `Note not found for note_id: ${wanted}`, 1003);
      return one(ctx, { ...note }, fieldSet(['id', 'note_text', 'create_time', 'username']));
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/siem\/offenses\/([^/]+)\/notes$/,
    writeKind: 'offense.note',
    handle(ctx, [id], { state }) {
      const note = state.addNote(pathInteger('offense_id', id), param(ctx.query, 'note_text'));
      return one(ctx, { ...note }, fieldSet(['id', 'note_text', 'create_time', 'username']), 201);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/source_addresses$/,
    handle: (ctx, _p, { state }) => list(ctx, state.sourceAddressRecords(), fieldSet(sourceAddressFields)),
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/source_addresses\/([^/]+)$/,
    handle(ctx, [id], { state }) {
      const wanted = pathInteger('source_address_id', id);
      const found = state.sourceAddressRecords().find((a) => a['id'] === wanted);
      if (!found) throw errors.notFound('No source address was found for the provided source_address_id.', `Source address not found: ${wanted}`);
      return one(ctx, structuredClone(found), fieldSet(sourceAddressFields));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/local_destination_addresses$/,
    handle: (ctx, _p, { state }) => list(ctx, state.localDestinationRecords(), fieldSet(localDestinationAddressFields)),
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/local_destination_addresses\/([^/]+)$/,
    handle(ctx, [id], { state }) {
      const wanted = pathInteger('local_destination_address_id', id);
      const found = state.localDestinationRecords().find((a) => a['id'] === wanted);
      if (!found) {
        throw errors.notFound('No local destination address was found for the provided local_destination_address_id.', `Local destination address not found: ${wanted}`);
      }
      return one(ctx, structuredClone(found), fieldSet(localDestinationAddressFields));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offense_types$/,
    handle: (ctx, _p, { state }) => list(ctx, state.offenseTypeRecords(), fieldSet(['id', 'name', 'property_name', 'database_type', 'custom'])),
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offense_closing_reasons$/,
    handle(ctx, _p, { state }) {
      const flag = (name: string): boolean => param(ctx.query, name)?.toLowerCase() === 'true';
      const reasons = state.closingReasonRecords({ includeDeleted: flag('include_deleted'), includeReserved: flag('include_reserved') });
      return list(ctx, reasons, fieldSet(['id', 'text', 'is_deleted', 'is_reserved']));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/siem\/offense_closing_reasons\/([^/]+)$/,
    handle: (ctx, [id], { state }) =>
      one(ctx, state.closingReason(pathInteger('closing_reason_id', id)), fieldSet(['id', 'text', 'is_deleted', 'is_reserved'])),
  },
  {
    method: 'POST',
    pattern: /^\/api\/reference_data\/sets$/,
    writeKind: 'reference_set.create',
    handle(ctx, _p, { state }) {
      const q = ctx.query;
      const created = state.referenceSets.create({
        name: param(q, 'name'),
        element_type: param(q, 'element_type'),
        timeout_type: param(q, 'timeout_type'),
        time_to_live: param(q, 'time_to_live'),
      });
      return { status: 201, body: created };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/reference_data\/sets\/bulk_load\/(.+)$/,
    writeKind: 'reference_set.bulk_load',
    handle: (ctx, [name], { state }) => {
      if (ctx.body === undefined) throw new QradarApiError(422, 10, 'Request body must be populated for body parameter "data"');
      return { status: 200, body: state.referenceSets.bulkLoad(name ?? '', ctx.body) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/reference_data\/sets\/(.+)$/,
    handle: (_ctx, [name], { state }) => ({ status: 200, body: state.referenceSets.get(name ?? '') }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/reference_data\/sets\/(.+)$/,
    writeKind: 'reference_set.value',
    handle: (ctx, [name], { state }) => ({
      status: 200,
      body: state.referenceSets.upsert(name ?? '', param(ctx.query, 'value'), param(ctx.query, 'source')),
    }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/ariel\/searches$/,
    writeKind: 'ariel.search',
    handle: (ctx, _p, { state }) => ({
      status: 201,
      body: state.searches.create(param(ctx.query, 'query_expression'), param(ctx.query, 'saved_search_id'), state.events),
    }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/ariel\/searches\/([^/]+)$/,
    async handle(ctx, [id], { state }) {
      const searchId = id ?? '';
      const search = state.searches.find(searchId);
      const prefer = /wait\s*=\s*(\d+)/i.exec(header(ctx.headers, 'prefer') ?? '');
      if (!prefer) return { status: 200, body: state.searches.status(searchId) };
      // Prefer: wait=N — hold the answer until the search completes or N seconds pass (then 206).
      const deadline = Date.now() + Number(prefer[1]) * 1000;
      while (!state.searches.isComplete(search) && Date.now() < deadline) {
        await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
      }
      const body = state.searches.status(searchId);
      return { status: state.searches.isComplete(search) ? 200 : 206, body };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/ariel\/searches\/([^/]+)\/results$/,
    handle(ctx, [id], { state }) {
      const range = parseRange(header(ctx.headers, 'range'));
      const { key, rows } = state.searches.results(id ?? '');
      const page = applyRange(rows, range);
      return { status: 200, body: { [key]: page.items }, headers: { 'Content-Range': page.contentRange } };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/ariel\/searches\/([^/]+)$/,
    writeKind: 'ariel.delete',
    handle: (_ctx, [id], { state }) => ({ status: 202, body: state.searches.delete(id ?? '') }),
  },
];
