// Runnable entry: `npx tsx infra/src/qradar-emulator/main.ts --token T [--port 0] [--scenario f.jsonl]`.
// Flags win over environment variables (QRADAR_EMULATOR_*). Prints one JSON line with the bound
// URL on stdout (never the token) and runs until SIGINT/SIGTERM.

import { z } from 'zod';
import { listenSettings, runEmulatorMain } from '../emulator-kit/cli';
import { startQradarEmulator } from './server';

const configSchema = z.object({
  ...listenSettings,
  token: z.string().min(1, 'a SEC token is required (--token or QRADAR_EMULATOR_TOKEN)'),
  adminToken: z.string().min(1).optional(),
  scenario: z.string().min(1).optional(),
  eventLagMs: z.coerce.number().int().min(0).default(0),
  searchDurationMs: z.coerce.number().int().min(0).default(50),
  apiUser: z.string().min(1).default('API_user: seam'),
});

await runEmulatorMain({
  envPrefix: 'QRADAR_EMULATOR',
  settings: {
    port: 'port',
    host: 'host',
    token: 'token',
    adminToken: 'admin-token',
    scenario: 'scenario',
    eventLagMs: 'event-lag-ms',
    searchDurationMs: 'search-duration-ms',
    apiUser: 'api-user',
  },
  schema: configSchema,
  start: (config) =>
    startQradarEmulator({
      port: config.port,
      host: config.host,
      token: config.token,
      ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
      ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
      state: { eventLagMs: config.eventLagMs, searchDurationMs: config.searchDurationMs, apiUser: config.apiUser },
    }),
  announce: (emulator) => ({ service: 'qradar-emulator', url: emulator.url, port: emulator.port, offenses: emulator.state.offenseCount() }),
});
