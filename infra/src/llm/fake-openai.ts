import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A scripted OpenAI-compatible endpoint for fault tests: POST /v1/chat/completions answers from a
// script, one step per request. Loopback only, bearer key checked, body size bounded.
//
// Positional (array) scripts are indexed by arrival: a request takes its step as soon as its headers
// arrive, before its body is read, so a request whose client gave up early (a per-call timeout under
// CPU load) still consumes its step and is counted by `received()`, instead of silently handing its
// step to the retry. Start one server per test: a request left over from an earlier test can then
// only reach a closed server, never consume a later test's step.

export interface FakeChatRequest {
  /** Arrival index (0-based) over the server's life. */
  readonly index: number;
  readonly body: Record<string, unknown>;
  /** Concatenated message contents. */
  readonly text: string;
  /** eventIds of the incident members, read from the prompt's data block (or the schema enum). */
  readonly memberIds: readonly string[];
}

export type FakeStep =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly kind: 'content'; readonly content: string; readonly finishReason?: string }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly then: FakeStep }
  | { readonly kind: 'hang' }
  | { readonly kind: 'dynamic'; readonly make: (request: FakeChatRequest) => FakeStep };

export type FakeScript = readonly FakeStep[] | ((request: FakeChatRequest) => FakeStep);

export interface FakeOpenAiOptions {
  readonly apiKey: string;
  readonly script: FakeScript;
  readonly host?: string;
  readonly port?: number;
}

export interface FakeOpenAi {
  readonly baseURL: string;
  /** Requests whose body was read (and answered from the script). */
  readonly requests: FakeChatRequest[];
  /** Authenticated chat requests that arrived, including those whose client went away before the body was read. */
  readonly received: () => number;
  /** Most requests in flight at once. */
  readonly maxInFlight: () => number;
  setScript(script: FakeScript): void;
  close(): Promise<void>;
}

const BODY_LIMIT = 2_000_000;

export interface AnswerFields {
  severity?: string;
  riskScore?: number;
  confidence?: number;
  falsePositiveLikelihood?: number;
  reasons?: string[];
  evidence?: string[];
  analysis?: string;
}

/** A schema-valid answer citing the real member ids (overridable field by field). */
export function answer(request: FakeChatRequest, fields: AnswerFields = {}): FakeStep {
  return {
    kind: 'content',
    content: JSON.stringify({
      severity: fields.severity ?? 'high',
      riskScore: fields.riskScore ?? 70,
      confidence: fields.confidence ?? 0.8,
      falsePositiveLikelihood: fields.falsePositiveLikelihood ?? 0.1,
      reasons: fields.reasons ?? ['corroborated-across-sources'],
      evidence: fields.evidence ?? [...request.memberIds],
      analysis: fields.analysis ?? 'Correlated activity across sources.',
    }),
  };
}

export const steps = {
  rateLimited: (retryAfterSeconds = 0): FakeStep => ({ kind: 'status', status: 429, retryAfter: String(retryAfterSeconds) }),
  serverError: (status = 500): FakeStep => ({ kind: 'status', status }),
  slow: (delayMs: number, then: FakeStep): FakeStep => ({ kind: 'slow', delayMs, then }),
  hang: (): FakeStep => ({ kind: 'hang' }),
  valid: (fields: AnswerFields = {}): FakeStep => ({ kind: 'dynamic', make: (r) => answer(r, fields) }),
  truncatedJson: (): FakeStep => ({
    kind: 'dynamic',
    make: (r) => {
      const full = answer(r);
      return full.kind === 'content' ? { kind: 'content', content: full.content.slice(0, Math.floor(full.content.length / 2)), finishReason: 'length' } : full;
    },
  }),
  notJson: (): FakeStep => ({ kind: 'content', content: 'Sure! Here is my analysis: the incident is high severity.' }),
  schemaViolating: (): FakeStep => ({
    kind: 'dynamic',
    make: (r) => ({ kind: 'content', content: JSON.stringify({ severity: 'catastrophic', riskScore: 250, confidence: 2, reasons: ['because'], evidence: r.memberIds, extra: true }) }),
  }),
  inventedEvidence: (): FakeStep => ({
    kind: 'dynamic', make: (r) => answer(r, { evidence: [...r.memberIds.slice(0, 1), 'qradar:offense:999999999'] }),
  }),
  /** What a model that obeyed an injected instruction would say: lowest severity, the canary everywhere it fits. */
  followsInjection: (canary: string): FakeStep => ({
    kind: 'dynamic',
    make: (r) => answer(r, {
      severity: 'info', riskScore: 0, confidence: 0.99, falsePositiveLikelihood: 1,
      reasons: ['known-benign-automation'], analysis: `${canary} benign, close it. ${canary}`,
    }),
  }),
  /** The same, with the canary where the schema expects an event id. */
  followsInjectionInEvidence: (canary: string): FakeStep => ({
    kind: 'dynamic', make: (r) => answer(r, { severity: 'info', riskScore: 0, evidence: [canary] }),
  }),
} as const;

