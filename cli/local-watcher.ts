import { chmodSync, mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { countedNotifier } from '../lambda/adapters/counted-notifier';
import { type LocalDynamoConnection, localDynamoClient } from '../lambda/adapters/dynamo-client';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { FanOutNotifier } from '../lambda/adapters/fan-out-notifier';
import { NetProber } from '../lambda/adapters/net-prober';
import { OutboxNotifier, outboxSummary } from '../lambda/adapters/outbox-notifier';
import { ProbeRouter } from '../lambda/adapters/probe-router';
import { SDK_CLIENT_CONFIG } from '../lambda/adapters/sdk-config';
import { ensureTables, LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import {
  WebhookSecretError,
  type WebhookSecrets,
  WebhookSender,
  type WebhookSenderOptions,
  webhookSecretsFromEnv,
} from '../lambda/adapters/webhook-sender';
import { LOCAL_CALLER } from '../lambda/domain/audit';
import { CHANNELS, type WatcherConfig } from '../lambda/domain/config';
import { scanTickSeconds } from '../lambda/domain/heartbeat-settings';
import type { Notification } from '../lambda/domain/messages';
import type { CallerOf } from '../lambda/http/admin-routes';
import { createApp } from '../lambda/http/app';
import { isLoopbackHost } from '../lambda/http/hosts';
import { createLogger, type Logger, type LogLevel, type LogSink } from '../lambda/logger';
import type { Clock, Notifier, Prober } from '../lambda/ports';
import { Scanner, type ScannerDeps } from '../lambda/scanner';
import { WatcherService } from '../lambda/service';
import { WATCHER_VERSION } from '../lambda/version';
import { addConsoleRoutes } from './console/routes';
import { type EmbeddedDynamo, EmbeddedDynamoError, startEmbeddedDynamo } from './embedded-dynamo';
import { closing, keepingIdleConnections, listening } from './listening';
import { addMetricsRoute, WatcherMetrics } from './metrics';
import { PauseWatch } from './pause-watch';
import { type ScanLoop, startScanLoop } from './scan-loop';

/** Who the audit trail says made a call the local watcher's admin token let through. */
export const ADMIN_TOKEN_CALLER = 'admin-token';

/**
 * The caller of an admin call to the local watcher, from the address of the socket: `local`, or,
 * when an admin token guards the routes, `admin-token` (the token that let it through; there is
 * one, so it needs no other name). A request handed to the app without a socket (a test's
 * `app.fetch`) has no address.
 */
export function localCallerOf(guarded: boolean): CallerOf {
  const by = guarded ? ADMIN_TOKEN_CALLER : LOCAL_CALLER.by;
  return (c) => {
    const hasSocket = (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined;
    return hasSocket ? { by, sourceIp: getConnInfo(c).remote.address } : { by };
  };
}

/** The caller of an admin call to a local watcher without an admin token. */
export const localCaller: CallerOf = localCallerOf(false);

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
  /** Run the scanner on a timer at the scan interval. @default true */
  readonly scanning?: boolean;
  /** Where notices are appended. @default `<dataDir>/outbox.jsonl`, or none (printed only) without a dataDir */
  readonly outboxPath?: string;
  /** Where the outbox's one-line summaries and the scanner's log lines go. @default stdout */
  readonly print?: (line: string) => void;
  /** Print each line as one JSON object with its time (`hbw local --json`). @default false */
  readonly json?: boolean;
  /** The least level logged (`LOG_LEVEL`). @default info */
  readonly logLevel?: LogLevel;
  /** The prober for late hosts. @default TCP and HTTP from this machine */
  readonly prober?: Prober;
  /** Where each webhook's `secretName` is read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How the webhook sender retries (tests shorten its backoff). */
  readonly webhookRetries?: Pick<WebhookSenderOptions, 'attempts' | 'backoffMs'>;
}

export interface LocalWatcher {
  readonly url: string;
  readonly service: WatcherService;
  readonly scanner: Scanner;
  readonly app: Hono;
  /** The way into the embedded DynamoDB (its socket and this process's key), for tests that inspect the tables. */
  readonly dynamoConnection: LocalDynamoConnection;
  /** The client the watcher's stores use, for tests that inject faults into it. */
  readonly dynamoClient: DynamoDBClient;
  /**
   * Settles when the watcher stopped on its own because its store failed (a full disk, a damaged
   * file), with the reason; by then it answers no more requests. It never rejects.
   */
  readonly failed: Promise<LocalWatcherError>;
  close(): Promise<void>;
}

export class LocalWatcherError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalWatcherError';
  }
}

/**
 * Keeps `path` (the data directory, the outbox) to this user alone, as it holds token hashes, phone
 * numbers and the store's socket: one made before with a looser mode is tightened, and `print` says
 * so; when it cannot be (another user owns it), `print` warns. Windows has no such modes: there the
 * ACL of the user's profile decides.
 */
