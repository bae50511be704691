/**
 * Error classes a stage throws to tell the kit how to handle a failed record.
 *
 * - RetriableError: a dependency is briefly unavailable; retry with bounded backoff, then DLQ.
 * - PoisonError: the record itself can never succeed; DLQ at once.
 * - FatalError: the process cannot continue (bad config, broken invariant); stop and exit non-zero.
 *
 * Errors of any other type are treated as retriable (bounded), because an unexpected exception is
 * more often a transient dependency problem than a property of the record.
 */
export type ErrorClass = 'retriable' | 'poison' | 'fatal';

abstract class SeamError extends Error {
  abstract readonly errorClass: ErrorClass;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class RetriableError extends SeamError {
  readonly errorClass = 'retriable' as const;
}

export class PoisonError extends SeamError {
  readonly errorClass = 'poison' as const;
}

export class FatalError extends SeamError {
  readonly errorClass = 'fatal' as const;
}

/** A record that could not be decoded from its bytes. Always poison. */
export class DecodeError extends PoisonError {}

/** A decoded record that does not match its zod validator. Always poison. */
export class ValidationError extends PoisonError {}

/** An output value that its codec could not encode; the input that produced it is poison. */
export class EncodeError extends PoisonError {}

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof SeamError) return error.errorClass;
  return 'retriable';
}

export function isSeamError(error: unknown): error is RetriableError | PoisonError | FatalError {
  return error instanceof SeamError;
}

const MAX_REASON_LENGTH = 512;

/**
 * A short, single-line reason fit for a DLQ header or a log field. Secrets must never be placed in
 * error messages in the first place; this only bounds the size and strips control characters.
 */
export function errorReason(error: unknown, maxLength = MAX_REASON_LENGTH): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // eslint-disable-next-line no-control-regex
  const flat = `${name}: ${message}`.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (flat.length <= maxLength) return flat;
  return `${flat.slice(0, maxLength - 1)}…`;
}
