import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { ErrorAnswer } from '../../lambda/api/contract';
import { MAX_BODY_BYTES } from '../../lambda/http/wire';
import { createLogger, type Logger } from '../../lambda/logger';
import { closing, listening } from '../listening';
import { DEFAULT_CONSOLE_PORT } from './command';
import { addConsoleRoutes } from './routes';

/** What the watcher answered to one forwarded call. */
export interface ForwardAnswer {
  readonly status: number;
  /** Lower-case header names; `content-type` at least when there is a body. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends one console call to the watcher: `pathAndQuery` as the browser asked it (`/v1/agents?group=test`),
 * `body` as JSON text. The implementation holds the credential (SigV4 or the admin token); the browser never does.
 */
export type Forward = (method: string, pathAndQuery: string, body?: string) => Promise<ForwardAnswer>;

/** The admin calls the console makes, and nothing else: no delete, no change in place (PATCH), no token rotation, no enrollment keys. */
const CONSOLE_API_ROUTES: readonly { readonly methods: readonly string[]; readonly path: RegExp }[] = [
  { methods: ['GET'], path: /^\/v1\/status$/ },
  { methods: ['GET'], path: /^\/v1\/agents$/ },
  { methods: ['GET'], path: /^\/v1\/agents\/[^/]+$/ },
  { methods: ['POST'], path: /^\/v1\/agents\/[^/]+\/(approve|reject)$/ },
  { methods: ['PUT', 'DELETE'], path: /^\/v1\/(agents|groups)\/[^/]+\/maintenance$/ },
  { methods: ['GET'], path: /^\/v1\/alerts$/ },
  { methods: ['POST'], path: /^\/v1\/alerts\/[^/]+\/ack$/ },
];

/** The header the console page sends with every call; a page of another origin cannot send it without a CORS preflight, which is never granted. */
const CONSOLE_HEADER = 'x-hbw-console';
/** Headers of the watcher's answer that mean something to the page. */
const PASSED_HEADERS = ['content-type', 'retry-after', 'allow'];

export class ConsoleProxyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsoleProxyError';
  }
}

/** An answer of the proxy's own, in the watcher's error shape, which the page reads alike. */
const error = (status: number, code: string, message: string) =>
  new Response(JSON.stringify({ error: { code, message } } satisfies ErrorAnswer), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

async function forwardCall(c: Context, forward: Forward): Promise<Response> {
  if (c.req.header(CONSOLE_HEADER) !== '1') {
    return error(
      403,
      'forbidden',
      `the console proxy answers its own page only (no ${CONSOLE_HEADER} header)`,
    );
  }
  const url = new URL(c.req.url);
  const route = CONSOLE_API_ROUTES.filter((r) => r.path.test(url.pathname));
  if (route.length === 0) {
    return error(404, 'not_found', `the console proxy does not forward ${url.pathname}`);
  }
  const allowed = route.flatMap((r) => r.methods);
  if (!allowed.includes(c.req.method)) {
    const res = error(
      405,
      'method_not_allowed',
      `${c.req.method} is not forwarded here; use ${allowed.join(', ')}`,
    );
    res.headers.set('Allow', allowed.join(', '));
    return res;
  }
  let body: string | undefined;
  if (c.req.method === 'POST' || c.req.method === 'PUT') {
    body = await c.req.text();
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
      return error(413, 'body_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    if (body === '') body = undefined;
  }
  let answer: ForwardAnswer;
  try {
    answer = await forward(c.req.method, url.pathname + url.search, body);
  } catch (e) {
    return error(502, 'bad_gateway', (e as Error).message);
  }
  const headers = new Headers({ 'Cache-Control': 'no-store' });
  for (const name of PASSED_HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) headers.set(name, value);
  }
  const empty = answer.status === 204 || answer.status === 304 || answer.body === '';
  return new Response(empty ? null : answer.body, { status: answer.status, headers });
}

/**
 * The console server's routes: the page, and the console's API calls forwarded through `forward`.
 * `hostAllowed` refuses requests for any other host name (a DNS-rebinding page would send its own).
 */
function createConsoleProxyApp(forward: Forward, hostAllowed: (host: string) => boolean, log: Logger): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (!hostAllowed(c.req.header('host') ?? '')) {
      return error(403, 'forbidden', 'the console answers on 127.0.0.1 and localhost only');
    }
    await next();
  });
  addConsoleRoutes(app);
  app.all('/v1/*', (c) => forwardCall(c, forward));
  app.notFound(() => error(404, 'not_found', 'no such page'));
  app.onError((e) => {
    log.error('console proxy error', { error: e });
    return error(500, 'internal', 'internal error in the console proxy');
  });
  return app;
}

export interface ConsoleProxyOptions {
  readonly forward: Forward;
  /** @default 8789; 0 picks a free port */
  readonly port?: number;
  /** Where the proxy's own failures are logged. @default JSON lines (errors on stderr) */
  readonly log?: Logger;
}

export interface ConsoleProxy {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the console on 127.0.0.1 (never beyond: it acts with the operator's credentials). */
export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const wanted = options.port ?? DEFAULT_CONSOLE_PORT;
  let port = wanted;
  const hosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const app = createConsoleProxyApp(
    options.forward,
    (host) => hosts().has(host.toLowerCase()),
    options.log ?? createLogger(),
  );
  const server = serve({ fetch: app.fetch, port: wanted, hostname: '127.0.0.1' });
  await listening(
    server,
    `127.0.0.1:${wanted}`,
    `port ${wanted} on 127.0.0.1 is in use; pick another with --port`,
    (message, cause) => new ConsoleProxyError(message, { cause }),
  );
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => closing(server),
  };
}
