/**
 * A larger replay input derived from the bundled hybrid attack scenario (hybrid-attack.jsonl), for
 * the crash and fault tests: `copies` copies of its 18 records, each copy with its own record ids,
 * attacker IPs, user names and instance ids and shifted in event time by a seeded offset, so the
 * result has many incidents, merges and lone events:
 *
 *   - per copy: the VPN brute force + console login chain (3 records, own IP and user), the stolen
 *     instance credentials chain (4 records, own IP and instance), six NAT sign-ins (own user names,
 *     the NAT egress IP shared by every copy, so it is a hot key), an `AWS Internal` call (lone);
 *   - across copies (their keys are kept on purpose, so they merge): the authorised scanner's port
 *     scans (same scanner IP), svc-backup's logon failures (same service account), the SSH brute
 *     force finding (same remote IP), Terraform CI (same IAM user).
 *
 * Pure and deterministic for a given seed: `buildLoad(text, { copies, seed })` returns the JSONL
 * text. CLI: `npx tsx infra/scenarios/build-load.ts [--copies N] [--seed S] [--out file]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/emulator-kit/random';

type Json = Record<string, unknown>;

export interface LoadOptions {
  /** How many copies of the scenario (18 records each). */
  readonly copies: number;
  readonly seed: number;
  /** Largest extra event-time shift of a copy, in minutes (copy k starts at k*2 min plus 0..jitter). */
  readonly jitterMinutes?: number;
}

const MINUTE = 60_000;
// The scenario's day: epoch-ms numbers and ISO strings within it are event times to shift.
const DAY_START = Date.parse('2026-11-20T00:00:00Z');
const DAY_END = DAY_START + 24 * 60 * MINUTE;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);

/** Shifts every event time (epoch ms or ISO string of the scenario's day) by `shift` ms. */
function shiftTimes(value: unknown, shift: number): unknown {
  if (typeof value === 'number' && value >= DAY_START && value < DAY_END) return value + shift;
  if (typeof value === 'string' && /^2026-11-20T\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) {
    return new Date(Date.parse(value) + shift).toISOString().replace('.000Z', 'Z');
  }
  if (Array.isArray(value)) return value.map((v) => shiftTimes(v, shift));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, shiftTimes(v, shift)]));
  }
  return value;
}

/** The copy's string substitutions: per-copy attacker IPs, users, instance and finding ids. */
function substitutions(copy: number): [RegExp, string][] {
  const c = copy + 1;
  const natUsers = ['akim', 'bsato', 'cmoreau', 'dnovak', 'efischer', 'gpatel'];
  return [
    [/39\.116\.161\.122/g, `203.0.113.${10 + copy}`],
    [/18\.236\.253\.47/g, `203.0.113.${130 + copy}`],
    [/\bjdoe\b/g, `jdoe${c}`],
    [/i-0c10c2c7863d1a356/g, `i-0c10c2c7863d1${hex(c, 3)}`],
    [/AROALHCCSKSM395EGX3XN/g, `AROALHCCSKSM395EG${hex(c, 3).toUpperCase()}X`],
    [/7eb2d1c0a4f95e8c2b3d6a1f0e9c8b7a/g, `7eb2d1c0a4f95e8c2b3d6a1f0e9c8${hex(c, 3)}`],
    [/AIDA1ERT0661IN5R239V/g, `AIDA1ERT0661IN5R2${hex(c, 3).toUpperCase()}`],
    ...natUsers.map((user): [RegExp, string] => [new RegExp(`\\b${user}\\b`, 'g'), `${user}${c}`]),
    [/AIDANAT0000000000000/g, `AIDANAT${hex(c, 3).toUpperCase()}0000000000`],
  ];
}

function copyLine(line: Json, copy: number, shift: number): Json {
  let text = JSON.stringify(line);
  for (const [pattern, replacement] of substitutions(copy)) text = text.replace(pattern, replacement);
  const out = shiftTimes(JSON.parse(text), shift) as Json;
  const payload = out['payload'] as Json;
  const c = copy + 1;
  switch (out['source']) {
    case 'qradar.offense':
      payload['id'] = 1000 * c + (payload['id'] as number);
      break;
    case 'cloudtrail.event':
      // A UUID-shaped id unique per copy: the copy number replaces the first group.
      payload['eventID'] = `${hex(c, 8)}${String(payload['eventID']).slice(8)}`;
      break;
    case 'securityhub.finding': {
      // A GuardDuty-generated finding's Id is its ARN: suffix the bare finding id.
      payload['Id'] = `${String(payload['Id'])}${hex(c, 4)}`;
      break;
    }
    default:
      break;
  }
  return out;
}

/** The load as JSONL text (lines in copy order; the replay sorts them by event time). */
export function buildLoad(scenarioText: string, options: LoadOptions): string {
  const base = scenarioText
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json);
  const random = seededRandom(options.seed);
  const jitter = options.jitterMinutes ?? 6;
  const out: string[] = [];
  for (let copy = 0; copy < options.copies; copy++) {
    const shift = (copy * 2 + Math.floor(random() * (jitter + 1))) * MINUTE;
    for (const line of base) out.push(JSON.stringify(copyLine(line, copy, shift)));
  }
  return `${out.join('\n')}\n`;
}

export const SCENARIO_PATH = fileURLToPath(new URL('hybrid-attack.jsonl', import.meta.url));

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
  };
  const copies = Number(arg('--copies', '12'));
  const seed = Number(arg('--seed', '1'));
  const text = buildLoad(readFileSync(SCENARIO_PATH, 'utf8'), { copies, seed });
  const target = arg('--out', '-');
  if (target === '-') process.stdout.write(text);
  else {
    writeFileSync(target, text);
    process.stderr.write(`wrote ${text.split('\n').length - 1} lines to ${target}\n`);
  }
}
