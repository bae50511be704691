import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { verdictSchema, type Verdict } from '@seam/schemas/records/verdict';
import type { z } from 'zod';
import type { policySchema } from '../src/domain/policy';
import { parsePolicy, type Policy } from '../src/domain/policy';

export type PolicyJson = z.input<typeof policySchema>;

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../config/policy.json', import.meta.url));
export const defaultPolicyJson = (): PolicyJson => JSON.parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8')) as PolicyJson;

/** The shipped policy with a change applied to its JSON. */
export function policyWith(change: (json: PolicyJson) => void = () => undefined): Policy {
  const json = defaultPolicyJson();
  change(json);
  const parsed = parsePolicy(JSON.stringify(json));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.policy;
}

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

export function verdict(over: Partial<Verdict> & { actions?: Verdict['recommendedActions'] } = {}): Verdict {
  const { actions, ...rest } = over;
  return verdictSchema.parse({
    incidentId: 'inc-1',
    incidentVersion: 1,
    verdictVersion: 1,
    phase: 'baseline',
    severity: 'critical',
    riskScore: 92,
    confidence: 0.9,
    falsePositiveLikelihood: 0.05,
    summary: 'Credential misuse from 203.0.113.9 on prod',
    owner: { team: 'soc-l2', person: null },
    mitre: [{ tactic: 'TA0006', technique: 'T1110', name: 'Brute Force' }],
    recommendedActions: actions ?? [
      { kind: 'qradar_note', target: '15', parameters: { note_text: 'Seam verdict: critical' }, rationale: 'record' },
      { kind: 'ssm_automation', target: 'i-0abc1234def567890', parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' }, rationale: 'isolate' },
      { kind: 'notify', target: '#soc', parameters: {}, rationale: 'critical' },
    ],
    evidence: ['qradar:offense:15'],
    factors: [],
    model: null,
    decidedAt: T0,
    ...rest,
  });
}
