// The QRadar emulator over real HTTP (fetch against an ephemeral port), seeded from
// infra/scenarios/qradar-sample.jsonl, which is built from the XSOAR reference payloads.

import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQradarEmulator, type QradarEmulator } from '../src/qradar-emulator/index';

const token = 'test-sec-token';
const scenarioPath = new URL('../scenarios/qradar-sample.jsonl', import.meta.url).pathname;
const referenceDir = new URL('../../../shared/reference-payloads/qradar/', import.meta.url);
const referenceOffenses = JSON.parse(readFileSync(new URL('xsoar_offenses_list_response.json', referenceDir), 'utf8')) as Record<string, unknown>[];
const referenceReasons = JSON.parse(readFileSync(new URL('xsoar_closing_reasons_response.json', referenceDir), 'utf8')) as unknown[];
const referenceAriel = JSON.parse(readFileSync(new URL('xsoar_ariel_search_lifecycle.json', referenceDir), 'utf8')) as Record<string, Record<string, unknown>>;
const referenceNotes = JSON.parse(readFileSync(new URL('xsoar_offense_notes.json', referenceDir), 'utf8')) as { create_response: Record<string, unknown> };

let emu: QradarEmulator;

beforeAll(async () => {
  emu = await startQradarEmulator({ token, adminToken: 'admin-token', scenarioPath, state: { searchDurationMs: 150 } });
});
afterAll(async () => {
  await emu.close();
});
afterEach(async () => {
  const res = await admin('POST', '/_emulator/reset');
  expect(res.status).toBe(204);
});

