import { spawn } from 'node:child_process';
import type { WatcherClient } from '../client';
import { type Command, UsageError } from '../command';
import { untilSignal } from '../signals';
import type { Forward, startConsoleProxy } from './proxy';

/** Where `hbw console` listens unless told otherwise. */
export const DEFAULT_CONSOLE_PORT = 8789;

export interface ConsoleCommandDeps {
  /**
   * How the console's calls reach the watcher of `client` (the one --endpoint, --sign and --region chose).
   * @default `client.forward`: SigV4-signed for a deployed watcher, else HBW_ADMIN_TOKEN as bearer when set
   */
  readonly forwardVia: (client: WatcherClient) => Forward;
  /** Opens `url` in a browser; a failure is ignored. @default xdg-open, open or start */
  readonly openBrowser: (url: string) => void;
  /** Resolves when the console should stop. @default Ctrl-C (SIGINT) or SIGTERM */
  readonly stopped: () => Promise<void>;
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser opener here: the URL is printed anyway
  }
}

export const DEFAULT_CONSOLE_DEPS: ConsoleCommandDeps = {
  forwardVia: (client) => (method, pathAndQuery, body) =>
    client.forward(
      method,
      pathAndQuery,
      body,
      body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
    ),
  openBrowser,
  stopped: () => untilSignal().then(() => undefined),
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw new UsageError(`--port must be a port number, not "${text}"`);
  return port;
}

/** `hbw console`, with what it reaches the world through passed in (tests pass their own). */
export function makeConsoleCommand(deps: ConsoleCommandDeps = DEFAULT_CONSOLE_DEPS): Command {
  return {
    path: ['console'],
    summary:
      "Serve the operator console on 127.0.0.1 for a watcher: the page's calls are forwarded with your credentials, which never reach the browser.",
    remote: true,
    options: {
      port: { type: 'string', default: String(DEFAULT_CONSOLE_PORT) },
      open: { type: 'boolean', default: false },
    },
    optionHelp: [
      `--port N            the local port (default ${DEFAULT_CONSOLE_PORT}; 0 picks a free one)`,
      '--open              open it in the default browser',
    ],
    example: 'hbw console --endpoint https://abc123.execute-api.eu-west-1.amazonaws.com --open',
    async run(ctx) {
      const port = parsePort(String(ctx.values.port));
      const client = ctx.client();
      const endpoint = client.endpoint;
      const forward = deps.forwardVia(client);
      // The proxy (Hono, the node server) loads only for this command.
      const { ConsoleProxyError, startConsoleProxy: start } = await import('./proxy');
      let proxy: Awaited<ReturnType<typeof startConsoleProxy>>;
      try {
        proxy = await start({ forward, port });
      } catch (e) {
        if (e instanceof ConsoleProxyError) {
          ctx.err(`hbw: ${e.message}`);
          return 1;
        }
        throw e;
      }
      const watcher = await forward('GET', '/v1/status').then(
        (answer) => {
          if (answer.status !== 200)
            return `the watcher answered ${answer.status} to GET /v1/status (the page will show why)`;
          try {
            return `watcher ${(JSON.parse(answer.body) as { version?: string }).version ?? '?'}`;
          } catch {
            return 'GET /v1/status answered 200 but not with JSON: is this the watcher? (the page will show why)';
          }
        },
        (e: unknown) => `cannot reach the watcher yet: ${(e as Error).message}`,
      );
      if (ctx.json) ctx.out(JSON.stringify({ url: proxy.url, endpoint }));
      else ctx.out(`console for ${endpoint} (${watcher}) at ${proxy.url}\nCtrl-C stops it.`);
      if (ctx.values.open === true) deps.openBrowser(proxy.url);
      await deps.stopped();
      await proxy.close();
      return 0;
    },
  };
}

export const consoleCommand = makeConsoleCommand();
