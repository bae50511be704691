import { describe, expect, it } from 'vitest';
import { continueTrace, formatTraceparent, parseTraceparent } from './trace';

const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  it('parses a valid traceparent', () => {
    expect(parseTraceparent(valid)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
  });

  it.each([
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
  ])('rejects %s', (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('continues an incoming trace with a new span', () => {
    const trace = continueTrace(valid, () => 'aaaaaaaaaaaaaaaa');
    expect(trace.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(trace.parentSpanId).toBe('00f067aa0ba902b7');
    expect(formatTraceparent(trace)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-aaaaaaaaaaaaaaaa-01');
  });

  it('starts a new trace when absent or invalid', () => {
    const trace = continueTrace(undefined);
    expect(parseTraceparent(formatTraceparent(trace))).toBeDefined();
    expect(trace.parentSpanId).toBeUndefined();
    expect(continueTrace('bad').traceId).not.toBe(continueTrace('bad').traceId);
  });
});
