import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

/**
 * The approvals page: a static shell (no data in it; the script fetches with the bearer token) and
 * its script and stylesheet as separate same-origin files, so the Content-Security-Policy can forbid
 * every inline script and style. Nothing is loaded from elsewhere (the consoles run offline).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every approvals response carries (API and page alike). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

function load(file: string, contentType: string): Asset {
  return { body: readFileSync(new URL(`./static/${file}`, import.meta.url)), contentType };
}

export interface PageAssets {
  readonly html: Asset;
  readonly js: Asset;
  readonly css: Asset;
}

/** Read once at registration: the files ship with the service. */
export function loadPageAssets(): PageAssets {
  return {
    html: load('approvals.html', 'text/html; charset=utf-8'),
    js: load('approvals.js', 'text/javascript; charset=utf-8'),
    css: load('approvals.css', 'text/css; charset=utf-8'),
  };
}

export function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-security-policy': PAGE_CSP,
    'content-type': asset.contentType,
    'content-length': String(asset.body.length),
  });
  res.end(asset.body);
}
