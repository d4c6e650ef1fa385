// What a request and an error look like on the wire, shared by the router (lambda/http/app.ts and
// the route modules it joins) and the agent's relay (cli/agent/relay.ts), which takes the same
// heartbeats without the router.
import { ValidationError, type WatcherError } from '../domain/errors';

/** Heartbeats and admin bodies are small; anything larger is refused before it is parsed. */
export const MAX_BODY_BYTES = 8 * 1024;
/** A relay's batch carries up to 100 heartbeats, each with its own token: 8 KiB would not hold 30. */
export const MAX_BATCH_BODY_BYTES = 256 * 1024;

const JSON_TYPES = /^application\/([a-z0-9.+-]*\+)?json$/;
/** curl -d and PowerShell's Invoke-RestMethod send this by default; the body is still read as JSON. */
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Refuses (415) a body that says it is something other than JSON; no type at all is taken as JSON. */
export function checkJsonType(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== FORM_TYPE && !JSON_TYPES.test(type)) {
    throw new ValidationError(
      `Content-Type ${type} is not supported; send application/json`,
      undefined,
      'unsupported_media_type',
    );
  }
}

/** Parses a JSON body (400 `invalid_json` when it does not); an empty one is `emptyAs` when given. */
export function parseJsonBody(text: string, emptyAs?: unknown): unknown {
  if (text.trim() === '' && emptyAs !== undefined) return emptyAs;
  if (text.trim() === '')
    throw new ValidationError('the body is empty; send a JSON object', undefined, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('the body is not valid JSON', undefined, 'invalid_json');
  }
}

/** The token of an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** The HTTP status of each error code; any other code of a WatcherError is a 400. */
const STATUS_OF: Record<string, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unknown_group: 400,
  agentless: 400,
  unsupported_media_type: 415,
  body_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  has_children: 409,
};

export function statusOf(error: WatcherError): number {
  return STATUS_OF[error.code] ?? 400;
}
