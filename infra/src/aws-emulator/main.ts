// Runnable entry: `npx tsx infra/src/aws-emulator/main.ts --access-key-id AKID --admin-token T [--port 0]`.
// Flags win over environment variables (AWS_EMULATOR_*). Prints one JSON line with the bound URL on
// stdout (never the admin token) and runs until SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startAwsEmulator } from './server';

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(0),
  host: z.string().default('127.0.0.1'),
  accessKeyIds: z.string().min(1, 'at least one access key id is required (--access-key-id or AWS_EMULATOR_ACCESS_KEY_IDS, comma-separated)'),
  adminToken: z.string().min(1, 'an admin token is required (--admin-token or AWS_EMULATOR_ADMIN_TOKEN)'),
  accountId: z.string().regex(/^\d{12}$/).default('123456789012'),
  scenario: z.string().min(1).optional(),
  pendingMs: z.coerce.number().int().min(0).default(100),
  runMs: z.coerce.number().int().min(0).default(400),
});

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'access-key-id': { type: 'string' },
    'admin-token': { type: 'string' },
    'account-id': { type: 'string' },
    scenario: { type: 'string' },
    'pending-ms': { type: 'string' },
    'run-ms': { type: 'string' },
  },
  strict: true,
});

const env = process.env;
const parsed = configSchema.safeParse({
  port: values.port ?? env['AWS_EMULATOR_PORT'],
  host: values.host ?? env['AWS_EMULATOR_HOST'],
  accessKeyIds: values['access-key-id'] ?? env['AWS_EMULATOR_ACCESS_KEY_IDS'],
  adminToken: values['admin-token'] ?? env['AWS_EMULATOR_ADMIN_TOKEN'],
  accountId: values['account-id'] ?? env['AWS_EMULATOR_ACCOUNT_ID'],
  scenario: values.scenario ?? env['AWS_EMULATOR_SCENARIO'],
  pendingMs: values['pending-ms'] ?? env['AWS_EMULATOR_PENDING_MS'],
  runMs: values['run-ms'] ?? env['AWS_EMULATOR_RUN_MS'],
});
if (!parsed.success) {
  process.stderr.write(`${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const config = parsed.data;

const emulator = await startAwsEmulator({
  port: config.port,
  host: config.host,
  accessKeyIds: config.accessKeyIds.split(',').map((k) => k.trim()).filter((k) => k !== ''),
  adminToken: config.adminToken,
  accountId: config.accountId,
  ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
  state: { automation: { pendingMs: config.pendingMs, runMs: config.runMs } },
});
process.stdout.write(
  `${JSON.stringify({ service: 'aws-emulator', url: emulator.url, port: emulator.port, findings: emulator.state.securityHub.count(), documents: emulator.state.ssm.documentNames() })}\n`,
);

const stop = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
