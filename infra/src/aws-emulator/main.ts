// Runnable entry: `npx tsx infra/src/aws-emulator/main.ts --access-key-id AKID --admin-token T [--port 0]`.
// Flags win over environment variables (AWS_EMULATOR_*). Prints one JSON line with the bound URL on
// stdout (never the admin token) and runs until SIGINT/SIGTERM.

import { z } from 'zod';
import { listenSettings, runEmulatorMain } from '../emulator-kit/cli';
import { startAwsEmulator } from './server';

const configSchema = z.object({
  ...listenSettings,
  accessKeyIds: z.string().min(1, 'at least one access key id is required (--access-key-id or AWS_EMULATOR_ACCESS_KEY_IDS, comma-separated)'),
  adminToken: z.string().min(1, 'an admin token is required (--admin-token or AWS_EMULATOR_ADMIN_TOKEN)'),
  accountId: z.string().regex(/^\d{12}$/).default('123456789012'),
  scenario: z.string().min(1).optional(),
  pendingMs: z.coerce.number().int().min(0).default(100),
  runMs: z.coerce.number().int().min(0).default(400),
});

await runEmulatorMain({
  envPrefix: 'AWS_EMULATOR',
  settings: {
    port: 'port',
    host: 'host',
    // One flag per call, but the environment twin is plural: AWS_EMULATOR_ACCESS_KEY_IDS (comma-separated).
    accessKeyIds: { flag: 'access-key-id', env: 'ACCESS_KEY_IDS' },
    adminToken: 'admin-token',
    accountId: 'account-id',
    scenario: 'scenario',
    pendingMs: 'pending-ms',
    runMs: 'run-ms',
  },
  schema: configSchema,
  start: (config) =>
    startAwsEmulator({
      port: config.port,
      host: config.host,
      accessKeyIds: config.accessKeyIds.split(',').map((k) => k.trim()).filter((k) => k !== ''),
      adminToken: config.adminToken,
      accountId: config.accountId,
      ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
      state: { automation: { pendingMs: config.pendingMs, runMs: config.runMs } },
    }),
  announce: (emulator) => ({
    service: 'aws-emulator',
    url: emulator.url,
    port: emulator.port,
    findings: emulator.state.securityHub.count(),
    documents: emulator.state.ssm.documentNames(),
  }),
});
