import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type {
  Answer,
  BatchItemResult,
  BatchItemStatus,
  ErrorAnswer,
  RelayHeartbeatAnswer,
} from '../../lambda/api/contract';
import { errorBody, ValidationError } from '../../lambda/domain/errors';
import { heartbeatSchema, MAX_BATCH } from '../../lambda/domain/requests';
import { hashSecret } from '../../lambda/domain/secrets';
import { parseOrThrow } from '../../lambda/domain/validation';
import { bearerToken, checkJsonType, MAX_BODY_BYTES, parseJsonBody, statusOf } from '../../lambda/http/wire';
import { keepingIdleConnections } from '../listening';
import { EventThrottle, type LogEvent } from './events';
import { classifyNetworkError, endpointUrl, NetworkError, postJson } from './http-post';
import { type BatchItem, RelayQueue, remember, type Slot } from './relay-queue';

/**
 * `hbw agent relay`: takes heartbeats from agents behind it in the very format of
 * `POST /v1/heartbeat` and forwards them to the watcher's `POST /v1/heartbeats` in batches of up to
 * 100, each item with its agent's own token, so every agent stays individually authenticated and the
 * watcher still writes once per heartbeat.
 *
 * An agent's heartbeats stay in order: each agent (id and token) has one place in the queue, which a
 * newer heartbeat takes over while it waits (only the newest is worth sending), and it never has two
 * heartbeats in flight, so a retried batch cannot land after a newer one.
 *
 * An agent is answered with what the watcher last said of it, its interval above all: an interval
 * longer than the watcher's makes a live agent look silent and pages it. So the answer to a heartbeat
 * of an agent the relay knows no interval for waits for the watcher's answer to that very heartbeat
 * (up to `holdMs`); when it cannot, it tells {@link SAFE_INTERVAL_SECONDS}.
 */

/** What the relay takes in one heartbeat body: what the watcher takes. */
const RELAY_MAX_BODY_BYTES = MAX_BODY_BYTES;

