// The QRadar `fields` query parameter: "Fields that are not named are excluded. Specify subfields
// in brackets and multiple fields in the same object are separated by commas", for example
// `id,status,rules(id),log_sources(name,type_name)`.

import { errors } from './errors';

export interface FieldSelection {
  name: string;
  /** Subfields selected inside an object or array-of-objects value; undefined = the whole value. */
  sub?: FieldSelection[];
}

export function parseFields(input: string): FieldSelection[] {
  let pos = 0;
  const text = input;

  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text.charAt(pos))) pos += 1;
  };

  const parseList = (depth: number): FieldSelection[] => {
    const list: FieldSelection[] = [];
    for (;;) {
      skipSpace();
      const match = /^[A-Za-z_][\w]*/.exec(text.slice(pos));
      if (!match) throw errors.invalidFields(`The fields parameter is not valid: expected a field name at position ${pos}`);
      pos += match[0].length;
      skipSpace();
      const item: FieldSelection = { name: match[0] };
      if (text.charAt(pos) === '(') {
        pos += 1;
        item.sub = parseList(depth + 1);
        if (text.charAt(pos) !== ')') throw errors.invalidFields('The fields parameter is not valid: missing )');
        pos += 1;
        skipSpace();
      }
      list.push(item);
      const ch = text.charAt(pos);
      if (ch === ',') {
        pos += 1;
        continue;
      }
      if (ch === ')' && depth > 0) return list;
      if (pos >= text.length && depth === 0) return list;
      throw errors.invalidFields(`The fields parameter is not valid: unexpected '${ch}' at position ${pos}`);
    }
  };

  return parseList(0);
}

function projectValue(value: unknown, sub: FieldSelection[] | undefined): unknown {
  if (sub === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => projectValue(item, sub));
  if (value !== null && typeof value === 'object') return project(value as Record<string, unknown>, sub);
  return value;
}

/** Keeps only the selected fields (in selection order); absent fields are left out. */
export function project(record: Readonly<Record<string, unknown>>, selection: readonly FieldSelection[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of selection) {
    if (Object.hasOwn(record, item.name)) out[item.name] = projectValue(record[item.name], item.sub);
  }
  return out;
}

/** Rejects top-level names the resource does not have, as QRadar does (422). */
export function checkFields(selection: readonly FieldSelection[], isKnownField: (field: string) => boolean): void {
  for (const item of selection) {
    if (!isKnownField(item.name)) throw errors.invalidFields(`The fields parameter is not valid: unknown field '${item.name}'`);
  }
}
