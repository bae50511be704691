import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { commonConfigSchema, loadConfig } from '../src/config';
import { createRedis, type RedisClient } from '../src/redis';
import { endpoint, uniqueName } from './helpers';

/** Connection security against real Redis servers: an ACL user on the shared one, TLS on a private one. */

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function client(env: Record<string, string>): RedisClient {
  // Fail fast on auth/TLS errors instead of retrying for ever.
  const config = loadConfig(commonConfigSchema, { KAFKA_BROKERS: endpoint('KAFKA_BROKERS'), ...env });
  const redis = createRedis(config, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  cleanups.push(() => redis.disconnect());
  return redis;
}

/** The first error a connection attempt reports (ioredis emits the cause, then rejects with "Connection is closed"). */
async function connectError(redis: RedisClient): Promise<string> {
  let emitted: unknown;
  redis.on('error', (error: unknown) => (emitted ??= error));
  const rejected = await redis.connect().then(
    () => redis.ping().then(() => undefined),
    (error: unknown) => error,
  );
  const error = emitted ?? rejected;
  if (error === undefined) return 'connected';
  return error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Redis connection security', () => {
  it('an ACL user with a password (from a _FILE) reaches its own keys only; a wrong password fails without echoing it', async () => {
    const admin = new Redis(endpoint('REDIS_URL'));
    cleanups.push(() => admin.disconnect());
    const user = uniqueName('kit-acl');
    const password = `pw-${uniqueName('x')}`;
    const prefix = `${user}:`;
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${prefix}*`, '+@all');
    cleanups.push(() => admin.call('ACL', 'DELUSER', user));
    const dir = mkdtempSync(join(tmpdir(), 'kit-acl-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const passwordFile = join(dir, 'password');
    execFileSync('sh', ['-c', `printf %s "$0" > "$1"`, password, passwordFile]);

    const redis = client({ REDIS_URL: endpoint('REDIS_URL'), REDIS_USERNAME: user, REDIS_PASSWORD_FILE: passwordFile });
    await redis.connect();
    expect(await redis.call('ACL', 'WHOAMI')).toBe(user);
    await redis.set(`${prefix}k`, 'v', 'EX', 60);
    expect(await redis.get(`${prefix}k`)).toBe('v');
    await expect(redis.set('not-mine', 'v')).rejects.toThrow(/NOPERM/);
    await admin.del(`${prefix}k`);

    const wrong = client({ REDIS_URL: endpoint('REDIS_URL'), REDIS_USERNAME: user, REDIS_PASSWORD: 'definitely-wrong-secret' });
    const failure = await connectError(wrong);
    expect(failure).toMatch(/WRONGPASS|invalid username-password/);
    expect(failure).not.toContain('definitely-wrong-secret');
  });

  it('TLS with a private CA: connects with REDIS_TLS_CA_FILE, refuses a server the CA did not sign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    // A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA.
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=seam-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > ext.cnf'], { cwd: dir });
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.pem');
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other-ca', '-keyout', 'other.key', '-out', 'other.pem');

    const port = await freePort();
    const server: ChildProcess = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', 'server.pem', '--tls-key-file', 'server.key', '--tls-ca-cert-file', 'ca.pem', '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir],
      { cwd: dir, stdio: 'ignore' },
    );
    cleanups.push(() => server.kill('SIGKILL'));
    const url = `rediss://127.0.0.1:${port}`;

    let redis: RedisClient | undefined;
    for (let attempt = 0; attempt < 50 && redis === undefined; attempt += 1) {
      const candidate = client({ REDIS_URL: url, REDIS_TLS_CA_FILE: join(dir, 'ca.pem') });
      candidate.on('error', () => undefined); // not up yet: refused, retried below
      try {
        await candidate.connect();
        redis = candidate;
      } catch {
        candidate.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(redis).toBeDefined();
    await redis?.set('k', 'over tls');
    expect(await redis?.get('k')).toBe('over tls');

    // Verification is on: another CA does not vouch for this server, and neither does the system store.
    for (const env of [{ REDIS_URL: url, REDIS_TLS_CA_FILE: join(dir, 'other.pem') }, { REDIS_URL: url }]) {
      expect(await connectError(client(env))).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
    }
  });
});
