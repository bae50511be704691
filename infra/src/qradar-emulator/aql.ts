// The subset of the Ariel Query Language that Seam sends, parsed and executed over a scenario's
// recorded event rows:
//
//   SELECT <* | col | FN(col) [AS alias], ...> FROM events|flows
//     [WHERE INOFFENSE(<id>) [AND <col> <op> <literal>]...]
//     [ORDER BY <col> [ASC|DESC]] [LIMIT <n>]
//     [START '<yyyy-MM-dd HH:mm[:ss]>' | START <epoch ms> [STOP ...] | LAST <n> SECONDS|MINUTES|HOURS|DAYS]
//
// Column names are case-insensitive; a function column comes back keyed `fn_arg` in lower-case
// function name (QIDNAME(qid) -> qidname_qid, RULENAME("creEventList") -> rulename_creEventList),
// which is how the reference results name them. The time window bounds the row's `starttime`;
// with no time clause the window is the last 60 seconds, as IBM documents for POST /ariel/searches.
// Times in quotes are read as UTC (a console uses its own time zone).

import { errors } from './errors';

export type AqlLiteral = string | number;
export type AqlOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export interface SelectItem {
  /** Key in the answer row. */
  key: string;
  /** Key looked up (case-insensitively) in the stored row. */
  source: string;
}

export type TimeClause =
  | { kind: 'absolute'; start: number; stop?: number }
  | { kind: 'last'; ms: number }
  | { kind: 'default' };

export interface AqlQuery {
  columns: SelectItem[] | '*';
  database: 'events' | 'flows';
  offenseId?: number;
  conditions: { column: string; op: AqlOperator; value: AqlLiteral }[];
  orderBy?: { column: string; descending: boolean };
  limit?: number;
  time: TimeClause;
}

type Token =
  | { type: 'word'; text: string }
  | { type: 'number'; value: number }
  | { type: 'single'; value: string }
  | { type: 'double'; value: string }
  | { type: 'sym'; text: string };

