import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorBody, ValidationError } from '../../lambda/domain/errors';
import { coalesce } from '../../lambda/domain/loss';
import { heartbeatSchema, MAX_BATCH } from '../../lambda/domain/requests';
import { hashSecret } from '../../lambda/domain/secrets';
import { parseOrThrow } from '../../lambda/domain/validation';
import {
  bearerToken,
  checkJsonType,
  MAX_BATCH_BODY_BYTES,
  MAX_BODY_BYTES,
  parseJsonBody,
  statusOf,
} from '../../lambda/http/wire';
import { EventThrottle, type LogEvent } from './events';
import { classifyNetworkError, endpointUrl, NetworkError, postJson } from './http-post';

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
/** What the relay puts in one batch body: what the watcher takes, less room for the wrapper. */
const RELAY_MAX_BATCH_BYTES = MAX_BATCH_BODY_BYTES - 1024;

const heldBefore = (item: BatchItem) => (typeof item.heldMs === 'number' ? item.heldMs : undefined);

/** An item's bytes in a batch body, with room for the `heldMs` it gets as it leaves (and its comma). */
const itemBytes = (item: Readonly<Record<string, unknown>>) =>
  Buffer.byteLength(JSON.stringify(item)) + 1 + ',"heldMs":999999999'.length;

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

interface BatchItem {
  readonly agentId: string;
  readonly token: string;
  readonly [field: string]: unknown;
}

/** An agent's place in the queue: its newest heartbeat not yet sent. */
interface Slot {
  /** The agent id and the hash of its token (never the token): one slot, one `known` entry each. */
  readonly key: string;
  /** When the slot was queued: how long the agent's heartbeat has waited. */
  readonly at: number;
  /** When the batch that holds it left: the watcher's write of it, for the agent's pace (see `dueAt`). */
  takenAt?: number;
  /** When the heartbeat it holds now arrived: the watcher is told how long it was held (`heldMs`). */
  arrivedAt: number;
  /** What a relay before this one held it for (its `heldMs` as it arrived). */
  heldBefore?: number;
  item: BatchItem;
  bytes: number;
  /** The agent's answer, while it waits for what the watcher says of this heartbeat. */
  held?: { readonly res: http.ServerResponse; readonly timer: NodeJS.Timeout };
}

type ItemStatus = 'ok' | 'pending' | 'invalid' | 'unauthorized' | 'rejected' | 'unavailable';

/** What the watcher last said of an agent id and token, and when (the relay's clock). */
interface Known {
  readonly status: ItemStatus;
  readonly state?: string;
  readonly intervalSeconds?: number;
  /** The agent's group's scan interval: at most one of its heartbeats goes per half of it. */
  readonly scanSeconds?: number;
  readonly at: number;
}

/** Every field of a heartbeat but the token, which travels inside each batch item. */
const FORWARDED_FIELDS = Object.keys(heartbeatSchema.entries) as (keyof typeof heartbeatSchema.entries)[];
const MAX_KNOWN_AGENTS = 100_000;

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

