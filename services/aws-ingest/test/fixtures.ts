import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(`${dir}${name}`, 'utf8');
}

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

export type Json = Record<string, unknown>;

/** The ASFF reference finding (GuardDuty SSH brute force, older ProductFields generation). */
export const asffReference = (): Json => fixture<Json>('asff_guardduty_sshbruteforce_awsdocs.json');

/** The same finding with the current ProductFields generation (Security Hub's own keys only). */
export function asffCurrentGeneration(): Json {
  const finding = asffReference();
  const id = String(finding['Id']);
  return {
    ...finding,
    Id: `${id}-currentgen`,
    ProductFields: {
      'aws/securityhub/FindingId': `arn:aws:securityhub:us-east-1::product/aws/guardduty/${id}`,
      'aws/securityhub/ProductName': 'GuardDuty',
      'aws/securityhub/CompanyName': 'Amazon',
    },
    FindingProviderFields: { Severity: { Label: 'MEDIUM', Original: '2' }, Types: finding['Types'] },
  };
}

/** Every CloudTrail reference record, in file order. */
export function cloudTrailReferenceRecords(): { file: string; records: Json[] }[] {
  const files = ['cloudtrail_invictus_aws_dataset_excerpt.json', 'cloudtrail_stratus_console-login-without-mfa.json', 'cloudtrail_stratus_ec2-steal-instance-credentials_excerpt.json'];
  return files.map((file) => {
    const parsed = fixture<unknown>(file);
    const records = (Array.isArray(parsed) ? parsed : (parsed as { Records: unknown[] }).Records) as Json[];
    return { file, records };
  });
}

/** A GuardDuty camelCase detail turned into the PascalCase shape of the GuardDuty API. */
export function toPascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPascal);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), toPascal(v)]));
  }
  return value;
}
