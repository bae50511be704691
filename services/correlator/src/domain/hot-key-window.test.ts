import { describe, expect, it } from 'vitest';
import { HotKeyWindow } from './hot-key-window';

describe('HotKeyWindow', () => {
  it('reports a key as new only on its first hot decision', () => {
    const window = new HotKeyWindow(1_000);
    expect(window.add('ip:public:203.0.113.9', 100)).toBe(true);
    expect(window.add('ip:public:203.0.113.9', 200)).toBe(false);
    expect(window.add('ip:corp:10.0.0.1', 150)).toBe(true);
    expect(window.size).toBe(2);
  });

  it('retires a key once the watermark passes its latest hot decision by more than the hold', () => {
    const window = new HotKeyWindow(1_000);
    window.add('a', 100);
    window.add('b', 100);
    window.add('a', 600); // a stays hot longer
    window.retire(1_100); // exactly 100 + 1,000: still held
    expect(window.size).toBe(2);
    window.retire(1_101);
    expect([window.has('a'), window.has('b')]).toEqual([true, false]);
    window.retire(1_601);
    expect(window.size).toBe(0);
    // hot again after it was retired: new again (another log line)
    expect(window.add('a', 2_000)).toBe(true);
  });

  it('an earlier decision arriving later does not shorten the hold', () => {
    const window = new HotKeyWindow(1_000);
    window.add('a', 500);
    window.add('a', 100);
    window.retire(1_200);
    expect(window.has('a')).toBe(true);
  });

  it('keeps at most `capacity` keys, dropping the least recently hot', () => {
    const window = new HotKeyWindow(1_000, 2);
    window.add('a', 1);
    window.add('b', 2);
    window.add('a', 3); // a is now the most recent
    expect(window.add('c', 4)).toBe(true);
    expect([window.has('a'), window.has('b'), window.has('c')]).toEqual([true, false, true]);
  });

  it('rejects a negative hold or an empty capacity', () => {
    expect(() => new HotKeyWindow(-1)).toThrow(RangeError);
    expect(() => new HotKeyWindow(1, 0)).toThrow(RangeError);
  });
});
