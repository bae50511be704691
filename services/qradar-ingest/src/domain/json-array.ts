/**
 * Splits the text of a JSON array into the exact source text of each element, so a payload can be
 * forwarded byte for byte as the API delivered it. Throws on anything that is not one array.
 */
export function splitJsonArray(text: string): string[] {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i += 1;
  };
  ws();
  if (text[i] !== '[') throw new SyntaxError('not a JSON array');
  i += 1;
  const items: string[] = [];
  ws();
  if (text[i] === ']') {
    i += 1;
    ws();
    if (i !== n) throw new SyntaxError('trailing data after JSON array');
    return items;
  }
  for (;;) {
    ws();
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i += 1) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i += 1;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth -= 1;
      } else if (c === ',' && depth === 0) break;
    }
    if (i >= n) throw new SyntaxError('unterminated JSON array');
    items.push(text.slice(start, i).trimEnd());
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    i += 1; // the closing bracket
    ws();
    if (i !== n) throw new SyntaxError('trailing data after JSON array');
    return items;
  }
}
