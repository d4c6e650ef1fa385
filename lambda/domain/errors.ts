import type { ErrorBody } from '../api/contract';

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

export function errorBody(error: WatcherError): ErrorBody {
  const body: ErrorBody = { code: error.code, message: error.message };
  if (error.field !== undefined) body.field = error.field;
  if (error instanceof HasChildrenError) body.children = [...error.children];
  return body;
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

/**
 * The refusal of a group the config does not name (`field` holds it), with the ones it does: the
 * same 400 `unknown_group` from whichever door, whichever use case.
 */
export function unknownGroupError(
  group: string,
  configured: Readonly<Record<string, unknown>>,
  field = 'group',
): ValidationError {
  return new ValidationError(
    `${field}: unknown group "${group}" (configured: ${Object.keys(configured).join(', ')})`,
    field,
    'unknown_group',
  );
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

/** How many children a `has_children` message names; the error's `children` list holds them all. */
const NAMED_CHILDREN = 10;

/** The agent is the parent of others: removing it would leave them pointing at nothing. */
export class HasChildrenError extends WatcherError {
  readonly code = 'has_children';
  constructor(
    agentId: string,
    readonly children: readonly string[],
  ) {
    const named = children.slice(0, NAMED_CHILDREN).join(', ');
    const more = children.length > NAMED_CHILDREN ? ` and ${children.length - NAMED_CHILDREN} more` : '';
    super(
      `agent ${agentId} is the parent of ${named}${more}: give them another parent first, or remove it with force=true, which clears their parent`,
    );
  }
}