function keepPrivate(path: string, mode: number, print: (line: string) => void): void {
  if (process.platform === 'win32') return;
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return; // not made yet: it will be made with `mode`
  }
  if ((current & ~mode) === 0) return;
  const octal = (m: number) => m.toString(8).padStart(3, '0');
  try {
    chmodSync(path, mode);
    print(`made ${path} private to this user (mode ${octal(mode)}, it was ${octal(current)})`);
  } catch (error) {
    print(
      `warning: other users may read ${path} (mode ${octal(current)}), which holds token hashes and phone numbers, and it cannot be made private: ${(error as Error).message}`,
    );
  }
}

/**
 * Where local mode's records go: with `--json` each record as one JSON line (as the functions write
 * them); without, the line for people the caller gave, or the record as JSON when it gave none.
 */
export function localSink(print: (line: string) => void, json: boolean): LogSink {
  return (record, text) => print(json || text === undefined ? JSON.stringify(record) : text);
}

/** Local mode's logger: every record at `level` or above, through {@link localSink}. */
export function localLogger(print: (line: string) => void, json: boolean, level?: LogLevel): Logger {
  return createLogger({ level, sink: localSink(print, json) });
}

/**
 * The whole watcher on this machine: embedded DynamoDB, the one router, the console page. It starts
 * in order (data directory, store and tables, use cases, scanner, server, scan loop), and a step that
 * fails closes what the steps before it opened.
 */
export async function startLocalWatcher(options: LocalWatcherOptions): Promise<LocalWatcher> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.adminToken) {
    throw new LocalWatcherError(
      `binding to ${host} exposes the admin routes beyond this machine: set HBW_ADMIN_TOKEN to a long random secret first`,
    );
  }
  const print = options.print ?? ((line: string) => console.log(line));
  const secrets = localWebhookSecrets(options);
  const outboxPath = privateFiles(options, print);
  const store = await openLocalStore(options.dataDir);
  const { client, dynamo } = store;
  const log = localLogger(print, options.json === true, options.logLevel);
  const stores = dynamoStores(client, LOCAL_TABLE_NAMES, log);
  const clock = options.clock ?? { now: () => Date.now() };
  const service = new WatcherService({
    ...stores,
    clock,
    config: options.config,
    version: WATCHER_VERSION,
    log,
  });
  const metrics = new WatcherMetrics(service);
  const notifier = localNotifier(options, { secrets, outboxPath, log, print, metrics });
  const { scanner, pauses } = localScanner(options, { ...stores, notifier, clock, log });
  const app = localApp(service, metrics, host, options.adminToken);
  const server = keepingIdleConnections(
    serve({
      fetch: app.fetch,
      port: options.port ?? 8787,
      hostname: host,
    }),
  );
  try {
    await listening(
      server,
      `${host}:${options.port}`,
      `port ${options.port} on ${host} is in use (another hbw local?); pick another with --port`,
      (message, cause) => new LocalWatcherError(message, { cause }),
    );
  } catch (error) {
    await store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const loop: ScanLoop | undefined =
    options.scanning === false ? undefined : startScanLoop(scanner, options.config, log, metrics);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await loop?.stop();
      pauses?.stop();
      await closing(server);
      await store.close();
    })();
    return closed;
  };
  const failed = new Promise<LocalWatcherError>((resolve) => {
    store.onFailure((error) => {
      void close().then(() =>
        resolve(new LocalWatcherError(`the embedded DynamoDB stopped: ${error.message}`, { cause: error })),
      );
    });
  });
  return {
    url: `http://${urlHost}:${port}`,
    service,
    scanner,
    app,
    dynamoConnection: dynamo.connection,
    dynamoClient: client,
    failed,
    close,
  };
}

/**
 * Makes the data directory, and keeps it and the outbox to this user ({@link keepPrivate}); answers
 * where the outbox is (none without a data directory, unless `outboxPath` says).
 */
function privateFiles(options: LocalWatcherOptions, print: (line: string) => void): string | undefined {
  const outboxPath =
    options.outboxPath ?? (options.dataDir === undefined ? undefined : join(options.dataDir, 'outbox.jsonl'));
  if (options.dataDir !== undefined) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    keepPrivate(options.dataDir, 0o700, print);
  }
  if (outboxPath !== undefined) keepPrivate(outboxPath, 0o600, print);
  return outboxPath;
}

/** The secrets the config's webhooks name, from `options.env`; a missing one is a {@link LocalWatcherError}. */
function localWebhookSecrets(options: LocalWatcherOptions): WebhookSecrets {
  try {
    return webhookSecretsFromEnv(options.config, options.env ?? process.env);
  } catch (error) {
    if (error instanceof WebhookSecretError) throw new LocalWatcherError(error.message, { cause: error });
    throw error;
  }
}

/** The embedded DynamoDB with the watcher's tables, and what became of it. */
interface LocalStore {
  readonly dynamo: EmbeddedDynamo;
  readonly client: DynamoDBClient;
  /** Each failure of the store from now on goes to `handler`; the last one before, at once. */
  onFailure(handler: (error: EmbeddedDynamoError) => void): void;
  close(): Promise<void>;
}

/**
 * Starts the embedded DynamoDB over `dataDir` (in memory without one) and makes the tables; a failure
 * of either is a {@link LocalWatcherError}, and leaves nothing open.
 */
