import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, steps, type FakeOpenAi } from '../src/llm/fake-openai';

const KEY = 'sk-fake-infra-test';
let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi({ apiKey: KEY, script: [steps.rateLimited(7), steps.valid({ severity: 'low' })] });
});
afterAll(async () => {
  await fake.close();
});

const post = (body: unknown, key = KEY, path = '/chat/completions') => fetch(`${fake.baseURL}${path}`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
});

const DATA = (ids: string[]) => `<<<UNTRUSTED-DATA nonce=abc\n${JSON.stringify({ members: ids.map((eventId) => ({ eventId })) })}\n<<<END-UNTRUSTED-DATA nonce=abc`;

describe('fake OpenAI-compatible endpoint', () => {
  it('binds loopback and checks the bearer key', async () => {
    expect(fake.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect((await post({}, 'wrong')).status).toBe(401);
    const noAuth = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
    expect((await post({}, KEY, '/models')).status).toBe(404);
  });

  it('plays the script in order: 429 with Retry-After, then an answer citing the real member ids', async () => {
    fake.setScript([steps.rateLimited(7), steps.valid({ severity: 'low' })]);
    const body = { model: 'm', messages: [{ role: 'user', content: DATA(['qradar:offense:1', 'cloudtrail:x']) }] };
    const limited = await post(body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    const ok = await post(body);
    expect(ok.status).toBe(200);
    const json = await ok.json() as { choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number } };
    const answer = JSON.parse(json.choices[0]?.message.content ?? '{}') as { severity: string; evidence: string[] };
    expect(answer).toMatchObject({ severity: 'low', evidence: ['qradar:offense:1', 'cloudtrail:x'] });
    expect(json.usage.prompt_tokens).toBeGreaterThan(0);
    expect((await post(body)).status).toBe(500); // script exhausted
  });

  it('rejects malformed bodies', async () => {
    const res = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{not json' });
    expect(res.status).toBe(400);
  });
});
