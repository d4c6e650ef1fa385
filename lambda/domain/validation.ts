import { distance } from 'fastest-levenshtein';
import * as v from 'valibot';
import { formatDuration, parseDuration } from './duration';
import { type FieldProblem, ValidationError } from './errors';
import { NAME_PATTERN } from './names';

/** A whole number from `min` to `max`; `unit` follows the bound in the message (`' s'`). */
export const wholeNumber = (min: number, max: number, unit: string) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}${unit}`),
    v.maxValue(max, `must be at most ${max}${unit}`),
  );

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

const DURATION_HINT = 'must be a duration such as "90s", "15m", "2h" or "7d"';

/** The config's durations: a string with a unit, more than 0 and at most `maxMs`. */
export function durationSchema(maxMs: number) {
  return v.pipe(
    v.string(DURATION_HINT),
    v.regex(/^(?:\d+[dhms])+$/, DURATION_HINT),
    v.check((text) => parseDuration(text) !== undefined, `${DURATION_HINT}, largest unit first`),
    v.check((text) => (parseDuration(text) ?? 0) > 0, 'must be longer than 0'),
    v.check((text) => (parseDuration(text) ?? 0) <= maxMs, `must be at most ${formatDuration(maxMs)}`),
  );
}

type PathKey = string | number;

/** Writes a path the way a user would type it: `groups.production.channels[0]`. */
function pathText(keys: readonly PathKey[]): string | undefined {
  if (keys.length === 0) return undefined;
  let out = '';
  for (const key of keys) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

const issueKeys = (issue: v.BaseIssue<unknown>): PathKey[] =>
  (issue.path ?? []).map((item) => (typeof item.key === 'number' ? item.key : String(item.key)));

/** valibot's issue for a key a strict object does not know. */
const isUnknownKeyIssue = (issue: v.BaseIssue<unknown>) =>
  issue.type === 'strict_object' && issue.expected === 'never';

function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.received === 'undefined' && (issue.type === 'object' || issue.type === 'strict_object'))
    return 'is required';
  if (isUnknownKeyIssue(issue)) return 'unknown field';
  return issue.message;
}

/**
 * The name of `known` that `key` most likely meant: the closest by edit distance (ignoring case)
 * when it is within a third of the key's length (at least two edits, one for a key of three letters
 * or fewer), else one that begins with the key (`scanInterval` for `scanIntervalSeconds`); none when
 * nothing is close.
 */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = (key.length <= 3 ? 1 : Math.max(2, Math.floor(key.length / 3))) + 1;
  for (const name of known) {
    const d = distance(typed, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best ?? (typed.length >= 4 ? known.find((name) => name.toLowerCase().startsWith(typed)) : undefined);
}

/** What of a valibot schema the walk for unknown keys reads (pipes keep the properties of their schema). */
interface SchemaShape {
  readonly type: string;
  readonly entries?: Readonly<Record<string, SchemaShape>>;
  readonly wrapped?: SchemaShape;
  readonly value?: SchemaShape;
  readonly item?: SchemaShape;
  readonly key?: string;
  readonly options?: readonly SchemaShape[];
  readonly literal?: unknown;
}

interface UnknownKey {
  readonly keys: readonly PathKey[];
  readonly suggestion?: string;
  /** A strict object refuses it; an open one only mentions it, when the body is refused anyway. */
  readonly strict: boolean;
  /** Whether the name it suggests is missing from the input (so the key looks like its typo). */
  readonly suggestionMissing: boolean;
}

const WRAPPERS = new Set(['optional', 'exact_optional', 'nullable', 'nullish', 'undefinedable']);

/**
 * Every key of `input` that its object schema does not know, however deep, with the closest known
 * name. valibot reports only the first unknown key of a strict object, and nothing for an open one.
 */
function unknownKeys(schema: SchemaShape, input: unknown, keys: readonly PathKey[], out: UnknownKey[]): void {
  if (typeof input !== 'object' || input === null) return;
  if (schema.wrapped && WRAPPERS.has(schema.type)) {
    unknownKeys(schema.wrapped, input, keys, out);
    return;
  }
  if (Array.isArray(input)) {
    const item = schema.type === 'array' ? schema.item : undefined;
    if (item) for (const [i, value] of input.entries()) unknownKeys(item, value, [...keys, i], out);
    return;
  }
  const fields = input as Record<string, unknown>;
  if (schema.type === 'record' && schema.value) {
    for (const [key, value] of Object.entries(fields)) unknownKeys(schema.value, value, [...keys, key], out);
    return;
  }
  if (schema.type === 'variant' && schema.key !== undefined) {
    const tag = schema.key;
    const option = schema.options?.find((o) => o.entries?.[tag]?.literal === fields[tag]);
    if (option) unknownKeys(option, input, keys, out);
    return;
  }
  const entries = schema.entries;
  if ((schema.type !== 'object' && schema.type !== 'strict_object') || !entries) return;
  for (const [key, value] of Object.entries(fields)) {
    const entry = Object.hasOwn(entries, key) ? entries[key] : undefined;
    if (entry) {
      unknownKeys(entry, value, [...keys, key], out);
      continue;
    }
    const suggestion = closestName(key, Object.keys(entries));
    out.push({
      keys: [...keys, key],
      ...(suggestion === undefined ? {} : { suggestion }),
      strict: schema.type === 'strict_object',
      suggestionMissing: suggestion !== undefined && !Object.hasOwn(fields, suggestion),
    });
  }
}

export type Checked<T> =
  | { readonly ok: true; readonly output: T }
  | { readonly ok: false; readonly problems: FieldProblem[] };

/**
 * Checks `input` against `schema` and answers its output, or every problem found, in order: each
 * issue valibot finds, then each unknown key of a strict object ("unknown field", with the closest
 * known name), then, when the input is refused anyway, the unknown keys of an open object that look
 * like the typo of a missing field. `prefix` is prepended to the field paths (for items of a batch);
 * `subject` names the whole document when the input itself has the wrong shape.
 */
export function checkInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  options: { subject?: string; prefix?: string } = {},
): Checked<v.InferOutput<S>> {
  const subject = options.subject ?? 'body';
  const problem = (keys: readonly PathKey[], message: string): FieldProblem => {
    const path = pathText(keys);
    const field = options.prefix && path ? `${options.prefix}.${path}` : (path ?? options.prefix);
    return field === undefined
      ? { message: `${subject}: ${message}` }
      : { field, message: `${field}: ${message}` };
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const field = options.prefix;
    const message = `${subject} must be a JSON object`;
    return { ok: false, problems: [field === undefined ? { message } : { field, message }] };
  }
  // One problem a field: the first check of its pipe that fails (an empty name need not be told its characters too).
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  // A strict object with an unknown key fails the parse, so an input that passes has none to list.
  if (result.success) return { ok: true, output: result.output };
  const unknown: UnknownKey[] = [];
  unknownKeys(schema as unknown as SchemaShape, input, [], unknown);
  const refused = unknown.filter((u) => u.strict);
  const listed = new Set(refused.map((u) => pathText(u.keys)));
  const problems = result.issues
    .filter((issue) => !(isUnknownKeyIssue(issue) && listed.has(pathText(issueKeys(issue)))))
    .map((issue) => problem(issueKeys(issue), issueMessage(issue)));
  const typos = problems.length > 0 ? unknown.filter((u) => !u.strict && u.suggestionMissing) : [];
  for (const u of [...refused, ...typos]) {
    problems.push(
      problem(
        u.keys,
        u.suggestion === undefined ? 'unknown field' : `unknown field (did you mean ${u.suggestion}?)`,
      ),
    );
  }
  return { ok: false, problems };
}

/**
 * Parses `input` with `schema`, or throws a {@link ValidationError} that lists every problem
 * {@link check} finds and names the first field at fault.
 */
export function parseOrThrow<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  options: { subject?: string; prefix?: string } = {},
): v.InferOutput<S> {
  const checked = checkInput(schema, input, options);
  if (checked.ok) return checked.output;
  throw ValidationError.of(checked.problems as [FieldProblem, ...FieldProblem[]]);
}

/** `problems` for a person to read: the one, or their count and then one a line. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  if (problems.length === 1) return problems[0]!.message;
  return [`${problems.length} problems:`, ...problems.map((p) => `  ${p.message}`)].join('\n');
}
