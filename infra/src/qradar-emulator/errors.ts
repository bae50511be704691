// QRadar's JSON error envelope. The shape and the observed messages/codes come from IBM's
// "API error messages" page and from real responses recorded by the XSOAR QRadar_v3 developers
// (see README.md, "Fidelity"). Every failing request answers with this envelope, JSON, whatever
// the Accept header says.

/** HTTP response messages as QRadar words them (observed where noted in README). */
const httpMessages: Readonly<Record<number, string>> = {
  400: 'Invalid syntax for this request was provided.',
  401: 'You are unauthorized to access the requested resource.',
  403: 'Your account is not authorized to access the requested resource.',
  404: 'We could not find the resource you requested.',
  405: 'The requested method is not supported for this resource.',
  406: 'The resource cannot produce a response in the format the Accept header asks for.',
  409: 'The request could not be completed due to a conflict with the current state of the resource',
  422: 'The request was well-formed but was unable to be followed due to semantic errors',
  429: 'Too many requests have been made; retry after the interval in the Retry-After header.',
  500: 'Unexpected internal server error',
  502: 'The server received an invalid response from an upstream server.',
  503: 'The server is currently unable to handle the request due to a temporary overloading or maintenance of the server.',
};

export function httpMessage(status: number): string {
  return httpMessages[status] ?? 'Unexpected error';
}

export interface QradarErrorBody {
  http_response: { code: number; message: string };
  code: number;
  description: string;
  details: Record<string, unknown>;
  message: string;
}

/** A failure that maps one-to-one to a QRadar error answer. */
export class QradarApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly description = '',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'QradarApiError';
  }

  toBody(): QradarErrorBody {
    return {
      http_response: { code: this.status, message: httpMessage(this.status) },
      code: this.code,
      description: this.description,
      details: {},
      message: this.message,
    };
  }
}

// Constructors for the errors the emulator raises, so codes and wording stay in one place.

export const errors = {
  missingSec: (): QradarApiError =>
    new QradarApiError(
      401,
      18,
      'No SEC header present in request. Please provide it via "SEC: token". You may also use BASIC authentication parameters if this host supports it. e.g. "Authorization: Basic base64Encoding"',
    ),
  invalidSec: (): QradarApiError =>
    new QradarApiError(401, 18, 'Invalid authentication token provided in the SEC header.'),
  notFound: (description: string, message: string, code = 1002): QradarApiError =>
    new QradarApiError(404, code, message, description),
  invalidParameter: (message: string): QradarApiError =>
    new QradarApiError(422, 1005, message, 'A request parameter is not valid.'),
  missingParameter: (name: string): QradarApiError =>
    new QradarApiError(422, 8, `Missing required parameter "${name}" from query parameters`),
  untransformable: (name: string): QradarApiError =>
    new QradarApiError(422, 11, `Failed to transform user query parameter "${name}" with a content type of "TEXT_PLAIN"`),
  invalidFilter: (detail: string): QradarApiError =>
    new QradarApiError(
      422,
      1010,
      `A filter parameter was invalid. Please make sure that the syntax is correct: ${detail}`,
      'The filter parameter is not valid.',
    ),
  invalidSort: (detail: string): QradarApiError =>
    new QradarApiError(422, 1030, detail, 'The sort field or order is not valid'),
  invalidFields: (detail: string): QradarApiError =>
    new QradarApiError(422, 1005, detail, 'A request parameter is not valid.'),
  unparsableRange: (): QradarApiError =>
    new QradarApiError(422, 36, 'Failed to parse Range header. The syntax of the Range header must follow this pattern: items=x-y'),
  negativeRange: (): QradarApiError =>
    new QradarApiError(422, 36, 'Range of pages specified in "Range" header is negative. Non-negative page range must be specified.'),
  conflict: (code: number, description: string, message: string): QradarApiError =>
    new QradarApiError(409, code, message, description),
  invalidBody: (message: string): QradarApiError => new QradarApiError(400, 1001, message, 'An error occurred parsing the JSON formatted message body'),
  invalidVersion: (version: string): QradarApiError =>
    new QradarApiError(
      406,
      9,
      `Version (${version}) from header parameter (Version) is not a valid version. Please refer to documentation for list of valid versions.`,
    ),
  notAcceptable: (accept: string): QradarApiError =>
    new QradarApiError(406, 1005, `The Accept header ${accept} is not supported by this emulator; use application/json.`),
  noRoute: (method: string, path: string): QradarApiError =>
    new QradarApiError(404, 1002, `No endpoint ${method} ${path} in this emulator`, 'The requested endpoint does not exist.'),
} as const;
