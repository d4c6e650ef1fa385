import * as v from 'valibot';
import { AGENT_STATES, type AgentState, type Approval } from './agent';
import { ValidationError } from './errors';
import { agentIdSchema } from './validation';

/** Agents a page of `GET /v1/agents` reads when the caller gives no `limit`, and the most it may ask. */
export const AGENT_PAGE_DEFAULT = 500;
export const AGENT_PAGE_MAX = 1000;

/** The `limit` query parameter: a whole number of 1 to {@link AGENT_PAGE_MAX}, as digits. */
export const pageLimitSchema = v.pipe(
  v.string('must be a number'),
  v.regex(/^[0-9]{1,4}$/, `must be a whole number from 1 to ${AGENT_PAGE_MAX}`),
  v.transform(Number),
  v.minValue(1, `must be a whole number from 1 to ${AGENT_PAGE_MAX}`),
  v.maxValue(AGENT_PAGE_MAX, `must be a whole number from 1 to ${AGENT_PAGE_MAX}`),
);

/** The parameters of a paged list's query, last in it: how many a page holds, and where the page before ended. */
export const PAGE_QUERY = { limit: v.optional(pageLimitSchema), cursor: v.optional(v.string()) };

/** A query as a door hands it over: each parameter of `schema` a string, or absent. */
export type QueryOf<S extends v.GenericSchema> = { [K in keyof v.InferInput<S>]?: string };

/**
 * A cursor names where a page ended, and nothing else: base64url of a small JSON object of strings,
 * `{"after":"<agentId>"}` for the agents. The table, the key attributes and the filters are the
 * watcher's, never the cursor's, so a cursor made by hand can at most start a page after another valid
 * key (which any caller of the route may list anyway). It is read strictly, by the route's own schema:
 * it must decode to exactly that shape, with valid values, and be the one encoding of it (so a cursor
 * changed by a character is refused, not half read).
 */
export function encodeCursor(body: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The 400 of a cursor this watcher did not give: every route's cursor is refused the same way. */
export function cursorRefused(): ValidationError {
  return new ValidationError(
    'cursor: is not a cursor this watcher gave (pass the one the last page answered)',
    'cursor',
  );
}

/** What a cursor holds, read by `schema` (a strict object of strings); anything else is a 400 naming `cursor`. */
export function decodeCursor<T extends Record<string, string>>(
  cursor: string,
  schema: v.GenericSchema<unknown, T>,
): T {
  if (cursor.length > 800 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw cursorRefused();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw cursorRefused();
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success || encodeCursor(parsed.output) !== cursor) throw cursorRefused();
  return parsed.output;
}

/** The cursor of `GET /v1/agents`: the agent id its page ended after. */
export const agentCursorSchema = v.strictObject({ after: agentIdSchema });

/**
 * What the store can test of a wanted state, as a narrower set of approvals: a state is worked out
 * from the record and the time (see `agentState`), so the store filters by approval and the exact
 * rule runs on what it returns.
 */
export function approvalFor(state: AgentState | undefined): Approval | undefined {
  if (state === undefined) return undefined;
  return state === 'pending' || state === 'rejected' ? state : 'approved';
}

export const stateFilterSchema = v.picklist(AGENT_STATES, `must be one of ${AGENT_STATES.join(', ')}`);
