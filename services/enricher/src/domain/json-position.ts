/**
 * Where a JSON text first goes wrong. Node's JSON.parse messages do not always carry a position
 * (V8 11 says `Unexpected token 'o', "[..." is not valid JSON`), so file parsers that promise a line
 * number find it with this small recursive-descent scanner instead.
 */
class SyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/;

/** Offset of the first syntax error, or null when the text is valid JSON. */
export function jsonSyntaxErrorOffset(text: string): number | null {
  let i = 0;
  const skipWhitespace = (): void => {
    while (i < text.length && WHITESPACE.has(text[i] ?? '')) i += 1;
  };
  const string = (): void => {
    i += 1;
    while (i < text.length) {
      const ch = text[i] ?? '';
      if (ch === '"') {
        i += 1;
        return;
      }
      if (ch === '\\') i += 2;
      else if (ch < ' ') throw new SyntaxAt(i);
      else i += 1;
    }
    throw new SyntaxAt(i);
  };
  const value = (depth: number): void => {
    if (depth > 512) throw new SyntaxAt(i);
    skipWhitespace();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      i += 1;
      skipWhitespace();
      if (text[i] === close) {
        i += 1;
        return;
      }
      for (;;) {
        if (ch === '{') {
          skipWhitespace();
          if (text[i] !== '"') throw new SyntaxAt(i);
          string();
          skipWhitespace();
          if (text[i] !== ':') throw new SyntaxAt(i);
          i += 1;
        }
        value(depth + 1);
        skipWhitespace();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === close) {
          i += 1;
          return;
        }
        throw new SyntaxAt(i);
      }
    }
    if (ch === '"') return string();
    const scalar = SCALAR.exec(text.slice(i, i + 512));
    if (scalar === null) throw new SyntaxAt(i);
    i += scalar[0].length;
  };
  try {
    value(0);
    skipWhitespace();
    if (i < text.length) throw new SyntaxAt(i);
    return null;
  } catch (error) {
    if (error instanceof SyntaxAt) return Math.min(error.offset, text.length);
    throw error;
  }
}

/** 1-based line of an offset. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text[i] === '\n') line += 1;
  return line;
}
