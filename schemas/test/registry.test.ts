import { describe, expect, it } from 'vitest';
import { registrySubjects } from '../src/catalogue';
import { checkAll, createRegistryClient, RegistryError } from '../src/registry';

type Call = { url: string; init: RequestInit | undefined };

function fakeFetch(reply: (call: Call) => { status: number; body: unknown }): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const call = { url: input instanceof Request ? input.url : String(input), init };
    calls.push(call);
    const { status, body } = reply(call);
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  };
  return { fetch: fetchImpl, calls };
}

describe('registry client', () => {
  it('registers with basic auth and the schema as a string', async () => {
    const fake = fakeFetch(() => ({ status: 200, body: { id: 7 } }));
    const client = createRegistryClient({ url: 'http://r/apis/ccompat/v7/', username: 'u', password: 'p' }, fake.fetch);
    expect(await client.register('verdicts-value', { type: 'record', name: 'X', fields: [] })).toBe(7);
    const [call] = fake.calls;
    expect(call?.url).toBe('http://r/apis/ccompat/v7/subjects/verdicts-value/versions');
    const headers = call?.init?.headers as Record<string, string>;
    expect(headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(JSON.parse(call?.init?.body as string)).toEqual({ schema: '{"type":"record","name":"X","fields":[]}', schemaType: 'AVRO' });
  });

  it('reports compatibility per subject; a missing subject is new', async () => {
    const fake = fakeFetch(({ url, init }) => init?.method === 'GET'
      ? (url.includes('actions-value') ? { status: 404, body: { error_code: 40401 } } : { status: 200, body: { id: 1, version: 1, schema: '{}' } })
      : url.includes('verdicts-value')
      ? { status: 200, body: { is_compatible: false, messages: ['READER_FIELD_MISSING_DEFAULT_VALUE'] } }
      : url.includes('actions-value') ? { status: 404, body: { error_code: 40401, message: 'Subject not found' } }
        : { status: 200, body: { is_compatible: true } });
    const results = await checkAll(createRegistryClient({ url: 'http://r' }, fake.fetch), registrySubjects());
    const bySubject = Object.fromEntries(results.map((r) => [r.subject, r.answer.status]));
    expect(bySubject['verdicts-value']).toBe('incompatible');
    expect(bySubject['actions-value']).toBe('new-subject');
    expect(bySubject['enriched-value']).toBe('compatible');
    expect(fake.calls[1]?.url).toContain('/compatibility/subjects/offenses.raw-value/versions/latest');
  });

  it('surfaces registry errors with status and error code', async () => {
    const fake = fakeFetch(() => ({ status: 409, body: { error_code: 409, message: 'incompatible' } }));
    const client = createRegistryClient({ url: 'http://r' }, fake.fetch);
    await expect(client.register('s', {})).rejects.toBeInstanceOf(RegistryError);
    await expect(client.register('s', {})).rejects.toMatchObject({ status: 409 });
  });
});
