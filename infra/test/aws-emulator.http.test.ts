// The AWS emulator driven by the real AWS SDK v3 clients (endpoint override, static test
// credentials, us-east-1), seeded with the GuardDuty SSH brute-force ASFF reference finding.

import { readFileSync } from 'node:fs';
import { BatchUpdateFindingsCommand, GetFindingsCommand, SecurityHubClient, BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import {
  DescribeAutomationExecutionsCommand,
  GetAutomationExecutionCommand,
  SSMClient,
  StartAutomationExecutionCommand,
  StopAutomationExecutionCommand,
} from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAwsEmulator, type AsffFinding, type AwsEmulator, type RecordedCall } from '../src/aws-emulator/index';

const referenceFinding = JSON.parse(
  readFileSync(new URL('../../../shared/reference-payloads/aws/asff_guardduty_sshbruteforce_awsdocs.json', import.meta.url), 'utf8'),
) as AsffFinding;
const referenceId = String(referenceFinding['Id']);
const productArn = String(referenceFinding['ProductArn']);
const credentials = { accessKeyId: 'AKIDSEAMTEST', secretAccessKey: 'not-a-real-secret' };
const adminToken = 'admin-token';
const roleArn = 'arn:aws:iam::193043430472:role/SeamContainment';

let emu: AwsEmulator;
let hub: SecurityHubClient;
let ssm: SSMClient;

function clients(maxAttempts: number) {
  const config = { endpoint: emu.url, region: 'us-east-1', credentials, maxAttempts };
  return { hub: new SecurityHubClient(config), ssm: new SSMClient(config) };
}

beforeAll(async () => {
  emu = await startAwsEmulator({
    accessKeyIds: [credentials.accessKeyId],
    adminToken,
    findings: [referenceFinding],
    state: { automation: { pendingMs: 50, runMs: 150 } },
  });
  ({ hub, ssm } = clients(1));
});
afterAll(async () => {
  hub.destroy();
  ssm.destroy();
  await emu.close();
});
afterEach(async () => {
  expect((await admin('POST', '/_emulator/reset')).status).toBe(204);
});

