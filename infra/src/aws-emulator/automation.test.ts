import { describe, expect, it } from 'vitest';
import { defaultDocuments, parseDocuments, renderOutputs, resolveParameters } from './automation-documents';
import { AutomationStore } from './automation-store';
import { describeExecutions } from './describe-executions';

const documents = parseDocuments(defaultDocuments);
const contain = documents.get('AWSSupport-ContainEC2Instance');
const stop = documents.get('AWS-StopEC2Instance');
const role = 'arn:aws:iam::193043430472:role/SeamContainment';

describe('resolveParameters', () => {
  it('fills defaults and checks required parameters, allowed values, patterns and types', () => {
    if (!contain || !stop) throw new Error('stock documents missing');
    expect(resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [role] })).toMatchObject({ Action: ['Contain'], DryRun: ['false'] });
    expect(() => resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356'] })).toThrow('Missing required parameter: AutomationAssumeRole in user inputs.');
    expect(() => resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [role], Action: ['contain'] })).toThrow('Parameter "Action" has value "contain" not found in [Contain, Release].');
    expect(() => resolveParameters(contain, { InstanceId: ['server-1'], AutomationAssumeRole: [role] })).toThrow(/not matching/);
    expect(() => resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356', 'i-0123456789abcdef0'], AutomationAssumeRole: [role] })).toThrow(/one value/);
    expect(() => resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [role], DryRun: ['yes'] })).toThrow(/Boolean/);
    expect(() => resolveParameters(contain, { InstanceId: ['i-0c10c2c7863d1a356'], AutomationAssumeRole: [role], Force: ['true'] })).toThrow(/not defined/);
    expect(resolveParameters(stop, { InstanceId: ['i-0c10c2c7863d1a356', 'i-0123456789abcdef0'] })).toMatchObject({ InstanceId: ['i-0c10c2c7863d1a356', 'i-0123456789abcdef0'] });
  });

  it('renders output templates from parameters', () => {
    const [doc] = parseDocuments([{ name: 'Custom-Doc', parameters: { InstanceId: { type: 'String', required: true } }, outputs: { 'step.Instance': ['{{ InstanceId }}'] } }]).values();
    if (!doc) throw new Error('no document');
    expect(renderOutputs(doc, { InstanceId: ['i-1'] })).toEqual({ 'step.Instance': ['i-1'] });
  });
});

describe('AutomationStore', () => {
  const store = () => new AutomationStore(defaultDocuments, { pendingMs: 100, runMs: 400, cancelMs: 50 });
  const success = () => ({ status: 'Success' as const });
  const start = (s: AutomationStore, at: number, token?: string) =>
    s.start({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] }, ...(token ? { ClientToken: token } : {}) }, at, 'arn:aws:iam::1:user/k', success);

  it('moves Pending -> InProgress -> Success with the clock', () => {
    const s = store();
    const id = start(s, 1_000_000);
    expect(s.get(id, 1_000_050)['AutomationExecutionStatus']).toBe('Pending');
    expect(s.get(id, 1_000_200)['AutomationExecutionStatus']).toBe('InProgress');
    expect(s.get(id, 1_000_500)).toMatchObject({ AutomationExecutionStatus: 'Success', ExecutionStartTime: 1000, ExecutionEndTime: 1000.5 });
  });

  it('ends with the planned failure', () => {
    const s = store();
    const id = s.start({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0c10c2c7863d1a356'] } }, 0, 'x', () => ({ status: 'TimedOut', failureMessage: 'slow' }));
    expect(s.get(id, 499)['FailureMessage']).toBeUndefined();
    expect(s.get(id, 500)).toMatchObject({ AutomationExecutionStatus: 'TimedOut', FailureMessage: 'slow' });
  });

  it('is idempotent per ClientToken (case-insensitive) and refuses a reuse with other parameters', () => {
    const s = store();
    const token = '6F1C0D2E-8A7B-4C3D-9E8F-0A1B2C3D4E5F';
    const id = start(s, 0, token);
    expect(start(s, 10, token.toLowerCase())).toBe(id);
    expect(s.count()).toBe(1);
    expect(() => s.start({ DocumentName: 'AWS-StopEC2Instance', Parameters: { InstanceId: ['i-0123456789abcdef0'] }, ClientToken: token }, 20, 'x', success)).toThrow(
      expect.objectContaining({ code: 'IdempotentParameterMismatch' }),
    );
    expect(() => start(s, 0, 'not-a-uuid')).toThrow(expect.objectContaining({ code: 'ValidationException' }));
  });

  it('stops a running execution through Cancelling to Cancelled, and refuses to stop a finished one', () => {
    const s = store();
    const id = start(s, 0);
    s.stop(id, 200);
    expect(s.get(id, 220)['AutomationExecutionStatus']).toBe('Cancelling');
    expect(s.get(id, 250)).toMatchObject({ AutomationExecutionStatus: 'Cancelled', ExecutionEndTime: 0.25 });
    expect(() => s.stop(id, 300)).toThrow(expect.objectContaining({ code: 'InvalidAutomationStatusUpdateException' }));
    expect(() => s.get('00000000-0000-4000-8000-000000000000', 0)).toThrow(expect.objectContaining({ code: 'AutomationExecutionNotFoundException' }));
    expect(() => s.start({ DocumentName: 'Nope-Doc' }, 0, 'x', success)).toThrow(expect.objectContaining({ code: 'AutomationDefinitionNotFoundException' }));
  });

  it('describes executions newest first with filters and paging', () => {
    const s = store();
    const ids = [0, 1, 2].map((i) => start(s, i * 1000));
    const all = s.list(1200);
    expect(all.map((m) => m['AutomationExecutionId'])).toEqual([...ids].reverse());
    const first = describeExecutions(all, { MaxResults: 2 });
    expect(first.AutomationExecutionMetadataList).toHaveLength(2);
    const second = describeExecutions(all, { MaxResults: 2, NextToken: first.NextToken ?? '' });
    expect(second.AutomationExecutionMetadataList.map((m) => m['AutomationExecutionId'])).toEqual([ids[0]]);
    expect(describeExecutions(all, { Filters: [{ Key: 'ExecutionStatus', Values: ['Success'] }] }).AutomationExecutionMetadataList.map((m) => m['AutomationExecutionId'])).toEqual([ids[0]]);
    expect(describeExecutions(all, { Filters: [{ Key: 'ExecutionId', Values: [ids[1] ?? ''] }] }).AutomationExecutionMetadataList).toHaveLength(1);
    expect(() => describeExecutions(all, { MaxResults: 51 })).toThrow(/less than or equal to 50/);
    expect(() => describeExecutions(all, { Filters: [{ Key: 'TagKey', Values: ['x'] }] })).toThrow(expect.objectContaining({ code: 'InvalidFilterKey' }));
    expect(() => describeExecutions(all, { Filters: [{ Key: 'Color', Values: ['x'] }] })).toThrow(expect.objectContaining({ code: 'ValidationException' }));
  });
});
