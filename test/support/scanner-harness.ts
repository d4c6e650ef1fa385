import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localCaller } from '../../cli/local-watcher';
import { dynamoStores } from '../../lambda/adapters/dynamo-stores';
import { ensureTables, type TableNames } from '../../lambda/adapters/tables';
import type { AlertView } from '../../lambda/api/contract';
import type { Probe } from '../../lambda/domain/agent';
import { DEFAULT_CONFIG, parseConfig, type RawConfig, type WatcherConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import type { HeartbeatAnswer } from '../../lambda/heartbeats';
import { createApp } from '../../lambda/http/app';
import { createLogger, type LogRecord } from '../../lambda/logger';
import {
  type AgentStore,
  type AlertStore,
  type Notifier,
  NotifierError,
  type ProbeResult,
  type Prober,
  type WatcherStateStore,
} from '../../lambda/ports';
import { Scanner, type ScannerDeps, type ScanReport } from '../../lambda/scanner';
import { WatcherService } from '../../lambda/service';
import { holdToContract } from './contract-check';
import { type NewDynamoClient, openTestStore, type TestStore } from './test-store';
import { ManualClock } from './watcher';

/**
 * The built-in config (production pages by SMS and email, test is console-only) with a 10 s
 * heartbeat, and agentless entries probed every third scan.
 */
export const SCANNER_CONFIG: RawConfig = {
  ...DEFAULT_CONFIG,
  heartbeatIntervalSeconds: 10,
  agentlessEveryNScans: 3,
};

/** Records every notice it is given; can be told to fail the next few publishes. */
export class RecordingNotifier implements Notifier {
  /** Notices that went out, in order. */
  readonly sent: Notification[] = [];
  /** Every publish call, failed ones included. */
  readonly attempts: Notification[] = [];
  private failures: { retryable: boolean; message: string }[] = [];
  private taken = 0;

  /** The next `times` publishes throw a {@link NotifierError}. */
  failNext(times: number, options: { retryable?: boolean; message?: string } = {}): void {
    for (let i = 0; i < times; i++) {
      this.failures.push({
        retryable: options.retryable ?? true,
        message: options.message ?? 'SNS throttled',
      });
    }
  }

  async publish(notification: Notification): Promise<void> {
    this.attempts.push(notification);
    const failure = this.failures.shift();
    if (failure) throw new NotifierError(failure.message, failure.retryable);
    this.sent.push(notification);
  }

  /** The notices sent since the last call. */
  take(): Notification[] {
    const out = this.sent.slice(this.taken);
    this.taken = this.sent.length;
    return out;
  }
}

/** Answers probes from a script: per host, the host answers or it does not. */
export class ScriptedProber implements Prober {
  private readonly answers = new Map<string, boolean>();
  /** The host of every probe, in order. */
  readonly calls: string[] = [];

  /** Scripts `host`: `true` answers, `false` does not. */
  set(host: string, ok: boolean): void {
    this.answers.set(host, ok);
  }

  async probe(target: Probe): Promise<ProbeResult> {
    const host =
      target.type === 'tcp'
        ? target.host
        : target.type === 'http'
          ? new URL(target.url).hostname
          : target.instanceId;
    this.calls.push(host);
    const ok = this.answers.get(host);
    if (ok === undefined) return { outcome: 'down', detail: `${host} not scripted` };
    return ok
      ? { outcome: 'up', detail: `tcp ${host} answered` }
      : { outcome: 'down', detail: `tcp ${host} refused (ECONNREFUSED)` };
  }

  /** How many times `host` was probed. */
  count(host: string): number {
    return this.calls.filter((h) => h === host).length;
  }
}

/** The alert ids a notice speaks of (the last line of its email text). */
export function alertIdsOf(notification: Notification): string[] {
  const line = notification.messages.email.split('\n').find((l) => l.startsWith('Alert ids: '));
  return line ? line.slice('Alert ids: '.length).split(', ') : [];
}

/**
 * For the `describe` block it is called in: a maker of harnesses (each with tables of its own,
 * `SCANNER_CONFIG` under `config`), every one closed after the tests. They are over one store of the
 * run's kind (test-store.ts: dynalite or DynamoDB Local), opened before the tests and closed after them.
 */
export function scannerHarnesses(): (config?: Partial<RawConfig>) => Promise<ScannerHarness> {
  let store: TestStore | undefined;
  const made: ScannerHarness[] = [];
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    for (const h of made) h.close();
    await store?.close();
  });
  return async (config = {}) => {
    const h = await createScannerHarness(store!.newClient, { config: { ...SCANNER_CONFIG, ...config } });
    made.push(h);
    return h;
  };
}

let tableSerial = 0;

export interface HarnessOptions {
  readonly config?: RawConfig;
  /** Starts the clock here. @default ManualClock's default instant */
  readonly startAt?: number;
}

export interface Stores {
  readonly agents: AgentStore;
  readonly alerts: AlertStore;
  readonly state: WatcherStateStore;
}