async function admin(method: string, path: string, body?: unknown) {
  const init: RequestInit = { method, headers: { 'X-Emulator-Token': adminToken, 'Content-Type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${emu.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as unknown };
}

function syntheticFinding(n: number, overrides: Partial<AsffFinding> = {}): AsffFinding {
  const minute = String(n % 60).padStart(2, '0');
  return {
    ...structuredClone(referenceFinding),
    Id: `arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-${String(n).padStart(3, '0')}`,
    UpdatedAt: `2024-05-01T10:${minute}:00.000Z`,
    CreatedAt: '2024-05-01T09:00:00.000Z',
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { name: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

describe('Security Hub BatchUpdateFindings', () => {
  it('updates workflow, severity and note of the seeded GuardDuty finding; UpdatedAt stays as the provider set it', async () => {
    const out = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }],
        Workflow: { Status: 'NOTIFIED' },
        Severity: { Label: 'HIGH' },
        Note: { Text: 'Contained by Seam', UpdatedBy: 'seam-actuator' },
        UserDefinedFields: { seamIncident: 'inc-1' },
        VerificationState: 'TRUE_POSITIVE',
        Confidence: 80,
        Criticality: 60,
      }),
    );
    expect(out.ProcessedFindings).toEqual([{ Id: referenceId, ProductArn: productArn }]);
    expect(out.UnprocessedFindings).toEqual([]);
    const stored = emu.state.securityHub.get(productArn, referenceId);
    expect(stored).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Severity: { Label: 'HIGH', Normalized: 70, Product: 2 },
      Note: { Text: 'Contained by Seam', UpdatedBy: 'seam-actuator' },
      UserDefinedFields: { seamIncident: 'inc-1' },
      VerificationState: 'TRUE_POSITIVE',
      Confidence: 80,
      Criticality: 60,
      UpdatedAt: referenceFinding['UpdatedAt'],
    });
    const history = emu.state.securityHub.history(productArn, referenceId);
    expect(history.at(-1)?.changes.map((c) => c.field)).toEqual(expect.arrayContaining(['Note', 'Workflow', 'Severity']));
  });

  it('bumps UpdatedAt when configured to', async () => {
    await admin('PUT', '/_emulator/config', { batchUpdateBumpsUpdatedAt: true });
    await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Workflow: { Status: 'RESOLVED' } }));
    expect(emu.state.securityHub.get(productArn, referenceId)?.['UpdatedAt']).not.toBe(referenceFinding['UpdatedAt']);
    await admin('PUT', '/_emulator/config', { batchUpdateBumpsUpdatedAt: false });
  });

  it('refuses more than 100 identifiers with InvalidInputException (400)', async () => {
    const identifiers = Array.from({ length: 101 }, (_, i) => ({ Id: `id-${i}`, ProductArn: productArn }));
    const error = await rejection(hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers, Workflow: { Status: 'NOTIFIED' } })));
    expect(error.name).toBe('InvalidInputException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const exactly100 = await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers.slice(0, 100), Workflow: { Status: 'NOTIFIED' } }));
    expect(exactly100.UnprocessedFindings).toHaveLength(100);
  });

  it('lists unknown and duplicated findings in UnprocessedFindings with the documented codes', async () => {
    const unknown = { Id: 'arn:aws:guardduty:us-east-1:193043430472:detector/x/finding/nope', ProductArn: productArn };
    const out = await hub.send(
      new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }, unknown], Workflow: { Status: 'NOTIFIED' } }),
    );
    expect(out.ProcessedFindings).toEqual([{ Id: referenceId, ProductArn: productArn }]);
    expect(out.UnprocessedFindings).toEqual([{ FindingIdentifier: unknown, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' }]);
    const dup = await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [unknown, unknown], Workflow: { Status: 'NOTIFIED' } }));
    expect(dup.UnprocessedFindings?.[0]?.ErrorCode).toBe('DuplicatedFindingIdentifier');
  });

  it('validates Note: Text and UpdatedBy both required, Text at most 512 characters', async () => {
    const ids = [{ Id: referenceId, ProductArn: productArn }];
    for (const Note of [{ Text: 'only text' }, { UpdatedBy: 'only-author' }, { Text: 'x'.repeat(513), UpdatedBy: 'seam' }]) {
      const error = await rejection(hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: ids, Note: Note as { Text: string; UpdatedBy: string } })));
      expect(error.name).toBe('InvalidInputException');
    }
    const ok = await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: ids, Note: { Text: 'x'.repeat(512), UpdatedBy: 'seam' } }));
    expect(ok.ProcessedFindings).toHaveLength(1);
  });

  it('answers injected partial failures in UnprocessedFindings', async () => {
    await admin('PUT', '/_emulator/faults', { unprocessedFindings: { ids: [referenceId], errorCode: 'ConcurrentUpdateError', calls: 1 } });
    const first = await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Workflow: { Status: 'NOTIFIED' } }));
    expect(first.UnprocessedFindings).toEqual([{ FindingIdentifier: { Id: referenceId, ProductArn: productArn }, ErrorCode: 'ConcurrentUpdateError', ErrorMessage: 'Concurrent finding updates detected' }]);
    const retry = await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Workflow: { Status: 'NOTIFIED' } }));
    expect(retry.ProcessedFindings).toHaveLength(1);
  });
});

