import fc from 'fast-check';
import { AvroNames } from './avro-json';

/**
 * A fast-check arbitrary of values the Avro schema accepts (as avsc represents them: longs and
 * timestamps as numbers, bytes as Buffers, every record field present). Doubles exclude NaN and
 * infinities: JSON cannot carry them and the zod validators reject them on purpose.
 */
export function avroArbitrary(avsc: unknown): fc.Arbitrary<unknown> {
  return build(new AvroNames(), avsc, undefined);
}

const longs = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });

function build(names: AvroNames, avsc: unknown, namespace: string | undefined): fc.Arbitrary<unknown> {
  const { node, namespace: ns } = names.node(avsc, namespace);
  switch (node.kind) {
    case 'union':
      return fc.oneof(...node.branches.map((branch) => build(names, branch, ns)));
    case 'record': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const field of node.fields) fields[field.name] = build(names, field.type, ns);
      return fc.record(fields);
    }
    case 'enum':
      return fc.constantFrom(...node.symbols);
    case 'array':
      return fc.array(build(names, node.items, ns), { maxLength: 3 });
    case 'map':
      return fc.dictionary(fc.string({ maxLength: 8 }), build(names, node.values, ns), { maxKeys: 3, noNullPrototype: true });
    case 'primitive':
      switch (node.name) {
        case 'null': return fc.constant(null);
        case 'boolean': return fc.boolean();
        case 'int': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
        // avsc round-trips longs exactly only within ±2^52.
        case 'long': return node.logicalType === 'timestamp-millis' ? fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), longs) : longs;
        case 'float': return fc.float({ noNaN: true, noDefaultInfinity: true });
        case 'double': return fc.double({ noNaN: true, noDefaultInfinity: true });
        case 'bytes': return fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes));
        case 'string': return fc.string({ unit: 'grapheme', maxLength: 12 });
      }
  }
}
