// Reads the SigV4 Authorization header the AWS SDK sends:
//   AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
// Only the structure and the credential scope are checked; the signature itself is not recomputed
// (see README.md, "Authentication").

import { authErrors, type AwsProtocol } from './errors';

export interface SigV4Credential {
  accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export type AuthorizationParse =
  | { kind: 'missing' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'ok'; credential: SigV4Credential };

const algorithm = 'AWS4-HMAC-SHA256';

export function parseAuthorization(header: string | undefined): AuthorizationParse {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  const text = header.trim();
  if (!text.startsWith(`${algorithm} `)) return { kind: 'malformed', reason: `Authorization header requires the ${algorithm} algorithm.` };
  const fields = new Map<string, string>();
  for (const part of text.slice(algorithm.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [
    credential === undefined ? 'Credential' : undefined,
    signedHeaders === undefined ? 'SignedHeaders' : undefined,
    signature === undefined ? 'Signature' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return { kind: 'malformed', reason: `Authorization header requires '${missing.join("', '")}' parameter(s).` };
  }
  const scope = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || !/^\d{8}$/.test(date)) {
    return { kind: 'malformed', reason: `Credential should be scoped to a valid region, not '${region ?? ''}'. ` };
  }
  if (!/^[0-9a-f]{64}$/.test(signature)) return { kind: 'malformed', reason: 'Signature must be 64 lower-case hex characters.' };
  return { kind: 'ok', credential: { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature } };
}


/**
 * The access key id of a request the SDK signed for `service` with a configured key, or the
 * AwsApiError the service would answer (missing or malformed header, unknown key, wrong scope).
 */
export function authenticate(authorization: string | undefined, protocol: AwsProtocol, service: string, accessKeyIds: ReadonlySet<string>): SigV4Credential {
  const parsed = parseAuthorization(authorization);
  switch (parsed.kind) {
    case 'missing':
      throw authErrors.missing(protocol);
    case 'malformed':
      throw authErrors.incomplete(protocol, parsed.reason);
    case 'ok':
      break;
  }
  if (!accessKeyIds.has(parsed.credential.accessKeyId)) throw authErrors.unrecognized(protocol);
  if (parsed.credential.service !== service) throw authErrors.wrongScope(protocol, service);
  return parsed.credential;
}
