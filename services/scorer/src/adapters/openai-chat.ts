import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ChatError, type ChatModel, type ChatRequest, type ChatResponse } from '../llm/port';

export interface OpenAiChatOptions {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8088/v1 */
  readonly baseURL: string;
  readonly model: string;
  /** Unwrapped only here; never logged. */
  readonly apiKey: string;
  /** Backstop per call (default 10 min); the refiner passes a tighter AbortSignal. */
  readonly timeoutMs?: number;
  /** Sampling temperature; default 0 (as deterministic as the server allows). */
  readonly temperature?: number;
}

/** Seconds (Retry-After), an HTTP date, or retry-after-ms; null when absent or unparsable. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms !== null && ms !== undefined && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers?.get('retry-after');
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Classifies whatever the SDK threw; the message is built from the status only, never the body or key. */
export function classify(error: unknown, signal: AbortSignal): ChatError {
  if (error instanceof ChatError) return error;
  if (error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError || signal.aborted) {
    return new ChatError('timeout', 'model call timed out or was aborted');
  }
  if (error instanceof APIError) {
    // instanceof narrows to APIError<any, ...>; pin the declared field types.
    const status: number | null = (error.status as number | undefined) ?? null;
    const headers = error.headers as Headers | undefined;
    if (status === 429) return new ChatError('rate_limited', 'model endpoint answered 429', 429, retryAfterMs(headers));
    if (status !== null && status >= 500) return new ChatError('server_error', `model endpoint answered ${status}`, status, retryAfterMs(headers));
    if (status !== null) return new ChatError('client_error', `model endpoint answered ${status}`, status);
    return new ChatError('network', 'model endpoint unreachable');
  }
  return new ChatError('network', 'model call failed');
}

/** The `ChatModel` port over the official `openai` client, retries disabled (the refiner owns them). */
export function createOpenAiChat(options: OpenAiChatOptions): ChatModel {
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    maxRetries: 0,
    // The refiner bounds each call with its own AbortSignal; this is only a backstop.
    timeout: options.timeoutMs ?? 600_000,
  });
  return {
    name: options.model,
    async complete(request: ChatRequest): Promise<ChatResponse> {
      try {
        const completion = await client.chat.completions.create(
          {
            model: options.model,
            messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
            max_tokens: request.maxTokens,
            temperature: options.temperature ?? 0,
            response_format: {
              type: 'json_schema',
              json_schema: { name: request.schemaName, strict: true, schema: request.schema },
            },
          },
          { signal: request.signal },
        );
        const choice = completion.choices[0];
        return {
          content: choice?.message.content ?? null,
          tokensIn: completion.usage?.prompt_tokens ?? 0,
          tokensOut: completion.usage?.completion_tokens ?? 0,
          finishReason: choice?.finish_reason ?? null,
        };
      } catch (error) {
        throw classify(error, request.signal);
      }
    },
  };
}
