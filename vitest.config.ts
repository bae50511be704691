import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running; `integration` talks to the real broker, registry and
// Redis, whose endpoints come from the environment (see test/setup/components.ts).
const integrationFiles = ['**/*.int.test.ts'];
const ignored = ['**/node_modules/**', '.local/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...ignored, ...integrationFiles],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: integrationFiles,
          exclude: ignored,
          environment: 'node',
          globalSetup: ['./test/setup/components.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The integration tests share one broker and one Redis on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
