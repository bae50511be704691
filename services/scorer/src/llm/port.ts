import type { ChatMessage } from './prompt';

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly schemaName: string;
  readonly schema: Record<string, unknown>;
  readonly maxTokens: number;
  readonly signal: AbortSignal;
}

export interface ChatResponse {
  readonly content: string | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly finishReason: string | null;
}

export type ChatErrorKind = 'rate_limited' | 'server_error' | 'timeout' | 'client_error' | 'network';

/** A failed call, classified; the message never carries the API key or the prompt. */
export class ChatError extends Error {
  constructor(
    readonly kind: ChatErrorKind,
    message: string,
    readonly status: number | null = null,
    /** From Retry-After / retry-after-ms, when the server sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  get retriable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server_error' || this.kind === 'network';
  }
}

/** An OpenAI-compatible chat completion endpoint with JSON-schema structured output. */
export interface ChatModel {
  readonly name: string;
  complete(request: ChatRequest): Promise<ChatResponse>;
}
