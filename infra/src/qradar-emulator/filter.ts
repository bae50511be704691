// The QRadar `filter` query parameter: a parser and an evaluator for the syntax IBM documents
// ("Filter syntax"): comparisons = != <> ^= < > <= >=, `in`, `not in`, `between … and …`,
// `not between`, `is null`, `is not null`, combined with `and` / `or` / `not` and parentheses.
// Anything else is rejected the way QRadar rejects it: 422, code 1010.

import { errors } from './errors';

export type FilterValue = string | number | boolean;
export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'compare'; field: string; op: ComparisonOperator; value: FilterValue }
  | { kind: 'in'; field: string; values: FilterValue[]; negated: boolean }
  | { kind: 'between'; field: string; low: FilterValue; high: FilterValue; negated: boolean }
  | { kind: 'isNull'; field: string; negated: boolean };

type Token =
  | { type: 'word'; text: string }
  | { type: 'number'; value: number; text: string }
  | { type: 'string'; value: string }
  | { type: 'op'; text: string }
  | { type: 'punct'; text: '(' | ')' | ',' };

const keywords = new Set(['and', 'or', 'not', 'in', 'between', 'is', 'null']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: 'punct', text: ch });
      i += 1;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '^=' || two === '<=' || two === '>=') {
      tokens.push({ type: 'op', text: two });
      i += 2;
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      tokens.push({ type: 'op', text: ch });
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < input.length) {
        const c = input.charAt(j);
        if (c === '\\' && j + 1 < input.length) {
          value += input.charAt(j + 1);
          j += 2;
          continue;
        }
        if (c === ch) {
          closed = true;
          break;
        }
        value += c;
        j += 1;
      }
      if (!closed) throw errors.invalidFilter('Error Parsing filter: unterminated string');
      tokens.push({ type: 'string', value });
      i = j + 1;
      continue;
    }
    const numberMatch = /^-?\d+(\.\d+)?(?![\w.])/.exec(input.slice(i));
    if (numberMatch) {
      tokens.push({ type: 'number', value: Number(numberMatch[0]), text: numberMatch[0] });
      i += numberMatch[0].length;
      continue;
    }
    const wordMatch = /^[A-Za-z_][\w.]*/.exec(input.slice(i));
    if (wordMatch) {
      tokens.push({ type: 'word', text: wordMatch[0] });
      i += wordMatch[0].length;
      continue;
    }
    throw errors.invalidFilter(`Error Parsing filter: unexpected character '${ch}'`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly isKnownField: (field: string) => boolean,
  ) {}

  parse(): FilterExpr {
    const expr = this.parseOr();
    const rest = this.peek();
    if (rest) throw this.fail(`unexpected ${describe(rest)}`);
    return expr;
  }

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.pos += 1;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    while (this.isKeyword('and')) {
      this.pos += 1;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterExpr {
    if (this.isKeyword('not')) {
      this.pos += 1;
      return { kind: 'not', expr: this.parseUnary() };
    }
    const token = this.peek();
    if (token?.type === 'punct' && token.text === '(') {
      this.pos += 1;
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpr {
    const token = this.next();
    if (token?.type !== 'word' || keywords.has(token.text.toLowerCase())) {
      throw this.fail(`expected a field name, found ${describe(token)}`);
    }
    const field = token.text;
    if (!this.isKnownField(field)) {
      throw errors.invalidFilter(`Error Parsing filter: '${field}' is not a filterable field`);
    }
    const after = this.next();
    if (after?.type === 'op') {
      return { kind: 'compare', field, op: normaliseOp(after.text), value: this.parseValue() };
    }
    if (after?.type === 'word') {
      const word = after.text.toLowerCase();
      let negated = false;
      let operator = word;
      if (word === 'not') {
        negated = true;
        const following = this.next();
        operator = following?.type === 'word' ? following.text.toLowerCase() : '';
      }
      if (operator === 'in') return { kind: 'in', field, values: this.parseList(), negated };
      if (operator === 'between') {
        const low = this.parseValue();
        if (!this.isKeyword('and')) throw this.fail("expected 'and' in between");
        this.pos += 1;
        return { kind: 'between', field, low, high: this.parseValue(), negated };
      }
      if (word === 'is') {
        let isNot = false;
        if (this.isKeyword('not')) {
          this.pos += 1;
          isNot = true;
        }
        if (!this.isKeyword('null')) throw this.fail("expected 'null' after 'is'");
        this.pos += 1;
        return { kind: 'isNull', field, negated: isNot };
      }
    }
    throw this.fail(`unsupported operator ${describe(after)} after '${field}'`);
  }

  private parseList(): FilterValue[] {
    this.expectPunct('(');
    const values: FilterValue[] = [this.parseValue()];
    for (;;) {
      const token = this.next();
      if (token?.type === 'punct' && token.text === ')') return values;
      if (token?.type === 'punct' && token.text === ',') {
        values.push(this.parseValue());
        continue;
      }
      throw this.fail(`expected ',' or ')' in list, found ${describe(token)}`);
    }
  }

  private parseValue(): FilterValue {
    const token = this.next();
    if (token?.type === 'number') return token.value;
    if (token?.type === 'string') return token.value;
    if (token?.type === 'word' && !keywords.has(token.text.toLowerCase())) {
      const lower = token.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      return token.text;
    }
    throw this.fail(`expected a value, found ${describe(token)}`);
  }

  private expectPunct(text: '(' | ')'): void {
    const token = this.next();
    if (token?.type !== 'punct' || token.text !== text) throw this.fail(`expected '${text}', found ${describe(token)}`);
  }

  private isKeyword(word: string): boolean {
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

  private fail(detail: string) {
    return errors.invalidFilter(`Error Parsing filter: ${detail}`);
  }
}

function normaliseOp(text: string): ComparisonOperator {
  switch (text) {
    case '<>':
    case '^=':
    case '!=':
      return '!=';
    case '=':
    case '<':
    case '>':
    case '<=':
    case '>=':
      return text;
    default:
      throw errors.invalidFilter(`Error Parsing filter: unknown operator ${text}`);
  }
}

function describe(token: Token | undefined): string {
  if (!token) return 'end of filter';
  switch (token.type) {
    case 'word':
    case 'op':
    case 'punct':
      return `'${token.text}'`;
    case 'number':
      return token.text;
    case 'string':
      return `"${token.value}"`;
  }
}

/** Parses a filter; `isKnownField` rejects fields the resource does not have (422 like QRadar). */
export function parseFilter(input: string, isKnownField: (field: string) => boolean = () => true): FilterExpr {
  const tokens = tokenize(input);
  if (tokens.length === 0) throw errors.invalidFilter('Error Parsing filter: empty filter');
  return new Parser(tokens, isKnownField).parse();
}

function equals(actual: unknown, expected: FilterValue): boolean {
  if (Array.isArray(actual)) return actual.some((item) => equals(item, expected));
  if (typeof actual === 'number') return typeof expected === 'number' ? actual === expected : String(actual) === String(expected);
  if (typeof actual === 'boolean') return String(actual) === String(expected).toLowerCase();
  if (typeof actual === 'string') return actual === String(expected);
  return false;
}

function order(actual: unknown, expected: FilterValue): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string') return actual < String(expected) ? -1 : actual > String(expected) ? 1 : 0;
  return undefined;
}

function compare(actual: unknown, op: ComparisonOperator, expected: FilterValue): boolean {
  if (actual === null || actual === undefined) return false;
  if (op === '=') return equals(actual, expected);
  if (op === '!=') return !equals(actual, expected);
  const diff = order(actual, expected);
  if (diff === undefined) return false;
  switch (op) {
    case '<':
      return diff < 0;
    case '>':
      return diff > 0;
    case '<=':
      return diff <= 0;
    case '>=':
      return diff >= 0;
  }
}

export function matchesFilter(expr: FilterExpr, record: Readonly<Record<string, unknown>>): boolean {
  switch (expr.kind) {
    case 'and':
      return matchesFilter(expr.left, record) && matchesFilter(expr.right, record);
    case 'or':
      return matchesFilter(expr.left, record) || matchesFilter(expr.right, record);
    case 'not':
      return !matchesFilter(expr.expr, record);
    case 'compare':
      return compare(record[expr.field], expr.op, expr.value);
    case 'in': {
      const actual = record[expr.field];
      if (actual === null || actual === undefined) return false;
      const found = expr.values.some((value) => equals(actual, value));
      return expr.negated ? !found : found;
    }
    case 'between': {
      const actual = record[expr.field];
      if (actual === null || actual === undefined) return false;
      const inside = compare(actual, '>=', expr.low) && compare(actual, '<=', expr.high);
      return expr.negated ? !inside : inside;
    }
    case 'isNull': {
      const isNull = record[expr.field] === null || record[expr.field] === undefined;
      return expr.negated ? !isNull : isNull;
    }
  }
}
