// The ASFF attributes GetFindings can filter and sort on in this emulator, each read from a stored
// finding. Keys are the AwsSecurityFindingFilters / SortCriteria names from the Security Hub API.

export type AsffFinding = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const obj = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const strings = (values: unknown[]): string[] => values.filter((v): v is string => typeof v === 'string');

/** String-valued attributes (a finding may have several values, e.g. one per resource). */
export const stringFields: Readonly<Record<string, (f: AsffFinding) => string[]>> = {
  Id: (f) => strings([f['Id']]),
  ProductArn: (f) => strings([f['ProductArn']]),
  GeneratorId: (f) => strings([f['GeneratorId']]),
  AwsAccountId: (f) => strings([f['AwsAccountId']]),
  Region: (f) => strings([f['Region']]),
  Title: (f) => strings([f['Title']]),
  Description: (f) => strings([f['Description']]),
  ProductName: (f) => strings([f['ProductName']]),
  CompanyName: (f) => strings([f['CompanyName']]),
  Type: (f) => strings(list(f['Types'])),
  SeverityLabel: (f) => strings([obj(f['Severity'])['Label']]),
  WorkflowStatus: (f) => strings([obj(f['Workflow'])['Status']]),
  WorkflowState: (f) => strings([f['WorkflowState']]),
  RecordState: (f) => strings([f['RecordState']]),
  VerificationState: (f) => strings([f['VerificationState']]),
  ComplianceStatus: (f) => strings([obj(f['Compliance'])['Status']]),
  ResourceType: (f) => strings(list(f['Resources']).map((r) => obj(r)['Type'])),
  ResourceId: (f) => strings(list(f['Resources']).map((r) => obj(r)['Id'])),
  ResourceRegion: (f) => strings(list(f['Resources']).map((r) => obj(r)['Region'])),
  NoteText: (f) => strings([obj(f['Note'])['Text']]),
  NoteUpdatedBy: (f) => strings([obj(f['Note'])['UpdatedBy']]),
};

/** ISO 8601 timestamp attributes, as epoch milliseconds (undefined when absent or unparsable). */
export const dateFields: Readonly<Record<string, (f: AsffFinding) => number | undefined>> = {
  CreatedAt: (f) => parseTime(f['CreatedAt']),
  UpdatedAt: (f) => parseTime(f['UpdatedAt']),
  FirstObservedAt: (f) => parseTime(f['FirstObservedAt']),
  LastObservedAt: (f) => parseTime(f['LastObservedAt']),
  NoteUpdatedAt: (f) => parseTime(obj(f['Note'])['UpdatedAt']),
};

/** Number-valued attributes. */
export const numberFields: Readonly<Record<string, (f: AsffFinding) => number | undefined>> = {
  Confidence: (f) => num(f['Confidence']),
  Criticality: (f) => num(f['Criticality']),
  SeverityNormalized: (f) => num(obj(f['Severity'])['Normalized']),
  SeverityProduct: (f) => num(obj(f['Severity'])['Product']),
};

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function parseTime(value: unknown): number | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function findingKey(productArn: string, id: string): string {
  return `${productArn}\u0000${id}`;
}
