import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { AvroNames } from './avro-json';

/**
 * Walks an Avro schema (the .avsc JSON) and a zod schema in parallel and lists every difference:
 * record fields (names, both ways), field defaults (Avro default <-> ZodDefault with the same
 * value), ["null", T] <-> nullable, enum symbols (same order), array/map/record nesting, and
 * leaf types (int <-> int32, long <-> safe int, double <-> non-integer number, string, boolean,
 * bytes <-> Buffer, timestamp-millis <-> meta avroLogicalType). Empty list: they match.
 */
export function diffAvroZod(avsc: unknown, schema: z.ZodType): string[] {
  const problems: string[] = [];
  walk(new AvroNames(), avsc, undefined, schema, '$', problems);
  return problems;
}

const meta = (schema: z.ZodType): Record<string, unknown> => z.globalRegistry.get(schema) ?? {};

function walk(names: AvroNames, avsc: unknown, namespace: string | undefined, schema: z.ZodType, path: string, problems: string[]): void {
  const { node, namespace: ns } = names.node(avsc, namespace);
  const mismatch = (expected: string): void => {
    problems.push(`${path}: Avro ${expected} but zod ${schema.def.type}`);
  };
  if (schema instanceof z.ZodDefault) {
    problems.push(`${path}: zod default outside a record field`);
    return;
  }
  switch (node.kind) {
    case 'union': {
      const [first, second, ...rest] = node.branches;
      if (first !== 'null' || second === undefined || rest.length > 0) {
        problems.push(`${path}: only ["null", T] unions are used (null first, so the default can be null)`);
        return;
      }
      if (!(schema instanceof z.ZodNullable)) return mismatch('["null", T]');
      walk(names, second, ns, schema.unwrap() as z.ZodType, `${path}?`, problems);
      return;
    }
    case 'record': {
      if (!(schema instanceof z.ZodObject)) return mismatch(`record ${node.fullName}`);
      const shape = schema.shape as Record<string, z.ZodType>;
      const avroFields = new Set(node.fields.map((f) => f.name));
      for (const key of Object.keys(shape)) {
        if (!avroFields.has(key)) problems.push(`${path}.${key}: zod field missing from Avro record ${node.fullName}`);
      }
      for (const field of node.fields) {
        const fieldPath = `${path}.${field.name}`;
        let zodField = shape[field.name];
        if (zodField === undefined) {
          problems.push(`${fieldPath}: Avro field missing from zod`);
          continue;
        }
        if (zodField instanceof z.ZodOptional) problems.push(`${fieldPath}: zod optional; Avro fields are always present (use a default)`);
        const hasAvroDefault = Object.hasOwn(field, 'default');
        if (zodField instanceof z.ZodDefault) {
          const zodDefault: unknown = zodField.def.defaultValue;
          if (!hasAvroDefault) problems.push(`${fieldPath}: zod default ${JSON.stringify(zodDefault)} but no Avro default`);
          else if (!isDeepStrictEqual(zodDefault, field.default)) {
            problems.push(`${fieldPath}: default Avro ${JSON.stringify(field.default)} vs zod ${JSON.stringify(zodDefault)}`);
          }
          zodField = zodField.unwrap() as z.ZodType;
        } else if (hasAvroDefault) {
          problems.push(`${fieldPath}: Avro default ${JSON.stringify(field.default)} but zod has none`);
        }
        walk(names, field.type, ns, zodField, fieldPath, problems);
      }
      return;
    }
    case 'enum': {
      if (!(schema instanceof z.ZodEnum)) return mismatch(`enum ${node.fullName}`);
      const options = schema.options as unknown[];
      if (!isDeepStrictEqual(options, node.symbols)) {
        problems.push(`${path}: enum ${node.fullName} symbols ${node.symbols.join('|')} vs zod ${options.join('|')}`);
      }
      return;
    }
    case 'array':
      if (!(schema instanceof z.ZodArray)) return mismatch('array');
      walk(names, node.items, ns, schema.element as z.ZodType, `${path}[]`, problems);
      return;
    case 'map': {
      if (!(schema instanceof z.ZodRecord)) return mismatch('map');
      if (!(schema.keyType instanceof z.ZodString)) problems.push(`${path}: map keys must be plain strings`);
      walk(names, node.values, ns, schema.valueType as z.ZodType, `${path}{}`, problems);
      return;
    }
    case 'primitive': {
      const logical = meta(schema).avroLogicalType;
      if (logical !== node.logicalType) {
        problems.push(`${path}: logicalType Avro ${String(node.logicalType)} vs zod ${String(logical)}`);
      }
      switch (node.name) {
        case 'null':
          if (!(schema instanceof z.ZodNull)) mismatch('null');
          return;
        case 'boolean':
          if (!(schema instanceof z.ZodBoolean)) mismatch('boolean');
          return;
        case 'string':
          if (!(schema instanceof z.ZodString)) mismatch('string');
          return;
        case 'int':
          if (!(schema instanceof z.ZodNumber) || schema.format !== 'int32') mismatch('int (z.int32())');
          return;
        case 'long':
          if (!(schema instanceof z.ZodNumber) || schema.format !== 'safeint') mismatch('long (z.int())');
          return;
        case 'float':
        case 'double':
          if (!(schema instanceof z.ZodNumber) || schema.isInt) mismatch(`${node.name} (z.number())`);
          return;
        case 'bytes':
          if (!(schema instanceof z.ZodCustom) || meta(schema).avroType !== 'bytes') mismatch('bytes (avroBytes())');
          return;
      }
    }
  }
}
