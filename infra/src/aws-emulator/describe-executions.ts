// DescribeAutomationExecutions: filter keys, MaxResults (1..50) and NextToken over the metadata
// list AutomationStore.list() returns (newest first).

import { z } from 'zod';
import { ssmErrors } from './errors';

export const describeRequestSchema = z
  .object({
    Filters: z.array(z.object({ Key: z.string(), Values: z.array(z.string()) }).strict()).optional(),
    MaxResults: z.number().int().optional(),
    NextToken: z.string().optional(),
  })
  .strict();
export type DescribeRequest = z.infer<typeof describeRequestSchema>;

/** Every AutomationExecutionFilterKey of the API; the emulator implements the first five. */
const supportedKeys = ['ExecutionId', 'DocumentNamePrefix', 'ExecutionStatus', 'StartTimeBefore', 'StartTimeAfter'] as const;
const modelKeys = new Set<string>([
  ...supportedKeys, 'ParentExecutionId', 'CurrentAction', 'TagKey', 'TargetResourceGroup', 'AutomationType', 'OpsItemId', 'AutomationSubtype',
]);

type Metadata = Record<string, unknown>;

function predicate(key: string, values: string[]): (m: Metadata) => boolean {
  switch (key) {
    case 'ExecutionId':
      return (m) => values.includes(String(m['AutomationExecutionId']));
    case 'DocumentNamePrefix':
      return (m) => values.some((v) => String(m['DocumentName']).startsWith(v));
    case 'ExecutionStatus':
      return (m) => values.includes(String(m['AutomationExecutionStatus']));
    case 'StartTimeBefore':
    case 'StartTimeAfter': {
      const bound = Date.parse(values[0] ?? '');
      if (Number.isNaN(bound)) throw ssmErrors.invalidFilterValue(`The value ${values[0] ?? ''} for filter ${key} is not a valid date.`);
      return key === 'StartTimeBefore' ? (m) => Number(m['ExecutionStartTime']) * 1000 <= bound : (m) => Number(m['ExecutionStartTime']) * 1000 >= bound;
    }
    default:
      throw ssmErrors.invalidFilterKey();
  }
}

export function describeExecutions(all: readonly Metadata[], request: DescribeRequest): { AutomationExecutionMetadataList: Metadata[]; NextToken?: string } {
  const max = request.MaxResults ?? 50;
  if (max < 1 || max > 50) {
    throw ssmErrors.validation([{ value: max, path: 'maxResults', constraint: max < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 50' }]);
  }
  const filters = request.Filters ?? [];
  if (filters.length > 10) throw ssmErrors.validation([{ value: filters.length, path: 'filters', constraint: 'Member must have length less than or equal to 10' }]);
  const predicates = filters.map((f) => {
    if (!modelKeys.has(f.Key)) throw ssmErrors.validation([{ value: f.Key, path: 'filters.member.key', constraint: `Member must satisfy enum value set: [${[...modelKeys].join(', ')}]` }]);
    if (f.Values.length < 1 || f.Values.length > 10) throw ssmErrors.invalidFilterValue(`Filter ${f.Key} needs between 1 and 10 values.`);
    return predicate(f.Key, f.Values);
  });
  let offset = 0;
  if (request.NextToken !== undefined) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(request.NextToken, 'base64url').toString('utf8'));
    if (!decoded) throw ssmErrors.invalidNextToken();
    offset = Number(decoded[1]);
  }
  const matching = all.filter((m) => predicates.every((p) => p(m)));
  const page = matching.slice(offset, offset + max);
  const result: { AutomationExecutionMetadataList: Metadata[]; NextToken?: string } = { AutomationExecutionMetadataList: page };
  if (offset + max < matching.length) result.NextToken = Buffer.from(`o${offset + max}`, 'utf8').toString('base64url');
  return result;
}
