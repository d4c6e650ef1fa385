import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Hono } from 'hono/tiny';
import type { BatchItemStatus, ErrorAnswer, ErrorBody } from '../api/contract';
import { errorBody, ValidationError, WatcherError } from '../domain/errors';
import type { HeartbeatService } from '../heartbeats';
import type { Logger } from '../logger';
import { StoreUnavailableError } from '../ports';
import { hostOfHeader } from './hosts';
import {
  bearerToken,
  checkJsonType,
  MAX_BATCH_BODY_BYTES,
  MAX_BODY_BYTES,
  parseJsonBody,
  statusOf,
} from './wire';

// What every HTTP door of the watcher shares (errors as JSON, body limits, JSON bodies, 405s), and
// the heartbeat routes: all the ingest Lambda takes of lambda/http. The enrollment and admin routes,
// and the installers' text, are in ./app, which the ingest function does not import.

const BATCH_PATH = '/v1/heartbeats';

type Handler = (c: Context) => Response | Promise<Response>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function jsonError(c: Context, status: number, error: ErrorBody) {
  return c.json({ error } satisfies ErrorAnswer, status as 400);
}

/** Registers `handlers` on `path` and answers 405, with `Allow`, for any other method. */
export function resource(app: Hono, path: string, handlers: Partial<Record<Method, Handler>>): void {
  for (const [method, handler] of Object.entries(handlers)) app.on(method, path, handler);
  const allow = Object.keys(handlers).join(', ');
  app.all(path, (c) => {
    c.header('Allow', allow);
    return jsonError(c, 405, {
      code: 'method_not_allowed',
      message: `${c.req.method} is not allowed here; use ${allow}`,
    });
  });
}

/** The client hung up before its body was in: there is nothing to store and nobody to answer. */
class ClientGoneError extends Error {}

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

const limitTo = (maxSize: number, log: Logger): MiddlewareHandler =>
  bodyLimit({
    maxSize,
    onError: (c) =>
      onError(
        new ValidationError(`the body is larger than ${maxSize} bytes`, undefined, 'body_too_large'),
        c,
        log,
      ),
  });

/** The status a request that threw `error` is answered with (see `onError`). */
function statusOfThrown(error: unknown): number {
  if (error instanceof WatcherError) return statusOf(error);
  if (error instanceof ClientGoneError) return 400;
  if (error instanceof StoreUnavailableError) return 503;
  return 500;
}

function onError(error: Error, c: Context, log: Logger): Response {
  if (error instanceof WatcherError) {
    if (error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer');
    return jsonError(c, statusOfThrown(error), errorBody(error));
  }
  // A client that drops mid-body is nothing to log: the watcher read nothing and changed nothing.
  if (error instanceof ClientGoneError) return c.body(null, 400);
  if (error instanceof StoreUnavailableError) {
    c.header('Retry-After', '1');
    return jsonError(c, 503, { code: 'unavailable', message: 'the store is busy; retry shortly' });
  }
  log.error('unhandled error', { route: c.req.path, error });
  return jsonError(c, 500, { code: 'internal', message: 'internal error; it has been logged' });
}

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
  app.notFound((c) =>
    jsonError(c, 404, { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }),
  );
  return app;
}

/**
 * Told the status each heartbeat was answered with; a relay's batch tells each item's, as the status
 * a heartbeat of its own would have had. A body refused for its size (413) is not told: the body limit
 * answers it before the route.
 */
export type HeartbeatObserver = (status: number) => void;

const ITEM_STATUS: Record<BatchItemStatus, number> = {
  ok: 200,
  pending: 202,
  invalid: 400,
  unauthorized: 401,
  rejected: 403,
  unavailable: 503,
};

/** Runs `answer`, telling `observe` the status a throw is answered with, and throws it on. */
async function observed(observe: HeartbeatObserver, answer: () => Promise<Response>): Promise<Response> {
  try {
    return await answer();
  } catch (error) {
    observe(statusOfThrown(error));
    throw error;
  }
}

/** Registers the heartbeat routes: the agent's own token is checked by the service. */
export function addHeartbeatRoutes(
  app: Hono,
  service: HeartbeatService,
  observe: HeartbeatObserver = () => {},
): void {
  resource(app, '/v1/heartbeat', {
    POST: (c) =>
      observed(observe, async () => {
        const body = await readJson(c);
        const answer = await service.heartbeat(bearer(c), body);
        observe(answer.status);
        return c.json(answer.body, answer.status);
      }),
  });
  resource(app, '/v1/heartbeats', {
    POST: (c) =>
      observed(observe, async () => {
        const answer = await service.heartbeats(await readJson(c));
        for (const item of answer.results) observe(ITEM_STATUS[item.status]);
        return c.json(answer);
      }),
  });
}

/** The heartbeat routes alone: what the ingest Lambda serves. */
export function createIngestApp(service: HeartbeatService): Hono {
  const app = withErrors(new Hono(), service.log);
  addHeartbeatRoutes(app, service);
  return app;
}
