import { paginateScan } from '@aws-sdk/client-dynamodb';
import { type Relay, type RelayOptions, startRelay } from '../../cli/agent/relay';
import { type ConsoleProxy, type ConsoleProxyOptions, startConsoleProxy } from '../../cli/console/proxy';
import { type LocalWatcher, type LocalWatcherOptions, startLocalWatcher } from '../../cli/local-watcher';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { agentFromItem } from '../../lambda/adapters/dynamo-heartbeat-store';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import type { AgentRecord } from '../../lambda/domain/agent';
import { DEFAULT_CONFIG, parseConfig, type RawConfig } from '../../lambda/domain/config';
import type { LogRecord } from '../../lambda/logger';
import type { Answerer } from './answer-tap';
import { checkAnswersOf } from './checked-servers';

/** The built-in config, with a `lab` group that approves its agents itself and beats every 10 s. */
export const TEST_CONFIG: RawConfig = {
  ...DEFAULT_CONFIG,
  groups: {
    ...DEFAULT_CONFIG.groups,
    lab: { channels: ['console'], autoApprove: true, heartbeatIntervalSeconds: 10 },
  },
};

/** A test clock: starts at a fixed instant and moves only when told. */
export class ManualClock {
  constructor(public time = Date.parse('2026-11-23T12:00:00.000Z')) {}
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

export interface TestWatcher extends LocalWatcher {
  readonly clock: ManualClock;
  /** Every record the watcher logged, oldest first (local mode's `--json` lines, parsed). */
  readonly logged: LogRecord[];
  /** Calls the watcher over real HTTP; `body` objects are sent as JSON. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Adds an approved agent through the admin API and answers its token. */
  addAgent(agentId: string, group?: string): Promise<string>;
  /** Every stored agent record, read straight from the table. */
  storedAgents(): Promise<AgentRecord[]>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the watcher answered
  readonly body: any;
}

/** `server`, its answers held to `answerer`'s part of the contract until it closes. */
function checked<S extends { readonly url: string; close(...args: never[]): Promise<void> }>(
  server: S,
  answerer: Answerer,
): S {
  const stop = checkAnswersOf(server.url, answerer);
  const close = server.close.bind(server);
  return Object.assign(server, {
    close: async (...args: never[]) => {
      await close(...args);
      stop();
    },
  });
}

/**
 * `startLocalWatcher`, with every answer the watcher gives held to the API's contract
 * (docs/openapi.json): one that breaks it fails the test it came in (./contract-hooks.ts).
 */
export async function startCheckedWatcher(options: LocalWatcherOptions): Promise<LocalWatcher> {
  return checked(await startLocalWatcher(options), 'watcher');
}

/** `startRelay`, with every answer the relay gives held to what the contract says a relay answers. */
export async function startCheckedRelay(options: RelayOptions): Promise<Relay> {
  return checked(await startRelay(options), 'relay');
}

/** `startConsoleProxy`, with every answer it gives held to the contract: the watcher's answers it passes on, and its own refusals. */
export async function startCheckedConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  return checked(await startConsoleProxy(options), 'console proxy');
}

/** A whole local watcher with in-memory dynalite, on a free port, with a manual clock; its answers are checked. */
export async function startTestWatcher(
  options: {
    config?: RawConfig;
    adminToken?: string;
    host?: string;
    /** Where notices are appended (see `readOutbox`). @default none: printed only */
    outboxPath?: string;
    /** How the webhook sender retries within one publish. @default its own (3 tries, backoff) */
    webhookRetries?: LocalWatcherOptions['webhookRetries'];
  } = {},
): Promise<TestWatcher> {
  const clock = new ManualClock();
  const logged: LogRecord[] = [];
  const watcher = await startCheckedWatcher({
    config: parseConfig(options.config ?? TEST_CONFIG),
    port: 0,
    host: options.host,
    adminToken: options.adminToken,
    outboxPath: options.outboxPath,
    webhookRetries: options.webhookRetries,
    clock,
    // Scans run when a test calls watcher.scanner.scan(), on the manual clock, never on a timer.
    scanning: false,
    json: true,
    print: (line) => logged.push(JSON.parse(line) as LogRecord),
  });
  const client = localDynamoClient(watcher.dynamoConnection);
  const call: TestWatcher['call'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body =
        typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
      if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(watcher.url + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    ...watcher,
    clock,
    logged,
    call,
    async addAgent(agentId, group = 'production') {
      const res = await call('POST', '/v1/agents', { agentId, group }, adminHeaders(options.adminToken));
      if (res.status !== 201) throw new Error(`add ${agentId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async storedAgents() {
      // Every item in full (the store's own reads project what their callers need).
      const out: AgentRecord[] = [];
      for await (const page of paginateScan({ client }, { TableName: LOCAL_TABLE_NAMES.agents })) {
        for (const item of page.Items ?? []) out.push(agentFromItem(item));
      }
      return out.sort((a, b) => a.agentId.localeCompare(b.agentId));
    },
    async close() {
      client.destroy();
      await watcher.close();
    },
  };
}

export function adminHeaders(token?: string): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
