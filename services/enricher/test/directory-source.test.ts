import { createLogger, Secret } from '@seam/kit';
import { afterEach, describe, expect, it } from 'vitest';
import { httpDirectory } from '../src/directory-source';
import { resolveIdentity } from '../src/domain/identity/directory';
import { startTestServer, type TestServer } from './http-servers';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const log = createLogger({ service: 'test', level: 'silent' });

describe('HTTP identity directory', () => {
  it('loads the JSON directory with the bearer token; until then identities are unresolved and the directory is unavailable', async () => {
    const server = await startTestServer(({ headers }) =>
      headers.authorization === 'Bearer dir-token'
        ? { status: 200, body: { entries: [{ canonical: 'jdoe@corp.example', samAccountName: 'CORP\\jdoe', privileged: true }] } }
        : { status: 401, body: {} },
    );
    servers.push(server);
    server.mode = 'down';
    const source = httpDirectory({ url: `${server.url}/directory`, token: new Secret('dir-token'), refreshMs: 60_000, timeoutMs: 1000, log });
    await source.start();
    expect(source.current().available).toBe(false);
    source.stop();

    server.mode = 'up';
    const again = httpDirectory({ url: `${server.url}/directory`, token: new Secret('dir-token'), refreshMs: 60_000, timeoutMs: 1000, log });
    await again.start();
    again.stop();
    const { directory, available } = again.current();
    expect(available).toBe(true);
    expect(resolveIdentity(directory, 'CORP\\jdoe', 'ad')).toMatchObject({ resolved: true, canonical: 'jdoe@corp.example' });
  });

  it('a wrong token leaves the directory unavailable', async () => {
    const server = await startTestServer(() => ({ status: 401, body: {} }));
    servers.push(server);
    const source = httpDirectory({ url: server.url, token: new Secret('nope'), refreshMs: 60_000, timeoutMs: 1000, log });
    await source.start();
    source.stop();
    expect(source.current().available).toBe(false);
  });
});