/** Sets `key` in a map kept to {@link MAX_KNOWN_AGENTS} entries: the one set longest ago goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KNOWN_AGENTS) map.delete(map.keys().next().value as string);
}
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

/** Starts a relay; answers once it listens. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const now = options.now ?? Date.now;
  const batchSize = Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH);
  const flushMs = options.flushMs ?? 1000;
  const queueLimit = options.queueLimit ?? 10_000;
  const concurrency = options.concurrency ?? 2;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const holdMs = options.holdMs ?? 5000;
  const refuseMs = (options.refuseSeconds ?? 300) * 1000;
  const longestInterval = options.intervalSeconds ?? Number.POSITIVE_INFINITY;
  const target = endpointUrl(options.endpoint, 'v1/heartbeats');
  const secure = target.startsWith('https:');
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: concurrency })
    : new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const log = options.log;
  const throttle = new EventThrottle();

  /** Slots waiting to be sent, oldest first, and the same by key. */
  const queue: Slot[] = [];
  const queued = new Map<string, Slot>();
  /** Keys with a heartbeat in a batch in flight: the agent's next one waits until that batch ends. */
  const sending = new Set<string>();
  /** Slots whose agent waits for its answer. */
  const holding = new Set<Slot>();
  /** By agent id and token hash. */
  const known = new Map<string, Known>();
  /**
   * When the last heartbeat the watcher took of each agent left the relay (the relay's clock), by
   * agent id and token hash: its pace counts from there.
   */
  const forwardedAt = new Map<string, number>();
  /** Agent ids the watcher took a heartbeat of: ids that exist, for the rotate-token hint. */
  const acceptedIds = new Map<string, true>();
  const stats = {
    received: 0,
    requests: 0,
    accepted: 0,
    refused: 0,
    dropped: 0,
    superseded: 0,
    turnedAway: 0,
  };
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = 0;
  let retryAt = 0;
  let backoffMs = 0;
  let closing = false;
  /** Closed: nothing more is sent. */
  let stopped = false;
  let forwarding: 'unknown' | 'ok' | 'failing' = 'unknown';
  let lastDropLog = Number.NEGATIVE_INFINITY;
  const idle: (() => void)[] = [];

  /** Answers an agent as the watcher would, from what it last said of this agent id and token. */
  function respond(res: http.ServerResponse, agentId: string, last: Known | undefined, at: number) {
    const answer = {
      agentId,
      heartbeatIntervalSeconds: Math.min(last?.intervalSeconds ?? SAFE_INTERVAL_SECONDS, longestInterval),
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
      send(res, 202, { ...answer, state: 'pending' });
    } else if (last?.status === 'ok' && last.state) {
      send(res, 200, { ...answer, state: last.state });
    } else {
      send(res, 202, { ...answer, state: 'relayed' });
    }
  }

  /** Keeps the agent's answer until the watcher has spoken of this heartbeat, or `holdMs` passed. */
  const hold = (slot: Slot, res: http.ServerResponse) => {
    const timer = setTimeout(() => release(slot), holdMs);
    timer.unref();
    slot.held = { res, timer };
    holding.add(slot);
  };

  /** Gives the agent waiting on `slot` its answer, with what is known now. */
  const release = (slot: Slot) => {
    if (!slot.held) return;
    clearTimeout(slot.held.timer);
    const { res } = slot.held;
    slot.held = undefined;
    holding.delete(slot);
    respond(res, slot.item.agentId, known.get(slot.key), now());
  };

  const trim = () => {
    let dropped = 0;
    while (queue.length > queueLimit) {
      const slot = queue.shift()!;
      queued.delete(slot.key);
      release(slot);
      dropped += 1;
    }
    if (dropped === 0) return;
    stats.dropped += dropped;
    const at = now();
    if (at - lastDropLog >= 10_000) {
      lastDropLog = at;
      log(
        {
          code: 'HBW3020',
          level: 'error',
          msg: `the queue is full (${queueLimit} heartbeats) while the watcher cannot take them: dropped the oldest (${stats.dropped} dropped so far)`,
          fields: { dropped: stats.dropped, queueLimit },
        },
        at,
      );
    }
  };

  /** Wakes the pump in `ms`, or sooner if it is already due sooner (a paced heartbeat waits long). */
  const schedule = (ms: number) => {
    const wakeAt = now() + Math.max(0, ms);
    if (timer && timerAt <= wakeAt) return;
    if (timer) clearTimeout(timer);
    timerAt = wakeAt;
    timer = setTimeout(
      () => {
        timer = undefined;
        pump();
      },
      Math.max(0, ms),
    );
  };

  /** `newer` in the place of `older`, never sent: it stands for the heartbeats `older` stood for. */
  const supersede = (slot: Slot, older: BatchItem, newer: BatchItem) => {
    slot.item = coalesce(older, newer);
    slot.bytes = itemBytes(slot.item);
    stats.superseded += 1;
  };

  /**
   * When a slot may go: the watcher needs one heartbeat per scan, so an agent that beats more often
   * than every half scan interval has one forwarded per half interval, the newest, standing for those
   * it replaced (`coalesced`). Its first heartbeat, or one whose interval the watcher has not told
   * yet, goes at once, and so does a goodbye: its agent is about to stop. It is worked out when asked,
   * not when the heartbeat came: a heartbeat that came while the one before was in flight counts its
   * pace from that one, whose answer had not come yet.
   */
  const dueAt = (slot: Slot) => {
    const scanSeconds = known.get(slot.key)?.scanSeconds;
    const last = forwardedAt.get(slot.key);
    if (scanSeconds === undefined || last === undefined || slot.item.goodbye !== undefined) return slot.at;
    return Math.max(slot.at, last + scanSeconds * 500);
  };

  /** Puts a heartbeat in its agent's slot: a newer one takes the place of the one not sent yet. */
  const enqueue = (key: string, item: BatchItem, bytes: number, at: number): Slot => {
    const waiting = queued.get(key);
    if (waiting) {
      release(waiting);
      supersede(waiting, waiting.item, item);
      waiting.arrivedAt = at;
      waiting.heldBefore = heldBefore(item);
      return waiting;
    }
    const slot: Slot = {
      key,
      at,
      item,
      bytes,
      arrivedAt: at,
      heldBefore: heldBefore(item),
    };
    queue.push(slot);
    queued.set(key, slot);
    trim();
    return slot;
  };

  /** A slot that may go now: its agent has none in flight, and its pace allows it (or the relay is closing). */
  const ready = (slot: Slot, at: number) => !sending.has(slot.key) && (closing || dueAt(slot) <= at);

  /** The next batch, oldest first, passing over the agents that have a heartbeat in flight or must wait. */
  const take = (at: number): Slot[] => {
    const batch: Slot[] = [];
    const passed: Slot[] = [];
    let bytes = 20;
    let index = 0;
    for (; index < queue.length && batch.length < batchSize; index++) {
      const slot = queue[index]!;
      if (!ready(slot, at)) {
        passed.push(slot);
        continue;
      }
      if (batch.length > 0 && bytes + slot.bytes > RELAY_MAX_BATCH_BYTES) break;
      // How long it waited here (in the queue, for its pace, for retries), after any relay before
      // this one: the watcher dates it so.
      const waited = at - slot.arrivedAt;
      if (waited > 0) slot.item = { ...slot.item, heldMs: (slot.heldBefore ?? 0) + waited };
      batch.push(slot);
      bytes += slot.bytes;
    }
    queue.splice(0, index, ...passed);
    for (const slot of batch) {
      queued.delete(slot.key);
      sending.add(slot.key);
      slot.takenAt = at;
    }
    return batch;
  };

  function pump(): void {
    while (!stopped && inFlight < concurrency && queue.length > 0) {
      const at = now();
      if (at < retryAt) {
        schedule(retryAt - at);
        return;
      }
      const going = queue.filter((slot) => ready(slot, at));
      if (going.length === 0) {
        // Every agent queued has a heartbeat in flight (the batch that ends calls pump again), or waits for its pace.
        const paced = queue.filter((slot) => !sending.has(slot.key)).map(dueAt);
        if (paced.length > 0) schedule(Math.min(...paced) - at);
        return;
      }
      const due = closing || going.length >= batchSize || at - going[0]!.at >= flushMs;
      if (!due) {
        schedule(going[0]!.at + flushMs - at);
        return;
      }
      const batch = take(at);
      // Every agent queued has a heartbeat in flight: the batch that ends calls pump again.
      if (batch.length === 0) return;
      inFlight += 1;
      void forward(batch).finally(() => {
        inFlight -= 1;
        for (const slot of batch) sending.delete(slot.key);
        pump();
        if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
      });
    }
  }

  /**
   * Puts slots back at the front for a retry, but not one whose agent has sent a newer heartbeat
   * since: that one stands for it too.
   */
  const requeue = (batch: readonly Slot[]) => {
    const back = batch.filter((slot) => !queued.has(slot.key));
    for (const slot of batch) {
      const newer = queued.get(slot.key);
      if (newer) supersede(newer, slot.item, newer.item);
    }
    for (const slot of back) queued.set(slot.key, slot);
    queue.unshift(...back);
    trim();
  };

  const failed = (batch: readonly Slot[], event: LogEvent, retry: boolean) => {
    const at = now();
    forwarding = 'failing';
    if (retry) {
      backoffMs = Math.min(30_000, backoffMs === 0 ? 1000 : backoffMs * 2);
      retryAt = at + backoffMs;
      requeue(batch);
    }
    const { log: due, held } = throttle.admit(`forward|${event.code}`, at);
    if (due) log({ ...event, fields: { ...event.fields, held: held || undefined } }, at);
  };

  async function post(batch: readonly Slot[]) {
    const body = { heartbeats: batch.map((slot) => slot.item) };
    for (let attempt = 1; ; attempt++) {
      stats.requests += 1;
      try {
        return await postJson(target, body, { timeoutMs, agent, ca: options.ca });
      } catch (error) {
        const failure = classifyNetworkError(error);
        // A kept-alive connection the watcher closed as it was reused: one more try on a fresh one.
        if (attempt === 1 && (failure.code === 'ECONNRESET' || failure.code === 'EPIPE')) continue;
        throw failure;
      }
    }
  }

  /** Sends one batch, then answers the agents that wait on it, with the watcher's word or without. */
  async function forward(batch: readonly Slot[]): Promise<void> {
    try {
      await deliver(batch);
    } finally {
      for (const slot of batch) release(slot);
    }
  }

  async function deliver(batch: readonly Slot[]): Promise<void> {
    const count = batch.length;
    let answer: Awaited<ReturnType<typeof post>>;
    try {
      answer = await post(batch);
    } catch (error) {
      const failure = error instanceof NetworkError ? error : classifyNetworkError(error);
      const { hostname, port } = new URL(target);
      const code = failure.reason === 'dns' ? 'HBW3005' : failure.reason === 'tls' ? 'HBW3072' : 'HBW3006';
      const what =
        failure.reason === 'dns'
          ? `cannot resolve the name ${hostname} of the watcher`
          : failure.reason === 'tls'
            ? `the certificate of the watcher ${hostname} was not accepted`
            : `cannot connect to the watcher at ${hostname}:${port || (secure ? 443 : 80)}`;
      failed(
        batch,
        {
          code,
          level: 'error',
          msg: `${what} (${failure.code}): ${count} heartbeats kept for a retry (after 1 s, doubling up to 30 s); ${queue.length + count} waiting`,
          fields: { endpoint: options.endpoint, error: failure.code, heartbeats: count },
        },
        true,
      );
      return;
    }
    let parsed: { results?: unknown } | undefined;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    const results = Array.isArray(parsed?.results)
      ? (parsed.results as Record<string, unknown>[])
      : undefined;
    if (answer.status !== 200 || results === undefined || results.length !== count) {
      const retry =
        answer.status >= 500 || answer.status === 429 || answer.status === 408 || answer.status === 200;
      const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message;
      failed(
        batch,
        {
          code: 'HBW3074',
          level: 'error',
          msg: `the watcher answered ${answer.status}${message ? ` (${message})` : ''} to a batch of ${count}: ${retry ? 'kept and retried' : 'dropped (a retry cannot help)'}`,
          fields: { endpoint: options.endpoint, status: answer.status, heartbeats: count },
        },
        retry,
      );
      if (!retry) stats.refused += count;
      return;
    }
    const at = now();
    backoffMs = 0;
    retryAt = 0;
    throttle.clear('forward|');
    if (forwarding !== 'ok') {
      forwarding = 'ok';
      log(
        {
          code: 'HBW3001',
          level: 'info',
          msg: `forwarding to ${options.endpoint}: the watcher took a batch of ${count} heartbeats in one request`,
          fields: { endpoint: options.endpoint, heartbeats: count },
        },
        at,
      );
    }
    const again: Slot[] = [];
    results.forEach((result, index) => {
      const slot = batch[index]!;
      const status = String(result.status) as ItemStatus;
      if (status === 'unavailable') {
        again.push(slot);
        return;
      }
      if (status === 'ok' || status === 'pending') stats.accepted += 1;
      else stats.refused += 1;
      note(slot, status, result, at);
    });
    if (again.length > 0) requeue(again);
  }

  /** Remembers what the watcher said of an agent, and logs a change to a problem, without the token. */
  function note(slot: Slot, status: ItemStatus, result: Record<string, unknown>, at: number) {
    const agentId = slot.item.agentId;
    const before = known.get(slot.key);
    const interval =
      typeof result.heartbeatIntervalSeconds === 'number' ? result.heartbeatIntervalSeconds : undefined;
    if (status === 'ok' || status === 'pending') {
      remember(acceptedIds, agentId, true);
      remember(forwardedAt, slot.key, slot.takenAt ?? at);
    }
    remember(known, slot.key, {
      status,
      state: typeof result.state === 'string' ? result.state : undefined,
      intervalSeconds: interval,
      scanSeconds: typeof result.scanIntervalSeconds === 'number' ? result.scanIntervalSeconds : undefined,
      at,
    });
    if (before?.status === status) return;
    const error = result.error as { message?: string; field?: string } | undefined;
    const event: LogEvent | undefined =
      status === 'pending'
        ? {
            code: 'HBW3070',
            level: 'warn',
            msg: `agent ${agentId} is not approved yet (pending): an operator must run: hbw agents approve ${agentId}`,
          }
        : status === 'unauthorized'
          ? refusal(agentId, at)
          : status === 'rejected'
            ? {
                code: 'HBW3073',
                level: 'error',
                msg: `agent ${agentId} was rejected by an operator: "hbw agents approve ${agentId}" readmits it`,
              }
            : status === 'invalid'
              ? {
                  code: 'HBW3075',
                  level: 'error',
                  msg: `the watcher found the heartbeat of agent ${agentId} invalid${error?.message ? ` (${error.message})` : ''}: dropped`,
                }
              : undefined;
    if (event) log({ ...event, fields: { agentId, status, field: error?.field, ...event.fields } }, at);
  }

  /**
   * The line for a refused agent id and token, or none: anyone who reaches the relay can send made-up
   * ids, so refusals are logged once per throttle period with the count held back. The rotate-token
   * hint is only for an id the watcher took heartbeats of: an id that exists.
   */
  function refusal(agentId: string, at: number): LogEvent | undefined {
    const { log: due, held } = throttle.admit('refused', at);
    if (!due) return undefined;
    const door = `the relay answers that id and token 401 itself for ${refuseMs / 1000} s`;
    const more = held > 0 ? ` (${held} more refusal${held === 1 ? '' : 's'} since the last such line)` : '';
    return {
      code: 'HBW3071',
      level: 'error',
      msg: acceptedIds.has(agentId)
        ? `the watcher refused the token of agent ${agentId} (unauthorized): its heartbeats are not recorded; an operator runs "hbw agents rotate-token ${agentId}" and the agent gets the new token; ${door}${more}`
        : `the watcher refused a heartbeat for agent id ${agentId} (unknown agent or wrong token): not recorded; ${door}${more}`,
      fields: { held: held || undefined },
    };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path !== '/v1/heartbeat') {
      req.resume();
      send(res, 404, {
        error: {
          code: 'not_found',
          message: `no route ${req.method} ${path}: a relay takes POST /v1/heartbeat`,
        },
      });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(
        res,
        405,
        { error: { code: 'method_not_allowed', message: `${req.method} is not allowed here; use POST` } },
        { allow: 'POST' },
      );
      return;
    }
    if (closing) {
      req.resume();
      send(
        res,
        503,
        { error: { code: 'unavailable', message: 'the relay is stopping' } },
        { 'retry-after': '5' },
      );
      return;
    }
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
    const at = now();
    const key = `${agentId} ${hashSecret(token)}`;
    const last = known.get(key);
    if (last?.status === 'unauthorized' && at - last.at < refuseMs) {
      // Refused a moment ago: an id and token sent over and over costs no queue room and no request.
      stats.turnedAway += 1;
      respond(res, agentId, last, at);
      return;
    }
    const item: Record<string, unknown> = { token };
    for (const field of FORWARDED_FIELDS) if (body[field] !== undefined) item[field] = body[field];
    const slot = enqueue(key, item as BatchItem, itemBytes(item), at);
    stats.received += 1;
    // With no interval for this agent yet, its answer waits for the watcher's, when that can come in time.
    if (last?.intervalSeconds === undefined && forwarding !== 'failing' && flushMs < holdMs) hold(slot, res);
    else respond(res, agentId, last, at);
    pump();
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'relay error' } });
      log(
        {
          code: 'HBW3074',
          level: 'error',
          msg: `relay error: ${(error as Error)?.message ?? String(error)}`,
        },
        now(),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8788, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log(
    {
      code: 'HBW3000',
      level: 'info',
      msg: `relay listening on ${url}: heartbeats are forwarded to ${options.endpoint} in batches of up to ${batchSize}, at least every ${flushMs / 1000} s`,
      fields: { listen: url, endpoint: options.endpoint, batchSize, flushMs },
    },
    now(),
  );

  return {
    url,
    get stats(): RelayStats {
      return { ...stats, queued: queue.length };
    },
    async close(closeOptions = {}) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      pump();
      if (queue.length > 0 || inFlight > 0) {
        await new Promise<void>((resolve) => {
          const limit = setTimeout(resolve, closeOptions.flushMs ?? 5000);
          idle.push(() => {
            clearTimeout(limit);
            resolve();
          });
        });
      }
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const slot of holding) release(slot);
      server.closeAllConnections();
      await closed;
      agent.destroy();
      log(
        {
          code: 'HBW3090',
          level: 'info',
          msg: `relay stopped: ${stats.received} heartbeats taken, ${stats.accepted} accepted by the watcher, ${stats.superseded} replaced by a newer one of the same agent, ${stats.turnedAway} turned away, ${queue.length} left unsent`,
          fields: { ...stats, queued: queue.length },
        },
        now(),
      );
    },
  };
}
