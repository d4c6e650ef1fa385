import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Hono } from 'hono/tiny';
import type { ErrorAnswer, ErrorBody } from '../api/contract';
import { ValidationError } from '../domain/errors';
import type { Logger } from '../logger';
import {
  type Answer,
  bodyTooLarge,
  ClientGoneError,
  errorAnswer,
  type HeartbeatObserver,
  methodNotAllowed,
  notFound,
  observed,
  type PostRoute,
} from './answers';
import { hostOfHeader } from './hosts';
import { bearerToken, checkJsonType, MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES, parseJsonBody } from './wire';

// What every hono door of the watcher shares (errors as JSON, body limits, JSON bodies, 405s), and
// the routes answered with no web framework (the heartbeats, the enrollment: ./answers) on it. The
// admin routes are in ./admin-routes, the installers' in ./installer-routes. The ingest and register
// functions import neither: their door of their own (./lambda-door) answers the same routes.

const BATCH_PATH = '/v1/heartbeats';

type Handler = (c: Context) => Response | Promise<Response>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `answer` as hono's response. */
export function respond(c: Context, answer: Answer): Response {
  for (const [name, value] of Object.entries(answer.headers ?? {})) c.header(name, value);
  return answer.body === null
    ? c.body(null, answer.status as 400)
    : c.json(answer.body, answer.status as 400);
}

export function jsonError(c: Context, status: number, error: ErrorBody) {
  return respond(c, { status, body: { error } satisfies ErrorAnswer });
}

/** Registers `handlers` on `path` and answers 405, with `Allow`, for any other method. */
export function resource(app: Hono, path: string, handlers: Partial<Record<Method, Handler>>): void {
  for (const [method, handler] of Object.entries(handlers)) app.on(method, path, handler);
  const allow = Object.keys(handlers).join(', ');
  app.all(path, (c) => respond(c, methodNotAllowed(c.req.method, allow)));
}

/** Reads a JSON body: 415 for a body that says it is something else, 400 for one that does not parse. */
export async function readJson(c: Context, options: { emptyAs?: unknown } = {}): Promise<unknown> {
  checkJsonType(c.req.header('content-type'));
  let text: string;
  try {
    text = await c.req.text();
  } catch (error) {
    // node's "aborted" (ECONNRESET) on a request whose connection closed mid-body.
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') throw new ClientGoneError();
    throw error;
  }
  return parseJsonBody(text, options.emptyAs);
}

export const bearer = (c: Context) => bearerToken(c.req.header('authorization'));

/**
 * Refuses a body over `maxSize` bytes. A body that declares its length is judged by that header
 * alone, as hono's `bodyLimit` judges it too, but without asking for the body stream first: on node
 * that question makes the adapter build a whole web Request for each heartbeat, which cost local mode
 * about a tenth of its CPU per heartbeat (docs/BENCHMARKS.md, local ingest). A body without a length
 * (chunked) goes to `bodyLimit`, which counts it as it streams.
 */
function limitTo(maxSize: number, log: Logger): MiddlewareHandler {
  const tooLarge = (c: Context) => onError(bodyTooLarge(maxSize), c, log);
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    return Number.parseInt(length, 10) > maxSize ? Promise.resolve(tooLarge(c)) : next();
  };
}

const onError = (error: unknown, c: Context, log: Logger): Response =>
  respond(c, errorAnswer(error, log, c.req.path));

/** Adds the shared middleware and the error answers to `app`; an error nobody expected goes to `log`. */
export function withErrors(app: Hono, log: Logger): Hono {
  const limitBody = limitTo(MAX_BODY_BYTES, log);
  const limitBatchBody = limitTo(MAX_BATCH_BODY_BYTES, log);
  app.use('*', async (c, next) => {
    // Before anything reads the URL it makes (node's Request refuses http://999.0.0.1/ with a TypeError).
    const host = c.req.header('host');
    if (host !== undefined && hostOfHeader(host) === undefined) {
      return onError(new ValidationError('Host: is not a host name or address', 'Host'), c, log);
    }
    if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') {
      return (c.req.path === BATCH_PATH ? limitBatchBody : limitBody)(c, next);
    }
    await next();
  });
  app.onError((error, c) => onError(error, c, log));
  app.notFound((c) => respond(c, notFound(c.req.method, c.req.path)));
  return app;
}

/**
 * Registers `routes` (POST routes over `service`: ./heartbeat-routes, ./enrollment-routes) on `app`,
 * answered as the Lambda door (./lambda-door) answers them; `observe` is told each heartbeat's status.
 */
export function addPostRoutes<S>(
  app: Hono,
  routes: Readonly<Record<string, PostRoute<S>>>,
  service: S,
  observe: HeartbeatObserver = () => {},
): void {
  for (const [path, route] of Object.entries(routes)) {
    resource(app, path, {
      POST: (c) =>
        observed(observe, async () =>
          respond(c, await route.answer(service, c.req.header('authorization'), await readJson(c), observe)),
        ),
    });
  }
}