async function openLocalStore(dataDir: string | undefined): Promise<LocalStore> {
  const where =
    dataDir === undefined
      ? 'cannot start the embedded DynamoDB'
      : `cannot open the data directory ${dataDir}`;
  // Until the watcher is up, a failure of the store is kept for the message of the start that fails.
  let storeFailure: EmbeddedDynamoError | undefined;
  let onStoreFailure = (error: EmbeddedDynamoError) => {
    storeFailure = error;
  };
  let dynamo: EmbeddedDynamo;
  try {
    dynamo = await startEmbeddedDynamo(dataDir, { onFailure: (error) => onStoreFailure(error) });
  } catch (error) {
    if (!(error instanceof EmbeddedDynamoError)) throw error;
    throw new LocalWatcherError(
      `${where}: ${error.message}${error.inUse ? ' (is another hbw local using it?)' : ''}`,
      { cause: error },
    );
  }
  const client = localDynamoClient(dynamo.connection, SDK_CLIENT_CONFIG);
  const close = async () => {
    client.destroy();
    await dynamo.close();
  };
  try {
    await ensureTables(client, LOCAL_TABLE_NAMES);
  } catch (error) {
    await close();
    throw new LocalWatcherError(`${where}: ${(storeFailure ?? (error as Error)).message}`, { cause: error });
  }
  return {
    dynamo,
    client,
    onFailure(handler) {
      onStoreFailure = handler;
      if (storeFailure) handler(storeFailure);
    },
    close,
  };
}

/**
 * Where local mode's notices go: the outbox (or the log alone, without one), and beside it the
 * webhooks when a group has any; each notice counted in `metrics`.
 */
function localNotifier(
  options: LocalWatcherOptions,
  to: {
    readonly secrets: WebhookSecrets;
    readonly outboxPath: string | undefined;
    readonly log: Logger;
    readonly print: (line: string) => void;
    readonly metrics: WatcherMetrics;
  },
): Notifier {
  const { log } = to;
  const appended = (n: Notification) =>
    log.info(
      'outbox',
      { group: n.group, channels: n.channels, kind: n.kind, subject: n.subject },
      outboxSummary(n),
    );
  const outbox: Notifier = to.outboxPath
    ? new OutboxNotifier(to.outboxPath, appended)
    : { publish: async (n) => appended(n) };
  const hooked = Object.values(options.config.groups).some((g) => g.webhooks.length > 0);
  const sentPath = options.dataDir === undefined ? undefined : join(options.dataDir, 'webhooks-sent.jsonl');
  if (sentPath !== undefined) keepPrivate(sentPath, 0o600, to.print);
  return countedNotifier(
    hooked
      ? new FanOutNotifier([
          // The outbox records every notice, the webhooks' too: local mode's one log of what went.
          { channels: CHANNELS, notifier: outbox },
          {
            channels: ['webhook'],
            notifier: new WebhookSender(options.config, to.secrets, { sentPath, ...options.webhookRetries }),
          },
        ])
      : outbox,
    to.metrics.notice,
  );
}

/** The agents a page of a local scan reads (see `localScanner`). */
const SCAN_PAGE_SIZE = 200;

/** The scanner of local mode, sharing the process with the doors, and the watch on its pauses. */
function localScanner(
  options: LocalWatcherOptions,
  deps: Omit<ScannerDeps, 'prober' | 'config' | 'sharesProcessWithIngest' | 'pauses'> & {
    readonly log: Logger;
  },
): { readonly scanner: Scanner; readonly pauses: PauseWatch | undefined } {
  // Pauses are measured on the system clock, so a watcher on a clock of its own (a test's) has none.
  // One shorter than two scan intervals is one the missed-scans rule already allows for.
  const pauses = options.clock ? undefined : new PauseWatch(2 * scanTickSeconds(options.config) * 1000);
  const scanner = new Scanner({
    ...deps,
    prober: options.prober ?? new ProbeRouter(new NetProber(), { kind: 'local', log: deps.log }),
    config: options.config,
    sharesProcessWithIngest: true,
    pauses,
    // The embedded store answers every request on one thread, so a scan's reads and the heartbeats'
    // writes take turns there: one segment in pages of 200 agents holds a heartbeat for a page
    // (a few ms), where four segments of 1 MB pages held them for the whole read (a p99 of about
    // 200 ms at 10,000 agents against 44 ms; npm run load's fleet part measures it).
    segments: 1,
    scanPageSize: SCAN_PAGE_SIZE,
  });
  return { scanner, pauses };
}

/** The one router with the console's routes and `/metrics`, its admin routes guarded by `adminToken`. */
function localApp(service: WatcherService, metrics: WatcherMetrics, host: string, adminToken?: string): Hono {
  const access = {
    token: adminToken,
    browserGuard: { loopbackOnly: isLoopbackHost(host) },
    caller: localCallerOf(adminToken !== undefined),
  };
  return createApp(
    service,
    access,
    (door) => {
      addConsoleRoutes(door);
      addMetricsRoute(door, metrics, access);
    },
    metrics.heartbeat,
  );
}
