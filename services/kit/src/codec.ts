import { DecodeError } from './errors';

/**
 * A codec turns a topic's bytes into a value and back. Decoding yields `unknown`: every input is
 * validated by the stage's zod schema before the handler sees it.
 */
export interface Codec<T> {
  readonly name: string;
  decode(bytes: Buffer, topic: string): unknown;
  encode(value: T, topic: string): Buffer | Promise<Buffer>;
}

/** JSON (UTF-8) for topics that are not Avro. */
export function jsonCodec<T>(): Codec<T> {
  return {
    name: 'json',
    decode: (bytes) => {
      try {
        return JSON.parse(bytes.toString('utf8')) as unknown;
      } catch {
        // Node's message quotes the input; the payload may be sensitive, so it is not repeated.
        throw new DecodeError(`invalid JSON (${bytes.length} bytes)`);
      }
    },
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
  };
}

/** Bytes as they are: for pass-through stages and benchmarks. */
export function bytesCodec(): Codec<Buffer> {
  return {
    name: 'bytes',
    decode: (bytes) => bytes,
    encode: (value) => value,
  };
}

export function stringCodec(): Codec<string> {
  return {
    name: 'string',
    decode: (bytes) => bytes.toString('utf8'),
    encode: (value) => Buffer.from(value, 'utf8'),
  };
}
