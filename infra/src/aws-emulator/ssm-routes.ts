// The SSM Automation operations (awsJson1_1, X-Amz-Target: AmazonSSM.<Operation>). Request shapes
// are checked with zod; violations answer ValidationException with Coral-style wording.

import { z } from 'zod';
import { startRequestSchema } from './automation-store';
import { describeExecutions, describeRequestSchema } from './describe-executions';
import { ssmErrors } from './errors';
import type { ServiceDeps } from './securityhub-routes';

export interface SsmContext {
  /** ARN reported as ExecutedBy. */
  caller: string;
}

type Handler = (body: unknown, deps: ServiceDeps, ctx: SsmContext) => unknown;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw ssmErrors.validation(
    parsed.error.issues.map((issue) => {
      let value: unknown = body;
      for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
      const path = issue.path.map((p) => (typeof p === 'number' ? 'member' : lowerFirst(String(p)))).join('.');
      const constraint = value === undefined ? 'Member must not be null' : issue.message;
      return { value, path, constraint };
    }),
  );
}

const documentNamePattern = /^[a-zA-Z0-9_\-.:/]{3,128}$/;
const executionIdSchema = z.string().length(36);

export const ssmOperations: Readonly<Record<string, Handler>> = {
  StartAutomationExecution(body, { state, faults }, ctx) {
    const request = parse(startRequestSchema, body);
    if (!documentNamePattern.test(request.DocumentName)) {
      throw ssmErrors.validation([{ value: request.DocumentName, path: 'documentName', constraint: 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$' }]);
    }
    const id = state.ssm.start(request, state.now().getTime(), ctx.caller, (name) => faults.automationOutcome(name));
    return { AutomationExecutionId: id };
  },
  GetAutomationExecution(body, { state }) {
    const { AutomationExecutionId } = parse(z.object({ AutomationExecutionId: executionIdSchema }).strict(), body);
    return { AutomationExecution: state.ssm.get(AutomationExecutionId, state.now().getTime()) };
  },
  StopAutomationExecution(body, { state }) {
    const { AutomationExecutionId } = parse(z.object({ AutomationExecutionId: executionIdSchema, Type: z.enum(['Complete', 'Cancel']).optional() }).strict(), body);
    state.ssm.stop(AutomationExecutionId, state.now().getTime());
    return {};
  },
  DescribeAutomationExecutions(body, { state }) {
    const request = parse(describeRequestSchema, body);
    return describeExecutions(state.ssm.list(state.now().getTime()), request);
  },
};
