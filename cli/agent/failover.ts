import { HEARTBEAT_SPREAD } from '../../lambda/domain/agent';
import { type BootState, type BootStateStore, goodbyeInForce } from './boot-state';
import { EventThrottle, type LogEvent } from './events';
import type { Goodbye, HeartbeatSender, SendResult } from './heartbeat-sender';

/**
 * The reference agent's heartbeat and failover logic, with no clock, timer or network of its own:
 * each `beat(now)` sends what is due through the sender, logs what changed, and answers how long to
 * wait before the next beat. Fails over as SCOM agents do: after
 * `failuresBeforeFailover` failed heartbeats in a row (timeouts, error answers) the agent moves to the
 * next endpoint; it moves on at once when it cannot connect at all (refused, reset, a name that does
 * not resolve, a certificate it does not trust), and when a failover refuses the token or the agent
 * (401, 403: the primary issued the token, so that endpoint is not its watcher). On a failover it
 * tries the primary every `failbackMs` and returns as soon as it answers; with no endpoint left it
 * says so (21016) and keeps trying them all until one answers.
 */

/**
 * The wait before the next heartbeat: `intervalSeconds` spread by up to `jitter` of it either way,
 * where `random` in [0, 1) picks the point; at least 1 ms.
 */
export function spreadWaitMs(intervalSeconds: number, jitter: number, random: number): number {
  const spread = 1 + jitter * (2 * random - 1);
  return Math.max(1, Math.round(intervalSeconds * 1000 * spread));
}

export interface HeartbeatAgentOptions {
  readonly agentId: string;
  /** The primary first, then the failovers in the order to try them. */
  readonly endpoints: readonly string[];
  readonly failuresBeforeFailover: number;
  readonly failbackMs: number;
  /** A random id of this start of the agent. */
  readonly bootId: string;
  /** When this start began (ISO): the watcher tells a restart's downtime from it. */
  readonly bootedAt?: string;
  readonly version: string;
  readonly cluster?: string;
  /** The interval until the watcher tells one (it does in every answer). */
  readonly intervalSeconds: number;
  /** Where the token comes from, for the 401 message: `the token file /etc/hbw/token`. */
  readonly tokenSource: string;
  readonly send: HeartbeatSender;
  readonly log: (event: LogEvent, now: number) => void;
  /** A number in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
  /** The spread of the interval, as a fraction: 0.1 waits 90% to 110% of it. @default HEARTBEAT_SPREAD (0.1) */
  readonly jitter?: number;
  /** A problem that lasts is logged again at most this often. @default 10 minutes */
  readonly repeatMs?: number;
  /**
   * The state shared with `hbw agent goodbye` (`--state-file`): read before each heartbeat (a higher
   * seq of this boot is taken over, a goodbye in force is sent along), written with each one.
   */
  readonly state?: BootStateStore;
  /** The seq sent last in this boot (from the state file). @default 0 */
  readonly seq?: number;
}

export interface AgentStatus {
  /** The endpoint heartbeats go to now. */
  readonly endpoint: string;
  /** Failed heartbeats in a row on it. */
  readonly failures: number;
  /** No endpoint left: every beat tries them all, primary first. */
  readonly exhausted: boolean;
  readonly intervalSeconds: number;
  /** The seq of the last heartbeat sent. */
  readonly seq: number;
}

type Failed = Extract<SendResult, { kind: 'failed' }>;
type Refused = Extract<SendResult, { kind: 'refused' }>;

/**
 * Failures that say no conversation with the endpoint is possible now: waiting to count more of them
 * only keeps the agent silent. A timeout or a 5xx may be a slow or busy watcher, and is counted.
 */
const CONNECTION_FAILURES: ReadonlySet<Failed['reason']> = new Set(['dns', 'connect', 'tls']);