const defaultWindowMs = 60_000;
const unitMs: Readonly<Record<string, number>> = {
  second: 1_000,
  seconds: 1_000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

function aqlError(detail: string) {
  return errors.invalidParameter(`AQL query is not valid: ${detail}`);
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = input.indexOf(ch, i + 1);
      if (end < 0) throw aqlError('unterminated quoted text');
      const value = input.slice(i + 1, end);
      tokens.push(ch === "'" ? { type: 'single', value } : { type: 'double', value });
      i = end + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(input.slice(i));
    if (op) {
      tokens.push({ type: 'sym', text: op[0] === '<>' ? '!=' : op[0] });
      i += op[0].length;
      continue;
    }
    if ('(),*'.includes(ch)) {
      tokens.push({ type: 'sym', text: ch });
      i += 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?(?![\w.])/.exec(input.slice(i));
    if (num) {
      tokens.push({ type: 'number', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w.]*/.exec(input.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    throw aqlError(`unexpected character '${ch}'`);
  }
  return tokens;
}

/** 'yyyy-MM-dd HH:mm[:ss]' (UTC) or epoch milliseconds. */
export function parseAqlTime(token: Token | undefined): number {
  if (token?.type === 'number') return token.value;
  if (token?.type === 'single' || token?.type === 'double') {
    const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(token.value.trim());
    if (!match) throw aqlError(`time '${token.value}' is not in the form yyyy-MM-dd HH:mm[:ss]`);
    const [, y, mo, d, h, mi, s] = match;
    return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  }
  throw aqlError('expected a time after START/STOP');
}

class AqlParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): AqlQuery {
    this.expectWord('select');
    const columns = this.parseColumns();
    this.expectWord('from');
    const db = this.next();
    const dbName = db?.type === 'word' ? db.text.toLowerCase() : '';
    if (dbName !== 'events' && dbName !== 'flows') throw aqlError('FROM must name events or flows');
    const query: AqlQuery = { columns, database: dbName, conditions: [], time: { kind: 'default' } };
    if (this.isWord('where')) {
      this.pos += 1;
      this.parseConditions(query);
    }
    if (this.isWord('order')) {
      this.pos += 1;
      this.expectWord('by');
      const column = this.expectIdentifier();
      let descending = false;
      if (this.isWord('asc') || this.isWord('desc')) {
        descending = this.isWord('desc');
        this.pos += 1;
      }
      query.orderBy = { column, descending };
    }
    if (this.isWord('limit')) {
      this.pos += 1;
      const n = this.next();
      if (n?.type !== 'number' || !Number.isInteger(n.value) || n.value < 0) throw aqlError('LIMIT needs a non-negative integer');
      query.limit = n.value;
    }
    if (this.isWord('start')) {
      this.pos += 1;
      const start = parseAqlTime(this.next());
      let stop: number | undefined;
      if (this.isWord('stop')) {
        this.pos += 1;
        stop = parseAqlTime(this.next());
        if (stop < start) throw aqlError('STOP is before START');
      }
      query.time = stop === undefined ? { kind: 'absolute', start } : { kind: 'absolute', start, stop };
    } else if (this.isWord('last')) {
      this.pos += 1;
      const n = this.next();
      const unit = this.next();
      const ms = unit?.type === 'word' ? unitMs[unit.text.toLowerCase()] : undefined;
      if (n?.type !== 'number' || ms === undefined) throw aqlError('LAST needs <n> SECONDS|MINUTES|HOURS|DAYS');
      query.time = { kind: 'last', ms: n.value * ms };
    } else if (this.isWord('stop')) {
      throw aqlError('STOP without START');
    }
    const rest = this.peek();
    if (rest) throw aqlError(`unexpected ${describe(rest)} (clause not supported here or out of order: LIMIT comes before the time clause)`);
    return query;
  }

  private parseColumns(): SelectItem[] | '*' {
    const first = this.peek();
    if (first?.type === 'sym' && first.text === '*') {
      this.pos += 1;
      return '*';
    }
    const items: SelectItem[] = [];
    for (;;) {
      items.push(this.parseColumn());
      const next = this.peek();
      if (next?.type === 'sym' && next.text === ',') {
        this.pos += 1;
        continue;
      }
      return items;
    }
  }

  private parseColumn(): SelectItem {
    const name = this.expectIdentifier();
    let source = name;
    const open = this.peek();
    if (open?.type === 'sym' && open.text === '(') {
      this.pos += 1;
      const args: string[] = [];
      for (;;) {
        const arg = this.next();
        if (arg?.type === 'word' || arg?.type === 'double' || arg?.type === 'single') args.push(arg.type === 'word' ? arg.text : arg.value);
        else if (arg?.type === 'number') args.push(String(arg.value));
        else throw aqlError(`bad argument to ${name}()`);
        const sep = this.next();
        if (sep?.type === 'sym' && sep.text === ',') continue;
        if (sep?.type === 'sym' && sep.text === ')') break;
        throw aqlError(`expected ',' or ')' in ${name}()`);
      }
      source = `${name.toLowerCase()}_${args[0] ?? ''}`;
    }
    let key = source;
    if (this.isWord('as')) {
      this.pos += 1;
      const alias = this.next();
      if (alias?.type === 'word') key = alias.text;
      else if (alias?.type === 'single' || alias?.type === 'double') key = alias.value;
      else throw aqlError('expected an alias after AS');
    }
    return { key, source };
  }

  private parseConditions(query: AqlQuery): void {
    for (;;) {
      if (this.isWord('inoffense')) {
        this.pos += 1;
        this.expectSym('(');
        const id = this.next();
        if (id?.type !== 'number' || !Number.isInteger(id.value)) throw aqlError('INOFFENSE needs an offense id');
        this.expectSym(')');
        if (query.offenseId !== undefined) throw aqlError('only one INOFFENSE is supported');
        query.offenseId = id.value;
      } else {
        const column = this.expectIdentifier();
        const op = this.next();
        if (op?.type !== 'sym' || !['=', '!=', '<', '>', '<=', '>='].includes(op.text)) {
          throw aqlError(`unsupported condition on ${column} (emulator supports <col> <op> <literal>)`);
        }
        const value = this.next();
        if (value?.type !== 'number' && value?.type !== 'single') throw aqlError(`expected a literal after ${column} ${op.text}`);
        query.conditions.push({ column, op: op.text as AqlOperator, value: value.value });
      }
      if (this.isWord('or')) throw aqlError('OR is not supported by the emulator');
      if (!this.isWord('and')) return;
      this.pos += 1;
    }
  }

  private expectIdentifier(): string {
    const token = this.next();
    if (token?.type === 'word') return token.text;
    if (token?.type === 'double') return token.value;
    throw aqlError(`expected a column name, found ${describe(token)}`);
  }

  private expectWord(word: string): void {
    if (!this.isWord(word)) throw aqlError(`expected ${word.toUpperCase()}, found ${describe(this.peek())}`);
    this.pos += 1;
  }

  private expectSym(sym: string): void {
    const token = this.next();
    if (token?.type !== 'sym' || token.text !== sym) throw aqlError(`expected '${sym}', found ${describe(token)}`);
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token?.type === 'word' && token.text.toLowerCase() === word;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.pos];
    this.pos += 1;
    return token;
  }
}

function describe(token: Token | undefined): string {
  if (!token) return 'end of query';
  switch (token.type) {
    case 'word':
    case 'sym':
      return `'${token.text}'`;
    case 'number':
      return String(token.value);
    case 'single':
    case 'double':
      return `'${token.value}'`;
  }
}

export function parseAql(input: string): AqlQuery {
  return new AqlParser(tokenize(input)).parse();
}

export function timeWindow(time: TimeClause, now: number): { start: number; stop: number } {
  switch (time.kind) {
    case 'absolute':
      return { start: time.start, stop: time.stop ?? now };
    case 'last':
      return { start: now - time.ms, stop: now };
    case 'default':
      return { start: now - defaultWindowMs, stop: now };
  }
}

export type AqlRow = Readonly<Record<string, unknown>>;

function lookup(row: AqlRow, column: string): unknown {
  if (Object.hasOwn(row, column)) return row[column];
  const lower = column.toLowerCase();
  for (const key of Object.keys(row)) if (key.toLowerCase() === lower) return row[key];
  return null;
}

function holds(actual: unknown, op: AqlOperator, expected: AqlLiteral): boolean {
  if (actual === null || actual === undefined) return false;
  const a = typeof expected === 'number' && typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : actual;
  if (typeof a !== 'number' && typeof a !== 'string') return false;
  const b = typeof a === 'number' ? Number(expected) : String(expected);
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
}

/** Runs the query over candidate rows (the caller has already applied INOFFENSE and visibility). */
export function executeAql(query: AqlQuery, candidates: readonly AqlRow[], now: number): Record<string, unknown>[] {
  const { start, stop } = timeWindow(query.time, now);
  let rows = candidates.filter((row) => {
    const t = lookup(row, 'starttime');
    if (typeof t !== 'number' || t < start || t > stop) return false;
    return query.conditions.every((c) => holds(lookup(row, c.column), c.op, c.value));
  });
  if (query.orderBy) {
    const { column, descending } = query.orderBy;
    rows = [...rows].sort((a, b) => {
      const x = lookup(a, column);
      const y = lookup(b, column);
      const diff = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -diff : diff;
    });
  }
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  const columns = query.columns;
  if (columns === '*') return rows.map((row) => ({ ...row }));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const column of columns) out[column.key] = lookup(row, column.source);
    return out;
  });
}
