// Runnable entry: `npx tsx infra/src/qradar-emulator/main.ts --token T [--port 0] [--scenario f.jsonl]`.
// Flags win over environment variables (QRADAR_EMULATOR_*). Prints one JSON line with the bound
// URL on stdout (never the token) and runs until SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startQradarEmulator } from './server';

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(0),
  host: z.string().default('127.0.0.1'),
  token: z.string().min(1, 'a SEC token is required (--token or QRADAR_EMULATOR_TOKEN)'),
  adminToken: z.string().min(1).optional(),
  scenario: z.string().min(1).optional(),
  eventLagMs: z.coerce.number().int().min(0).default(0),
  searchDurationMs: z.coerce.number().int().min(0).default(50),
  apiUser: z.string().min(1).default('API_user: seam'),
});

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    'admin-token': { type: 'string' },
    scenario: { type: 'string' },
    'event-lag-ms': { type: 'string' },
    'search-duration-ms': { type: 'string' },
    'api-user': { type: 'string' },
  },
  strict: true,
});

const env = process.env;
const parsed = configSchema.safeParse({
  port: values.port ?? env['QRADAR_EMULATOR_PORT'],
  host: values.host ?? env['QRADAR_EMULATOR_HOST'],
  token: values.token ?? env['QRADAR_EMULATOR_TOKEN'],
  adminToken: values['admin-token'] ?? env['QRADAR_EMULATOR_ADMIN_TOKEN'],
  scenario: values.scenario ?? env['QRADAR_EMULATOR_SCENARIO'],
  eventLagMs: values['event-lag-ms'] ?? env['QRADAR_EMULATOR_EVENT_LAG_MS'],
  searchDurationMs: values['search-duration-ms'] ?? env['QRADAR_EMULATOR_SEARCH_DURATION_MS'],
  apiUser: values['api-user'] ?? env['QRADAR_EMULATOR_API_USER'],
});
if (!parsed.success) {
  process.stderr.write(`${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const config = parsed.data;

const emulator = await startQradarEmulator({
  port: config.port,
  host: config.host,
  token: config.token,
  ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
  ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
  state: { eventLagMs: config.eventLagMs, searchDurationMs: config.searchDurationMs, apiUser: config.apiUser },
});
process.stdout.write(
  `${JSON.stringify({ service: 'qradar-emulator', url: emulator.url, port: emulator.port, offenses: emulator.state.offenseCount() })}\n`,
);

const stop = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
