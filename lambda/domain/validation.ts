import * as v from 'valibot';
import { ValidationError } from './errors';

/** `A-Z a-z 0-9 . _ : -`, the characters of agent, group and cluster names (DESIGN.md section 5). */
export const NAME_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** A name of 1 to `max` characters drawn from {@link NAME_PATTERN}. */
export function nameSchema(max: number) {
  return v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(max, `must be at most ${max} characters`),
    v.regex(NAME_PATTERN, 'may contain only A-Z a-z 0-9 . _ : -'),
  );
}

export const agentIdSchema = nameSchema(128);
export const groupNameSchema = nameSchema(64);

/** Writes a valibot issue path the way a user would type it: `groups.production.channels[0]`. */
function fieldPath(issue: v.BaseIssue<unknown>): string | undefined {
  if (!issue.path || issue.path.length === 0) return undefined;
  let out = '';
  for (const item of issue.path) {
    const key = item.key;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.received === 'undefined' && (issue.type === 'object' || issue.type === 'strict_object'))
    return 'is required';
  if (issue.message.startsWith('Invalid key:')) return 'is not allowed here';
  return issue.message;
}

/**
 * Parses `input` with `schema`, or throws a {@link ValidationError} that names the first field at
 * fault. `prefix` is prepended to the field path (for items of a batch); `subject` names the whole
 * document when the input itself has the wrong shape.
 */
export function parseOrThrow<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  options: { subject?: string; prefix?: string } = {},
): v.InferOutput<S> {
  const subject = options.subject ?? 'body';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(`${subject} must be a JSON object`, options.prefix);
  }
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = fieldPath(issue);
  const field = options.prefix && path ? `${options.prefix}.${path}` : (path ?? options.prefix);
  throw new ValidationError(
    field ? `${field}: ${issueMessage(issue)}` : `${subject}: ${issueMessage(issue)}`,
    field,
  );
}