export interface RelayOptions {
  /** Address to listen on. @default 127.0.0.1 */
  readonly host?: string;
  /** @default 8788; 0 picks a free port */
  readonly port?: number;
  /** The watcher's base URL. */
  readonly endpoint: string;
  /** Heartbeats per request to the watcher, at most 100. @default 100 */
  readonly batchSize?: number;
  /** The longest a heartbeat waits for a full batch. @default 1000 */
  readonly flushMs?: number;
  /** Heartbeats kept while the watcher cannot be reached; beyond, the oldest are dropped. @default 10000 */
  readonly queueLimit?: number;
  /** Batches in flight at once (never two heartbeats of one agent). @default 2 */
  readonly concurrency?: number;
  /** The longest interval told to an agent: the watcher's own when shorter. @default no limit */
  readonly intervalSeconds?: number;
  /**
   * How long the answer to such an agent waits for the watcher's word on its heartbeat; it does not
   * wait when batches wait this long or longer (`flushMs`). Below the agent's 10 s timeout. @default 5000
   */
  readonly holdMs?: number;
  /** After the watcher refuses an agent id and token, the relay answers them 401 itself this long. @default 300 */
  readonly refuseSeconds?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string;
  readonly log: (event: LogEvent, now: number) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface RelayStats {
  /** Heartbeats taken from agents. */
  readonly received: number;
  /** Requests sent to the watcher (each attempt of a batch). */
  readonly requests: number;
  /** Items the watcher took (ok or pending). */
  readonly accepted: number;
  /** Items the watcher refused (unauthorized, rejected, invalid): not retried. */
  readonly refused: number;
  /** Heartbeats dropped because the queue was full. */
  readonly dropped: number;
  /** Heartbeats replaced, before they were sent, by a newer one of the same agent. */
  readonly superseded: number;
  /** Heartbeats answered 401 at once: an agent id and token the watcher refused shortly before. */
  readonly turnedAway: number;
  /** Heartbeats waiting now. */
  readonly queued: number;
}

export interface Relay {
  readonly url: string;
  readonly stats: RelayStats;
  /** Stops taking heartbeats, forwards what is queued (for up to `flushMs`), and closes. */
  close(options?: { flushMs?: number }): Promise<void>;
}

/** What the watcher last said of an agent id and token, and when (the relay's clock). */
interface Known {
  readonly status: BatchItemStatus;
  readonly state?: BatchItemResult['state'];
  readonly intervalSeconds?: number;
  /** The agent's group's scan interval: at most one of its heartbeats goes per half of it. */
  readonly scanSeconds?: number;
  readonly at: number;
}

/** Every field of a heartbeat but the token, which travels inside each batch item. */
const FORWARDED_FIELDS = Object.keys(heartbeatSchema.entries) as (keyof typeof heartbeatSchema.entries)[];

/**
 * Told to an agent the watcher has not given an interval for, when its answer cannot wait for the
 * watcher's (the watcher is away or slow, or batches wait longer than an answer may). 1 s is the
 * shortest interval a watcher takes, so it is never longer than the watcher's, whatever the group;
 * the shortest interval the watcher told for other agents is not, as a group with a shorter one may
 * have no agent heard yet. It costs those agents a heartbeat a second until the watcher's answer comes;
 * each takes over its agent's one place in the queue, so they cost the relay requests, not memory,
 * and the watcher nothing.
 */
const SAFE_INTERVAL_SECONDS = 1;

const tooLarge = () =>
  new ValidationError(`the body is larger than ${RELAY_MAX_BODY_BYTES} bytes`, undefined, 'body_too_large');

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > RELAY_MAX_BODY_BYTES) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= RELAY_MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > RELAY_MAX_BODY_BYTES) {
        reject(tooLarge());
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

async function parseHeartbeat(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  try {
    checkJsonType(req.headers['content-type']);
  } catch (error) {
    req.resume();
    throw error;
  }
  const parsed = parseJsonBody(await readBody(req));
  parseOrThrow(heartbeatSchema, parsed);
  return parsed as Record<string, unknown>;
}

const bearer = (req: http.IncomingMessage) => bearerToken(req.headers.authorization);

/** The relay's settings, with the defaults filled in. */
interface RelaySettings {
  readonly batchSize: number;
  readonly flushMs: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly holdMs: number;
  readonly refuseMs: number;
  readonly longestInterval: number;
  readonly target: string;
  readonly secure: boolean;
}

function settingsOf(options: RelayOptions): RelaySettings {
  const target = endpointUrl(options.endpoint, 'v1/heartbeats');
  return {
    batchSize: Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH),
    flushMs: options.flushMs ?? 1000,
    concurrency: options.concurrency ?? 2,
    timeoutMs: options.timeoutMs ?? 10_000,
    holdMs: options.holdMs ?? 5000,
    refuseMs: (options.refuseSeconds ?? 300) * 1000,
    longestInterval: options.intervalSeconds ?? Number.POSITIVE_INFINITY,
    target,
    secure: target.startsWith('https:'),
  };
}

/** The failure of a batch request, as the line that says what it means and what happens next. */
function networkFailureEvent(
  error: unknown,
  settings: RelaySettings,
  endpoint: string,
  count: number,
  waiting: number,
): LogEvent {
  const failure = error instanceof NetworkError ? error : classifyNetworkError(error);
  const { hostname, port } = new URL(settings.target);
  const code = failure.reason === 'dns' ? 'HBW3005' : failure.reason === 'tls' ? 'HBW3072' : 'HBW3006';
  const what =
    failure.reason === 'dns'
      ? `cannot resolve the name ${hostname} of the watcher`
      : failure.reason === 'tls'
        ? `the certificate of the watcher ${hostname} was not accepted`
        : `cannot connect to the watcher at ${hostname}:${port || (settings.secure ? 443 : 80)}`;
  return {
    code,
    level: 'error',
    msg: `${what} (${failure.code}): ${count} heartbeats kept for a retry (after 1 s, doubling up to 30 s); ${waiting} waiting`,
    fields: { endpoint, error: failure.code, heartbeats: count },
  };
}

/** The results of a batch answer, when it is one: a 200 with one result per item. */
function batchResults(
  answer: { status: number; text: string },
  count: number,
): { results?: BatchItemResult[]; message?: string } {
  let parsed: Partial<Answer<'POST /v1/heartbeats'> & ErrorAnswer> | undefined;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  const results = Array.isArray(parsed?.results) ? parsed.results : undefined;
  if (answer.status === 200 && results !== undefined && results.length === count) return { results };
  return { message: parsed?.error?.message };
}

