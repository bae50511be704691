import type { MappedSeverity } from '../severity';

/**
 * CloudTrail records carry no severity; Seam scores them with a small documented heuristic (README
 * "CloudTrail severity"). Base by API name, then adjustments; the result is clamped to 0-100.
 */
export interface SensitiveApi {
  readonly category: string;
  readonly severity: number;
}

const table = (names: readonly string[], category: string, severity: number): [string, SensitiveApi][] =>
  names.map((name) => [name, { category, severity }]);

export const SENSITIVE_APIS: ReadonlyMap<string, SensitiveApi> = new Map([
  ...table([
    'StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'DeleteFlowLogs', 'DeleteDetector',
    'UpdateDetector', 'DisassociateFromMasterAccount', 'DisableSecurityHub', 'StopConfigurationRecorder',
    'DeleteConfigurationRecorder', 'DeleteLogGroup', 'PutBucketLogging',
  ], 'defense-evasion', 70),
  ...table([
    'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateUser', 'AddUserToGroup',
    'CreateVirtualMFADevice', 'DeactivateMFADevice', 'ImportKeyPair', 'CreateKeyPair',
  ], 'persistence', 60),
  ...table([
    'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'PutUserPolicy', 'PutRolePolicy',
    'PutGroupPolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy',
  ], 'privilege-escalation', 60),
  ...table([
    'ModifySnapshotAttribute', 'ModifyImageAttribute', 'PutBucketPolicy', 'PutBucketAcl',
    'DeleteBucketPolicy', 'PutBucketPublicAccessBlock', 'DeletePublicAccessBlock',
  ], 'exfiltration', 60),
  ...table(['GetPasswordData', 'GetSecretValue', 'GetSessionToken', 'GetFederationToken'], 'credential-access', 50),
  ...table(['SendCommand', 'StartSession', 'CreateFunction', 'UpdateFunctionCode', 'RunInstances'], 'execution', 50),
  ...table([
    'GetCallerIdentity', 'ListUsers', 'ListRoles', 'ListAccessKeys', 'ListBuckets', 'DescribeInstances',
    'GetAccountAuthorizationDetails', 'ListAttachedUserPolicies', 'ListSecrets', 'DescribeSnapshots',
  ], 'discovery', 20),
]);

export const DEFAULT_API_SEVERITY = 10;

export interface CloudTrailSignals {
  readonly eventName: string;
  readonly consoleLogin: 'success' | 'failure' | null;
  readonly mfaUsed: boolean | null;
  readonly root: boolean;
  readonly errorCode: string | null;
  readonly servicePrincipal: boolean;
}

const ACCESS_DENIED = /accessdenied|unauthorized|forbidden/i;

export function cloudTrailSeverity(signals: CloudTrailSignals): MappedSeverity & { reasons: string[] } {
  const reasons: string[] = [];
  let value: number;
  if (signals.consoleLogin !== null) {
    if (signals.consoleLogin === 'failure') {
      value = 40;
      reasons.push('console login failure');
    } else if (signals.mfaUsed === false) {
      value = signals.root ? 90 : 50;
      reasons.push('console login without MFA');
    } else {
      value = DEFAULT_API_SEVERITY;
      reasons.push('console login with MFA');
    }
  } else {
    const sensitive = SENSITIVE_APIS.get(signals.eventName);
    value = sensitive?.severity ?? DEFAULT_API_SEVERITY;
    reasons.push(sensitive === undefined ? 'ordinary API call' : `sensitive API ${signals.eventName} (${sensitive.category})`);
  }
  if (signals.root && value < 70) {
    value = 70;
    reasons.push('root user activity');
  }
  if (signals.errorCode !== null) {
    if (ACCESS_DENIED.test(signals.errorCode)) {
      value += 10;
      reasons.push(`denied: ${signals.errorCode}`);
    } else {
      reasons.push(`failed: ${signals.errorCode}`);
    }
  }
  if (signals.servicePrincipal && value > DEFAULT_API_SEVERITY) {
    value = DEFAULT_API_SEVERITY;
    reasons.push('called by an AWS service');
  }
  value = Math.min(100, Math.max(0, value));
  const [first = 'cloudtrail heuristic', ...rest] = reasons;
  return { value, reason: `cloudtrail heuristic: ${first}`, reasons: rest };
}
