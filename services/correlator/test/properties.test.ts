import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CorrelationEngine,
  DeterministicUnionFind,
  referencePartition,
  type CorrelationConfigInput,
  type CorrelationEvent,
  type IncidentVersion,
} from '../src/domain/index';
import { compacted, ManualClock, MINUTE, partitionOf, T0 } from './fixtures';

const GRACE = 5 * MINUTE;

const baseConfig = (lookahead: number, k: number): CorrelationConfigInput => ({
  windowMs: { ip: 30 * MINUTE, identity: 45 * MINUTE },
  graceMs: GRACE,
  hotKeyDistinctIdentities: k,
  hotKeyLookaheadMs: lookahead,
  scannerAllowList: ['192.0.2.0/24'],
});

const ipArb = fc.record({
  address: fc.constantFrom('203.0.113.1', '203.0.113.2', '10.0.0.1', '10.0.0.2', '192.0.2.9', '127.0.0.1'),
  role: fc.constantFrom('actor' as const, 'target' as const),
  namespace: fc.constantFrom('corp', 'vpc-a'),
});

const eventArb = (index: number) =>
  fc
    .record({
      minute: fc.integer({ min: 0, max: 180 }),
      second: fc.constantFrom(0, 0, 0, 1, 59),
      source: fc.constantFrom('qradar' as const, 'cloudtrail' as const, 'guardduty' as const, 'securityhub' as const),
      ips: fc.array(ipArb, { maxLength: 2 }),
      ids: fc.uniqueArray(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'AWSServiceRoleForConfig'), { maxLength: 2 }),
      severity: fc.integer({ min: 0, max: 100 }),
      tactics: fc.uniqueArray(fc.constantFrom('TA0001', 'TA0006', 'TA0008'), { maxLength: 2 }),
    })
    .map(
      (parts): CorrelationEvent => ({
        eventId: `ev-${String(index).padStart(2, '0')}`,
        source: parts.source,
        observedAt: T0 + parts.minute * MINUTE + parts.second * 1000,
        title: `event ${index}`,
        sourceSeverity: parts.severity,
        tactics: parts.tactics,
        ips: parts.ips.map((ip) => ({
          address: ip.address,
          role: ip.role,
          scope: ip.address.startsWith('10.') ? ('private' as const) : ('public' as const),
          namespace: ip.namespace,
        })),
        identities: parts.ids.map((canonical) => ({ canonical, kind: 'ad' as const })),
      }),
    );

const eventsArb = fc.integer({ min: 1, max: 22 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => eventArb(i))));

/** An arrival order in which no event is more than G behind the newest one seen: sort by t + jitter, jitter ∈ [0, G]. */
const arrivalOrder = (events: readonly CorrelationEvent[], jitters: readonly number[]): CorrelationEvent[] =>
  events
    .map((event, i) => ({ event, key: event.observedAt + Math.min(jitters[i % jitters.length] ?? 0, GRACE) }))
    .sort((a, b) => a.key - b.key)
    .map(({ event }) => event);

const jittersArb = fc.array(fc.integer({ min: 0, max: GRACE }), { minLength: 1, maxLength: 30 });

interface Run {
  readonly versions: IncidentVersion[];
  readonly lateCount: number;
}

const run = (arrivals: readonly CorrelationEvent[], config: CorrelationConfigInput, tickEvery = 3): Run => {
  const clock = new ManualClock();
  const engine = new CorrelationEngine(config, clock);
  const versions: IncidentVersion[] = [];
  let lateCount = 0;
  arrivals.forEach((event, i) => {
    if (engine.ingest(event).status === 'late') lateCount += 1;
    clock.advance(700);
    if (i % tickEvery === 0) versions.push(...engine.tick());
  });
  engine.flush();
  versions.push(...engine.drain());
  return { versions, lateCount };
};

/** Final content per surviving incident, without what legitimately depends on history (version, absorbed). */
const finalContent = (versions: readonly IncidentVersion[]) =>
  new Map([...compacted(versions)].map(([id, { version: _v, absorbed: _a, ...rest }]) => [id, rest]));