/** The line for a change of what the watcher says of an agent to a problem, if it is one. */
function problemEvent(
  agentId: string,
  status: BatchItemStatus,
  error: { message?: string } | undefined,
): LogEvent | undefined {
  if (status === 'pending')
    return {
      code: 'HBW3070',
      level: 'warn',
      msg: `agent ${agentId} is not approved yet (pending): an operator must run: hbw agents approve ${agentId}`,
    };
  if (status === 'rejected')
    return {
      code: 'HBW3073',
      level: 'error',
      msg: `agent ${agentId} was rejected by an operator: "hbw agents approve ${agentId}" readmits it`,
    };
  if (status === 'invalid')
    return {
      code: 'HBW3075',
      level: 'error',
      msg: `the watcher found the heartbeat of agent ${agentId} invalid${error?.message ? ` (${error.message})` : ''}: dropped`,
    };
  return undefined;
}

/** Answers a request that is not a heartbeat (a wrong path or method), or one while the relay stops. */
function refuseRequest(req: http.IncomingMessage, res: http.ServerResponse, closing: boolean): boolean {
  const path = new URL(req.url ?? '/', 'http://relay').pathname;
  if (path !== '/v1/heartbeat') {
    req.resume();
    send(res, 404, {
      error: {
        code: 'not_found',
        message: `no route ${req.method} ${path}: a relay takes POST /v1/heartbeat`,
      },
    });
    return true;
  }
  if (req.method !== 'POST') {
    req.resume();
    send(
      res,
      405,
      { error: { code: 'method_not_allowed', message: `${req.method} is not allowed here; use POST` } },
      { allow: 'POST' },
    );
    return true;
  }
  if (closing) {
    req.resume();
    send(
      res,
      503,
      { error: { code: 'unavailable', message: 'the relay is stopping' } },
      { 'retry-after': '5' },
    );
    return true;
  }
  return false;
}

/**
 * A relay: the queue of the agents behind it (see {@link RelayQueue}), the batches it forwards, and
 * what the watcher last said of each agent, which answers them.
 */
class HeartbeatRelay implements Relay {
  url = '';
  private readonly settings: RelaySettings;
  private readonly now: () => number;
  private readonly log: RelayOptions['log'];
  private readonly throttle = new EventThrottle();
  private readonly agent: http.Agent;
  private readonly server: http.Server;
  private readonly queue: RelayQueue;
  /** Slots whose agent waits for its answer. */
  private readonly holding = new Set<Slot>();
  /** What the watcher last said, by agent id and token hash. */
  private readonly known = new Map<string, Known>();
  /** Agent ids the watcher took a heartbeat of: ids that exist, for the rotate-token hint. */
  private readonly acceptedIds = new Map<string, true>();
  private readonly counts = { received: 0, requests: 0, accepted: 0, refused: 0, dropped: 0, turnedAway: 0 };
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private retryAt = 0;
  private backoffMs = 0;
  private closing = false;
  /** Closed: nothing more is sent. */
  private stopped = false;
  private forwarding: 'unknown' | 'ok' | 'failing' = 'unknown';
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private readonly idle: (() => void)[] = [];

