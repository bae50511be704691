import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Codec } from './codec';
import type { CommonConfig } from './config';
import { DecodeError, EncodeError, RetriableError } from './errors';
import { registryAuth } from './security';

/**
 * Avro with the Confluent wire format (magic byte 0, 4-byte schema id, Avro body) through a
 * Confluent-compatible registry (Apicurio's /apis/ccompat/v7 works: the client appends its paths
 * to the whole base URL, path prefix included). Subjects follow TopicNameStrategy: `<topic>-value`.
 */

export type AvroSchemaJson = avro.Schema;

export function createSchemaRegistry(config: Pick<CommonConfig, 'SCHEMA_REGISTRY_URL' | 'SCHEMA_REGISTRY_USERNAME' | 'SCHEMA_REGISTRY_PASSWORD'>): SchemaRegistry {
  if (config.SCHEMA_REGISTRY_URL === undefined) throw new EncodeError('SCHEMA_REGISTRY_URL is not configured');
  const host = config.SCHEMA_REGISTRY_URL.replace(/\/+$/, '');
  const auth = registryAuth(config);
  return new SchemaRegistry({ host, ...(auth ? { auth } : {}), clientId: 'seam' });
}

export function subjectForTopic(topic: string): string {
  return `${topic}-value`;
}

const MAGIC_BYTE = 0;

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface AvroCodecOptions {
  /** Register the schema under `<topic>-value` on first use (else it must already be registered). */
  readonly autoRegister: boolean;
  /** Read with this schema (schema resolution from the writer's); defaults to the writer's schema. */
  readonly readerSchema?: AvroSchemaJson;
}

/**
 * A codec that writes with `schema` and reads whatever registered schema the record names. Schema
 * ids and parsed types are looked up once per process and cached.
 */
export function avroCodec<T>(registry: SchemaRegistry, schema: AvroSchemaJson, options: AvroCodecOptions): Codec<T> {
  const writerType = avro.Type.forSchema(schema);
  const readerType = options.readerSchema === undefined ? undefined : avro.Type.forSchema(options.readerSchema);
  const idsByTopic = new Map<string, Promise<number>>();
  const decoders = new Map<number, Promise<(body: Buffer) => unknown>>();

  function schemaId(topic: string): Promise<number> {
    let id = idsByTopic.get(topic);
    if (id === undefined) {
      const subject = subjectForTopic(topic);
      // The schema's own JSON, exactly as `seam schemas register` registers it: a registry looks a
      // schema up by its text, and avsc's normalized form (docs and defaults dropped) would not match.
      const confluentSchema = { type: SchemaType.AVRO, schema: JSON.stringify(schema) } as const;
      id = (options.autoRegister ? registry.register(confluentSchema, { subject }).then((r) => r.id) : registry.getRegistryIdBySchema(subject, confluentSchema)).catch((error: unknown) => {
        idsByTopic.delete(topic); // do not cache failures
        if (isClientError(error)) throw new EncodeError(`schema for subject ${subject} is not usable: ${describe(error)}`, { cause: error });
        throw new RetriableError(`schema registry unavailable for subject ${subject}: ${describe(error)}`, { cause: error });
      });
      idsByTopic.set(topic, id);
    }
    return id;
  }

  function decoderFor(id: number): Promise<(body: Buffer) => unknown> {
    let decoder = decoders.get(id);
    if (decoder === undefined) {
      decoder = registry
        .getSchema(id)
        .then((found) => {
          const writer = avro.Type.forSchema(found as unknown as avro.Schema);
          if (readerType === undefined) return (body: Buffer) => writer.fromBuffer(body) as unknown;
          const resolver = readerType.createResolver(writer);
          return (body: Buffer) => readerType.fromBuffer(body, resolver) as unknown;
        })
        .catch((error: unknown) => {
          decoders.delete(id);
          if (isClientError(error)) throw new DecodeError(`unknown schema id ${id}: ${describe(error)}`, { cause: error });
          throw new RetriableError(`schema registry unavailable for schema id ${id}: ${describe(error)}`, { cause: error });
        });
      decoders.set(id, decoder);
    }
    return decoder;
  }

  // Resolved schema ids and decoders, so that once they are known a record is decoded and encoded
  // synchronously: the processor then takes no promise hop per record. Failures stay rejections.
  const readyIds = new Map<string, number>();
  const readyDecoders = new Map<number, (body: Buffer) => unknown>();

  // Values are written into one growing scratch buffer after the 5-byte header, then copied out
  // once: avsc's toBuffer allocates a zero-filled body and the frame a second buffer and copy.
  let scratch = Buffer.allocUnsafe(64 * 1024);

  function encodeFramed(id: number, value: T): Buffer {
    let end: number;
    try {
      end = writerType.encode(value, scratch, 5);
      if (end < 0) {
        // Too small by -end bytes: grow (at least double) and write again.
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
        end = writerType.encode(value, scratch, 5);
      }
    } catch {
      const invalidPaths: string[] = [];
      writerType.isValid(value, { errorHook: (path) => invalidPaths.push(path.join('.') || '(root)') });
      throw new EncodeError(`value does not match Avro schema ${writerType.name ?? ''} at ${invalidPaths.slice(0, 5).join(', ')}`);
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    out[0] = MAGIC_BYTE;
    out.writeInt32BE(id, 1);
    return out;
  }

  return {
    name: 'avro',
    decode(bytes) {
      if (bytes.length < 5 || bytes[0] !== MAGIC_BYTE) return Promise.reject(new DecodeError('not in the Confluent Avro wire format (magic byte 0 + schema id)'));
      const id = bytes.readInt32BE(1);
      const ready = readyDecoders.get(id);
      if (ready !== undefined) {
        try {
          return ready(bytes.subarray(5));
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return decoderFor(id).then((decode) => {
        readyDecoders.set(id, decode);
        return decode(bytes.subarray(5));
      });
    },
    encode(value, topic) {
      const id = readyIds.get(topic);
      if (id !== undefined) {
        try {
          return encodeFramed(id, value);
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      // Until the topic's schema id is known: an invalid value fails as such (poison), not as a
      // registry error, so it is written once before the lookup (first records of a topic only).
      let framed: Buffer;
      try {
        framed = encodeFramed(0, value);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return schemaId(topic).then((resolved) => {
        readyIds.set(topic, resolved);
        framed.writeInt32BE(resolved, 1);
        return framed;
      });
    },
  };
}
