import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value that never serializes: JSON.stringify, String(), template literals, util.inspect
 * and pino all see "[REDACTED]". Call reveal() only where the value is handed to a client library.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}