  constructor(private readonly options: RelayOptions) {
    this.settings = settingsOf(options);
    this.now = options.now ?? Date.now;
    this.log = options.log;
    const { concurrency, secure } = this.settings;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: concurrency })
      : new http.Agent({ keepAlive: true, maxSockets: concurrency });
    this.queue = new RelayQueue({
      batchSize: this.settings.batchSize,
      flushMs: this.settings.flushMs,
      queueLimit: options.queueLimit ?? 10_000,
      scanSecondsOf: (key) => this.known.get(key)?.scanSeconds,
    });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'relay error' } });
        this.log(
          {
            code: 'HBW3074',
            level: 'error',
            msg: `relay error: ${(error as Error)?.message ?? String(error)}`,
          },
          this.now(),
        );
      });
    });
    keepingIdleConnections(this.server);
  }

  get stats(): RelayStats {
    return { ...this.counts, superseded: this.queue.superseded, queued: this.queue.length };
  }

  async listen(): Promise<void> {
    const { server, options } = this;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8788, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    const { batchSize, flushMs } = this.settings;
    this.log(
      {
        code: 'HBW3000',
        level: 'info',
        msg: `relay listening on ${this.url}: heartbeats are forwarded to ${options.endpoint} in batches of up to ${batchSize}, at least every ${flushMs / 1000} s`,
        fields: { listen: this.url, endpoint: options.endpoint, batchSize, flushMs },
      },
      this.now(),
    );
  }

  async close(closeOptions: { flushMs?: number } = {}): Promise<void> {
    this.closing = true;
    this.queue.drain();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    this.pump();
    if (this.queue.length > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const limit = setTimeout(resolve, closeOptions.flushMs ?? 5000);
        this.idle.push(() => {
          clearTimeout(limit);
          resolve();
        });
      });
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const slot of this.holding) this.release(slot);
    this.server.closeAllConnections();
    await closed;
    this.agent.destroy();
    const stats = this.stats;
    this.log(
      {
        code: 'HBW3090',
        level: 'info',
        msg: `relay stopped: ${stats.received} heartbeats taken, ${stats.accepted} accepted by the watcher, ${stats.superseded} replaced by a newer one of the same agent, ${stats.turnedAway} turned away, ${stats.queued} left unsent`,
        fields: { ...stats },
      },
      this.now(),
    );
  }

  /** Answers an agent as the watcher would, from what it last said of this agent id and token. */
  private respond(res: http.ServerResponse, agentId: string, last: Known | undefined, at: number): void {
    const answer = {
      agentId,
      heartbeatIntervalSeconds: Math.min(
        last?.intervalSeconds ?? SAFE_INTERVAL_SECONDS,
        this.settings.longestInterval,
      ),
      serverTime: new Date(at).toISOString(),
    };
    if (last?.status === 'unauthorized') {
      send(
        res,
        401,
        {
          error: {
            code: 'unauthorized',
            message: 'the watcher refused this token for this agentId (relayed)',
          },
        },
        { 'www-authenticate': 'Bearer' },
      );
    } else if (last?.status === 'rejected') {
      send(res, 403, {
        error: { code: 'forbidden', message: `agent ${agentId} was rejected by an operator (relayed)` },
      });
    } else if (last?.status === 'pending') {
      send(res, 202, { ...answer, state: 'pending' } satisfies RelayHeartbeatAnswer);
    } else if (last?.status === 'ok' && last.state) {
      send(res, 200, { ...answer, state: last.state } satisfies RelayHeartbeatAnswer);
    } else {
      send(res, 202, { ...answer, state: 'relayed' } satisfies RelayHeartbeatAnswer);
    }
  }

  /** Keeps the agent's answer until the watcher has spoken of this heartbeat, or `holdMs` passed. */
  private hold(slot: Slot, res: http.ServerResponse): void {
    const timer = setTimeout(() => this.release(slot), this.settings.holdMs);
    timer.unref();
    slot.held = { res, timer };
    this.holding.add(slot);
  }

  /** Gives the agent waiting on `slot` its answer, with what is known now. */
  private release(slot: Slot): void {
    if (!slot.held) return;
    clearTimeout(slot.held.timer);
    const { res } = slot.held;
    slot.held = undefined;
    this.holding.delete(slot);
    this.respond(res, slot.item.agentId, this.known.get(slot.key), this.now());
  }

  /** Answers the agents of the slots the queue dropped, and says so now and then. */
  private dropped(slots: readonly Slot[]): void {
    if (slots.length === 0) return;
    for (const slot of slots) this.release(slot);
    this.counts.dropped += slots.length;
    const at = this.now();
    if (at - this.lastDropLog < 10_000) return;
    this.lastDropLog = at;
    const queueLimit = this.options.queueLimit ?? 10_000;
    this.log(
      {
        code: 'HBW3020',
        level: 'error',
        msg: `the queue is full (${queueLimit} heartbeats) while the watcher cannot take them: dropped the oldest (${this.counts.dropped} dropped so far)`,
        fields: { dropped: this.counts.dropped, queueLimit },
      },
      at,
    );
  }

  /** Wakes the pump in `ms`, or sooner if it is already due sooner (a paced heartbeat waits long). */
  private schedule(ms: number): void {
    const wakeAt = this.now() + Math.max(0, ms);
    if (this.timer && this.timerAt <= wakeAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = wakeAt;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, ms),
    );
  }

  /** Sends the batches that are due, as many as may be in flight. */
  private pump(): void {
    while (!this.stopped && this.inFlight < this.settings.concurrency && this.queue.length > 0) {
      const at = this.now();
      if (at < this.retryAt) {
        this.schedule(this.retryAt - at);
        return;
      }
      const step = this.queue.next(at);
      if (!('batch' in step)) {
        if (step.wakeInMs !== undefined) this.schedule(step.wakeInMs);
        return;
      }
      const { batch } = step;
      // Every agent queued has a heartbeat in flight: the batch that ends calls pump again.
      if (batch.length === 0) return;
      this.inFlight += 1;
      void this.forward(batch).finally(() => {
        this.inFlight -= 1;
        this.queue.settle(batch);
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private failed(batch: readonly Slot[], event: LogEvent, retry: boolean): void {
    const at = this.now();
    this.forwarding = 'failing';
    if (retry) {
      this.backoffMs = Math.min(30_000, this.backoffMs === 0 ? 1000 : this.backoffMs * 2);
      this.retryAt = at + this.backoffMs;
      this.dropped(this.queue.requeue(batch));
    }
    const { log: due, held } = this.throttle.admit(`forward|${event.code}`, at);
    if (due) this.log({ ...event, fields: { ...event.fields, held: held || undefined } }, at);
  }

  private async post(batch: readonly Slot[]) {
    const body = { heartbeats: batch.map((slot) => slot.item) };
    const { target, timeoutMs } = this.settings;
    for (let attempt = 1; ; attempt++) {
      this.counts.requests += 1;
      try {
        return await postJson(target, body, { timeoutMs, agent: this.agent, ca: this.options.ca });
      } catch (error) {
        const failure = classifyNetworkError(error);
        // A kept-alive connection the watcher closed as it was reused: one more try on a fresh one.
        if (attempt === 1 && (failure.code === 'ECONNRESET' || failure.code === 'EPIPE')) continue;
        throw failure;
      }
    }
  }

  /** Sends one batch, then answers the agents that wait on it, with the watcher's word or without. */
  private async forward(batch: readonly Slot[]): Promise<void> {
    try {
      await this.deliver(batch);
    } finally {
      for (const slot of batch) this.release(slot);
    }
  }

  private async deliver(batch: readonly Slot[]): Promise<void> {
    const count = batch.length;
    const endpoint = this.options.endpoint;
    let answer: Awaited<ReturnType<HeartbeatRelay['post']>>;
    try {
      answer = await this.post(batch);
    } catch (error) {
      this.failed(
        batch,
        networkFailureEvent(error, this.settings, endpoint, count, this.queue.length + count),
        true,
      );
      return;
    }
    const { results, message } = batchResults(answer, count);
    if (results === undefined) {
      const status = answer.status;
      const retry = status >= 500 || status === 429 || status === 408 || status === 200;
      this.failed(
        batch,
        {
          code: 'HBW3074',
          level: 'error',
          msg: `the watcher answered ${status}${message ? ` (${message})` : ''} to a batch of ${count}: ${retry ? 'kept and retried' : 'dropped (a retry cannot help)'}`,
          fields: { endpoint, status, heartbeats: count },
        },
        retry,
      );
      if (!retry) this.counts.refused += count;
      return;
    }
    const at = this.now();
    this.recovered(count, at);
    const again: Slot[] = [];
    results.forEach((result, index) => {
      const slot = batch[index]!;
      const { status } = result;
      if (status === 'unavailable') {
        again.push(slot);
        return;
      }
      if (status === 'ok' || status === 'pending') this.counts.accepted += 1;
      else this.counts.refused += 1;
      this.note(slot, status, result, at);
    });
    if (again.length > 0) this.dropped(this.queue.requeue(again));
  }

  /** The watcher took a batch: the backoff ends, and a relay that was failing says it forwards again. */
  private recovered(count: number, at: number): void {
    this.backoffMs = 0;
    this.retryAt = 0;
    this.throttle.clear('forward|');
    if (this.forwarding === 'ok') return;
    this.forwarding = 'ok';
    const endpoint = this.options.endpoint;
    this.log(
      {
        code: 'HBW3001',
        level: 'info',
        msg: `forwarding to ${endpoint}: the watcher took a batch of ${count} heartbeats in one request`,
        fields: { endpoint, heartbeats: count },
      },
      at,
    );
  }

  /** Remembers what the watcher said of an agent, and logs a change to a problem, without the token. */
  private note(slot: Slot, status: BatchItemStatus, result: BatchItemResult, at: number): void {
    const agentId = slot.item.agentId;
    const before = this.known.get(slot.key);
    if (status === 'ok' || status === 'pending') {
      remember(this.acceptedIds, agentId, true);
      this.queue.forwarded(slot, at);
    }
    const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
    remember(this.known, slot.key, {
      status,
      state: typeof result.state === 'string' ? result.state : undefined,
      intervalSeconds: number(result.heartbeatIntervalSeconds),
      scanSeconds: number(result.scanIntervalSeconds),
      at,
    });
    if (before?.status === status) return;
    const { error } = result;
    const event =
      status === 'unauthorized' ? this.refusal(agentId, at) : problemEvent(agentId, status, error);
    if (event) this.log({ ...event, fields: { agentId, status, field: error?.field, ...event.fields } }, at);
  }

  /**
   * The line for a refused agent id and token, or none: anyone who reaches the relay can send made-up
   * ids, so refusals are logged once per throttle period with the count held back. The rotate-token
   * hint is only for an id the watcher took heartbeats of: an id that exists.
   */
  private refusal(agentId: string, at: number): LogEvent | undefined {
    const { log: due, held } = this.throttle.admit('refused', at);
    if (!due) return undefined;
    const door = `the relay answers that id and token 401 itself for ${this.settings.refuseMs / 1000} s`;
    const more = held > 0 ? ` (${held} more refusal${held === 1 ? '' : 's'} since the last such line)` : '';
    return {
      code: 'HBW3071',
      level: 'error',
      msg: this.acceptedIds.has(agentId)
        ? `the watcher refused the token of agent ${agentId} (unauthorized): its heartbeats are not recorded; an operator runs "hbw agents rotate-token ${agentId}" and the agent gets the new token; ${door}${more}`
        : `the watcher refused a heartbeat for agent id ${agentId} (unknown agent or wrong token): not recorded; ${door}${more}`,
      fields: { held: held || undefined },
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (refuseRequest(req, res, this.closing)) return;
    let body: Record<string, unknown>;
    try {
      body = await parseHeartbeat(req);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      send(res, statusOf(error), { error: errorBody(error) });
      return;
    }
    const token = bearer(req);
    if (token === undefined) {
      send(
        res,
        401,
        {
          error: {
            code: 'unauthorized',
            message: 'a bearer token is required (Authorization: Bearer <token>)',
          },
        },
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    const agentId = String(body.agentId);
    const at = this.now();
    const key = `${agentId} ${hashSecret(token)}`;
    const last = this.known.get(key);
    if (last?.status === 'unauthorized' && at - last.at < this.settings.refuseMs) {
      // Refused a moment ago: an id and token sent over and over costs no queue room and no request.
      this.counts.turnedAway += 1;
      this.respond(res, agentId, last, at);
      return;
    }
    const item: Record<string, unknown> = { token };
    for (const field of FORWARDED_FIELDS) if (body[field] !== undefined) item[field] = body[field];
    const { slot, dropped } = this.queue.enqueue(key, item as BatchItem, at);
    // A heartbeat it replaced was waiting for its answer: it gets it now.
    this.release(slot);
    this.dropped(dropped);
    this.counts.received += 1;
    // With no interval for this agent yet, its answer waits for the watcher's, when that can come in time.
    const { flushMs, holdMs } = this.settings;
    if (last?.intervalSeconds === undefined && this.forwarding !== 'failing' && flushMs < holdMs)
      this.hold(slot, res);
    else this.respond(res, agentId, last, at);
    this.pump();
  }
}

/** Starts a relay; answers once it listens. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const relay = new HeartbeatRelay(options);
  await relay.listen();
  return relay;
}
