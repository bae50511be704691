// The runnable entry of an emulator: settings from `--flags` with environment twins (flags win),
// validated by the emulator's zod schema; one JSON line on stdout once it listens (the emulator
// chooses what goes in it, never a secret); stop on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { z } from 'zod';

/** The `port` (0 picks a free one) and `host` settings every emulator has, as zod schema members. */
export const listenSettings = {
  port: z.coerce.number().int().min(0).max(65_535).default(0),
  host: z.string().default('127.0.0.1'),
};

/**
 * Where one setting comes from: `--flag` and the environment variable `${envPrefix}_${env}`.
 * `env` defaults to the flag upper-cased with `-` → `_` (`admin-token` → `ADMIN_TOKEN`).
 */
export interface SettingSource {
  flag: string;
  env?: string;
}

export interface SettingsSpec<S extends z.ZodType> {
  /** e.g. `QRADAR_EMULATOR`. */
  envPrefix: string;
  /** Setting name (a key of the schema's input) → its flag, or the flag alone. */
  settings: Readonly<Record<string, string | SettingSource>>;
  schema: S;
}

function sourceOf(source: string | SettingSource): Required<SettingSource> {
  const flag = typeof source === 'string' ? source : source.flag;
  const env = typeof source === 'string' || source.env === undefined ? flag.toUpperCase().replaceAll('-', '_') : source.env;
  return { flag, env };
}

/** The environment variable that feeds `setting`. */
export function envNameOf(spec: SettingsSpec<z.ZodType>, setting: string): string {
  const source = spec.settings[setting];
  if (source === undefined) throw new Error(`no setting ${setting}`);
  return `${spec.envPrefix}_${sourceOf(source).env}`;
}

/**
 * Reads the settings from `argv` (default: the process's own arguments) and `env`, flags winning,
 * and validates them. Unknown flags and positional arguments throw (node:util parseArgs, strict).
 */
export function readSettings<S extends z.ZodType>(spec: SettingsSpec<S>, env: NodeJS.ProcessEnv = process.env, argv?: string[]): z.ZodSafeParseResult<z.output<S>> {
  const entries = Object.entries(spec.settings).map(([name, source]) => [name, sourceOf(source)] as const);
  const options = Object.fromEntries(entries.map(([, { flag }]) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({ options, strict: true, ...(argv === undefined ? {} : { args: argv }) });
  const raw = Object.fromEntries(
    entries.map(([name, { flag, env: envName }]) => {
      const fromFlag = values[flag];
      return [name, typeof fromFlag === 'string' ? fromFlag : env[`${spec.envPrefix}_${envName}`]];
    }),
  );
  return spec.schema.safeParse(raw);
}

export interface EmulatorMain<S extends z.ZodType, E extends { close(): Promise<void> }> extends SettingsSpec<S> {
  start(settings: z.output<S>): Promise<E>;
  /** The one JSON line printed once the emulator listens (no secrets). */
  announce(emulator: E): Record<string, unknown>;
}

/**
 * Runs an emulator as a process: invalid settings → the issues on stderr and exit code 2; else
 * start, print the announce line, and on SIGINT/SIGTERM close and exit 0 (1 if closing failed).
 */
export async function runEmulatorMain<S extends z.ZodType, E extends { close(): Promise<void> }>(main: EmulatorMain<S, E>): Promise<void> {
  const parsed = readSettings(main);
  if (!parsed.success) {
    process.stderr.write(`${z.prettifyError(parsed.error)}\n`);
    process.exit(2);
  }
  const emulator = await main.start(parsed.data);
  process.stdout.write(`${JSON.stringify(main.announce(emulator))}\n`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
