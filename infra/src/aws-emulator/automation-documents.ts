// Automation runbooks the emulator knows, described by their input parameters the way an SSM
// Automation document declares them (type, required/default, allowedValues, allowedPattern), and
// the validation StartAutomationExecution applies before it creates an execution.

import { z } from 'zod';
import { ssmErrors } from './errors';

export const parameterSpecSchema = z
  .object({
    type: z.enum(['String', 'StringList', 'Boolean', 'Integer']),
    /** No default and required: StartAutomationExecution must supply it. */
    required: z.boolean().default(false),
    default: z.array(z.string()).optional(),
    allowedValues: z.array(z.string()).optional(),
    allowedPattern: z.string().optional(),
  })
  .strict();

export const automationDocumentSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/),
    version: z.string().default('1'),
    parameters: z.record(z.string(), parameterSpecSchema),
    /** Outputs reported on success; `{{Name}}` is replaced by the first value of parameter Name. */
    outputs: z.record(z.string(), z.array(z.string())).default({}),
  })
  .strict();

export type ParameterSpec = z.output<typeof parameterSpecSchema>;
export type AutomationDocument = z.output<typeof automationDocumentSchema>;
export type AutomationDocumentInput = z.input<typeof automationDocumentSchema>;
export type AutomationParameters = Record<string, string[]>;

const instanceIdPattern = '^i-[a-z0-9]{8,17}$';
const roleArnPattern = '^arn:aws(-cn|-us-gov)?:iam::\\d{12}:role/[\\w+=,.@/-]+$';

/**
 * The stock documents. AWS-StopEC2Instance: InstanceId (StringList, required) and
 * AutomationAssumeRole (String, optional), per the runbook reference. AWSSupport-ContainEC2Instance:
 * InstanceId and AutomationAssumeRole required, Action Contain|Release; the optional parameters
 * are modelled from the runbook reference as far as it could be checked (README, "Fidelity").
 */
export const defaultDocuments: readonly AutomationDocumentInput[] = [
  {
    name: 'AWSSupport-ContainEC2Instance',
    version: '1',
    parameters: {
      InstanceId: { type: 'String', required: true, allowedPattern: instanceIdPattern },
      AutomationAssumeRole: { type: 'String', required: true, allowedPattern: roleArnPattern },
      Action: { type: 'String', default: ['Contain'], allowedValues: ['Contain', 'Release'] },
      DryRun: { type: 'Boolean', default: ['false'] },
      CreateAMIBackup: { type: 'Boolean', default: ['false'] },
      BackupS3BucketName: { type: 'String', default: [''] },
      TagIdentifier: { type: 'String', default: [''] },
      KMSKeyId: { type: 'String', default: [''] },
    },
    outputs: {},
  },
  {
    name: 'AWS-StopEC2Instance',
    version: '1',
    parameters: {
      InstanceId: { type: 'StringList', required: true, allowedPattern: instanceIdPattern },
      AutomationAssumeRole: { type: 'String', default: [''] },
    },
    outputs: {},
  },
];

export function parseDocuments(documents: readonly AutomationDocumentInput[]): Map<string, AutomationDocument> {
  return new Map(documents.map((d) => {
    const parsed = automationDocumentSchema.parse(d);
    return [parsed.name, parsed];
  }));
}

function fail(message: string): never {
  throw ssmErrors.invalidParameters(message);
}

function checkValue(name: string, spec: ParameterSpec, value: string): void {
  if (spec.type === 'Boolean' && value !== 'true' && value !== 'false') fail(`Parameter "${name}" has value "${value}" that is not a valid Boolean.`);
  if (spec.type === 'Integer' && !/^-?\d+$/.test(value)) fail(`Parameter "${name}" has value "${value}" that is not a valid Integer.`);
  if (spec.allowedValues && !spec.allowedValues.includes(value)) fail(`Parameter "${name}" has value "${value}" not found in [${spec.allowedValues.join(', ')}].`);
  if (spec.allowedPattern !== undefined && !new RegExp(spec.allowedPattern).test(value)) {
    fail(`Parameter "${name}" has value "${value}" not matching "${spec.allowedPattern}".`);
  }
}

/** Checks the given parameters against the document and returns them with defaults filled in. */
export function resolveParameters(document: AutomationDocument, given: AutomationParameters): AutomationParameters {
  for (const name of Object.keys(given)) {
    if (!(name in document.parameters)) fail(`Parameter "${name}" is not defined in the document ${document.name}.`);
  }
  const resolved: AutomationParameters = {};
  for (const [name, spec] of Object.entries(document.parameters)) {
    const values = given[name];
    if (values === undefined || values.length === 0) {
      if (spec.required && spec.default === undefined) fail(`Missing required parameter: ${name} in user inputs.`);
      if (spec.default !== undefined) resolved[name] = [...spec.default];
      continue;
    }
    if (spec.type !== 'StringList' && values.length > 1) fail(`Parameter "${name}" of type ${spec.type} accepts one value, not ${values.length}.`);
    for (const value of values) checkValue(name, spec, value);
    resolved[name] = [...values];
  }
  return resolved;
}

/** Fills `{{Name}}` placeholders in the document outputs with the execution's parameters. */
export function renderOutputs(document: AutomationDocument, parameters: AutomationParameters): AutomationParameters {
  const fill = (template: string) => template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, name: string) => parameters[name]?.[0] ?? '');
  return Object.fromEntries(Object.entries(document.outputs).map(([key, values]) => [key, values.map(fill)]));
}
