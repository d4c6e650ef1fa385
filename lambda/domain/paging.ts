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

/**
 * A cursor names the agent a page ended after, and nothing else: base64url of `{"after":"<agentId>"}`.
 * The table, the key attribute and the filters are the watcher's, never the cursor's, so a cursor made
 * by hand can at most start a page after another valid agent id (which any caller of the route may
 * list anyway). It is read strictly: it must decode to exactly that shape, with a valid agent id, and
 * be the one encoding of it (so a cursor changed by a character is refused, not half read).
 */
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

const cursorBodySchema = v.strictObject({ after: agentIdSchema });

/** The agent id a cursor resumes after; a cursor that is not one this watcher made is a 400 naming `cursor`. */
export function decodeCursor(cursor: string): string {
  const refuse = () =>
    new ValidationError(
      'cursor: is not a cursor this watcher gave (pass the one the last page answered)',
      'cursor',
    );
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const parsed = v.safeParse(cursorBodySchema, body);
  if (!parsed.success || encodeCursor(parsed.output.after) !== cursor) throw refuse();
  return parsed.output.after;
}

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
