import { describe, expect, it } from 'vitest';
import { errorReply, securityHubErrors, ssmErrors, validationMessage } from './errors';
import { FaultInjector } from './faults';
import { parseScenario } from './scenario';

describe('FaultInjector', () => {
  it('throttles the next N calls, then fails with 5xx, for the listed operations only', () => {
    const faults = new FaultInjector({ throttle: { next: 1 }, serverError: { next: 1 }, operations: ['GetFindings'] });
    expect(faults.next('BatchUpdateFindings', 0).kind).toBe('none');
    expect(faults.next('GetFindings', 0)).toEqual({ kind: 'throttled', securityHubCode: 'TooManyRequestsException' });
    expect(faults.next('GetFindings', 0).kind).toBe('serverError');
    expect(faults.next('GetFindings', 0).kind).toBe('none');
  });

  it('throttles above a calls-per-second budget', () => {
    const faults = new FaultInjector({ throttle: { maxPerSecond: 2 } });
    expect([0, 10, 20, 1015].map((t) => faults.next('X', t).kind)).toEqual(['none', 'none', 'throttled', 'none']);
  });

  it('replays rate-based faults identically for a seed', () => {
    const run = () => {
      const faults = new FaultInjector({ serverError: { rate: 0.5 }, seed: 7 });
      return Array.from({ length: 20 }, () => faults.next('X', 0).kind);
    };
    expect(run()).toEqual(run());
    expect(run()).toContain('serverError');
    expect(run()).toContain('none');
  });

  it('counts down partial failures and automation failures', () => {
    const faults = new FaultInjector({ unprocessedFindings: { ids: ['f-1'], calls: 1 }, automationFailure: { documents: ['AWS-StopEC2Instance'], next: 1 } });
    expect([...faults.unprocessedForCall()]).toEqual([['f-1', 'InternalFailure']]);
    expect(faults.unprocessedForCall().size).toBe(0);
    expect(faults.automationOutcome('AWSSupport-ContainEC2Instance')).toEqual({ status: 'Success' });
    expect(faults.automationOutcome('AWS-StopEC2Instance').status).toBe('Failed');
    expect(faults.automationOutcome('AWS-StopEC2Instance')).toEqual({ status: 'Success' });
  });

  it('validates its configuration', () => {
    expect(() => new FaultInjector({ throttle: { rate: 2 } })).toThrow();
  });
});

describe('error replies', () => {
  it('uses the protocol envelope: __type for awsJson1_1, Code/Message for restJson1, x-amzn-ErrorType on both', () => {
    expect(errorReply('awsJson1_1', ssmErrors.throttling())).toEqual({ status: 400, headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } });
    expect(errorReply('awsJson1_1', ssmErrors.definitionNotFound('X-Doc')).body).toEqual({ __type: 'AutomationDefinitionNotFoundException', Message: 'Document with name X-Doc does not exist.' });
    expect(errorReply('restJson1', securityHubErrors.invalidInput('bad'))).toEqual({ status: 400, headers: { 'x-amzn-ErrorType': 'InvalidInputException' }, body: { Code: 'InvalidInputException', Message: 'bad' } });
    expect(errorReply('restJson1', securityHubErrors.tooManyRequests())).toMatchObject({ status: 429, body: { message: 'Too Many Requests' } });
    expect(errorReply('restJson1', new Error('boom'))).toMatchObject({ status: 500, headers: { 'x-amzn-ErrorType': 'InternalException' } });
  });

  it('words constraint violations like the service', () => {
    expect(validationMessage([{ value: 51, path: 'maxResults', constraint: 'Member must have value less than or equal to 50' }])).toBe(
      "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
  });
});

describe('parseScenario', () => {
  it('keeps securityhub.finding payloads and skips other sources and blank lines', () => {
    const text = ['{"source":"securityhub.finding","payload":{"Id":"a"}}', '', '{"source":"qradar.offense","payload":{"id":1}}'].join('\n');
    expect(parseScenario(text)).toEqual([{ Id: 'a' }]);
    expect(() => parseScenario('not json')).toThrow(/line 1/);
  });
});
