import type { Secret } from '@seam/kit';

export class ProviderHttpError extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
  ) {
    super(`${provider}: HTTP ${status}`);
    this.name = 'ProviderHttpError';
  }
}

/** Largest provider answer we read (a CMDB or MISP answer for one indicator is small). */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export function basicAuth(username: string, password: Secret): string {
  return `Basic ${Buffer.from(`${username}:${password.reveal()}`).toString('base64')}`;
}

/** A JSON request; errors name the provider and status, never the URL's credentials or the headers. */
export async function fetchJson(provider: string, url: URL, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown; signal: AbortSignal }): Promise<unknown> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: init.signal,
    redirect: 'error',
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProviderHttpError(provider, response.status);
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new Error(`${provider}: answer larger than ${MAX_RESPONSE_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${provider}: answer is not JSON`);
  }
}
