import { parseAvro } from './avro';

export type CompatibilityResult = { compatible: true } | { compatible: false; reason: string };

/**
 * Offline BACKWARD check: can a consumer using `readerSchema` (the new schema) read data written
 * with `writerSchema` (the registered one)? avsc builds a resolver exactly when Avro schema
 * resolution allows it: new fields need defaults, removed enum symbols need an enum default,
 * type changes must be promotions (int -> long, ...), names must match (or be aliased).
 */
export function checkBackward(readerSchema: object, writerSchema: object): CompatibilityResult {
  try {
    parseAvro(readerSchema).createResolver(parseAvro(writerSchema));
    return { compatible: true };
  } catch (error: unknown) {
    return { compatible: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** BACKWARD_TRANSITIVE: the new schema reads data of every earlier version. */
export function checkBackwardTransitive(readerSchema: object, writerSchemas: readonly object[]): CompatibilityResult {
  for (const [index, writer] of writerSchemas.entries()) {
    const result = checkBackward(readerSchema, writer);
    if (!result.compatible) return { compatible: false, reason: `version #${index + 1}: ${result.reason}` };
  }
  return { compatible: true };
}