describe('Security Hub GetFindings and BatchImportFindings', () => {
  it('imports findings, reports non-ASFF ones in FailedFindings', async () => {
    const { Title: _t, ...withoutTitle } = syntheticFinding(99);
    const out = await hub.send(new BatchImportFindingsCommand({ Findings: [syntheticFinding(1), withoutTitle] as never }));
    expect(out.SuccessCount).toBe(1);
    expect(out.FailedCount).toBe(1);
    expect(out.FailedFindings?.[0]).toMatchObject({ ErrorCode: 'InvalidInput', ErrorMessage: expect.stringContaining("'Title'") as string });
  });

  it('filters by Id, ProductArn, UpdatedAt, WorkflowStatus, RecordState and SeverityLabel', async () => {
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          syntheticFinding(1),
          syntheticFinding(2, { Severity: { Label: 'HIGH', Normalized: 70 } }),
          syntheticFinding(3, { RecordState: 'ARCHIVED' }),
          syntheticFinding(30),
        ] as never,
      }),
    );
    const ids = async (Filters: object) => ((await hub.send(new GetFindingsCommand({ Filters }))).Findings ?? []).map((f) => f.Id);
    expect(await ids({ Id: [{ Value: referenceId, Comparison: 'EQUALS' }] })).toEqual([referenceId]);
    expect(await ids({ ProductArn: [{ Value: 'arn:aws:securityhub:us-east-1::product/aws/', Comparison: 'PREFIX' }] })).toHaveLength(5);
    expect(await ids({ UpdatedAt: [{ Start: '2024-05-01T10:00:00Z', End: '2024-05-01T10:05:00Z' }] })).toEqual([syntheticFinding(3)['Id'], syntheticFinding(2)['Id'], syntheticFinding(1)['Id']]);
    expect(await ids({ RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }], SeverityLabel: [{ Value: 'HIGH', Comparison: 'EQUALS' }] })).toEqual([syntheticFinding(2)['Id']]);
    expect(await ids({ SeverityLabel: [{ Value: 'MEDIUM', Comparison: 'NOT_EQUALS' }] })).toEqual([syntheticFinding(2)['Id']]);
    await hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Workflow: { Status: 'SUPPRESSED' } }));
    expect(await ids({ WorkflowStatus: [{ Value: 'SUPPRESSED', Comparison: 'EQUALS' }] })).toEqual([referenceId]);
    const bad = await rejection(hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: 'a', Comparison: 'EQUALS' }, { Value: 'b', Comparison: 'NOT_EQUALS' }] } })));
    expect(bad.name).toBe('InvalidInputException');
  });

  it('pages with MaxResults and NextToken in a stable order, unaffected by imports between pages', async () => {
    await hub.send(new BatchImportFindingsCommand({ Findings: Array.from({ length: 25 }, (_, i) => syntheticFinding(i)) as never }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    const Filters = { Id: [{ Value: 'arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-', Comparison: 'PREFIX' as const }] };
    do {
      const page = await hub.send(new GetFindingsCommand({ Filters, SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' }], MaxResults: 10, ...(token ? { NextToken: token } : {}) }));
      seen.push(...(page.Findings ?? []).map((f) => String(f.Id)));
      token = page.NextToken;
      pages += 1;
      if (pages === 1) {
        // One finding sorts before the page already served (never seen), one after it (seen once).
        const early = syntheticFinding(0, { Id: 'arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-000a' });
        const late = syntheticFinding(59, { Id: 'arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-late' });
        await hub.send(new BatchImportFindingsCommand({ Findings: [early, late] as never }));
      }
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect(seen.at(-1)).toBe('arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-late');
    expect(seen).not.toContain('arn:aws:guardduty:us-east-1:193043430472:detector/d4b0/finding/synthetic-000a');
    const tooMany = await rejection(hub.send(new GetFindingsCommand({ MaxResults: 101 })));
    expect(tooMany.name).toBe('InvalidInputException');
  });
});

describe('SSM Automation', () => {
  async function waitForTerminal(id: string) {
    for (let i = 0; i < 100; i += 1) {
      const { AutomationExecution } = await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }));
      const status = AutomationExecution?.AutomationExecutionStatus;
      if (status === 'Success' || status === 'Failed' || status === 'TimedOut' || status === 'Cancelled') return AutomationExecution;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('execution did not finish');
  }

  it('starts AWSSupport-ContainEC2Instance and polls it from Pending to Success', async () => {
    const { AutomationExecutionId } = await ssm.send(
      new StartAutomationExecutionCommand({ DocumentName: 'AWSSupport-ContainEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [roleArn] } }),
    );
    expect(AutomationExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    const first = await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId }));
    expect(['Pending', 'InProgress']).toContain(first.AutomationExecution?.AutomationExecutionStatus);
    const done = await waitForTerminal(String(AutomationExecutionId));
    expect(done?.AutomationExecutionStatus).toBe('Success');
    expect(done?.ExecutionStartTime).toBeInstanceOf(Date);
    expect(done?.ExecutionEndTime?.getTime()).toBeGreaterThan(done?.ExecutionStartTime?.getTime() ?? Infinity);
    expect(done?.Parameters).toMatchObject({ InstanceId: ['i-0c10c2c7863d1a356'], Action: ['Contain'] });
    const listed = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: 'DocumentNamePrefix', Values: ['AWSSupport-'] }, { Key: 'ExecutionStatus', Values: ['Success'] }] }));
    expect(listed.AutomationExecutionMetadataList?.map((m) => m.AutomationExecutionId)).toEqual([AutomationExecutionId]);
  });

  it('returns the same execution for a repeated ClientToken and refuses it with other parameters', async () => {
    const ClientToken = '6f1c0d2e-8a7b-4c3d-9e8f-0a1b2c3d4e5f';
    const input = { DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] }, ClientToken };
    const a = await ssm.send(new StartAutomationExecutionCommand(input));
    const b = await ssm.send(new StartAutomationExecutionCommand(input));
    expect(b.AutomationExecutionId).toBe(a.AutomationExecutionId);
    expect(emu.state.ssm.count()).toBe(1);
    const mismatch = await rejection(ssm.send(new StartAutomationExecutionCommand({ ...input, Parameters: { InstanceId: ['i-0123456789abcdef0'] } })));
    expect(mismatch.name).toBe('IdempotentParameterMismatch');
  });

  it('refuses an unknown document and bad parameters', async () => {
    const unknown = await rejection(ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-NoSuchRunbook', Parameters: {} })));
    expect(unknown.name).toBe('AutomationDefinitionNotFoundException');
    expect(unknown.$metadata.httpStatusCode).toBe(400);
    const missing = await rejection(ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWSSupport-ContainEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } })));
    expect(missing.name).toBe('InvalidAutomationExecutionParametersException');
    expect(missing.message).toBe('Missing required parameter: AutomationAssumeRole in user inputs.');
    const badValue = await rejection(
      ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWSSupport-ContainEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [roleArn], Action: ['Isolate'] } })),
    );
    expect(badValue.message).toBe('Parameter "Action" has value "Isolate" not found in [Contain, Release].');
    const notFound = await rejection(ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: '00000000-0000-4000-8000-000000000000' })));
    expect(notFound.name).toBe('AutomationExecutionNotFoundException');
  });

  it('fails executions on injected faults and stops running ones', async () => {
    await admin('PUT', '/_emulator/faults', { automationFailure: { documents: ['AWS-StopEC2Instance'], next: 1, message: 'Step fails: UnauthorizedOperation' } });
    const failed = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } }));
    const done = await waitForTerminal(String(failed.AutomationExecutionId));
    expect(done).toMatchObject({ AutomationExecutionStatus: 'Failed', FailureMessage: 'Step fails: UnauthorizedOperation' });
    const running = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } }));
    await ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: running.AutomationExecutionId }));
    expect((await waitForTerminal(String(running.AutomationExecutionId)))?.AutomationExecutionStatus).toBe('Cancelled');
    const again = await rejection(ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: running.AutomationExecutionId })));
    expect(again.name).toBe('InvalidAutomationStatusUpdateException');
  });
});

