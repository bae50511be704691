/**
 * The action store on real Redis: a new action and its indexes are written together, once, even
 * when several actuator processes (own connections) create the same id at the same moment; the
 * unsent list keeps one entry per (action, sequence).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisActionStore } from '../src/adapters/redis-store';
import { transition, type StoredAction } from '../src/domain/action';
import { T0 } from './fixtures';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const connections = Array.from({ length: 3 }, () => new Redis(url, { maxRetriesPerRequest: 3 }));
const prefix = `t-store-${randomUUID().slice(0, 8)}:`;
const stores = connections.map((redis) => new RedisActionStore({ redis, prefix }));

afterAll(async () => {
  await stores[0]?.purge();
  for (const c of connections) await c.quit();
});

const proposal = (actionId: string): StoredAction => transition({
  actionId, kind: 'ssm.automation', target: 'i-0abc1234def567890', parameters: { Action: 'Contain' },
  status: 'proposed', sequence: 0, policyRule: 'ssm.automation.phase=assist', actor: 'system', at: T0, proposedAt: T0, expiresAt: T0 + 60_000,
  approvalsRequired: 1, approverRole: 'approver', approvals: [], editable: [],
  verdict: { incidentId: 'inc-store', incidentVersion: 1, verdictVersion: 1, severity: 'high', riskScore: 70, confidence: 0.8, summary: 's', rationale: 'r' },
  evidence: [], history: [],
}, 'proposed', { actor: 'system', at: T0 });

describe('RedisActionStore', () => {
  it('creates an action once across concurrent processes, with its indexes', async () => {
    for (let round = 0; round < 20; round++) {
      const id = `race-${round}`;
      const created = await Promise.all(stores.map((store) => store.create(proposal(id))));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect((await stores[1]?.get(id))?.status).toBe('proposed');
      expect(await stores[2]?.expiredPendingIds(T0 + 60_000, 1_000)).toContain(id);
      expect(await stores[0]?.pendingIdsOfIncident('inc-store')).toContain(id);
    }
    const listed = (await stores[0]?.list(1_000))?.map((a) => a.actionId) ?? [];
    expect(listed.filter((id) => id.startsWith('race-'))).toHaveLength(20);
  });

  it('lists each changed state unsent until it is marked sent, one entry per sequence', async () => {
    const store = stores[0] as RedisActionStore;
    await store.create(proposal('out-1'));
    const approved = await store.update('out-1', (a) => transition(a, 'approved', { actor: 'bearer:alice', at: T0 + 10 }), { outbox: true });
    const executing = await store.update('out-1', (a) => transition(a, 'executing', { actor: 'system', at: T0 + 20 }), { outbox: true });
    expect(await store.unsent(T0 + 20)).toEqual([{ actionId: 'out-1', sequence: 2 }, { actionId: 'out-1', sequence: 3 }]);
    // Marking the earlier state sent does not hide the later one.
    await store.sent([approved?.after as StoredAction]);
    expect(await store.unsent(T0 + 20)).toEqual([{ actionId: 'out-1', sequence: 3 }]);
    expect(await store.executingIds(T0 + 20)).toEqual(['out-1']);
    await store.sent([executing?.after as StoredAction]);
    expect(await store.unsent(T0 + 20)).toEqual([]);
    // A change that keeps the sequence (a partial approval) lists nothing.
    await store.update('out-1', (a) => ({ ...a, approvals: ['bearer:bob'] }), { outbox: true });
    expect(await store.unsent(T0 + 1_000)).toEqual([]);
  });
});
