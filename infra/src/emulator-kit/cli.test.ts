import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envNameOf, listenSettings, readSettings, type SettingsSpec } from './cli';

const schema = z.object({
  ...listenSettings,
  token: z.string().min(1),
  adminToken: z.string().min(1).optional(),
  keyIds: z.string().optional(),
});

const spec: SettingsSpec<typeof schema> = {
  envPrefix: 'TEST_EMULATOR',
  settings: { port: 'port', host: 'host', token: 'token', adminToken: 'admin-token', keyIds: { flag: 'key-id', env: 'KEY_IDS' } },
  schema,
};

describe('readSettings', () => {
  it('reads flags, and the environment twin where a flag is absent', () => {
    const parsed = readSettings(spec, { TEST_EMULATOR_TOKEN: 'env-token', TEST_EMULATOR_ADMIN_TOKEN: 'env-admin' }, ['--port', '8080']);
    expect(parsed.success && parsed.data).toEqual({ port: 8080, host: '127.0.0.1', token: 'env-token', adminToken: 'env-admin' });
  });

  it('lets a flag win over its environment twin', () => {
    const parsed = readSettings(spec, { TEST_EMULATOR_PORT: '1', TEST_EMULATOR_TOKEN: 'env' }, ['--port=2', '--token', 'flag']);
    expect(parsed.success && parsed.data).toMatchObject({ port: 2, token: 'flag' });
  });

  it('derives env names from flags (admin-token → _ADMIN_TOKEN) unless one is given (key-id → _KEY_IDS)', () => {
    expect(envNameOf(spec, 'adminToken')).toBe('TEST_EMULATOR_ADMIN_TOKEN');
    expect(envNameOf(spec, 'keyIds')).toBe('TEST_EMULATOR_KEY_IDS');
    const parsed = readSettings(spec, { TEST_EMULATOR_KEY_IDS: 'a,b', TEST_EMULATOR_KEY_ID: 'wrong', TEST_EMULATOR_TOKEN: 't' }, []);
    expect(parsed.success && parsed.data.keyIds).toBe('a,b');
    const flagged = readSettings(spec, { TEST_EMULATOR_KEY_IDS: 'a,b', TEST_EMULATOR_TOKEN: 't' }, ['--key-id', 'c']);
    expect(flagged.success && flagged.data.keyIds).toBe('c');
  });

  it('ignores environment variables of other prefixes and applies schema defaults', () => {
    const parsed = readSettings(spec, { PORT: '9', OTHER_EMULATOR_PORT: '9', TEST_EMULATOR_HOST: '::1' }, ['--token', 't']);
    expect(parsed.success && parsed.data).toEqual({ port: 0, host: '::1', token: 't' });
  });

  it('reports schema failures per setting, from flags or environment alike', () => {
    const missing = readSettings(spec, {}, []);
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((i) => i.path)).toEqual([['token']]);
    const badEnv = readSettings(spec, { TEST_EMULATOR_PORT: 'abc', TEST_EMULATOR_TOKEN: 't' }, []);
    expect(badEnv.error?.issues.map((i) => i.path)).toEqual([['port']]);
    const tooBig = readSettings(spec, {}, ['--token', 't', '--port', '70000']);
    expect(tooBig.error?.issues.map((i) => i.path)).toEqual([['port']]);
    const empty = readSettings(spec, { TEST_EMULATOR_TOKEN: '' }, []);
    expect(empty.success).toBe(false);
  });

  it('throws on unknown flags, positional arguments and flags without a value', () => {
    expect(() => readSettings(spec, {}, ['--token', 't', '--bogus', '1'])).toThrow(/Unknown option '--bogus'/);
    expect(() => readSettings(spec, {}, ['--token', 't', 'extra'])).toThrow(/Unexpected argument 'extra'/);
    expect(() => readSettings(spec, {}, ['--token'])).toThrow(/argument missing/);
  });
});
