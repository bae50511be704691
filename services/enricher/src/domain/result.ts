import type { z } from 'zod';
import { jsonSyntaxErrorOffset, lineOfOffset } from './json-position';

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

/** A problem in a text file, with its 1-based line when it can be known. */
export interface LineError {
  readonly line: number | null;
  readonly message: string;
}

/** The 1-based line of the first syntax error in a JSON text that JSON.parse rejected. */
export function jsonErrorLine(text: string): number | null {
  const offset = jsonSyntaxErrorOffset(text);
  return offset === null ? null : lineOfOffset(text, offset);
}

export type NormalizeErrorKind =
  /** The payload text is not JSON. */
  | 'invalid-json'
  /** Required fields are missing or have the wrong type. */
  | 'invalid-payload'
  /** The payload is well-formed but not something this normalizer handles. */
  | 'unsupported';

/** Why a payload could not become a SecurityEvent. Always poison: a retry cannot fix it. */
export interface NormalizeError {
  readonly kind: NormalizeErrorKind;
  readonly source: string;
  readonly message: string;
  /** One entry per offending field, e.g. `{path: "Severity.Normalized", message: "expected number"}`. */
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

export function payloadError(source: string, zodError: z.ZodError): NormalizeError {
  const issues = zodError.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const summary = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join('; ');
  return { kind: 'invalid-payload', source, message: `invalid ${source} payload: ${summary}`, issues };
}

export function simpleError(kind: NormalizeErrorKind, source: string, message: string, path = '(root)'): NormalizeError {
  return { kind, source, message, issues: [{ path, message }] };
}
