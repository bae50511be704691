/**
 * Security Hub ingest against moto (PyPI moto[server], started by infra/moto-up.sh). moto implements
 * BatchImportFindings and GetFindings but ignores Filters and SortCriteria, so this checks the SDK
 * round trip and that the poller's own watermark keeps a re-poll from producing duplicates; the
 * server-side watermark filter is checked against the project's emulator (securityhub.int.test.ts).
 * MOTO_URL comes from the environment; when unset, infra/moto-up.sh is run (idempotent).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { createLogger } from '@seam/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityHubPoller } from '../src/securityhub-poller';
import { RedisWatermarkStore } from '../src/watermark-store';
import { asffCurrentGeneration, asffReference, type Json } from './fixtures';
import { createHarness, duplicates, type Harness } from './harness';

function motoUrl(): string {
  const fromEnv = process.env.MOTO_URL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const script = fileURLToPath(new URL('../../../infra/moto-up.sh', import.meta.url));
  const out = execFileSync('bash', [script], { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const match = /MOTO_URL=(\S+)/.exec(out);
  if (!match?.[1]) throw new Error('infra/moto-up.sh did not print MOTO_URL');
  return match[1];
}

describe('Security Hub poller against moto', () => {
  let h: Harness;
  let client: SecurityHubClient;

  beforeAll(async () => {
    const endpoint = motoUrl();
    // moto is this test's own server (infra/moto-up.sh): reset it so each run starts empty and bounded.
    const reset = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    expect(reset.ok).toBe(true);
    h = await createHarness();
    // moto accepts any static key (tests only; the service uses the SDK default chain).
    client = new SecurityHubClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  }, 200_000);
  afterAll(async () => {
    client.destroy();
    await h.cleanup();
  });

  it('BatchImportFindings then GetFindings: every finding once, reference payloads unchanged; a re-poll adds nothing', async () => {
    const run = h.prefix;
    const reference = [asffReference(), asffCurrentGeneration()].map((f) => ({ ...f, Id: `${String(f['Id'])}-${run}` }));
    const base = asffReference();
    const generatedFindings = Array.from({ length: 140 }, (_, i) => ({
      ...base,
      Id: `moto-${run}-${String(i).padStart(4, '0')}`,
      UpdatedAt: new Date(Date.parse('2024-09-01T00:00:00Z') + i * 1000).toISOString(),
    }));
    const all: Json[] = [...reference, ...generatedFindings];
    for (let i = 0; i < all.length; i += 100) {
      const r = await client.send(new BatchImportFindingsCommand({ Findings: all.slice(i, i + 100) as unknown as AwsSecurityFinding[] }));
      expect(r.FailedCount).toBe(0);
    }

    const { handle } = await h.start();
    const poller = new SecurityHubPoller({
      client,
      sink: handle.sink,
      store: new RedisWatermarkStore(h.redis(), `${h.prefix}:wm-moto`),
      logger: createLogger({ service: 'it', level: 'silent' }),
      backoff: { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 200, multiplier: 2, jitter: 0.2 },
      intervalMs: 60_000,
    });
    const r1 = await poller.pollOnce();
    expect(r1.produced).toBe(all.length);
    expect(r1.dlq).toBe(0);
    const r2 = await poller.pollOnce();
    expect(r2.produced).toBe(0);

    const ids = new Set(all.map((f) => String(f['Id'])));
    const messages = (await h.read(h.topic, r1.produced, 20_000)).filter((m) => m.key !== null && ids.has(m.key));
    expect(duplicates(messages.map((m) => m.key))).toEqual([]);
    expect(messages).toHaveLength(all.length);
    for (const f of reference) {
      const m = messages.find((x) => x.key === f['Id']);
      expect(m).toBeDefined();
      if (m) expect(JSON.parse((await h.decode(m)).payload)).toEqual(f);
    }
    console.log(`moto: ${r1.produced} findings in ${r1.pages} GetFindings page(s)`);
    await handle.stop();
  });
});
