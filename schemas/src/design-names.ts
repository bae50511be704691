import type { ActionKind, RawKind } from './records/common';
import type { IdentityKind } from './records/security-event';

// DESIGN.md and the replay/demo input format use names that are not valid Avro enum symbols
// ('qradar.note', 'iam-user', 'qradar.offense'). The Avro symbols replace '.' and '-' with '_'.
// These maps are the single place where the two spellings meet.

export const ACTION_KIND_DESIGN_NAMES = {
  qradar_note: 'qradar.note',
  qradar_assign: 'qradar.assign',
  qradar_close: 'qradar.close',
  qradar_reference_set: 'qradar.reference_set',
  securityhub_update: 'securityhub.update',
  ssm_automation: 'ssm.automation',
  notify: 'notify',
  unknown: 'unknown',
} as const satisfies Record<ActionKind, string>;

export const RAW_KIND_REPLAY_NAMES = {
  qradar_offense: 'qradar.offense',
  securityhub_finding: 'securityhub.finding',
  guardduty_finding: 'guardduty.finding',
  cloudtrail_event: 'cloudtrail.event',
  unknown: 'unknown',
} as const satisfies Record<RawKind, string>;

export const IDENTITY_KIND_DESIGN_NAMES = {
  ad: 'ad',
  iam_user: 'iam-user',
  iam_role_session: 'iam-role-session',
  email: 'email',
  root: 'root',
  unknown: 'unknown',
} as const satisfies Record<IdentityKind, string>;

function invert<S extends string, D extends string>(map: Record<S, D>): (name: string) => S | undefined {
  const reverse = new Map<string, S>();
  for (const symbol of Object.keys(map) as S[]) reverse.set(map[symbol], symbol);
  return (name) => reverse.get(name);
}

export const actionKindFromDesignName = invert(ACTION_KIND_DESIGN_NAMES);
export const rawKindFromReplayName = invert(RAW_KIND_REPLAY_NAMES);
export const identityKindFromDesignName = invert(IDENTITY_KIND_DESIGN_NAMES);
