import { z } from 'zod';
import type { SubjectEntry } from './catalogue';

// A small client for the Confluent-compatible schema registry API (Apicurio 3 serves it at
// /apis/ccompat/v7). Plain fetch: registration and compatibility checks need three calls, and
// the error bodies (error_code, message) are reported as they come.

export interface RegistryConfig {
  /** Base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(message: string, readonly status: number, readonly errorCode: number | undefined) {
    super(message);
  }
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const errorBody = z.object({ error_code: z.number().optional(), message: z.string().optional() });
const registerResponse = z.object({ id: z.number().int() });
const compatibilityResponse = z.object({ is_compatible: z.boolean(), messages: z.array(z.string()).optional() });
const versionResponse = z.object({ id: z.number().int(), version: z.number().int(), schema: z.string() });

export type CompatibilityAnswer =
  | { status: 'compatible' }
  | { status: 'incompatible'; messages: string[] }
  | { status: 'new-subject' };

export interface SchemaRegistryClient {
  /** Registers (or finds) the schema under the subject; returns its global id. */
  register(subject: string, schema: object): Promise<number>;
  /** POST /compatibility/subjects/{subject}/versions/latest (after checking the subject exists). */
  checkCompatibility(subject: string, schema: object): Promise<CompatibilityAnswer>;
  latest(subject: string): Promise<{ id: number; version: number; schema: string } | null>;
}

type Fetch = typeof fetch;

export function createRegistryClient(config: RegistryConfig, fetchImpl: Fetch = fetch): SchemaRegistryClient {
  const base = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE };
  if (config.username !== undefined && config.username !== '') {
    const token = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(subject)}`;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetchImpl(`${base}${path}`, init);
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : (JSON.parse(text) as unknown);
    } catch {
      json = { message: text.slice(0, 500) };
    }
    return { status: response.status, json };
  }

  function fail(what: string, status: number, json: unknown): never {
    const parsed = errorBody.safeParse(json);
    const detail = parsed.success ? (parsed.data.message ?? '') : '';
    const code = parsed.success ? parsed.data.error_code : undefined;
    throw new RegistryError(`${what}: HTTP ${status}${code === undefined ? '' : ` (${code})`} ${detail}`.trim(), status, code);
  }

  const schemaBody = (schema: object) => ({ schema: JSON.stringify(schema), schemaType: 'AVRO' });

  return {
    async register(subject, schema) {
      const { status, json } = await call('POST', `${subjectPath(subject)}/versions`, schemaBody(schema));
      if (status !== 200) fail(`register ${subject}`, status, json);
      return registerResponse.parse(json).id;
    },
    async checkCompatibility(subject, schema) {
      // Apicurio answers is_compatible=true for a subject it does not know; ask first.
      if ((await this.latest(subject)) === null) return { status: 'new-subject' };
      const path = `/compatibility${subjectPath(subject)}/versions/latest?verbose=true`;
      const { status, json } = await call('POST', path, schemaBody(schema));
      if (status === 404) return { status: 'new-subject' };
      if (status !== 200) fail(`compatibility ${subject}`, status, json);
      const answer = compatibilityResponse.parse(json);
      return answer.is_compatible ? { status: 'compatible' } : { status: 'incompatible', messages: answer.messages ?? [] };
    },
    async latest(subject) {
      const { status, json } = await call('GET', `${subjectPath(subject)}/versions/latest`);
      if (status === 404) return null;
      if (status !== 200) fail(`latest ${subject}`, status, json);
      return versionResponse.parse(json);
    },
  };
}

export interface RegisteredSubject { subject: string; id: number }

export async function registerAll(client: SchemaRegistryClient, subjects: readonly SubjectEntry[]): Promise<RegisteredSubject[]> {
  const results: RegisteredSubject[] = [];
  for (const entry of subjects) {
    results.push({ subject: entry.subject, id: await client.register(entry.subject, entry.schema.avsc) });
  }
  return results;
}

export interface CheckedSubject { subject: string; answer: CompatibilityAnswer }

export async function checkAll(client: SchemaRegistryClient, subjects: readonly SubjectEntry[]): Promise<CheckedSubject[]> {
  const results: CheckedSubject[] = [];
  for (const entry of subjects) {
    results.push({ subject: entry.subject, answer: await client.checkCompatibility(entry.subject, entry.schema.avsc) });
  }
  return results;
}