export interface ScannerHarness {
  readonly clock: ManualClock;
  readonly config: WatcherConfig;
  readonly names: TableNames;
  readonly client: DynamoDBClient;
  readonly stores: Stores;
  readonly service: WatcherService;
  readonly scanner: Scanner;
  readonly notifier: RecordingNotifier;
  readonly prober: ScriptedProber;
  /** The scanner's log lines. */
  readonly logs: LogRecord[];
  /** Milliseconds of one scan interval. */
  readonly intervalMs: number;
  /** Adds an approved agent (or agentless entry) through the service and keeps its token for `beat`. */
  addAgent(
    agentId: string,
    group?: string,
    extra?: { probe?: Probe; agentless?: boolean; cluster?: string; parent?: string },
  ): Promise<void>;
  /** A heartbeat of each agent at the clock's time, through the service. */
  beat(...agentIds: string[]): Promise<void>;
  /** One heartbeat of the agent with more fields (`seq`, `bootId`, `goodbye`...), through the service. */
  beatWith(agentId: string, fields: Record<string, unknown>): Promise<HeartbeatAnswer>;
  scan(): Promise<ScanReport>;
  /** Moves the clock one scan interval, records a heartbeat of each of `beating` at that time, and scans. */
  step(...beating: string[]): Promise<ScanReport>;
  /** Every alert, newest first, as `GET /v1/alerts?status=all` shows it. */
  alerts(filter?: { status?: 'open' | 'resolved' | 'all'; group?: string }): Promise<AlertView[]>;
  /** The same watcher's HTTP router, answered in process (no socket), each answer held to the contract. */
  http(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /**
   * Another scanner over the same tables, on a client of its own (a second Lambda container).
   * `wrap` may replace its stores.
   */
  otherScanner(options?: {
    notifier?: Notifier;
    prober?: Prober;
    wrap?: (stores: Stores) => Stores;
    deps?: Partial<ScannerDeps>;
  }): Scanner;
  close(): void;
}

/** Tables of its own in the store of `newClient`, the real stores, a service and a scanner on a manual clock. */
export async function createScannerHarness(
  newClient: NewDynamoClient,
  options: HarnessOptions = {},
): Promise<ScannerHarness> {
  const serial = ++tableSerial;
  const names: TableNames = {
    agents: `agents-${serial}`,
    alerts: `alerts-${serial}`,
    state: `state-${serial}`,
    audit: `audit-${serial}`,
  };
  const client = newClient();
  const clients = [client];
  await ensureTables(client, names);
  const stores = dynamoStores(client, names);
  const clock = new ManualClock(options.startAt);
  const config = parseConfig(options.config ?? SCANNER_CONFIG);
  const service = new WatcherService({ ...stores, clock, config, version: 'test' });
  const notifier = new RecordingNotifier();
  const prober = new ScriptedProber();
  const logs: LogRecord[] = [];
  const log = createLogger({ level: 'debug', sink: (record) => logs.push(record) });
  const scanner = new Scanner({ ...stores, notifier, prober, clock, config, log });
  const tokens = new Map<string, string>();
  const app = createApp(service, { caller: localCaller });
  const intervalMs = config.scanIntervalSeconds * 1000;
  const beatWith = (agentId: string, fields: Record<string, unknown>) => {
    const token = tokens.get(agentId);
    if (token === undefined) throw new Error(`no token for ${agentId}`);
    return service.heartbeat(token, { agentId, ...fields });
  };
  const beat = async (...agentIds: string[]) => {
    for (const agentId of agentIds) {
      const answer = await beatWith(agentId, {});
      if (answer.status !== 200) throw new Error(`heartbeat of ${agentId}: ${answer.status}`);
    }
  };

  return {
    clock,
    config,
    names,
    client,
    stores,
    service,
    scanner,
    notifier,
    prober,
    logs,
    intervalMs,
    async addAgent(agentId, group = 'production', extra = {}) {
      const { token } = await service.addAgent({ agentId, group, ...extra });
      if (token !== undefined) tokens.set(agentId, token);
    },
    beat,
    beatWith,
    scan: () => scanner.scan(),
    async step(...beating) {
      clock.advance(intervalMs);
      await beat(...beating);
      return scanner.scan();
    },
    alerts: (filter = {}) => service.listAlerts({ status: 'all', ...filter }),
    async http(method, path, body) {
      const res = await app.request(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      // Held to the contract as the answers of the tests' servers are (./contract-hooks.ts).
      const contentType = res.headers.get('content-type') ?? '';
      holdToContract('watcher', { method, path, status: res.status, contentType, body: text });
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    otherScanner(other = {}) {
      const own = newClient();
      clients.push(own);
      const base = dynamoStores(own, names);
      const wrapped = other.wrap ? other.wrap(base) : base;
      return new Scanner({
        ...wrapped,
        notifier: other.notifier ?? notifier,
        prober: other.prober ?? prober,
        clock,
        config,
        log,
        ...other.deps,
      });
    },
    close() {
      for (const c of clients) c.destroy();
    },
  };
}
