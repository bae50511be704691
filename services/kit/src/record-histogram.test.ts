import { Histogram, Registry } from 'prom-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordHistogram } from './record-histogram';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const a = new RecordHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['stage', 'topic'], buckets, registers: [ours] });
  const b = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['stage', 'topic'], buckets, registers: [theirs] });
  return { ours, theirs, a, b };
}

describe('RecordHistogram', () => {
  it('exposes exactly what prom-client Histogram exposes for the same observations (text and JSON)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('s1', 's2'), fc.constantFrom('t1', 't"2\\'), fc.oneof(fc.constantFrom(...buckets, 0, 20), fc.double({ min: 0, max: 20, noNaN: true }))), { maxLength: 60 }),
        async (observations) => {
          const { ours, theirs, a, b } = pair();
          for (const [stage, topic, value] of observations) {
            a.labels({ stage, topic }).observe(value);
            b.labels({ stage, topic }).observe(value);
          }
          expect(await ours.metrics()).toBe(await theirs.metrics());
          expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps one series per label set, resets, and refuses bad labels and values like prom-client', async () => {
    const { ours, a } = pair();
    const series = a.labels({ stage: 's', topic: 't' });
    series.observe(0.002);
    a.observe({ stage: 's', topic: 't' }, 0.2);
    const text = await ours.metrics();
    expect(text).toContain('h_seconds_bucket{le="0.0025",stage="s",topic="t"} 1');
    expect(text).toContain('h_seconds_bucket{le="0.25",stage="s",topic="t"} 2');
    expect(text).toContain('h_seconds_count{stage="s",topic="t"} 2');
    expect(() => series.observe(Number.NaN)).toThrow(/not a valid number/);
    expect(() => a.labels({ stage: 's' } as never)).toThrow(/Missing label topic/);
    expect(() => a.labels({ stage: 's', topic: 't', other: 'x' } as never)).toThrow(/not included/);
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('h_seconds_count');
  });
});