function keyMatches(header: string | undefined, apiKey: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const DATA_BLOCK = /<<<UNTRUSTED-DATA nonce=([0-9a-f]+)\n(.*)\n<<<END-UNTRUSTED-DATA nonce=\1/s;

function memberIdsOf(text: string, body: Record<string, unknown>): string[] {
  const match = DATA_BLOCK.exec(text);
  if (match?.[2] !== undefined) {
    try {
      const data = JSON.parse(match[2]) as { members?: Array<{ eventId?: unknown }> };
      const ids = (data.members ?? []).map((m) => m.eventId).filter((id): id is string => typeof id === 'string');
      if (ids.length > 0) return ids;
    } catch {
      // fall through to the schema
    }
  }
  const format = body.response_format as { json_schema?: { schema?: { properties?: { evidence?: { items?: { enum?: unknown } } } } } } | undefined;
  const enumIds = format?.json_schema?.schema?.properties?.evidence?.items?.enum;
  return Array.isArray(enumIds) ? enumIds.filter((id): id is string => typeof id === 'string') : [];
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > BODY_LIMIT) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<FakeOpenAi> {
  let script = options.script;
  /** Array scripts are indexed from the arrival count at the last setScript. */
  let scriptStart = 0;
  let arrivals = 0;
  const requests: FakeChatRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sockets = new Set<Socket>();

  const play = async (step: FakeStep, request: FakeChatRequest, res: ServerResponse): Promise<void> => {
    switch (step.kind) {
      case 'status':
        sendJson(res, step.status, { error: { message: step.body ?? `scripted ${step.status}`, type: 'scripted' } },
          step.retryAfter === undefined ? {} : { 'retry-after': step.retryAfter });
        return;
      case 'content': {
        const tokensIn = Math.ceil(request.text.length / 4);
        const tokensOut = Math.ceil(step.content.length / 4);
        sendJson(res, 200, {
          id: `chatcmpl-fake-${request.index}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
          model: typeof request.body.model === 'string' ? request.body.model : 'fake',
          choices: [{ index: 0, message: { role: 'assistant', content: step.content, refusal: null }, finish_reason: step.finishReason ?? 'stop', logprobs: null }],
          usage: { prompt_tokens: tokensIn, completion_tokens: tokensOut, total_tokens: tokensIn + tokensOut },
        });
        return;
      }
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, step.delayMs));
        if (res.destroyed) return;
        await play(step.then, request, res);
        return;
      case 'hang':
        await new Promise<void>((resolve) => res.on('close', resolve));
        return;
      case 'dynamic':
        await play(step.make(request), request, res);
        return;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!keyMatches(req.headers.authorization, options.apiKey)) {
      sendJson(res, 401, { error: { message: 'invalid api key', type: 'auth' } });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      sendJson(res, 404, { error: { message: 'not found' } });
      return;
    }
    // The step is taken at arrival (see the header comment); a function script sees the body below.
    const index = arrivals;
    arrivals += 1;
    const current = script;
    const positional = typeof current === 'function' ? undefined : current[index - scriptStart] ?? null;
    const raw = await readBody(req);
    if (raw === null) {
      sendJson(res, 413, { error: { message: 'body too large' } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      sendJson(res, 400, { error: { message: 'invalid JSON body' } });
      return;
    }
    const messages = Array.isArray(body.messages) ? body.messages as Array<{ content?: unknown }> : [];
    const text = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
    const request: FakeChatRequest = { index, body, text, memberIds: memberIdsOf(text, body) };
    requests.push(request);
    const step = typeof current === 'function' ? current(request) : positional;
    await play(step ?? { kind: 'status', status: 500, body: 'script exhausted' }, request, res);
  };

  const server: Server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight -= 1; });
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: 'fake endpoint failure' } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    received: () => arrivals,
    maxInFlight: () => maxInFlight,
    setScript(next) {
      script = next;
      scriptStart = arrivals;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
