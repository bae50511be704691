import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The JSON of a top-level .avsc file: always a named record here. */
export interface AvroRecordJson {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: unknown[];
  [attribute: string]: unknown;
}

const recordJsonSchema = z.looseObject({
  type: z.literal('record'),
  name: z.string().min(1),
  namespace: z.string().optional(),
  fields: z.array(z.unknown()),
});

export const AVRO_DIR = new URL('../avro/', import.meta.url);

/** Reads and checks the JSON of `schemas/avro/<name>.avsc`. */
export function readAvsc(name: string, dir: URL = AVRO_DIR): AvroRecordJson {
  const text = readFileSync(new URL(`${name}.avsc`, dir), 'utf8');
  const parsed = recordJsonSchema.parse(JSON.parse(text) as unknown);
  return parsed as AvroRecordJson;
}

/**
 * Parses an Avro schema the way every Seam service does: no logical-type codecs, so
 * timestamp-millis values stay epoch-millisecond numbers (and longs are JS numbers).
 */
export function parseAvro(schema: AvroRecordJson | object): avro.Type {
  // avsc validates the schema itself and throws on anything malformed.
  return avro.Type.forSchema(schema as avro.Schema);
}

export const fullNameOf = (schema: AvroRecordJson): string =>
  schema.namespace !== undefined && !schema.name.includes('.') ? `${schema.namespace}.${schema.name}` : schema.name;