describe('throttling, server errors and authentication', () => {
  it('surfaces throttling as the SDK throttling errors, and SDK retries get through', async () => {
    await admin('PUT', '/_emulator/faults', { throttle: { next: 1 } });
    const ssmThrottled = await rejection(ssm.send(new DescribeAutomationExecutionsCommand({})));
    expect(ssmThrottled.name).toBe('ThrottlingException');
    expect(ssmThrottled.$metadata.httpStatusCode).toBe(400);
    await admin('PUT', '/_emulator/faults', { throttle: { next: 1 } });
    const hubThrottled = await rejection(hub.send(new GetFindingsCommand({})));
    expect(hubThrottled.name).toBe('TooManyRequestsException');
    expect(hubThrottled.$metadata.httpStatusCode).toBe(429);

    const retrying = clients(4);
    await admin('PUT', '/_emulator/faults', { throttle: { next: 2 } });
    const out = await retrying.hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Workflow: { Status: 'NOTIFIED' } }));
    expect(out.ProcessedFindings).toHaveLength(1);
    expect(out.$metadata.attempts).toBe(3);
    await admin('PUT', '/_emulator/faults', { throttle: { next: 1 }, operations: ['StartAutomationExecution'] });
    const started = await retrying.ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } }));
    expect(started.AutomationExecutionId).toBeDefined();
    retrying.hub.destroy();
    retrying.ssm.destroy();
  });

  it('answers injected 5xx as InternalException / InternalServerError', async () => {
    await admin('PUT', '/_emulator/faults', { serverError: { next: 2 } });
    const hubError = await rejection(hub.send(new GetFindingsCommand({})));
    expect([hubError.name, hubError.$metadata.httpStatusCode]).toEqual(['InternalException', 500]);
    const ssmError = await rejection(ssm.send(new DescribeAutomationExecutionsCommand({})));
    expect([ssmError.name, ssmError.$metadata.httpStatusCode]).toEqual(['InternalServerError', 500]);
  });

  it('refuses unsigned requests and unknown access keys', async () => {
    const unsigned = await fetch(`${emu.url}/findings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const unsignedSsm = await fetch(emu.url, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.DescribeAutomationExecutions' }, body: '{}' });
    expect(unsignedSsm.status).toBe(400);
    expect(await unsignedSsm.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    const stranger = new SSMClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' }, maxAttempts: 1 });
    const error = await rejection(stranger.send(new DescribeAutomationExecutionsCommand({})));
    expect(error.name).toBe('UnrecognizedClientException');
    stranger.destroy();
  });
});

describe('admin API', () => {
  it('records every call with operation, parameters and time, for exactly-once assertions', async () => {
    await admin('PUT', '/_emulator/faults', { throttle: { next: 1 }, operations: ['BatchUpdateFindings'] });
    const retrying = clients(3);
    await retrying.hub.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: referenceId, ProductArn: productArn }], Note: { Text: 'once', UpdatedBy: 'seam' } }));
    retrying.hub.destroy();
    const calls = (await admin('GET', '/_emulator/calls?operation=BatchUpdateFindings')).body as RecordedCall[];
    expect(calls.map((c) => [c.status, c.errorCode ?? null])).toEqual([[429, 'TooManyRequestsException'], [200, null]]);
    expect(calls[1]).toMatchObject({ service: 'securityhub', accessKeyId: credentials.accessKeyId, params: { Note: { Text: 'once', UpdatedBy: 'seam' } } });
    expect(Number.isNaN(Date.parse(calls[1]?.at ?? ''))).toBe(false);
    const succeeded = (await admin('GET', '/_emulator/calls?operation=BatchUpdateFindings&status=200')).body as RecordedCall[];
    expect(succeeded).toHaveLength(1);
    const state = (await admin('GET', '/_emulator/state')).body as Record<string, unknown>;
    expect(state).toMatchObject({ findings: 1, executions: 0, documents: ['AWSSupport-ContainEC2Instance', 'AWS-StopEC2Instance'] });
    expect((await fetch(`${emu.url}/_emulator/state`)).status).toBe(401);
  });

  it('resets to the seeded finding and clears calls and executions', async () => {
    await hub.send(new BatchImportFindingsCommand({ Findings: [syntheticFinding(5)] as never }));
    await ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } }));
    expect(await admin('POST', '/_emulator/reset')).toMatchObject({ status: 204 });
    const findings = (await admin('GET', '/_emulator/findings')).body as AsffFinding[];
    expect(findings.map((f) => f['Id'])).toEqual([referenceId]);
    expect(((await admin('GET', '/_emulator/executions')).body as unknown[]).length).toBe(0);
    expect(((await admin('GET', '/_emulator/calls')).body as unknown[]).length).toBe(0);
  });
});
