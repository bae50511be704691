import { describe, expect, it } from 'vitest';
import { DecodeError, FatalError, PoisonError, RetriableError, ValidationError, classifyError, errorReason } from './errors';

describe('error classification', () => {
  it('maps classes', () => {
    expect(classifyError(new RetriableError('x'))).toBe('retriable');
    expect(classifyError(new PoisonError('x'))).toBe('poison');
    expect(classifyError(new DecodeError('x'))).toBe('poison');
    expect(classifyError(new ValidationError('x'))).toBe('poison');
    expect(classifyError(new FatalError('x'))).toBe('fatal');
    expect(classifyError(new TypeError('x'))).toBe('retriable');
    expect(classifyError('a string')).toBe('retriable');
  });

  it('keeps the subclass name', () => {
    expect(new ValidationError('bad').name).toBe('ValidationError');
  });

  it('builds bounded single-line reasons', () => {
    expect(errorReason(new PoisonError('line1\nline2\u0000'))).toBe('PoisonError: line1 line2');
    const long = errorReason(new Error('x'.repeat(2000)), 100);
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
  });
});
