// Seeds for an emulator from three places, in this order: given in code, scenario text, and a
// scenario file (DESIGN.md section 8). The emulator supplies the parser for its own lines.

import { readFile } from 'node:fs/promises';

export interface ScenarioSources {
  /** Scenario JSONL text. */
  scenarioText?: string | undefined;
  /** Path of a scenario JSONL file. */
  scenarioPath?: string | undefined;
}

export async function loadScenario<T>(given: readonly T[] | undefined, sources: ScenarioSources, parse: (text: string) => T[]): Promise<T[]> {
  const items = [...(given ?? [])];
  if (sources.scenarioText !== undefined) items.push(...parse(sources.scenarioText));
  if (sources.scenarioPath !== undefined) items.push(...parse(await readFile(sources.scenarioPath, 'utf8')));
  return items;
}
