import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { registrySubjects, schemas } from '../src/catalogue';
import { checkAll, createRegistryClient, registerAll, type SchemaRegistryClient } from '../src/registry';

// Against the real registry (Apicurio 3, Confluent-compatible API, global BACKWARD rule).
// Subjects carry a unique prefix so runs never collide with each other or with the real subjects.

const url = process.env.SCHEMA_REGISTRY_URL;

describe.skipIf(url === undefined)('schema registry', () => {
  const prefix = `it-${randomUUID().slice(0, 8)}-`;
  let client: SchemaRegistryClient;

  beforeAll(() => {
    client = createRegistryClient({
      url: url ?? '',
      username: process.env.SCHEMA_REGISTRY_USERNAME,
      password: process.env.SCHEMA_REGISTRY_PASSWORD,
    });
  });

  it('registers every schema, and re-registering returns the same ids', async () => {
    const subjects = registrySubjects(prefix);
    const first = await registerAll(client, subjects);
    expect(first).toHaveLength(subjects.length);
    const again = await registerAll(client, subjects);
    expect(again).toEqual(first);
    const latest = await client.latest(`${prefix}verdicts-value`);
    expect(latest?.version).toBe(1);
  });

  it('finds every local schema compatible with what it registered', async () => {
    const results = await checkAll(client, registrySubjects(prefix));
    expect(results.filter((r) => r.answer.status !== 'compatible')).toEqual([]);
  });

  it('refuses an incompatible change and accepts a compatible one', async () => {
    const subject = `${prefix}verdicts-value`;
    const base = structuredClone(schemas.Verdict.avsc);
    const required = { ...base, fields: [...base.fields, { name: 'analyst', type: 'string' }] };
    expect((await client.checkCompatibility(subject, required)).status).toBe('incompatible');
    await expect(client.register(subject, required)).rejects.toMatchObject({ status: 409 });

    const optional = { ...base, fields: [...base.fields, { name: 'ticketUrl', type: ['null', 'string'], default: null }] };
    expect((await client.checkCompatibility(subject, optional)).status).toBe('compatible');
    const id = await client.register(subject, optional);
    expect((await client.latest(subject))?.id).toBe(id);
  });

  it('treats an unknown subject as new', async () => {
    expect((await client.checkCompatibility(`${prefix}nope-value`, schemas.Verdict.avsc)).status).toBe('new-subject');
  });
});