function hostPort(endpoint: string): { host: string; port: string } {
  const url = new URL(endpoint);
  return { host: url.hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class HeartbeatAgent {
  private active = 0;
  private failures = 0;
  private exhausted = false;
  private lastFailbackAt = 0;
  private seq = 0;
  private interval: number;
  private intervalKnown = false;
  /** `endpoint index:ok|pending` of the last accepted heartbeat; undefined after any problem. */
  private acceptedAs: string | undefined;
  private readonly throttle: EventThrottle;
  private readonly random: () => number;
  private readonly jitter: number;

  constructor(private readonly options: HeartbeatAgentOptions) {
    if (options.endpoints.length === 0) throw new Error('HeartbeatAgent needs at least one endpoint');
    this.interval = options.intervalSeconds;
    this.seq = options.seq ?? 0;
    this.throttle = new EventThrottle(options.repeatMs);
    this.random = options.random ?? Math.random;
    this.jitter = options.jitter ?? HEARTBEAT_SPREAD;
  }

  get status(): AgentStatus {
    return {
      endpoint: this.endpoint(this.active),
      failures: this.failures,
      exhausted: this.exhausted,
      intervalSeconds: this.interval,
      seq: this.seq,
    };
  }

  /** The line that says the agent started. */
  startedEvent(): LogEvent {
    const [primary, ...failovers] = this.options.endpoints;
    return {
      code: 'HBW2000',
      level: 'info',
      msg:
        `agent ${this.options.agentId} started (version ${this.options.version}, boot ${this.options.bootId}): ` +
        `heartbeats go to ${primary}` +
        (failovers.length > 0
          ? `, failing over to ${failovers.join(', ')} after ${plural(this.options.failuresBeforeFailover, 'failed heartbeat')}`
          : ' (no failover endpoint)'),
      fields: this.fields({ endpoint: primary, failovers: failovers.join(',') || undefined }),
    };
  }

  /** Sends the heartbeat(s) due at `now`; answers the milliseconds to wait before the next beat. */
  async beat(now: number, signal?: AbortSignal): Promise<number> {
    if (this.exhausted) {
      await this.tryEveryEndpoint(now, signal);
      return signal?.aborted ? 0 : this.nextDelay();
    }
    if (this.active !== 0 && now - this.lastFailbackAt >= this.options.failbackMs) {
      this.lastFailbackAt = now;
      const result = await this.send(0, now, signal);
      if (result === undefined) return 0;
      if (result.kind === 'accepted') {
        const from = this.endpoint(this.active);
        this.emit(now, {
          code: 'HBW2019',
          level: 'info',
          msg: `resumed communication with the primary ${this.endpoint(0)} (was on ${from})`,
          fields: this.fields({ endpoint: this.endpoint(0), from }),
        });
        this.active = 0;
        this.failures = 0;
        this.onAccepted(0, result, now, true);
        return this.nextDelay();
      }
      this.noteFailbackMiss(result, now);
    }
    let current = this.active;
    for (;;) {
      const result = await this.send(current, now, signal);
      if (result === undefined) return 0;
      if (result.kind === 'accepted') {
        this.failures = 0;
        this.onAccepted(current, result, now, false);
        return this.nextDelay();
      }
      const next = current + 1;
      let why: string;
      if (result.kind === 'refused') {
        if (current === 0) {
          this.failures = 0;
          this.onRefused(current, result, now);
          return this.nextDelay();
        }
        this.onFailoverRefused(current, result, now);
        why = `at once: it refused the agent (${result.status})`;
      } else {
        this.failures += 1;
        const atOnce = CONNECTION_FAILURES.has(result.reason) && next < this.options.endpoints.length;
        this.onFailure(current, result, now, atOnce);
        if (!atOnce && this.failures < this.options.failuresBeforeFailover) return this.nextDelay();
        why = atOnce
          ? `at once: the connection failed (${result.code})`
          : `after ${plural(this.failures, 'failed heartbeat')}`;
      }
      if (next < this.options.endpoints.length) {
        this.emit(now, {
          code: 'HBW2015',
          level: 'warn',
          msg:
            `failed over from ${this.endpoint(current)} to ${this.endpoint(next)} ${why}; ` +
            `the primary ${this.endpoint(0)} is tried again every ${this.options.failbackMs / 1000} s`,
          fields: this.fields({ endpoint: this.endpoint(next), from: this.endpoint(current) }),
        });
        this.active = next;
        this.failures = 0;
        this.lastFailbackAt = now;
        current = next;
        continue;
      }
      this.emit(now, this.noFailoverLeftEvent());
      this.exhausted = true;
      this.active = 0;
      this.failures = 0;
      return this.nextDelay();
    }
  }

  /** With no endpoint left: the primary first, then each failover, until one takes the agent. */
  private async tryEveryEndpoint(now: number, signal?: AbortSignal): Promise<void> {
    for (let index = 0; index < this.options.endpoints.length; index++) {
      const result = await this.send(index, now, signal);
      if (result === undefined) return;
      if (result.kind === 'failed') {
        this.onFailure(index, result, now, false);
        continue;
      }
      if (result.kind === 'refused' && index !== 0) {
        this.onFailoverRefused(index, result, now);
        continue;
      }
      this.exhausted = false;
      this.active = index;
      this.failures = 0;
      this.lastFailbackAt = now;
      if (result.kind === 'accepted') this.onAccepted(index, result, now, false);
      else this.onRefused(index, result, now);
      return;
    }
  }

  /**
   * Says goodbye: one heartbeat carrying `goodbye`, to the endpoint in use, then to each other in
   * order while they fail. Answers the last outcome; `undefined` when `signal` stopped it.
   */
  async goodbye(now: number, goodbye: Goodbye, signal?: AbortSignal): Promise<SendResult | undefined> {
    const order = [this.active, ...this.options.endpoints.keys()].filter((i, n, all) => all.indexOf(i) === n);
    let result: SendResult | undefined;
    for (const index of order) {
      result = await this.send(index, now, signal, goodbye);
      if (result === undefined || result.kind !== 'failed') return result;
    }
    return result;
  }

  /** One heartbeat to the endpoint at `index`; `undefined` when `signal` stopped it. */
  private async send(
    index: number,
    now: number,
    signal?: AbortSignal,
    goodbye?: Goodbye,
  ): Promise<SendResult | undefined> {
    if (signal?.aborted) return undefined;
    const { bootId } = this.options;
    const shared = this.options.state?.read();
    if (shared?.bootId === bootId && shared.seq > this.seq) this.seq = shared.seq;
    this.seq += 1;
    const saying = goodbye ?? goodbyeInForce(shared, bootId, now);
    this.options.state?.write(this.stateAfter(shared, now, goodbye));
    const endpoint = this.endpoint(index);
    const sent = this.options.send(
      endpoint,
      {
        agentId: this.options.agentId,
        sentAt: new Date(now).toISOString(),
        seq: this.seq,
        bootId,
        ...(this.options.bootedAt === undefined ? {} : { bootedAt: this.options.bootedAt }),
        endpoint,
        version: this.options.version,
        ...(this.options.cluster === undefined ? {} : { cluster: this.options.cluster }),
        ...(saying === undefined ? {} : { goodbye: saying }),
      },
      signal,
    );
    try {
      const result = await sent;
      return signal?.aborted ? undefined : result;
    } catch (error) {
      if (signal?.aborted) return undefined;
      throw error;
    }
  }

  /** The state to share once this heartbeat goes: its seq, and the goodbye in force (a new one, or the one before). */
  private stateAfter(shared: BootState | undefined, now: number, goodbye: Goodbye | undefined): BootState {
    const state = { bootId: this.options.bootId, seq: this.seq };
    if (goodbye !== undefined) {
      const awayUntil = new Date(now + goodbye.backInSeconds * 1000).toISOString();
      return { ...state, awayUntil, ...(goodbye.reason === undefined ? {} : { reason: goodbye.reason }) };
    }
    if (goodbyeInForce(shared, this.options.bootId, now) === undefined) return state;
    return {
      ...state,
      awayUntil: shared!.awayUntil,
      ...(shared!.reason === undefined ? {} : { reason: shared!.reason }),
    };
  }

  private onAccepted(
    index: number,
    result: Extract<SendResult, { kind: 'accepted' }>,
    now: number,
    announced: boolean,
  ): void {
    const endpoint = this.endpoint(index);
    this.throttle.clear(`problem|${endpoint}|`);
    const told = result.answer.heartbeatIntervalSeconds;
    if (told !== undefined && Number.isInteger(told) && told >= 1 && told <= 86_400) {
      if (this.intervalKnown && told !== this.interval) {
        this.emit(now, {
          code: 'HBW2002',
          level: 'info',
          msg: `the watcher set the heartbeat interval to ${told} s (was ${this.interval} s)`,
          fields: this.fields({ endpoint, intervalSeconds: told }),
        });
      }
      this.interval = told;
      this.intervalKnown = true;
    }
    const pending = result.answer.state === 'pending';
    const as = `${index}:${pending ? 'pending' : 'ok'}`;
    if (pending) {
      const reminder = this.throttle.admit('pending', now).log;
      if (this.acceptedAs !== as || reminder) {
        const id = this.options.agentId;
        this.emit(now, {
          code: 'HBW2070',
          level: 'warn',
          msg:
            `connected to ${endpoint}, but agent ${id} is not approved yet (pending): its heartbeats are recorded ` +
            `and it is not monitored until an operator runs: hbw agents approve ${id}`,
          fields: this.fields({ endpoint, state: 'pending' }),
        });
      }
    } else {
      this.throttle.clear('pending');
      if (this.acceptedAs !== as && !announced) {
        this.emit(now, {
          code: 'HBW2001',
          level: 'info',
          msg: `connected to ${endpoint}: heartbeats accepted (state ${result.answer.state}), one every ${this.interval} s`,
          fields: this.fields({ endpoint, state: result.answer.state, intervalSeconds: this.interval }),
        });
      }
    }
    this.acceptedAs = as;
  }

  private onRefused(index: number, result: Refused, now: number): void {
    this.acceptedAs = undefined;
    const endpoint = this.endpoint(index);
    const { log, held } = this.throttle.admit(`problem|${endpoint}|${result.status}`, now);
    if (!log) return;
    const id = this.options.agentId;
    this.emit(
      now,
      result.status === 401
        ? {
            code: 'HBW2071',
            level: 'error',
            msg:
              `connected to ${endpoint}, but the watcher refused the token of agent ${id} (401): an operator runs ` +
              `"hbw agents rotate-token ${id}" and puts the new token in ${this.options.tokenSource}; the agent keeps trying`,
            fields: this.fields({ endpoint, status: 401, held: held || undefined }),
          }
        : {
            code: 'HBW2073',
            level: 'error',
            msg:
              `connected to ${endpoint}, but agent ${id} was rejected by an operator (403): ` +
              `"hbw agents approve ${id}" readmits it; the agent keeps trying`,
            fields: this.fields({ endpoint, status: 403, held: held || undefined }),
          },
    );
  }

  /**
   * A failover answered 401 or 403: the token comes from the primary, so this endpoint is another
   * watcher (or another deployment), not a reason to stop looking.
   */
  private onFailoverRefused(index: number, result: Refused, now: number): void {
    this.acceptedAs = undefined;
    const endpoint = this.endpoint(index);
    const { log, held } = this.throttle.admit(`problem|${endpoint}|HBW2018`, now);
    if (!log) return;
    const id = this.options.agentId;
    const next = index + 1 < this.options.endpoints.length ? this.endpoint(index + 1) : undefined;
    const what = result.status === 401 ? `the token of agent ${id}` : `agent ${id}`;
    this.emit(now, {
      code: 'HBW2018',
      level: 'warn',
      msg:
        `connected to ${endpoint}, but it refused ${what} (${result.status}): it is not the watcher that issued ` +
        `the token (the primary ${this.endpoint(0)}); ${next && !this.exhausted ? `moving on to ${next}` : 'passing it over'}`,
      fields: this.fields({ endpoint, status: result.status, held: held || undefined }),
    });
  }

  private onFailure(index: number, result: Failed, now: number, atOnce: boolean): void {
    this.acceptedAs = undefined;
    const endpoint = this.endpoint(index);
    const event = this.failureEvent(index, result, atOnce);
    const { log, held } = this.throttle.admit(`problem|${endpoint}|${event.code}`, now);
    if (!log) return;
    this.emit(now, { ...event, fields: { ...event.fields, held: held || undefined } });
  }

  private failureEvent(index: number, result: Failed, atOnce: boolean): LogEvent {
    const endpoint = this.endpoint(index);
    const { host, port } = hostPort(endpoint);
    const next = index + 1 < this.options.endpoints.length ? this.endpoint(index + 1) : undefined;
    const count =
      this.exhausted || next === undefined
        ? ''
        : atOnce
          ? ` (failing over to ${next} at once)`
          : ` (failure ${this.failures} of ${this.options.failuresBeforeFailover} before failing over to ${next})`;
    const fields = this.fields({
      endpoint,
      reason: result.reason,
      error: result.code,
      status: result.status,
      failures: this.exhausted ? undefined : this.failures,
    });
    switch (result.reason) {
      case 'dns':
        return {
          code: 'HBW2005',
          level: 'error',
          msg: `could not resolve the name ${host} of ${endpoint} (${result.code})${count}: check the name in the endpoint URL and that DNS works on this host`,
          fields,
        };
      case 'connect':
        return {
          code: 'HBW2006',
          level: 'error',
          msg: `could not connect to ${host}:${port} (${result.code})${count}: check that the watcher is running there and that no firewall blocks TCP port ${port} between this host and it`,
          fields,
        };
      case 'timeout':
        return {
          code: 'HBW2006',
          level: 'error',
          msg: `${endpoint} did not answer (${result.detail})${count}: check the network path to ${host}:${port} and that the watcher is not overloaded`,
          fields,
        };
      case 'tls':
        return {
          code: 'HBW2072',
          level: 'error',
          msg: `the certificate of ${host} was not accepted (${result.code})${count}: renew or reissue it for ${host}, or trust its CA with --ca-file (hbw agent doctor shows why)`,
          fields,
        };
      case 'http':
        return {
          code: 'HBW2074',
          level: 'error',
          msg: `connected to ${endpoint}, but it ${result.detail}${count}: check the endpoint URL and the watcher's logs`,
          fields,
        };
    }
  }

  private noteFailbackMiss(result: Exclude<SendResult, { kind: 'accepted' }>, now: number): void {
    const primary = this.endpoint(0);
    const reason =
      result.kind === 'refused' ? `it answers ${result.status}` : `${result.code}: ${result.detail}`;
    const { log, held } = this.throttle.admit(`problem|${primary}|HBW2017`, now);
    if (!log) return;
    this.emit(now, {
      code: 'HBW2017',
      level: 'info',
      msg: `the primary ${primary} still does not take heartbeats (${reason}); staying on ${this.endpoint(this.active)}, next try in ${this.options.failbackMs / 1000} s`,
      fields: this.fields({ endpoint: this.endpoint(this.active), primary, held: held || undefined }),
    });
  }

  private noFailoverLeftEvent(): LogEvent {
    const all = this.options.endpoints;
    return {
      code: 'HBW2016',
      level: 'error',
      msg:
        all.length === 1
          ? `could not set up communication with ${all[0]} and there is no failover endpoint; communication will resume when it answers`
          : `could not set up communication with ${all.join(', ')} and there is no failover endpoint left; communication will resume when one of them answers`,
      fields: this.fields({ endpoint: all.join(',') }),
    };
  }

  private nextDelay(): number {
    return spreadWaitMs(this.interval, this.jitter, this.random());
  }

  private endpoint(index: number): string {
    return this.options.endpoints[index]!;
  }

  private fields(extra: Record<string, string | number | boolean | undefined>) {
    return { agentId: this.options.agentId, ...extra };
  }

  private emit(now: number, event: LogEvent): void {
    this.options.log(event, now);
  }
}
