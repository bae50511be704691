import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { InMemoryBroker, InMemoryProducer, createLogger, jsonCodec } from '@seam/kit';
import type { FindingRaw } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { asffReference } from '../test/fixtures';
import { SecurityHubPoller, isRetriableAwsError } from './securityhub-poller';
import { RawSink } from './sink';
import type { WatermarkState, WatermarkStore } from './watermark-store';

class MemoryStore implements WatermarkStore {
  state: WatermarkState = { watermarkMs: null, seen: new Set() };
  saves = 0;
  load(): Promise<WatermarkState> {
    return Promise.resolve(this.state);
  }
  save(state: WatermarkState): Promise<void> {
    this.saves += 1;
    this.state = state;
    return Promise.resolve();
  }
}

const finding = (i: number, ms: number) => ({ ...asffReference(), Id: `f-${i}`, UpdatedAt: new Date(ms).toISOString() });
const throttle = () => Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });

function setup(pages: unknown[][], failures: Error[] = []) {
  const broker = new InMemoryBroker();
  const producer = new InMemoryProducer(broker);
  void producer.connect();
  const sink = new RawSink({ producer, codec: jsonCodec<FindingRaw>(), topic: 't', dlqTopic: 't.dlq', stage: 's' });
  const inputs: Record<string, unknown>[] = [];
  const client = {
    send: (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input);
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      const token = command.input['NextToken'];
      const index = typeof token === 'string' ? Number(token) : 0;
      return Promise.resolve({ Findings: pages[index] ?? [], ...(index + 1 < pages.length ? { NextToken: String(index + 1) } : {}) });
    },
  } as unknown as SecurityHubClient;
  const store = new MemoryStore();
  const sleeps: number[] = [];
  const poller = new SecurityHubPoller({
    client,
    sink,
    store,
    logger: createLogger({ service: 't', level: 'silent' }),
    backoff: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0 },
    intervalMs: 1000,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return { producer, store, poller, inputs, sleeps };
}

describe('SecurityHubPoller (in memory)', () => {
  it('follows NextToken, saves the watermark after each produced page, filters from it next time', async () => {
    const { producer, store, poller, inputs } = setup([[finding(1, 1000), finding(2, 2000)], [finding(3, 2000)]]);
    expect(await poller.pollOnce()).toMatchObject({ pages: 2, produced: 3 });
    expect(store.saves).toBe(2);
    expect(store.state.watermarkMs).toBe(2000);
    expect([...store.state.seen].sort()).toEqual(['f-2', 'f-3']);
    expect(inputs[1]).toMatchObject({ NextToken: '1', MaxResults: 100 });
    expect(inputs[0]?.['Filters']).toEqual({});
    // Same findings again (a source ignoring the filter): nothing re-produced, filter from the watermark.
    expect(await poller.pollOnce()).toMatchObject({ produced: 0 });
    expect(inputs[2]).toMatchObject({ Filters: { UpdatedAt: [{ Start: new Date(2000).toISOString() }] }, SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' }] });
    expect(producer.sent.flat().flatMap((t) => t.messages.map((m) => m.key))).toEqual(['f-1', 'f-2', 'f-3']);
  });

  it('backs off on throttling and retries the same page; gives up on a 4xx', async () => {
    const { poller, sleeps, inputs } = setup([[finding(1, 1000)]], [throttle(), throttle()]);
    expect(await poller.pollOnce()).toMatchObject({ produced: 1, retries: 2 });
    expect(sleeps).toEqual([100, 200]);
    expect(inputs).toHaveLength(3);
    const bad = Object.assign(new Error('bad filter'), { name: 'InvalidInputException', $metadata: { httpStatusCode: 400 } });
    const second = setup([[finding(1, 1000)]], [bad]);
    await expect(second.poller.pollOnce()).rejects.toThrow(/bad filter/);
    expect(second.store.saves).toBe(0);
  });

  it('does not save the watermark when the produce fails', async () => {
    const { producer, store, poller } = setup([[finding(1, 1000)]]);
    producer.failNextSends = 1;
    await expect(poller.pollOnce()).rejects.toThrow(/simulated/);
    expect(store.saves).toBe(0);
  });

  it('classifies AWS errors', () => {
    expect(isRetriableAwsError(throttle())).toBe(true);
    expect(isRetriableAwsError(Object.assign(new Error('x'), { name: 'InternalException', $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isRetriableAwsError(Object.assign(new Error('x'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }))).toBe(false);
    expect(isRetriableAwsError(Object.assign(new Error('socket hang up'), { name: 'Error' }))).toBe(true);
  });
});
