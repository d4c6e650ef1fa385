/**
 * The events the reference agent and the relay log: one line each, with a stable code and a plain
 * sentence, modelled on the events a SCOM agent logs (21005 cannot resolve, 21006 cannot
 * connect, 20070 not approved, 20071 not authenticated, 20072 certificate not trusted, 21015/21016
 * failover and no failover host, 21019 back with the primary). The last digits echo those numbers.
 */

export type EventLevel = 'info' | 'warn' | 'error';

export interface LogEvent {
  readonly code: string;
  readonly level: EventLevel;
  readonly msg: string;
  /** More fields for `--log-format json` (agentId, endpoint...). Never a token. */
  readonly fields?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Every code the agent (HBW2xxx) and the relay (HBW3xxx) log, with what it means: the README's table. */
export const EVENT_CODES: Readonly<Record<string, string>> = {
  HBW2000: 'agent started',
  HBW2001: 'connected: heartbeats are accepted by this endpoint',
  HBW2002: 'the watcher changed the heartbeat interval',
  HBW2005: 'cannot resolve the name of the endpoint (SCOM: 21005)',
  HBW2006: 'cannot connect to the endpoint, or it did not answer in time (SCOM: 21006)',
  HBW2015: 'failed over to the next endpoint (SCOM: 21015)',
  HBW2016: 'no failover endpoint left; communication resumes when one answers (SCOM: 21016)',
  HBW2017: 'the primary still does not answer; staying on the failover',
  HBW2018: "a failover refused the token or the agent (401, 403): not this agent's watcher; moving on",
  HBW2019: 'resumed communication with the primary (SCOM: 21019)',
  HBW2070: 'connected, but the agent is not approved yet (pending; SCOM: 20070)',
  HBW2071: 'connected, but the token was refused (401; SCOM: 20071)',
  HBW2072: 'the certificate of the endpoint was not accepted (SCOM: 20072)',
  HBW2073: 'connected, but an operator rejected the agent (403)',
  HBW2074: 'connected, but the endpoint answered an error (not the watcher, or the watcher failed)',
  HBW2090: 'stopped on a signal',
  HBW2091: 'cannot read the token file again; the token read before is used',
  HBW2092: 'other users of this host may read the token file: chmod 600 it',
  HBW2093: 'said goodbye: the watcher holds the agent away until it is back',
  HBW2094: 'could not say goodbye (on SIGTERM with --goodbye-on-stop, or hbw agent goodbye)',
  HBW2095: 'cannot write the state file (--state-file); heartbeats go on',
  HBW3000: 'relay listening',
  HBW3001: 'relay: batches are accepted by the watcher',
  HBW3005: 'relay: cannot resolve the name of the watcher; the batch is kept and retried',
  HBW3006: 'relay: cannot connect to the watcher; the batch is kept and retried',
  HBW3020: 'relay: the queue is full; the oldest heartbeats were dropped',
  HBW3070: 'relay: an agent behind it is pending approval',
  HBW3071: 'relay: the watcher refused an agent id and token (at most one line per 10 minutes, with a count)',
  HBW3072: 'relay: the certificate of the watcher was not accepted; the batch is kept and retried',
  HBW3073: 'relay: an agent behind it was rejected by an operator',
  HBW3074: 'relay: the watcher answered an error to a batch (retried when a retry can help)',
  HBW3075: "relay: the watcher found an agent's heartbeat invalid; it is dropped",
  HBW3090: 'relay stopped',
};

/** One log line: `TIME LEVEL CODE sentence` for people, one JSON object for machines. */
export function formatEvent(event: LogEvent, format: LogFormat, time: number): string {
  const at = new Date(time).toISOString();
  if (format === 'json') {
    return JSON.stringify({
      time: at,
      level: event.level,
      code: event.code,
      msg: event.msg,
      ...event.fields,
    });
  }
  return `${at} ${event.level.toUpperCase().padEnd(5)} ${event.code} ${event.msg}`;
}

/**
 * Keeps a repeated problem from filling the log: a key (code and endpoint) is logged once, then at
 * most once per `repeatMs` while it lasts, with the count of the lines it held back. `clear` ends a
 * problem (the endpoint answered), so the next one is logged at once.
 */
export class EventThrottle {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(private readonly repeatMs = 10 * 60_000) {}

  /** Whether to log `key` at `now`; when it answers a number, that many lines were held back. */
  admit(key: string, now: number): { log: boolean; held: number } {
    const last = this.seen.get(key);
    if (last && now - last.at < this.repeatMs) {
      last.held += 1;
      return { log: false, held: 0 };
    }
    this.seen.set(key, { at: now, held: 0 });
    return { log: true, held: last?.held ?? 0 };
  }

  /** Forgets every key that starts with `prefix`. */
  clear(prefix: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(prefix)) this.seen.delete(key);
  }
}
