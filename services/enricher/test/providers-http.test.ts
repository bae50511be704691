import { Secret } from '@seam/kit';
import { afterEach, describe, expect, it } from 'vitest';
import { MispIntel } from '../src/providers/misp';
import { ServiceNowCmdb } from '../src/providers/servicenow';
import { TenableVulns } from '../src/providers/tenable';
import { mispLike, serviceNowLike, tenableLike, type TestServer } from './http-servers';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const signal = () => AbortSignal.timeout(2000);

describe('ServiceNow CMDB backend', () => {
  it('queries cmdb_ci by ip_address with basic auth and maps the CI to an Asset', async () => {
    const server = await serviceNowLike();
    servers.push(server);
    const cmdb = new ServiceNowCmdb({ baseUrl: server.url, username: 'svc', password: new Secret('pw-cmdb') });
    const assets = await cmdb.lookup({ kind: 'ip', value: '172.31.43.6', namespace: null }, signal());
    expect(assets).toEqual([
      { key: '172.31.43.6', owner: 'Dana Ito', supportGroup: 'Cloud Platform', businessUnit: 'E-Commerce', criticality: 5, tags: ['ci:web-prod-01', 'class:cmdb_ci_linux_server'], internetFacing: true, namespace: null },
    ]);
    const request = new URL(server.requests[0]?.url ?? '', 'http://x');
    expect(request.pathname).toBe('/api/now/table/cmdb_ci');
    expect(request.searchParams.get('sysparm_query')).toBe('ip_address=172.31.43.6');
    expect(request.searchParams.get('sysparm_fields')).toContain('busines_criticality');
    expect(await cmdb.lookup({ kind: 'ip', value: '10.9.9.9', namespace: null }, signal())).toEqual([]);
  });

  it('fails on a wrong password without echoing the credentials', async () => {
    const server = await serviceNowLike();
    servers.push(server);
    const cmdb = new ServiceNowCmdb({ baseUrl: server.url, username: 'svc', password: new Secret('wrong-pass') });
    const error = await cmdb.lookup({ kind: 'ip', value: '172.31.43.6', namespace: null }, signal()).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('cmdb: HTTP 401');
    expect((error as Error).message).not.toContain('wrong-pass');
  });

  it('refuses values that could extend the encoded query', async () => {
    const server = await serviceNowLike();
    servers.push(server);
    const cmdb = new ServiceNowCmdb({ baseUrl: server.url, username: 'svc', password: new Secret('pw-cmdb') });
    expect(await cmdb.lookup({ kind: 'ip', value: '1.2.3.4^ORname=x', namespace: null }, signal())).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('MISP intel backend', () => {
  it('POSTs restSearch with value and types and the Authorization key; folds attributes into one hit', async () => {
    const server = await mispLike();
    servers.push(server);
    const misp = new MispIntel({ baseUrl: server.url, apiKey: new Secret('misp-key') });
    const hits = await misp.lookup({ kind: 'ip', value: '199.241.229.197', namespace: null }, signal());
    expect(hits).toEqual([{ indicator: '199.241.229.197', verdict: 'malicious', score: 90, source: 'misp', tags: ['category:Network activity', 'tlp:amber'] }]);
    expect(JSON.parse(server.requests[0]?.body ?? '{}')).toMatchObject({ value: '199.241.229.197', type: ['ip-src', 'ip-dst'] });
    expect(server.requests[0]?.headers.authorization).toBe('misp-key');
    expect(await misp.lookup({ kind: 'host', value: 'example.org', namespace: null }, signal())).toEqual([]);
    expect(JSON.parse(server.requests[1]?.body ?? '{}')).toMatchObject({ type: ['domain', 'hostname'] });
  });

  it('a down server is an error (the enricher lists the provider as missing)', async () => {
    const server = await mispLike();
    servers.push(server);
    server.mode = 'down';
    const misp = new MispIntel({ baseUrl: server.url, apiKey: new Secret('misp-key') });
    await expect(misp.lookup({ kind: 'ip', value: '1.1.1.1', namespace: null }, signal())).rejects.toThrow('intel: HTTP 503');
  });
});

describe('Tenable export backend', () => {
  it('runs the export (start, status polling, every chunk), skips fixed findings, and serves lookups from the snapshot', async () => {
    const server = await tenableLike();
    servers.push(server);
    const vulns = new TenableVulns({ baseUrl: server.url, accessKey: new Secret('ak'), secretKey: new Secret('sk'), refreshMs: 60_000, pollMs: 5 });
    expect(await vulns.lookup({ kind: 'ip', value: '192.168.0.1', namespace: null }, signal())).toEqual([{ cve: 'CVE-2020-1472', cvss: 10, exploitAvailable: true, host: '192.168.0.1', namespace: null }]);
    expect(await vulns.lookup({ kind: 'host', value: 'dc01', namespace: null }, signal())).toEqual([{ cve: 'CVE-2020-1472', cvss: 10, exploitAvailable: true, host: 'dc01', namespace: null }]);
    expect(await vulns.lookup({ kind: 'ip', value: '10.0.0.5', namespace: null }, signal())).toEqual([{ cve: 'CVE-2021-44228', cvss: 10, exploitAvailable: true, host: '10.0.0.5', namespace: null }]);
    // One export for all three lookups.
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(server.requests.filter((r) => r.url.endsWith('/chunks/1'))).toHaveLength(1);
  });

  it('rejects a lookup when the export cannot be fetched', async () => {
    const server = await tenableLike();
    servers.push(server);
    const vulns = new TenableVulns({ baseUrl: server.url, accessKey: new Secret('ak'), secretKey: new Secret('bad'), refreshMs: 60_000, pollMs: 5 });
    await expect(vulns.lookup({ kind: 'ip', value: '192.168.0.1', namespace: null }, signal())).rejects.toThrow('vulns: HTTP 401');
  });
});
