import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { DynamoAgentStore } from '../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../lambda/adapters/dynamo-client';
import { DynamoWatcherStateStore } from '../lambda/adapters/dynamo-state-store';
import { ensureTables, LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import type { WatcherConfig } from '../lambda/domain/config';
import { createApp } from '../lambda/http/app';
import type { Clock } from '../lambda/ports';
import { WatcherService } from '../lambda/service';
import { WATCHER_VERSION } from '../lambda/version';
import { CONSOLE_PAGE, FAVICON_SVG } from './console-page';
import { startEmbeddedDynamo } from './embedded-dynamo';

export interface LocalWatcherOptions {
  readonly config: WatcherConfig;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  /** Where dynalite keeps its LevelDB files; in memory when undefined. */
  readonly dataDir?: string;
  /** Required when `host` is not a loopback address; when set, admin routes always need it. */
  readonly adminToken?: string;
  /** @default the system clock */
  readonly clock?: Clock;
}

export interface LocalWatcher {
  readonly url: string;
  readonly service: WatcherService;
  readonly app: Hono;
  /** The embedded DynamoDB's endpoint, for tests that inspect the tables. */
  readonly dynamoEndpoint: string;
  close(): Promise<void>;
}

export class LocalWatcherError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalWatcherError';
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The whole watcher on this machine: embedded DynamoDB, the one router, the console page. */
export async function startLocalWatcher(options: LocalWatcherOptions): Promise<LocalWatcher> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.adminToken) {
    throw new LocalWatcherError(
      `binding to ${host} exposes the admin routes beyond this machine: set HBW_ADMIN_TOKEN to a long random secret first`,
    );
  }
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  try {
    dynamo = await startEmbeddedDynamo(options.dataDir);
  } catch (error) {
    throw new LocalWatcherError(
      `cannot open the data directory ${options.dataDir}: ${(error as Error).message} (is another hbw local using it?)`,
      { cause: error },
    );
  }
  const client = localDynamoClient(dynamo.endpoint);
  await ensureTables(client, LOCAL_TABLE_NAMES);
  const service = new WatcherService({
    agents: new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents),
    state: new DynamoWatcherStateStore(client, LOCAL_TABLE_NAMES.state),
    clock: options.clock ?? { now: () => Date.now() },
    config: options.config,
    version: WATCHER_VERSION,
  });
  const app = createApp(service, { token: options.adminToken }, (routes) => {
    routes.get('/', (c) => c.html(CONSOLE_PAGE));
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      routes.get(path, (c) =>
        c.body(FAVICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' }),
      );
    }
  });
  const server = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    client.destroy();
    await dynamo.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new LocalWatcherError(
      code === 'EADDRINUSE'
        ? `port ${options.port} on ${host} is in use (another hbw local?); pick another with --port`
        : `cannot listen on ${host}:${options.port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    service,
    app,
    dynamoEndpoint: dynamo.endpoint,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      client.destroy();
      await dynamo.close();
    },
  };
}
