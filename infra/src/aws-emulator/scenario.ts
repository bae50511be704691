// Seeding from a scenario file (DESIGN.md section 8): JSONL, one {"source", "payload"} per line.
// Lines with source "securityhub.finding" carry an ASFF finding; other sources and blank lines are
// skipped (GuardDuty's native format is not ASFF).

import { z } from 'zod';
import type { AsffFinding } from './asff-fields';

const lineSchema = z.object({ source: z.string(), payload: z.unknown() }).loose();

export function parseScenario(text: string): AsffFinding[] {
  const findings: AsffFinding[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`scenario line ${index + 1} is not JSON`);
    }
    const parsed = lineSchema.parse(json);
    if (parsed.source !== 'securityhub.finding') return;
    const payload = z.record(z.string(), z.unknown()).parse(parsed.payload);
    findings.push(payload);
  });
  return findings;
}
