import { errorBody, ValidationError, WatcherError } from '../domain/errors';
import type { Logger } from '../logger';
import { StoreUnavailableError } from '../ports';
import { statusOf } from './wire';

// The answers of the watcher before they are put on the wire, and the routes that are answered with
// no web framework (the heartbeats, ./heartbeat-routes; the enrollment, ./enrollment-routes): the
// router of local mode and of the admin function (./door, hono) and the ingest and register
// functions' own door (./lambda-door) all answer through these, so a request gets the same answer
// from either.

/** An answer of the watcher, before it is put on the wire: `body` null is an answer with none. */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/**
 * Told the status each heartbeat was answered with; a relay's batch tells each item's, as the status
 * a heartbeat of its own would have had. A body refused for its size (413) is not told: the body limit
 * answers it before the route.
 */
export type HeartbeatObserver = (status: number) => void;

/**
 * A route that takes a JSON body by POST, over the use cases `S`: the largest body it reads, and its
 * answer to a parsed one. `observe` is told each heartbeat's status (the heartbeat routes alone tell it).
 */
export interface PostRoute<S> {
  readonly maxBytes: number;
  answer(
    service: S,
    authorization: string | undefined,
    body: unknown,
    observe: HeartbeatObserver,
  ): Promise<Answer>;
}

/** The client hung up before its body was in: there is nothing to store and nobody to answer. */
export class ClientGoneError extends Error {}

/** The error a body over `maxSize` bytes is refused with (413). */
export const bodyTooLarge = (maxSize: number) =>
  new ValidationError(`the body is larger than ${maxSize} bytes`, undefined, 'body_too_large');

/** The status a request that threw `error` is answered with (see {@link errorAnswer}). */
export function statusOfThrown(error: unknown): number {
  if (error instanceof WatcherError) return statusOf(error);
  if (error instanceof ClientGoneError) return 400;
  if (error instanceof StoreUnavailableError) return 503;
  return 500;
}

/** The answer to a request that threw `error`; an error nobody expected goes to `log`. */
export function errorAnswer(error: unknown, log: Logger, route: string): Answer {
  const status = statusOfThrown(error);
  if (error instanceof WatcherError) {
    return {
      status,
      headers: error.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer' } : undefined,
      body: { error: errorBody(error) },
    };
  }
  // A client that drops mid-body is nothing to log: the watcher read nothing and changed nothing.
  if (error instanceof ClientGoneError) return { status, body: null };
  if (error instanceof StoreUnavailableError) {
    return {
      status,
      headers: { 'Retry-After': '1' },
      body: { error: { code: 'unavailable', message: 'the store is busy; retry shortly' } },
    };
  }
  log.error('unhandled error', { route, error });
  return { status, body: { error: { code: 'internal', message: 'internal error; it has been logged' } } };
}

/** The answer to a method a path does not take: 405, with the ones it does in `Allow`. */
export function methodNotAllowed(method: string, allow: string): Answer {
  return {
    status: 405,
    headers: { Allow: allow },
    body: { error: { code: 'method_not_allowed', message: `${method} is not allowed here; use ${allow}` } },
  };
}

/** The answer to a path nothing serves. */
export function notFound(method: string, path: string): Answer {
  return { status: 404, body: { error: { code: 'not_found', message: `no route ${method} ${path}` } } };
}

/** Runs `answer`, telling `observe` the status a throw is answered with, and throws it on. */
export async function observed<T>(observe: HeartbeatObserver, answer: () => Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (error) {
    observe(statusOfThrown(error));
    throw error;
  }
}
