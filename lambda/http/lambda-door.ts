import type { HeartbeatService } from '../heartbeats';
import type { Logger } from '../logger';
import {
  type Answer,
  bodyTooLarge,
  errorAnswer,
  type HeartbeatObserver,
  methodNotAllowed,
  notFound,
  observed,
  type PostRoute,
} from './answers';
import { HEARTBEAT_ROUTES } from './heartbeat-routes';
import { checkJsonType, parseJsonBody } from './wire';

/**
 * What the ingest and register functions read of an API Gateway HTTP API event (payload format
 * 2.0). Header names arrive in lower case; a body API Gateway took for binary arrives base64-encoded.
 */
export interface HttpApiEvent {
  readonly rawPath: string;
  readonly requestContext: { readonly http: { readonly method: string } };
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** What the ingest and register functions answer API Gateway with (payload format 2.0, structured). */
export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** `answer` as API Gateway takes it; header names in lower case, as hono's Lambda adapter gives them. */
function result(answer: Answer): HttpApiResult {
  const headers: Record<string, string> = answer.body === null ? {} : { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    statusCode: answer.status,
    headers,
    body: answer.body === null ? '' : JSON.stringify(answer.body),
  };
}

/**
 * The door of a function that serves POST routes alone (the ingest function's heartbeat routes, the
 * register function's enrollment): API Gateway's event in, its answer out, each route of `routes`
 * answered over `service` as the hono router of local mode answers it (./door, `addPostRoutes`), with
 * the same body limits, errors and 404 and 405 answers. No web framework: hono and its Lambda adapter
 * were about 20 KB of a bundle and a Request, a Response and a router walk per request. Unlike local
 * mode's router it does not check the Host header: API Gateway sets it, and nothing here makes a URL
 * of it. `observe` is told each heartbeat's status.
 */
export function lambdaDoor<S>(
  routes: Readonly<Record<string, PostRoute<S>>>,
  service: S & { readonly log: Logger },
  observe: HeartbeatObserver = () => {},
): (event: HttpApiEvent) => Promise<HttpApiResult> {
  return async (event) => {
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return result(notFound(method, path));
    if (method !== 'POST') return result(methodNotAllowed(method, 'POST'));
    const headers = event.headers ?? {};
    try {
      return result(
        await observed(observe, async () => {
          // A plain body is measured and parsed as it came; only a base64 one is decoded first.
          const text = event.isBase64Encoded
            ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
            : (event.body ?? '');
          // Refused before it is parsed, and not told to `observe`, as local mode's body limit does.
          if (Buffer.byteLength(text, 'utf8') > route.maxBytes) {
            return errorAnswer(bodyTooLarge(route.maxBytes), service.log, path);
          }
          checkJsonType(headers['content-type']);
          const body = parseJsonBody(text);
          return route.answer(service, headers.authorization, body, observe);
        }),
      );
    } catch (error) {
      return result(errorAnswer(error, service.log, path));
    }
  };
}

/** The ingest function's door: the heartbeat routes ({@link HEARTBEAT_ROUTES}). */
export function ingestDoor(
  service: HeartbeatService,
  observe?: HeartbeatObserver,
): (event: HttpApiEvent) => Promise<HttpApiResult> {
  return lambdaDoor(HEARTBEAT_ROUTES, service, observe);
}
