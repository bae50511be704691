import { describe, expect, it } from 'vitest';
import { hashTag, MANY_SUFFIX, ScriptBatcher } from '../src/adapters/script-batch';

/** A fake sender: records every call and answers `Many` calls with one reply per invocation. */
const recorder = (answer?: (name: string, keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>) => {
  const calls: Array<{ name: string; keys: readonly string[]; args: ReadonlyArray<string | number> }> = [];
  const send = (name: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> => {
    calls.push({ name, keys, args });
    if (answer !== undefined) return answer(name, keys, args);
    if (!name.endsWith(MANY_SUFFIX)) return Promise.resolve(`one:${keys[0] ?? ''}`);
    const stride = Number(args[0]);
    return Promise.resolve(Array.from({ length: (args.length - 1) / Math.max(1, stride) }, (_, i) => `many:${String(args[1 + i * stride])}`));
  };
  return { calls, send };
};

describe('script batcher', () => {
  it('sends the invocations of one tick as one call per script and argument count, replies in order', async () => {
    const { calls, send } = recorder();
    const batcher = new ScriptBatcher({ send, perSlot: false });
    const replies = await Promise.all([
      batcher.call('a', ['k:{1}'], ['x1', 1]),
      batcher.call('b', ['k:{2}'], ['y1']),
      batcher.call('a', ['k:{3}'], ['x2', 2]),
      batcher.call('a', ['k:{4}'], ['x3']),
    ]);
    expect(replies).toEqual(['many:x1', 'one:k:{2}', 'many:x2', 'one:k:{4}']);
    expect(calls).toEqual([
      { name: `a${MANY_SUFFIX}`, keys: ['k:{1}', 'k:{3}'], args: [2, 'x1', 1, 'x2', 2] },
      { name: 'b', keys: ['k:{2}'], args: ['y1'] },
      { name: 'a', keys: ['k:{4}'], args: ['x3'] },
    ]);
    expect([batcher.calls, batcher.invocations]).toEqual([3, 4]);
  });

  it('on a cluster groups per hash tag (one slot per call)', async () => {
    const { calls, send } = recorder();
    const batcher = new ScriptBatcher({ send, perSlot: true });
    await Promise.all([
      batcher.call('a', ['e:{x}', 'r:{x}:i'], ['1']),
      batcher.call('a', ['e:{y}', 'r:{y}:i'], ['2']),
      batcher.call('a', ['e:{x}', 'r:{x}:i'], ['3']),
    ]);
    expect(calls.map((call) => [call.name, call.keys])).toEqual([
      [`a${MANY_SUFFIX}`, ['e:{x}', 'r:{x}:i', 'e:{x}', 'r:{x}:i']],
      ['a', ['e:{y}', 'r:{y}:i']],
    ]);
  });

  it('cuts a large group into calls of at most maxPerCall invocations', async () => {
    const { calls, send } = recorder();
    const batcher = new ScriptBatcher({ send, perSlot: false, maxPerCall: 4 });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.call('a', [`k${i}`], [`v${i}`])));
    expect(replies).toEqual(Array.from({ length: 10 }, (_, i) => `many:v${i}`));
    expect(calls.map((call) => call.keys.length)).toEqual([4, 4, 2]);
  });

  it('invocations of later ticks go in later calls', async () => {
    const { calls, send } = recorder();
    const batcher = new ScriptBatcher({ send, perSlot: false });
    await batcher.call('a', ['k1'], ['v1']);
    await batcher.call('a', ['k2'], ['v2']);
    expect(calls.map((call) => call.name)).toEqual(['a', 'a']);
  });

  it('a failed call rejects every invocation it carried, and only those', async () => {
    const { send } = recorder((name) => (name === `a${MANY_SUFFIX}` ? Promise.reject(new Error('BUSY script')) : Promise.resolve('fine')));
    const batcher = new ScriptBatcher({ send, perSlot: false });
    const results = await Promise.allSettled([batcher.call('a', ['k1'], ['1']), batcher.call('a', ['k2'], ['2']), batcher.call('b', ['k3'], ['3'])]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain('BUSY script');
  });

  it('a batched reply shorter than the invocations rejects the ones without a reply', async () => {
    const { send } = recorder(() => Promise.resolve(['only one']));
    const batcher = new ScriptBatcher({ send, perSlot: false });
    const results = await Promise.allSettled([batcher.call('a', ['k1'], ['1']), batcher.call('a', ['k2'], ['2'])]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'only one' });
    expect(results[1]?.status).toBe('rejected');
  });

  it('hash tags follow the Redis Cluster rule', () => {
    expect(hashTag('p:e:{ev-1}')).toBe('ev-1');
    expect(hashTag('p:k:{ip:1.2.3.4}:t')).toBe('ip:1.2.3.4');
    expect(hashTag('p:{}x{y}')).toBe('p:{}x{y}'); // an empty first tag: the whole key
    expect(hashTag('plain')).toBe('plain');
    expect(hashTag('a{b')).toBe('a{b');
  });
});
