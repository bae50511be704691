import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  readonly url: string;
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  /** 'up' answers, 'down' answers 503, 'slow' never answers in time. */
  mode: 'up' | 'down' | 'slow';
  close(): Promise<void>;
}

type Handler = (req: { method: string; url: URL; headers: IncomingMessage['headers']; body: string }) => { status: number; body: unknown };

/** A loopback HTTP server on an ephemeral port. */
export async function startTestServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const state: { mode: TestServer['mode'] } = { mode: 'up' };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      if (state.mode === 'slow') {
        setTimeout(() => res.destroy(), 5000).unref();
        return;
      }
      const answer = state.mode === 'down' ? { status: 503, body: { error: 'down' } } : handler({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://x'), headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CMDB: Record<string, unknown> = {
  '172.31.43.6': { ip_address: '172.31.43.6', name: 'web-prod-01', sys_class_name: 'cmdb_ci_linux_server', owned_by: { display_value: 'Dana Ito', link: 'https://x/api/now/table/sys_user/1' }, support_group: 'Cloud Platform', department: 'E-Commerce', busines_criticality: '1 - most critical', u_internet_facing: 'true' },
};

/** ServiceNow-like: Table API on cmdb_ci with basic auth user `svc` / password `pw-cmdb`. */
export function serviceNowLike(): Promise<TestServer> {
  return startTestServer(({ url, headers }) => {
    if (headers.authorization !== `Basic ${Buffer.from('svc:pw-cmdb').toString('base64')}`) return { status: 401, body: { error: { message: 'User Not Authenticated' } } };
    if (url.pathname !== '/api/now/table/cmdb_ci') return { status: 404, body: {} };
    const match = /^ip_address=(.+)$/.exec(url.searchParams.get('sysparm_query') ?? '');
    const ci = match?.[1] === undefined ? undefined : CMDB[match[1]];
    return { status: 200, body: { result: ci === undefined ? [] : [ci] } };
  });
}

/** MISP-like: restSearch with `Authorization: misp-key`. */
export function mispLike(): Promise<TestServer> {
  return startTestServer(({ url, headers, body, method }) => {
    if (headers.authorization !== 'misp-key') return { status: 403, body: { message: 'Authentication failed.' } };
    if (method !== 'POST' || url.pathname !== '/attributes/restSearch') return { status: 404, body: {} };
    const query = JSON.parse(body) as { value: string; type: string[] };
    if (query.value === '199.241.229.197' && query.type.includes('ip-src')) {
      return {
        status: 200,
        body: {
          response: {
            Attribute: [
              { value: '199.241.229.197', type: 'ip-src', category: 'Network activity', to_ids: true, Tag: [{ name: 'tlp:amber' }], Event: { threat_level_id: '1', info: 'SSH brute force' } },
              { value: '199.241.229.197', type: 'ip-dst', category: 'Network activity', to_ids: false, Event: { threat_level_id: '3' } },
            ],
          },
        },
      };
    }
    return { status: 200, body: { response: { Attribute: [] } } };
  });
}

/** Tenable-like: vulns export in two chunks, status QUEUED once then FINISHED. */
export function tenableLike(): Promise<TestServer> {
  let statusCalls = 0;
  return startTestServer(({ url, headers, method }) => {
    if (headers['x-apikeys'] !== 'accessKey=ak;secretKey=sk') return { status: 401, body: {} };
    if (method === 'POST' && url.pathname === '/vulns/export') return { status: 200, body: { export_uuid: 'e-1' } };
    if (url.pathname === '/vulns/export/e-1/status') {
      statusCalls++;
      return { status: 200, body: statusCalls % 2 === 1 ? { status: 'PROCESSING', chunks_available: [1] } : { status: 'FINISHED', chunks_available: [1, 2] } };
    }
    if (url.pathname === '/vulns/export/e-1/chunks/1') return { status: 200, body: [{ asset: { ipv4: '192.168.0.1', hostname: 'DC01' }, plugin: { cve: ['CVE-2020-1472'], cvss3_base_score: 10, exploit_available: true }, state: 'OPEN' }] };
    if (url.pathname === '/vulns/export/e-1/chunks/2') return { status: 200, body: [{ asset: { ipv4: '192.168.0.1' }, plugin: { cve: ['CVE-2019-0708'], cvss_base_score: 9.8 }, state: 'FIXED' }, { asset: { ipv4: '10.0.0.5' }, plugin: { cve: ['CVE-2021-44228'], cvss_base_score: 10, exploit_available: true } }] };
    return { status: 404, body: {} };
  });
}
