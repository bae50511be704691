// Reading the replay/scenario JSONL format of DESIGN.md section 8. Only `qradar.offense` lines
// matter here; other sources (Security Hub, GuardDuty, CloudTrail) are skipped.

import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());

const offensePayload = jsonObject.refine((payload) => Number.isInteger(payload['id']), {
  message: 'a QRadar offense payload needs an integer "id"',
});

export const offenseSeedSchema = z.object({
  payload: offensePayload,
  addresses: z
    .object({
      source: z.array(z.string()).optional(),
      localDestination: z.array(z.string()).optional(),
    })
    .optional(),
  events: z.array(jsonObject).optional(),
});

const lineSchema = z.object({ source: z.string() }).loose();

export type OffenseSeedInput = z.infer<typeof offenseSeedSchema>;

export interface OffenseSeed {
  offense: Record<string, unknown>;
  sourceIps: string[];
  localDestinationIps: string[];
  events: Record<string, unknown>[];
}

export function toSeed(input: OffenseSeedInput): OffenseSeed {
  return {
    offense: structuredClone(input.payload),
    sourceIps: input.addresses?.source ?? [],
    localDestinationIps: input.addresses?.localDestination ?? [],
    events: structuredClone(input.events ?? []),
  };
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Parses scenario text; throws ScenarioError naming the line for malformed QRadar lines. */
export function parseScenario(text: string): OffenseSeed[] {
  const seeds: OffenseSeed[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new ScenarioError(`line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    const head = lineSchema.safeParse(json);
    if (!head.success) throw new ScenarioError(`line ${index + 1}: a scenario line needs a "source"`);
    if (head.data.source !== 'qradar.offense') return;
    const parsed = offenseSeedSchema.safeParse(json);
    if (!parsed.success) throw new ScenarioError(`line ${index + 1}: ${z.prettifyError(parsed.error)}`);
    seeds.push(toSeed(parsed.data));
  });
  return seeds;
}
