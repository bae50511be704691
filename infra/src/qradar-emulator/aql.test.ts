import { describe, expect, it } from 'vitest';
import { executeAql, parseAql, timeWindow } from './aql';

const rows = [
  { qidname_qid: 'A', sourceip: '10.0.0.1', destinationport: 22, starttime: 1_000, rulename_creEventList: ['r1'] },
  { qidname_qid: 'B', sourceip: '10.0.0.2', destinationport: 443, starttime: 2_000, rulename_creEventList: [] },
  { qidname_qid: 'C', sourceip: '10.0.0.1', destinationport: 80, starttime: 3_000, rulename_creEventList: [] },
];

describe('AQL subset', () => {
  it('parses the query shape XSOAR/Seam send (reference lifecycle query)', () => {
    const q = parseAql(
      'SELECT QIDNAME(qid), LOGSOURCENAME(logsourceid), RULENAME("creEventList"), sourceip, UTF8(payload), starttime  FROM events WHERE INOFFENSE(2)  limit 20 START 1605046453426',
    );
    expect(q.offenseId).toBe(2);
    expect(q.limit).toBe(20);
    expect(q.time).toEqual({ kind: 'absolute', start: 1605046453426 });
    expect(q.columns).toEqual([
      { key: 'qidname_qid', source: 'qidname_qid' },
      { key: 'logsourcename_logsourceid', source: 'logsourcename_logsourceid' },
      { key: 'rulename_creEventList', source: 'rulename_creEventList' },
      { key: 'sourceip', source: 'sourceip' },
      { key: 'utf8_payload', source: 'utf8_payload' },
      { key: 'starttime', source: 'starttime' },
    ]);
  });

  it('reads quoted START/STOP times as UTC and LAST n MINUTES relative to now', () => {
    const q = parseAql("SELECT * FROM events WHERE INOFFENSE(1) START '2021-02-15 13:00' STOP '2021-02-15 13:30:15'");
    expect(q.time).toEqual({ kind: 'absolute', start: Date.UTC(2021, 1, 15, 13, 0), stop: Date.UTC(2021, 1, 15, 13, 30, 15) });
    expect(timeWindow(parseAql('SELECT * FROM events LAST 5 MINUTES').time, 1_000_000)).toEqual({ start: 700_000, stop: 1_000_000 });
    expect(timeWindow(parseAql('SELECT * FROM events').time, 100_000)).toEqual({ start: 40_000, stop: 100_000 });
  });

  it('selects columns (case-insensitively, with aliases), bounds starttime, filters, orders and limits', () => {
    const q = parseAql("SELECT QIDNAME(qid) AS 'Event Name', sourceIP FROM events WHERE INOFFENSE(1) AND destinationport > 30 ORDER BY starttime DESC LIMIT 5 START 1500 STOP 3000");
    expect(executeAql(q, rows, 10_000)).toEqual([
      { 'Event Name': 'C', sourceIP: '10.0.0.1' },
      { 'Event Name': 'B', sourceIP: '10.0.0.2' },
    ]);
    expect(executeAql(parseAql('SELECT * FROM events LIMIT 1 START 0'), rows, 10_000)).toEqual([rows[0]]);
    expect(executeAql(parseAql("SELECT missing FROM events WHERE sourceip = '10.0.0.2' START 0"), rows, 10_000)).toEqual([{ missing: null }]);
  });

  it.each([
    'DELETE FROM events',
    'SELECT * FROM assets',
    'SELECT * FROM events WHERE INOFFENSE(1) OR INOFFENSE(2)',
    'SELECT * FROM events START 0 LIMIT 5',
    "SELECT * FROM events START 'yesterday'",
    'SELECT * FROM events STOP 5',
    'SELECT * FROM events LAST 5 FORTNIGHTS',
  ])('rejects %s with 422 / 1005', (query) => {
    expect(() => parseAql(query)).toThrow(/AQL query is not valid/);
  });
});
