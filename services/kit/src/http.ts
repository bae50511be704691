import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { RouteHandler } from './auth';

export type { RouteHandler } from './auth';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly registry: Registry;
  readonly isReady: () => boolean;
  readonly logger: Logger;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body up to `limitBytes` (413 beyond). */
export async function readBody(req: IncomingMessage, limitBytes = 1_048_576): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new HttpError(413, 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and validates a JSON body (400 when it is not JSON or does not match). */
export async function readJsonBody<S extends z.ZodType>(req: IncomingMessage, schema: S, limitBytes?: number): Promise<z.output<S>> {
  const body = await readBody(req, limitBytes);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'body does not match the expected schema');
  return parsed.data;
}

/**
 * The stage's HTTP server: /healthz (alive), /readyz (consuming and producing, not shutting down),
 * /metrics (Prometheus), plus routes a stage adds (webhooks, approvals). Routes that accept data or
 * change state must be wrapped with requireBearer (or an equivalent check) by the stage.
 */
export class HttpServer {
  readonly #routes = new Map<string, Map<HttpMethod, RouteHandler>>();
  readonly #server: Server;
  #closing = false;

  constructor(private readonly options: HttpServerOptions) {
    this.addRoute('GET', '/healthz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    this.addRoute('GET', '/readyz', (_req, res) => {
      const ready = !this.#closing && options.isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(ready ? '{"status":"ready"}' : '{"status":"not ready"}');
    });
    this.addRoute('GET', '/metrics', async (_req, res) => {
      const body = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(body);
    });
    this.#server = createServer((req, res) => {
      void this.#dispatch(req, res);
    });
  }

  addRoute(method: HttpMethod, path: string, handler: RouteHandler): void {
    const methods = this.#routes.get(path) ?? new Map<HttpMethod, RouteHandler>();
    if (methods.has(method)) throw new Error(`route ${method} ${path} already exists`);
    methods.set(method, handler);
    this.#routes.set(path, methods);
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const methods = this.#routes.get(path);
    const handler = methods?.get((req.method ?? 'GET') as HttpMethod);
    try {
      if (!methods) throw new HttpError(404, 'not found');
      if (!handler) {
        res.setHeader('allow', [...methods.keys()].join(', '));
        throw new HttpError(405, 'method not allowed');
      }
      await handler(req, res);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) this.options.logger.error({ err: error, path, method: req.method }, 'HTTP handler failed');
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error instanceof HttpError ? error.message : 'internal error' }));
      } else {
        res.end();
      }
    }
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const port = this.port;
    this.options.logger.info({ port, host: this.options.host }, 'HTTP server listening');
    return port;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Marks not-ready at once; closes the listener. */
  async close(): Promise<void> {
    this.#closing = true;
    if (!this.#server.listening) return;
    this.#server.closeIdleConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  markClosing(): void {
    this.#closing = true;
  }
}
