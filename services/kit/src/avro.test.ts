import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { avroCodec, createSchemaRegistry } from './avro';
import { DecodeError, EncodeError, RetriableError } from './errors';
import { Secret } from './secret';

const schema = { type: 'record', name: 'T', fields: [{ name: 'a', type: 'string' }, { name: 'n', type: 'long' }] } as avro.Schema;

/** A stub of the Confluent-compatible API under Apicurio's /apis/ccompat/v7 prefix. */
async function stubRegistry(options: { failWith?: number } = {}) {
  const seen: { method: string; url: string; auth: string | undefined }[] = [];
  const schemas = new Map<number, string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
      res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      if (options.failWith !== undefined) {
        res.writeHead(options.failWith).end(JSON.stringify({ message: 'failure' }));
        return;
      }
      const url = req.url ?? '';
      if (!url.startsWith('/apis/ccompat/v7/')) {
        res.writeHead(404).end(JSON.stringify({ message: 'no such path' }));
        return;
      }
      if (url.includes('/config/')) {
        // No subject-level compatibility yet: the client registers, then sets BACKWARD.
        if (req.method === 'GET') res.writeHead(404).end(JSON.stringify({ message: 'no config' }));
        else res.writeHead(200).end(JSON.stringify({ compatibility: 'BACKWARD' }));
        return;
      }
      if (req.method === 'POST' && /\/subjects\/[^/]+\/versions$/.test(url)) {
        const parsed = JSON.parse(body) as { schema: string };
        schemas.set(7, parsed.schema);
        res.writeHead(200).end(JSON.stringify({ id: 7 }));
        return;
      }
      const byId = /\/schemas\/ids\/(\d+)$/.exec(url);
      if (req.method === 'GET' && byId) {
        const found = schemas.get(Number(byId[1]));
        if (found === undefined) res.writeHead(404).end(JSON.stringify({ message: 'not found' }));
        else res.writeHead(200).end(JSON.stringify({ schema: found }));
        return;
      }
      res.writeHead(404).end(JSON.stringify({ message: 'unexpected' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('avroCodec through a ccompat registry', () => {
  it('keeps the /apis/ccompat/v7 prefix, sends basic auth, caches the schema id, round-trips values', async () => {
    const stub = await stubRegistry();
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: `${stub.url}/`, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: new Secret('p') });
    const codec = avroCodec<{ a: string; n: number }>(registry, schema, { autoRegister: true });
    const one = await codec.encode({ a: 'x', n: 1 }, 'topic.a');
    await codec.encode({ a: 'y', n: 2 }, 'topic.a');
    expect(one[0]).toBe(0);
    expect(one.readInt32BE(1)).toBe(7);
    expect(await codec.decode(one, 'topic.a')).toEqual({ a: 'x', n: 1 });
    const auth = `Basic ${Buffer.from('u:p').toString('base64')}`;
    expect(stub.seen.every((r) => r.url.startsWith('/apis/ccompat/v7/') && r.auth === auth)).toBe(true);
    const registrations = stub.seen.filter((r) => r.method === 'POST');
    expect(registrations.map((r) => r.url)).toEqual(['/apis/ccompat/v7/subjects/topic.a-value/versions']); // once, then cached
    // The writer schema is fetched at most once (register already fills the client's cache).
    expect(stub.seen.filter((r) => r.url.includes('/schemas/ids/')).length).toBeLessThanOrEqual(1);
  });

  it('frames values of every size exactly (the scratch buffer grows past 64 KB) and copies them out', async () => {
    const stub = await stubRegistry();
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: stub.url });
    const codec = avroCodec<{ a: string; n: number }>(registry, schema, { autoRegister: true });
    const type = avro.Type.forSchema(schema);
    const values = [{ a: '', n: 0 }, { a: 'x'.repeat(70_000), n: -5 }, { a: 'é'.repeat(200_000), n: 2 ** 40 }, { a: 'short', n: 3 }];
    const framed = [];
    for (const value of values) framed.push(await codec.encode(value, 'topic.big'));
    for (const [i, value] of values.entries()) {
      const bytes = framed[i] as Buffer;
      // Header + exactly the avsc body; earlier outputs are not overwritten by later writes.
      expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 7]));
      expect(bytes.subarray(5)).toEqual(type.toBuffer(value));
      expect(await codec.decode(bytes, 'topic.big')).toEqual(value);
    }
  });

  it('classifies failures: bad wire format is poison, registry outage is retriable, invalid values do not encode', async () => {
    const down = await stubRegistry({ failWith: 503 });
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: down.url });
    const codec = avroCodec<{ a: string; n: number }>(registry, schema, { autoRegister: true });
    await expect(codec.decode(Buffer.from('{"a":1}'), 't')).rejects.toBeInstanceOf(DecodeError);
    await expect(codec.encode({ a: 'x', n: 1 }, 't')).rejects.toBeInstanceOf(RetriableError);
    await expect(codec.encode({ a: 'x', n: 1.5 }, 't')).rejects.toBeInstanceOf(EncodeError);
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), avro.Type.forSchema(schema).toBuffer({ a: 'x', n: 1 })]);
    await expect(codec.decode(wire, 't')).rejects.toBeInstanceOf(RetriableError);
  }, 20_000);
});
