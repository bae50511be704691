/** The identity directory from a file (CSV / JSON) or an HTTP API (JSON, bearer token), refreshed periodically. */
import { readFileSync } from 'node:fs';
import type { Secret } from '@seam/kit';
import type { Logger } from 'pino';
import { buildIdentityDirectory, emptyDirectory, type IdentityDirectory } from './domain/identity/directory';
import { parseDirectoryCsv, parseDirectoryJson } from './domain/identity/parse';
import type { LineError } from './domain/result';

export interface DirectorySource {
  /** The directory to resolve with, and whether it is the real one (else listed as missing). */
  current(): { readonly directory: IdentityDirectory; readonly available: boolean };
  start(): Promise<void>;
  stop(): void;
}

function describe(errors: readonly LineError[]): string {
  return errors.slice(0, 5).map((e) => JSON.stringify(e)).join('; ');
}

export function parseDirectoryText(text: string, format: 'csv' | 'json', origin: string): IdentityDirectory {
  const parsed = format === 'csv' ? parseDirectoryCsv(text) : parseDirectoryJson(text);
  if (!parsed.ok) throw new Error(`${origin}: invalid directory: ${describe(parsed.error)}`);
  return buildIdentityDirectory(parsed.value).directory;
}

export function fileDirectory(path: string): DirectorySource {
  const directory = parseDirectoryText(readFileSync(path, 'utf8'), path.toLowerCase().endsWith('.csv') ? 'csv' : 'json', path);
  return { current: () => ({ directory, available: true }), start: () => Promise.resolve(), stop: () => undefined };
}

export function staticDirectory(directory: IdentityDirectory = emptyDirectory(), available = true): DirectorySource {
  return { current: () => ({ directory, available }), start: () => Promise.resolve(), stop: () => undefined };
}

export interface HttpDirectoryOptions {
  readonly url: string;
  readonly token: Secret | undefined;
  readonly refreshMs: number;
  readonly timeoutMs: number;
  readonly log: Logger;
}

/**
 * `GET <url>` answering the JSON directory format (an array of entries or `{"entries": [...]}`).
 * A failed refresh keeps the last good directory; until a first load succeeds, identities stay
 * unresolved and the events list `identity-directory` as missing.
 */
export function httpDirectory(options: HttpDirectoryOptions): DirectorySource {
  let directory: IdentityDirectory | null = null;
  let timer: NodeJS.Timeout | undefined;
  const load = async () => {
    try {
      const response = await fetch(options.url, {
        headers: { accept: 'application/json', ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token.reveal()}` }) },
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
      if (!response.ok) throw new Error(`identity directory: HTTP ${response.status}`);
      directory = parseDirectoryText(await response.text(), 'json', 'identity directory');
    } catch (error) {
      options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'identity directory not loaded; keeping the previous one');
    }
  };
  return {
    current: () => (directory === null ? { directory: emptyDirectory(), available: false } : { directory, available: true }),
    start: async () => {
      await load();
      timer = setInterval(() => void load(), options.refreshMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
