/**
 * Errors the use cases raise. Each carries a stable `code` that the HTTP layer turns into a status,
 * and, where one field is at fault, the `field` (a dot path such as `heartbeats[2].agentId`).
 */
export abstract class WatcherError extends Error {
  abstract readonly code: string;
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    if (field !== undefined) this.field = field;
  }
}

/** The `error` object of an answer (DESIGN.md section 5): its code, message and, where one field is at fault, the field. */
export function errorBody(error: WatcherError): { code: string; message: string; field?: string } {
  return error.field === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, field: error.field };
}

/** One thing wrong with an input: the field at fault, where one is, and a message that starts with it. */
export interface FieldProblem {
  readonly field?: string;
  readonly message: string;
}

/**
 * The request (or config) is malformed: a missing, mistyped, unknown or out-of-range field, or not
 * JSON at all. `problems` lists everything found, in order; `message` and `field` are those of the
 * whole, `field` the first problem's (an HTTP answer names one field).
 */
export class ValidationError extends WatcherError {
  readonly code: string;
  readonly problems: readonly FieldProblem[];
  constructor(message: string, field?: string, code = 'invalid_request', problems?: readonly FieldProblem[]) {
    super(message, field);
    this.code = code;
    this.problems = problems ?? [field === undefined ? { message } : { field, message }];
  }

  /** One error for all of `problems`: their messages joined, the first one's field. */
  static of(problems: readonly [FieldProblem, ...FieldProblem[]]): ValidationError {
    return new ValidationError(
      problems.map((p) => p.message).join('; '),
      problems[0].field,
      undefined,
      problems,
    );
  }
}

/** No credential, a wrong one, or the credential of somebody else. */
export class UnauthorizedError extends WatcherError {
  readonly code = 'unauthorized';
}

/** The caller is known and refused (a rejected agent). */
export class ForbiddenError extends WatcherError {
  readonly code = 'forbidden';
}

export class NotFoundError extends WatcherError {
  readonly code = 'not_found';
}

/** The thing exists already (an agentId taken). */
export class ConflictError extends WatcherError {
  readonly code = 'conflict';
}
