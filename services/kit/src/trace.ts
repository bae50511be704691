import { randomBytes } from 'node:crypto';

/** W3C trace context (https://www.w3.org/TR/trace-context/), carried in the `traceparent` header. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

export interface TraceContext {
  readonly traceId: string;
  /** The span of this processing step; outputs carry it as their parent. */
  readonly spanId: string;
  /** The span that produced the input, when the input carried a valid traceparent. */
  readonly parentSpanId: string | undefined;
  readonly flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string; flags: string } | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (version === 'ff') return undefined;
  // Version 00 has exactly four fields; later versions may append more, which we ignore.
  if (version === '00' && value.trim().length !== 55) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags };
}

// One randomBytes call per record was ~10% of the loop's CPU: draw ids from a pooled buffer instead.
const POOL_SIZE = 8192;
let pool = Buffer.alloc(0);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** Continues the incoming trace with a new span, or starts a new sampled trace. */
export function continueTrace(incomingTraceparent: string | undefined, newSpanId?: () => string): TraceContext {
  const parent = parseTraceparent(incomingTraceparent);
  if (parent) {
    return { traceId: parent.traceId, spanId: newSpanId ? newSpanId() : randomHex(8), parentSpanId: parent.spanId, flags: parent.flags };
  }
  if (newSpanId) return { traceId: randomHex(16), spanId: newSpanId(), parentSpanId: undefined, flags: '01' };
  // A new trace (every record of an untraced input): trace and span id from one draw of the pool.
  const ids = randomHex(24);
  return { traceId: ids.slice(0, 32), spanId: ids.slice(32), parentSpanId: undefined, flags: '01' };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
