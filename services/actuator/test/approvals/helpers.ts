import { createLogger, createMetrics, HttpServer, Secret } from '@seam/kit';
import { registerApprovalsRoutes, type ApprovalsHttpOptions } from '../../src/approvals/routes';
import type { ApprovalToken } from '../../src/approvals/tokens';
import type { FakeApprovalsBackend } from './fake-backend';

export const TOKENS = {
  viewer: 'viewer-token-7f3a9c2e51d84b6aa0c1e2f3d4b5a697',
  approver: 'approver-token-1b2c3d4e5f60718293a4b5c6d7e8f901',
  approver2: 'approver2-token-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
  admin: 'admin-token-0a1b2c3d4e5f60718293a4b5c6d7e8f9ab',
} as const;

export const APPROVAL_TOKENS: ApprovalToken[] = [
  { name: 'victor', role: 'viewer', token: new Secret(TOKENS.viewer) },
  { name: 'alice', role: 'approver', token: new Secret(TOKENS.approver) },
  { name: 'bob', role: 'approver', token: new Secret(TOKENS.approver2) },
  { name: 'root', role: 'admin', token: new Secret(TOKENS.admin) },
];

export const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

export interface Started {
  readonly base: string;
  readonly server: HttpServer;
}

export async function startApprovals(backend: FakeApprovalsBackend, extra: Partial<ApprovalsHttpOptions> = {}): Promise<Started> {
  const metrics = createMetrics({ defaultMetrics: false });
  const server = new HttpServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    isReady: () => true,
    logger: createLogger({ service: 'approvals-test', level: 'silent' }),
  });
  registerApprovalsRoutes(server, { backend, tokens: APPROVAL_TOKENS, ...extra });
  const port = await server.listen();
  return { base: `http://127.0.0.1:${port}`, server };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
