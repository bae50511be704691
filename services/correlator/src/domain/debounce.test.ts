import { describe, expect, it } from 'vitest';
import { Debouncer } from './debounce';

describe('Debouncer', () => {
  it('is trailing, bounded by the max delay, and forced ids are due at once', () => {
    const debouncer = new Debouncer(2_000, 5_000);
    debouncer.touch('a', 0);
    debouncer.touch('a', 1_500);
    expect(debouncer.due(3_499)).toEqual([]);
    expect(debouncer.due(3_500)).toEqual(['a']);
    debouncer.touch('a', 4_000);
    expect(debouncer.dueAt('a')).toBe(5_000);
    debouncer.force('b', 10);
    expect(debouncer.due(10)).toEqual(['b']);
    expect(debouncer.nextDueAt()).toBe(Number.NEGATIVE_INFINITY);
  });

  it('transfers pending state on merge', () => {
    const debouncer = new Debouncer(2_000, 10_000);
    debouncer.force('loser', 0);
    debouncer.touch('winner', 100);
    debouncer.transfer('loser', 'winner', 200);
    expect(debouncer.all()).toEqual(['winner']);
    expect(debouncer.due(200)).toEqual(['winner']);
  });
});