async function api(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const init: RequestInit = { method, headers: { SEC: token, Accept: 'application/json', Version: '20.0', ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${emu.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as unknown };
}

async function admin(method: string, path: string, body?: unknown) {
  const init: RequestInit = { method, headers: { 'X-Emulator-Token': 'admin-token', 'Content-Type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${emu.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as unknown };
}

const q = (value: string) => encodeURIComponent(value);
const ids = (body: unknown) => (body as { id: number }[]).map((o) => o.id);

function expectQradarError(res: { status: number; body: unknown }, status: number, code: number) {
  expect(res.status).toBe(status);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['http_response', 'code', 'description', 'details', 'message']);
  expect(body['http_response']).toMatchObject({ code: status });
  expect(typeof (body['http_response'] as { message: unknown }).message).toBe('string');
  expect(body['code']).toBe(code);
  expect(body['details']).toEqual({});
  expect(typeof body['message']).toBe('string');
}

describe('auth and error format', () => {
  it('answers 401 in QRadar format without SEC or with a wrong token', async () => {
    const missing = await fetch(`${emu.url}/api/siem/offenses`);
    const body = (await missing.json()) as Record<string, unknown>;
    expect(missing.status).toBe(401);
    expect(body).toMatchObject({ http_response: { code: 401, message: 'You are unauthorized to access the requested resource.' }, code: 18 });
    expect(body['message']).toMatch(/No SEC header present/);
    expectQradarError(await api('GET', '/api/siem/offenses', { SEC: 'wrong' }), 401, 18);
  });

  it('rejects unsupported Version and Accept headers, and unknown endpoints', async () => {
    expectQradarError(await api('GET', '/api/siem/offenses', { Version: '3.0' }), 406, 9);
    expectQradarError(await api('GET', '/api/siem/offenses', { Accept: 'application/xml' }), 406, 1005);
    expectQradarError(await api('GET', '/api/siem/nothing'), 404, 1002);
    expect((await api('GET', '/api/siem/offenses', { Version: '26.0' })).status).toBe(200);
  });

  it('protects the admin API with its own token', async () => {
    const res = await fetch(`${emu.url}/_emulator/state`, { headers: { SEC: token } });
    expect(res.status).toBe(401);
  });
});

describe('GET /api/siem/offenses', () => {
  it('returns the seeded reference offenses unchanged in content (plus last/first_persisted_time)', async () => {
    const res = await api('GET', '/api/siem/offenses?sort=%2Bid');
    expect(res.status).toBe(200);
    const byId = new Map((res.body as Record<string, unknown>[]).map((o) => [o['id'], o]));
    for (const reference of referenceOffenses) {
      const served = byId.get(reference['id']);
      expect(served).toEqual({ ...reference, last_persisted_time: reference['last_updated_time'], first_persisted_time: reference['start_time'] });
      expect(Object.keys(served ?? {}).slice(0, Object.keys(reference).length)).toEqual(Object.keys(reference));
    }
  });

  it('filters, sorts and selects fields', async () => {
    expect(ids((await api('GET', `/api/siem/offenses?filter=${q('id > 15')}`)).body)).toEqual([16]);
    expect(ids((await api('GET', `/api/siem/offenses?filter=${q('last_persisted_time > 1613399000000')}`)).body)).toEqual([16]);
    expect(ids((await api('GET', `/api/siem/offenses?filter=${q('status = "OPEN" and id in (15,16,99)')}&sort=${q('+id')}`)).body)).toEqual([15, 16]);
    expect(ids((await api('GET', `/api/siem/offenses?filter=${q('status=OPEN')}&sort=-id`)).body)).toEqual([16, 15]);
    expect(ids((await api('GET', '/api/siem/offenses')).body)).toEqual([16, 15]); // default newest first
    const fields = await api('GET', `/api/siem/offenses?fields=${q('id,status,rules(id),log_sources(name)')}&sort=${q('+last_persisted_time')}`);
    expect(fields.body).toEqual([
      { id: 15, status: 'OPEN', rules: [{ id: 100056 }], log_sources: [{ name: 'WindowsAuthServer @ 192.168.1.3' }, { name: 'Custom Rule Engine-8 :: ip-162-21-12-77' }] },
      { id: 16, status: 'OPEN', rules: [{ id: 100405 }], log_sources: [{ name: 'WindowsAuthServer @ 192.168.1.3' }] },
    ]);
  });

  it('rejects bad filter, sort and fields with QRadar 422s', async () => {
    expectQradarError(await api('GET', `/api/siem/offenses?filter=${q('id >> 5')}`), 422, 1010);
    expectQradarError(await api('GET', `/api/siem/offenses?filter=${q('nosuchfield = 1')}`), 422, 1010);
    expectQradarError(await api('GET', `/api/siem/offenses?filter=${q('description ilike "%x%"')}`), 422, 1010);
    expectQradarError(await api('GET', '/api/siem/offenses?sort=-nosuch'), 422, 1030);
    expectQradarError(await api('GET', '/api/siem/offenses?fields=id,nosuch'), 422, 1005);
  });

  it('pages with Range / Content-Range over 10,000 synthetic offenses', async () => {
    expect((await admin('POST', '/_emulator/synthetic', { count: 10_000, firstId: 1000 })).status).toBe(201);
    const first = await api('GET', `/api/siem/offenses?sort=${q('+id')}&fields=id`, { Range: 'items=0-49' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-range')).toBe('items 0-49/10002');
    expect(ids(first.body)).toEqual(Array.from({ length: 50 }, (_, i) => (i < 2 ? 15 + i : 998 + i)));
    const seen = new Set<number>();
    for (let start = 0; start < 10_002; start += 1000) {
      const page = await api('GET', `/api/siem/offenses?sort=${q('+id')}&fields=id`, { Range: `items=${start}-${start + 999}` });
      for (const id of ids(page.body)) seen.add(id);
    }
    expect(seen.size).toBe(10_002);
    const past = await api('GET', '/api/siem/offenses', { Range: 'items=20000-20010' });
    expect(past.body).toEqual([]);
    expect(past.headers.get('content-range')).toBe('items */10002');
    expectQradarError(await api('GET', '/api/siem/offenses', { Range: 'items=5-2' }), 422, 36);
    expectQradarError(await api('GET', '/api/siem/offenses', { Range: 'rows=0-1' }), 422, 36);
  });
});

describe('single offense, update and notes', () => {
  it('gets one offense with fields, and 404s unknown ones in QRadar format', async () => {
    expect((await api('GET', '/api/siem/offenses/16?fields=id,offense_source')).body).toEqual({ id: 16, offense_source: '39.116.161.122' });
    const missing = await api('GET', '/api/siem/offenses/999');
    expectQradarError(missing, 404, 1002);
    expect((missing.body as { message: string }).message).toBe('Offense not found for offense_id: 999');
  });

  it('updates with query parameters, refuses CLOSED without a valid reason, bumps last_persisted_time', async () => {
    expectQradarError(await api('POST', '/api/siem/offenses/15?status=CLOSED'), 422, 1005);
    expectQradarError(await api('POST', '/api/siem/offenses/15?status=CLOSED&closing_reason_id=42'), 422, 1005);
    expectQradarError(await api('POST', '/api/siem/offenses/15?status=DONE'), 422, 11);
    expectQradarError(await api('POST', '/api/siem/offenses/999?assigned_to=bob'), 404, 1002);
    const before = Date.now();
    const res = await api('POST', '/api/siem/offenses/15?assigned_to=alice&follow_up=true&protected=true&status=CLOSED&closing_reason_id=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 15, assigned_to: 'alice', follow_up: true, protected: true, status: 'CLOSED', closing_reason_id: 1 });
    const lpt = (res.body as { last_persisted_time: number }).last_persisted_time;
    expect(lpt).toBeGreaterThanOrEqual(before);
    expect(ids((await api('GET', `/api/siem/offenses?filter=${q(`last_persisted_time >= ${before}`)}`)).body)).toEqual([15]);
    expectQradarError(await api('POST', '/api/siem/offenses/15?status=OPEN'), 409, 1008);
  });

  it('creates notes with 201 in the reference shape and lists them', async () => {
    const created = await api('POST', `/api/siem/offenses/16/notes?note_text=${q('Seam: correlated with GuardDuty finding')}`);
    expect(created.status).toBe(201);
    expect(Object.keys(created.body as object)).toEqual(Object.keys(referenceNotes.create_response));
    expect(created.body).toMatchObject({ note_text: 'Seam: correlated with GuardDuty finding', username: 'API_user: seam', id: 1 });
    const listed = await api('GET', '/api/siem/offenses/16/notes');
    expect(listed.body).toEqual([created.body]);
    expect(listed.headers.get('content-range')).toBe('items 0-0/1');
    expectQradarError(await api('POST', '/api/siem/offenses/16/notes'), 422, 8);
    expectQradarError(await api('POST', '/api/siem/offenses/77/notes?note_text=x'), 404, 1002);
  });
});

describe('addresses, offense types and closing reasons', () => {
  it('resolves address ids from the offense to the scenario IPs', async () => {
    const sources = await api('GET', `/api/siem/source_addresses?filter=${q('id in (2,1)')}&fields=${q('id,source_ip')}`);
    expect(sources.body).toEqual([{ id: 1, source_ip: '192.168.0.1' }, { id: 2, source_ip: '192.168.0.2' }]);
    const locals = await api('GET', `/api/siem/local_destination_addresses?filter=${q('id in (1)')}`);
    expect(locals.body).toEqual([
      expect.objectContaining({ id: 1, local_destination_ip: '192.168.0.1', offense_ids: [15, 16], domain_id: 0, network: 'Net-16-182-192.Net_182_10_0_0' }),
    ]);
    const shapeKeys = Object.keys((JSON.parse(readFileSync(new URL('xsoar_source_and_local_destination_addresses.json', referenceDir), 'utf8')) as {
      source_addresses_response: object[];
    }).source_addresses_response[0] ?? {}).sort();
    expect(Object.keys((await api('GET', '/api/siem/source_addresses/10')).body as object).sort()).toEqual(shapeKeys);
  });

  it('serves offense types and the reference closing reasons', async () => {
    const types = await api('GET', `/api/siem/offense_types?filter=${q('id in (0,3)')}`);
    expect(types.body).toEqual([
      { property_name: 'sourceIP', database_type: 'COMMON', name: 'Source IP', id: 0, custom: false },
      { property_name: 'userName', database_type: 'EVENTS', name: 'Username', id: 3, custom: false },
    ]);
    const reasons = await api('GET', '/api/siem/offense_closing_reasons?sort=-id');
    expect(reasons.body).toEqual(referenceReasons);
  });
});

describe('reference sets', () => {
  it('creates, upserts, bulk loads and reads', async () => {
    const created = await api('POST', '/api/reference_data/sets?name=Seam%20Blocked%20IPs&element_type=IP');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Seam Blocked IPs', element_type: 'IP', timeout_type: 'UNKNOWN', number_of_elements: 0 });
    expectQradarError(await api('POST', '/api/reference_data/sets?name=Seam%20Blocked%20IPs&element_type=IP'), 409, 1004);
    expectQradarError(await api('POST', '/api/reference_data/sets?name=x&element_type=BLOB'), 422, 11);
    const upsert = await api('POST', '/api/reference_data/sets/Seam%20Blocked%20IPs?value=203.0.113.7');
    expect(upsert.status).toBe(200);
    const data = (upsert.body as { data: Record<string, unknown>[] }).data;
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ source: 'reference data api', value: '203.0.113.7', domain_id: null });
    expect(Object.keys(data[0] ?? {})).toEqual(['last_seen', 'first_seen', 'source', 'value', 'domain_id']);
    expectQradarError(await api('POST', '/api/reference_data/sets/Seam%20Blocked%20IPs?value=not-an-ip'), 422, 1005);
    const bulk = await api('POST', '/api/reference_data/sets/bulk_load/Seam%20Blocked%20IPs', {}, ['198.51.100.1', '203.0.113.7']);
    expect(bulk.status).toBe(200);
    expect(bulk.body).toMatchObject({ number_of_elements: 2 });
    expect(bulk.body).not.toHaveProperty('data');
    expect((await api('GET', '/api/reference_data/sets/Seam%20Blocked%20IPs')).body).toMatchObject({ number_of_elements: 2 });
    expectQradarError(await api('GET', '/api/reference_data/sets/nope'), 404, 1002);
  });
});

describe('Ariel searches', () => {
  const fields =
    'SELECT QIDNAME(qid), LOGSOURCENAME(logsourceid), CATEGORYNAME(highlevelcategory), CATEGORYNAME(category), sourceip, sourceport, destinationip, destinationport, username, RULENAME("creEventList"), credibility, severity, magnitude, eventcount, starttime, devicetime FROM events WHERE INOFFENSE(15)';

  async function runSearch(aql: string) {
    const created = await api('POST', `/api/ariel/searches?query_expression=${q(aql)}`);
    expect(created.status).toBe(201);
    const searchId = (created.body as { search_id: string }).search_id;
    return { created, searchId };
  }

  it('creates (201, WAIT), waits with Prefer: wait and returns results in the reference shape', async () => {
    const { created, searchId } = await runSearch(`${fields} LIMIT 20 START 1605046453426`);
    expect(Object.keys(created.body as object)).toEqual(Object.keys(referenceAriel['search_create_response'] ?? {}));
    expect(created.body).toMatchObject({ status: 'WAIT', completed: false, progress: 0 });
    const early = await api('GET', `/api/ariel/searches/${searchId}/results`);
    expectQradarError(early, 404, 1003);
    const status = await api('GET', `/api/ariel/searches/${searchId}`, { Prefer: 'wait=5' });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'COMPLETED', completed: true, progress: 100, record_count: 2 });
    const results = await api('GET', `/api/ariel/searches/${searchId}/results`, { Range: 'items=0-0' });
    expect(results.headers.get('content-range')).toBe('items 0-0/2');
    const [row] = (results.body as { events: Record<string, unknown>[] }).events;
    const referenceRow = (referenceAriel['search_results_get_response'] as { events: Record<string, unknown>[] }).events[0] ?? {};
    for (const [key, value] of Object.entries(row ?? {})) expect(value).toEqual(referenceRow[key]);
    expect(Object.keys(row ?? {})).toHaveLength(16);
  });

  it('answers 206 when Prefer: wait expires first, and respects the START bound', async () => {
    emu.state.searchDurationMs = 3_000;
    const { searchId } = await runSearch(`${fields} START 1614067175963`);
    const status = await api('GET', `/api/ariel/searches/${searchId}`, { Prefer: 'wait=1' });
    expect(status.status).toBe(206);
    expect((status.body as { completed: boolean }).completed).toBe(false);
    emu.state.searchDurationMs = 0;
    const after = await runSearch(`${fields} START 1614067175963`);
    expect((await api('GET', `/api/ariel/searches/${after.searchId}`)).body).toMatchObject({ status: 'COMPLETED', record_count: 0 });
    const inWindow = await runSearch(`${fields} START '2021-02-23 07:59' STOP '2021-02-23 08:00'`);
    expect((await api('GET', `/api/ariel/searches/${inWindow.searchId}/results`)).body).toMatchObject({ events: [expect.any(Object), expect.any(Object)] });
    emu.state.searchDurationMs = 150;
  });

  it('hides events until the configured lag has passed (bounded retry)', async () => {
    expect((await admin('PUT', '/_emulator/config', { eventLagMs: 400, searchDurationMs: 0 })).status).toBe(200);
    expect((await admin('POST', '/_emulator/offenses', { payload: { ...referenceOffenses[0], id: 500 }, events: [{ sourceip: '1.2.3.4', starttime: 1614067175962 }] })).status).toBe(201);
    const tooEarly = await runSearch('SELECT sourceip FROM events WHERE INOFFENSE(500) START 0');
    expect((await api('GET', `/api/ariel/searches/${tooEarly.searchId}/results`)).body).toEqual({ events: [] });
    await new Promise((resolve) => setTimeout(resolve, 450));
    const later = await runSearch('SELECT sourceip FROM events WHERE INOFFENSE(500) START 0');
    expect((await api('GET', `/api/ariel/searches/${later.searchId}/results`)).body).toEqual({ events: [{ sourceip: '1.2.3.4' }] });
    await admin('PUT', '/_emulator/config', { eventLagMs: 0, searchDurationMs: 150 });
  });

  it('rejects AQL outside the supported subset and unknown searches', async () => {
    expectQradarError(await api('POST', `/api/ariel/searches?query_expression=${q('SELECT * FROM events WHERE a = 1 OR b = 2')}`), 422, 1005);
    expectQradarError(await api('POST', '/api/ariel/searches'), 422, 1005);
    expectQradarError(await api('GET', '/api/ariel/searches/not-a-search'), 404, 1002);
  });
});

describe('admin API, recorded writes and faults', () => {
  it('adds and changes offenses (bumping last_persisted_time) and records every write', async () => {
    await admin('POST', '/_emulator/offenses', [{ payload: { ...referenceOffenses[1], id: 600 }, addresses: { source: ['192.168.0.2', '192.168.0.1'], localDestination: ['192.168.0.1'] } }]);
    const changed = (await admin('PATCH', '/_emulator/offenses/600', { changes: { magnitude: 9 } })).body as Record<string, number>;
    expect(changed['magnitude']).toBe(9);
    expect(changed['last_persisted_time']).toBeGreaterThan(referenceOffenses[1]?.['last_updated_time'] as number);
    await api('POST', '/api/siem/offenses/600/notes?note_text=hello');
    await api('POST', '/api/siem/offenses/600?status=CLOSED');
    await api('POST', '/api/reference_data/sets?name=s&element_type=ALN');
    const writes = (await admin('GET', '/_emulator/writes')).body as { kind: string; params: Record<string, string>; status: number; at: number }[];
    expect(writes.map((w) => [w.kind, w.status])).toEqual([
      ['offense.note', 201],
      ['offense.update', 422],
      ['reference_set.create', 201],
    ]);
    expect(writes[0]?.params).toEqual({ note_text: 'hello' });
    expect(typeof writes[0]?.at).toBe('number');
    expect(emu.state.recordedWrites('offense.update')).toHaveLength(1);
  });

  it('injects 401, 429 with Retry-After, 5xx and delays, set at runtime', async () => {
    await admin('PUT', '/_emulator/faults', { unauthorizedNext: 1, rateLimit: { next: 1, retryAfterSeconds: 7 }, fail5xx: { next: 1, status: 503 } });
    expectQradarError(await api('GET', '/api/siem/offenses'), 401, 18);
    const limited = await api('GET', '/api/siem/offenses');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expectQradarError(await api('GET', '/api/siem/offenses'), 503, 1010);
    expect((await api('GET', '/api/siem/offenses')).status).toBe(200);
    emu.faults.set({ delayMs: 300 });
    const started = Date.now();
    expect((await api('GET', '/api/siem/offense_types')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await admin('DELETE', '/_emulator/faults')).status).toBe(204);
    expect((await admin('PUT', '/_emulator/faults', { fail5xx: { rate: 7 } })).status).toBe(400);
  });

  it('changes offenses while paged so a pure offset pager duplicates or skips', async () => {
    await admin('POST', '/_emulator/synthetic', { count: 100, firstId: 100, stepMs: 10, startTime: 1_000_000 });
    await admin('PUT', '/_emulator/faults', { mutateWhilePaging: { update: 5 } });
    const seen: number[] = [];
    for (let start = 0; start < 102; start += 20) {
      const page = await api('GET', `/api/siem/offenses?sort=${q('+last_persisted_time')}&fields=id`, { Range: `items=${start}-${start + 19}` });
      seen.push(...ids(page.body));
    }
    expect(new Set(seen).size).toBeLessThan(seen.length); // duplicates appear

    await admin('POST', '/_emulator/reset');
    await admin('POST', '/_emulator/synthetic', { count: 100, firstId: 100 });
    await admin('PUT', '/_emulator/faults', { mutateWhilePaging: { close: 3 } });
    const open: number[] = [];
    for (let start = 0; start < 102; start += 20) {
      const page = await api('GET', `/api/siem/offenses?filter=${q('status = OPEN')}&sort=${q('+id')}&fields=id`, { Range: `items=${start}-${start + 19}` });
      open.push(...ids(page.body));
    }
    await admin('DELETE', '/_emulator/faults');
    const stillOpen = ids((await api('GET', `/api/siem/offenses?filter=${q('status = OPEN')}&fields=id`)).body);
    expect(stillOpen.filter((id) => !open.includes(id)).length).toBeGreaterThan(0); // open offenses never served
  });
});
