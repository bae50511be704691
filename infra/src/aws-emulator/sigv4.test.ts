import { describe, expect, it } from 'vitest';
import { authenticate, parseAuthorization } from './sigv4';

const signature = 'a'.repeat(64);

describe('parseAuthorization', () => {
  it('reads the credential scope of an SDK header', () => {
    const parsed = parseAuthorization(
      `AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${signature}`,
    );
    expect(parsed).toEqual({
      kind: 'ok',
      credential: {
        accessKeyId: 'AKIDTEST',
        date: '20250101',
        region: 'us-east-1',
        service: 'ssm',
        signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-target'],
        signature,
      },
    });
  });

  it('reports a missing header', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'missing' });
    expect(parseAuthorization('  ')).toEqual({ kind: 'missing' });
  });

  it('rejects other schemes, missing parts and bad scopes', () => {
    expect(parseAuthorization('Bearer abc').kind).toBe('malformed');
    expect(parseAuthorization('AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ssm/aws4_request').kind).toBe('malformed');
    expect(parseAuthorization(`AWS4-HMAC-SHA256 Credential=AKID/2025/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=${signature}`).kind).toBe('malformed');
    expect(parseAuthorization('AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=xyz').kind).toBe('malformed');
  });
});

describe('authenticate', () => {
  const keys = new Set(['AKIDTEST']);
  const header = (key: string, service: string) => `AWS4-HMAC-SHA256 Credential=${key}/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${signature}`;

  it('accepts a configured key scoped to the service', () => {
    expect(authenticate(header('AKIDTEST', 'securityhub'), 'restJson1', 'securityhub', keys).accessKeyId).toBe('AKIDTEST');
  });

  it('answers like the protocol: 403 for restJson1, 400 for awsJson1_1', () => {
    expect(() => authenticate(undefined, 'restJson1', 'securityhub', keys)).toThrow(expect.objectContaining({ status: 403, code: 'MissingAuthenticationTokenException' }));
    expect(() => authenticate(undefined, 'awsJson1_1', 'ssm', keys)).toThrow(expect.objectContaining({ status: 400, code: 'MissingAuthenticationTokenException' }));
    expect(() => authenticate(header('AKIDOTHER', 'ssm'), 'awsJson1_1', 'ssm', keys)).toThrow(expect.objectContaining({ code: 'UnrecognizedClientException' }));
    expect(() => authenticate(header('AKIDTEST', 'ssm'), 'restJson1', 'securityhub', keys)).toThrow(expect.objectContaining({ code: 'InvalidSignatureException' }));
  });
});
