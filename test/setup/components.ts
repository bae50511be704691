/**
 * Vitest global setup of the `integration` project: makes sure the real broker, registry and Redis
 * are there before any integration test runs. Endpoints come from the environment (./seam test and
 * .ci/run source .local/endpoints.env written by infra/up.sh). Without them, and with a Docker engine
 * answering, the same components are started with testcontainers. With neither, it fails loudly and
 * names what is missing: the integration tests are never skipped silently.
 */
import net from 'node:net';
import { startWithTestcontainers } from './testcontainers.js';

export const REQUIRED_ENDPOINTS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES'] as const;

function canConnect(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const [host, portText] = splitHostPort(hostPort);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(portText) });
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function splitHostPort(hostPort: string): [string, string] {
  const at = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, at).replace(/^\[|\]$/g, ''), hostPort.slice(at + 1)];
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function checkReachable(): Promise<void> {
  const targets: [string, string][] = [];
  for (const b of (process.env.KAFKA_BROKERS ?? '').split(',')) targets.push(['KAFKA_BROKERS', b.trim()]);
  targets.push(['SCHEMA_REGISTRY_URL', new URL(process.env.SCHEMA_REGISTRY_URL ?? '').host]);
  targets.push(['REDIS_URL', new URL(process.env.REDIS_URL ?? '').host]);
  for (const n of (process.env.REDIS_CLUSTER_NODES ?? '').split(',')) targets.push(['REDIS_CLUSTER_NODES', n.trim()]);
  const results = await Promise.all(targets.map(async ([name, addr]) => ({ name, addr, ok: await canConnect(addr) })));
  const down = results.filter((r) => !r.ok);
  if (down.length > 0) {
    throw new Error(
      `Integration components unreachable: ${down.map((d) => `${d.name}=${d.addr}`).join(', ')}. ` +
        'Start them with `bash infra/up.sh` (or run `./seam test`, which does it for you).',
    );
  }
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const missing = REQUIRED_ENDPOINTS.filter((name) => !process.env[name]);
  if (missing.length === 0) {
    await checkReachable();
    return undefined;
  }
  if (missing.length < REQUIRED_ENDPOINTS.length) {
    throw new Error(`Integration endpoints partly configured; missing: ${missing.join(', ')}.`);
  }
  if (await dockerAnswers()) {
    const env = await startWithTestcontainers();
    Object.assign(process.env, env.variables);
    return env.stop;
  }
  throw new Error(
    `Integration tests need real components, and none are configured: ${missing.join(', ')} are unset ` +
      'and no Docker engine answers for testcontainers. Run `./seam test` (starts them locally), or ' +
      '`bash infra/up.sh && set -a && . .local/endpoints.env && set +a` before vitest.',
  );
}