const configArb = fc.record({ lookahead: fc.constantFrom(0, 30 * MINUTE), k: fc.integer({ min: 1, max: 3 }) });

describe('determinism (fast-check)', () => {
  it('any arrival order within the grace gives the reference partition, the same ids and the same final versions', () => {
    fc.assert(
      fc.property(eventsArb, jittersArb, jittersArb, configArb, fc.integer({ min: 1, max: 4 }), (events, j1, j2, c, tickEvery) => {
        const config = baseConfig(c.lookahead, c.k);
        const first = run(arrivalOrder(events, j1), config, tickEvery);
        const second = run(arrivalOrder(events, j2), config, 1);
        expect(first.lateCount).toBe(0);
        expect(second.lateCount).toBe(0);
        expect(partitionOf(first.versions)).toEqual(referencePartition(events, config));
        expect(finalContent(second.versions)).toEqual(finalContent(first.versions));
        for (const version of compacted(first.versions).values()) {
          expect(version.status).toBe('settled');
          expect(version.links).toHaveLength(version.members.length - 1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('delivering every event twice changes nothing', () => {
    fc.assert(
      fc.property(eventsArb, jittersArb, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), configArb, (events, jitters, spots, c) => {
        const config = baseConfig(c.lookahead, c.k);
        const once = arrivalOrder(events, jitters);
        const twice = [...once];
        once.forEach((event, i) => {
          const original = twice.indexOf(event);
          const spot = original + 1 + ((spots[i % spots.length] ?? 0) % (twice.length - original));
          twice.splice(spot, 0, structuredClone(event));
        });
        expect(finalContent(run(twice, config).versions)).toEqual(finalContent(run(once, config).versions));
      }),
      { numRuns: 150 },
    );
  });

  it('every mergedInto chain ends at a surviving incident, and merged-away ids never come back', () => {
    fc.assert(
      fc.property(eventsArb, jittersArb, (events, jitters) => {
        const { versions } = run(arrivalOrder(events, jitters), baseConfig(0, 2), 1);
        const survivors = compacted(versions);
        const last = new Map(versions.map((version) => [version.incidentId, version]));
        for (const version of versions) {
          let cursor: string | null = version.mergedInto;
          for (let hops = 0; cursor !== null && !survivors.has(cursor); hops += 1) {
            expect(hops).toBeLessThan(50);
            cursor = last.get(cursor)?.mergedInto ?? null;
          }
          if (version.mergedInto !== null) {
            expect(versions.filter((v) => v.incidentId === version.incidentId && v.version > version.version)).toEqual([]);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('union-find merges are commutative and idempotent', () => {
  it('any order and any repetition of the same unions gives the same partition and the same roots (the minimum)', () => {
    const unionsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 19 })), { maxLength: 40 });
    fc.assert(
      fc.property(unionsArb, fc.func(fc.integer()), fc.array(fc.nat(), { maxLength: 20 }), (unions, shuffleKey, repeats) => {
        const ids = Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`);
        const build = (sequence: ReadonlyArray<readonly [number, number]>) => {
          const uf = new DeterministicUnionFind((a, b) => a < b);
          for (const id of ids) uf.add(id);
          for (const [a, b] of sequence) uf.union(ids[a] ?? 'n00', ids[b] ?? 'n00');
          return ids.map((id) => uf.find(id));
        };
        const shuffled = unions
          .map((pair, i) => ({ pair, key: shuffleKey(i) }))
          .sort((x, y) => x.key - y.key)
          .map(({ pair }) => [pair[1], pair[0]] as const);
        const repeated: Array<readonly [number, number]> = [
          ...shuffled,
          ...repeats.flatMap((r) => unions.slice(r % Math.max(unions.length, 1), (r % Math.max(unions.length, 1)) + 1)),
        ];
        const reference = build(unions);
        expect(build(shuffled)).toEqual(reference);
        expect(build(repeated)).toEqual(reference);
        reference.forEach((root, i) => expect(root <= (ids[i] ?? '')).toBe(true));
      }),
      { numRuns: 300 },
    );
  });
});
