// AWS error answers for the two wire protocols the emulator speaks. Both the restJson1 protocol
// (Security Hub) and awsJson1_1 (SSM) let the SDK read the error code from the x-amzn-ErrorType
// header first, then from the body (`__type` / `code`); the message comes from `message` or
// `Message`. See README.md, "Fidelity", for what each status and wording is based on.

export type AwsProtocol = 'restJson1' | 'awsJson1_1';

/**
 * `modeled`: an error shape from the service model (members `Message` and, for Security Hub, `Code`).
 * `frontDoor`: answered before the service itself (auth, throttling), body `{message}` only.
 */
export type ErrorStyle = 'modeled' | 'frontDoor';

export class AwsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly style: ErrorStyle = 'modeled',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The HTTP answer for `error` in `protocol`. Unknown exceptions become a 500 InternalFailure. */
export function errorReply(protocol: AwsProtocol, error: unknown): ErrorReply {
  const aws = error instanceof AwsApiError ? error : new AwsApiError(500, protocol === 'restJson1' ? 'InternalException' : 'InternalServerError', error instanceof Error ? error.message : String(error));
  const headers: Record<string, string> = { 'x-amzn-ErrorType': aws.code, ...aws.headers };
  if (protocol === 'awsJson1_1') {
    const body: Record<string, unknown> = { __type: aws.code };
    if (aws.style === 'frontDoor') body['message'] = aws.message;
    else body['Message'] = aws.message;
    return { status: aws.status, headers, body };
  }
  const body: Record<string, unknown> = aws.style === 'frontDoor' ? { message: aws.message } : { Code: aws.code, Message: aws.message };
  return { status: aws.status, headers, body };
}

/** A Coral-style constraint message: "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: …". */
export function validationMessage(issues: readonly { value: unknown; path: string; constraint: string }[]): string {
  const parts = issues.map((issue) => `Value '${describeValue(issue.value)}' at '${issue.path}' failed to satisfy constraint: ${issue.constraint}`);
  const count = issues.length;
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

// --- Security Hub (restJson1) -------------------------------------------------------------------

export const securityHubErrors = {
  invalidInput: (message: string): AwsApiError => new AwsApiError(400, 'InvalidInputException', message),
  internal: (): AwsApiError => new AwsApiError(500, 'InternalException', 'Internal service failure (injected by the emulator).'),
  /** What Security Hub's front door answers when throttling (observed: "Too Many Requests"). */
  tooManyRequests: (): AwsApiError => new AwsApiError(429, 'TooManyRequestsException', 'Too Many Requests', 'frontDoor'),
  limitExceeded: (): AwsApiError => new AwsApiError(429, 'LimitExceededException', 'Rate exceeded'),
  notFound: (method: string, path: string): AwsApiError => new AwsApiError(404, 'ResourceNotFoundException', `No Security Hub operation for ${method} ${path} in this emulator`),
} as const;

// --- SSM (awsJson1_1) ---------------------------------------------------------------------------

export const ssmErrors = {
  validation: (issues: readonly { value: unknown; path: string; constraint: string }[]): AwsApiError =>
    new AwsApiError(400, 'ValidationException', validationMessage(issues), 'frontDoor'),
  serialization: (): AwsApiError => new AwsApiError(400, 'SerializationException', 'Start of structure or map found where not expected.', 'frontDoor'),
  unknownOperation: (): AwsApiError => new AwsApiError(400, 'UnknownOperationException', 'Unknown operation', 'frontDoor'),
  throttling: (): AwsApiError => new AwsApiError(400, 'ThrottlingException', 'Rate exceeded', 'frontDoor'),
  internal: (): AwsApiError => new AwsApiError(500, 'InternalServerError', 'An error occurred on the server side (injected by the emulator).'),
  definitionNotFound: (name: string): AwsApiError => new AwsApiError(400, 'AutomationDefinitionNotFoundException', `Document with name ${name} does not exist.`),
  definitionVersionNotFound: (name: string, version: string): AwsApiError =>
    new AwsApiError(400, 'AutomationDefinitionVersionNotFoundException', `Document ${name} with version ${version} does not exist.`),
  invalidParameters: (message: string): AwsApiError => new AwsApiError(400, 'InvalidAutomationExecutionParametersException', message),
  executionNotFound: (id: string): AwsApiError => new AwsApiError(400, 'AutomationExecutionNotFoundException', `Automation Execution ${id} not found.`),
  idempotentMismatch: (): AwsApiError =>
    new AwsApiError(400, 'IdempotentParameterMismatch', 'The parameters of the request do not match those of the original request with the same ClientToken.'),
  invalidStatusUpdate: (id: string, status: string): AwsApiError =>
    new AwsApiError(400, 'InvalidAutomationStatusUpdateException', `Automation Execution ${id} cannot be stopped: it is already ${status}.`),
  invalidFilterKey: (): AwsApiError => new AwsApiError(400, 'InvalidFilterKey', 'The specified key is not valid.'),
  invalidFilterValue: (message: string): AwsApiError => new AwsApiError(400, 'InvalidFilterValue', message),
  invalidNextToken: (): AwsApiError => new AwsApiError(400, 'InvalidNextToken', 'The specified token is not valid.'),
} as const;

// --- Authentication (both protocols) ------------------------------------------------------------

/** restJson1 services sit behind a gateway that answers 403; JSON 1.1 services answer 400. */
export function authStatus(protocol: AwsProtocol): number {
  return protocol === 'restJson1' ? 403 : 400;
}

export const authErrors = {
  missing: (protocol: AwsProtocol): AwsApiError => new AwsApiError(authStatus(protocol), 'MissingAuthenticationTokenException', 'Missing Authentication Token', 'frontDoor'),
  unrecognized: (protocol: AwsProtocol): AwsApiError =>
    new AwsApiError(authStatus(protocol), 'UnrecognizedClientException', 'The security token included in the request is invalid.', 'frontDoor'),
  incomplete: (protocol: AwsProtocol, detail: string): AwsApiError => new AwsApiError(authStatus(protocol), 'IncompleteSignatureException', detail, 'frontDoor'),
  wrongScope: (protocol: AwsProtocol, service: string): AwsApiError =>
    new AwsApiError(authStatus(protocol), 'InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `, 'frontDoor'),
} as const;
