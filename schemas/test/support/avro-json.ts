import { z } from 'zod';

// A minimal model of Avro schema JSON, enough to walk the .avsc files of this package.

export const AVRO_PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'] as const;
export type AvroPrimitive = (typeof AVRO_PRIMITIVES)[number];
export const isPrimitive = (name: string): name is AvroPrimitive => (AVRO_PRIMITIVES as readonly string[]).includes(name);

const fieldJson = z.looseObject({ name: z.string(), type: z.unknown(), default: z.unknown().optional() });
export type FieldJson = z.infer<typeof fieldJson>;
const recordJson = z.looseObject({ type: z.literal('record'), name: z.string(), namespace: z.string().optional(), fields: z.array(fieldJson) });
const enumJson = z.looseObject({ type: z.literal('enum'), name: z.string(), namespace: z.string().optional(), symbols: z.array(z.string()), default: z.string().optional() });
const arrayJson = z.looseObject({ type: z.literal('array'), items: z.unknown() });
const mapJson = z.looseObject({ type: z.literal('map'), values: z.unknown() });
const primitiveJson = z.looseObject({ type: z.enum(AVRO_PRIMITIVES), logicalType: z.string().optional() });

export type AvroNode =
  | { kind: 'primitive'; name: AvroPrimitive; logicalType: string | undefined }
  | { kind: 'record'; fullName: string; namespace: string | undefined; fields: FieldJson[]; json: unknown }
  | { kind: 'enum'; fullName: string; symbols: string[]; default: string | undefined; json: unknown }
  | { kind: 'array'; items: unknown }
  | { kind: 'map'; values: unknown }
  | { kind: 'union'; branches: unknown[] };

/** Resolves named references; definitions are recorded as the walk meets them (Avro's rule). */
export class AvroNames {
  private readonly named = new Map<string, unknown>();

  qualify(name: string, namespace: string | undefined): string {
    return name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`;
  }

  /** Classifies a schema node; `namespace` is the enclosing namespace. */
  node(schema: unknown, namespace: string | undefined): { node: AvroNode; namespace: string | undefined } {
    if (typeof schema === 'string') {
      if (isPrimitive(schema)) return { node: { kind: 'primitive', name: schema, logicalType: undefined }, namespace };
      const fullName = this.qualify(schema, namespace);
      const definition = this.named.get(fullName) ?? this.named.get(schema);
      if (definition === undefined) throw new Error(`unknown Avro type ${fullName}`);
      return this.node(definition, namespace);
    }
    if (Array.isArray(schema)) return { node: { kind: 'union', branches: schema as unknown[] }, namespace };
    const record = recordJson.safeParse(schema);
    if (record.success) {
      const ns = record.data.namespace ?? (record.data.name.includes('.') ? record.data.name.slice(0, record.data.name.lastIndexOf('.')) : namespace);
      const fullName = this.qualify(record.data.name, ns);
      this.named.set(fullName, schema);
      return { node: { kind: 'record', fullName, namespace: ns, fields: record.data.fields, json: schema }, namespace: ns };
    }
    const enumeration = enumJson.safeParse(schema);
    if (enumeration.success) {
      const fullName = this.qualify(enumeration.data.name, enumeration.data.namespace ?? namespace);
      this.named.set(fullName, schema);
      return { node: { kind: 'enum', fullName, symbols: enumeration.data.symbols, default: enumeration.data.default, json: schema }, namespace };
    }
    const array = arrayJson.safeParse(schema);
    if (array.success) return { node: { kind: 'array', items: array.data.items }, namespace };
    const map = mapJson.safeParse(schema);
    if (map.success) return { node: { kind: 'map', values: map.data.values }, namespace };
    const primitive = primitiveJson.safeParse(schema);
    if (primitive.success) return { node: { kind: 'primitive', name: primitive.data.type, logicalType: primitive.data.logicalType }, namespace };
    throw new Error(`unsupported Avro schema node ${JSON.stringify(schema)}`);
  }
}
