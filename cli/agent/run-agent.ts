import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WATCHER_VERSION } from '../../lambda/version';
import { type BootState, type BootStateStore, bootStateFile, readBootState } from './boot-state';
import { AgentConfigError, type AgentSettings, readToken, tokenFileWarning, tokenSourceText } from './config';
import { EventThrottle, formatEvent, type LogEvent } from './events';
import { HeartbeatAgent } from './failover';
import { createHttpSender, type Goodbye, type HeartbeatSender, type SendResult } from './heartbeat-sender';

export interface RunAgentDeps {
  readonly env: NodeJS.ProcessEnv;
  /** Where log lines go (stdout for `hbw agent run`). */
  readonly write: (line: string) => void;
  /** Aborting it stops the agent: the request in flight is aborted, the wait ends. */
  readonly signal: AbortSignal;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default HTTP to the endpoints */
  readonly send?: HeartbeatSender;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default a random UUID */
  readonly bootId?: string;
  /** Said on SIGTERM before exiting (`--goodbye-on-stop`), within {@link GOODBYE_ON_STOP_MS}. */
  readonly goodbyeOnStop?: Goodbye;
}

/** The longest a goodbye on SIGTERM may hold the agent's exit: shutdown is never held for long. */
export const GOODBYE_ON_STOP_MS = 3000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A new random id for this start of the agent: the kernel's, where it makes one (Linux), else
 * node:crypto's. Loading node:crypto costs the agent about 1 MiB of memory, for one id per start.
 */
export async function newBootId(kernelUuidFile = '/proc/sys/kernel/random/uuid'): Promise<string> {
  try {
    const id = readFileSync(kernelUuidFile, 'utf8').trim();
    if (UUID.test(id)) return id;
  } catch {
    // not Linux, or /proc is not mounted
  }
  return (await import('node:crypto')).randomUUID();
}

/**
 * Runs the reference agent until `deps.signal` aborts; answers the exit code (0). Throws an
 * {@link AgentConfigError} when the token cannot be read at start.
 */
export async function runAgent(settings: AgentSettings, deps: RunAgentDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const log = (event: LogEvent, at: number) => deps.write(formatEvent(event, settings.logFormat, at));
  const agent = createAgent(settings, { ...deps, log, bootId: deps.bootId ?? (await newBootId()) });
  log(agent.startedEvent(), now());
  const exposed = tokenFileWarning(settings.token, settings.agentId);
  if (exposed) log(exposed, now());
  const { signal } = deps;
  while (!signal.aborted) {
    let delay: number;
    try {
      delay = await agent.beat(now(), signal);
    } catch (error) {
      if (signal.aborted) break;
      throw error;
    }
    if (signal.aborted) break;
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      // aborted while waiting
    }
  }
  const reason = typeof signal.reason === 'string' ? signal.reason : 'a stop request';
  if (deps.goodbyeOnStop && reason === 'SIGTERM') {
    const result = await agent.goodbye(now(), deps.goodbyeOnStop, AbortSignal.timeout(GOODBYE_ON_STOP_MS));
    log(goodbyeEvent(settings.agentId, deps.goodbyeOnStop, result, now()), now());
  }
  log(
    {
      code: 'HBW2090',
      level: 'info',
      msg: `stopped on ${reason} after ${agent.status.seq} heartbeat${agent.status.seq === 1 ? '' : 's'} (last endpoint ${agent.status.endpoint})`,
      fields: { agentId: settings.agentId, endpoint: agent.status.endpoint, seq: agent.status.seq },
    },
    now(),
  );
  return 0;
}

interface AgentDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly log: (event: LogEvent, at: number) => void;
  readonly bootId: string;
  readonly seq?: number;
  readonly now?: () => number;
  readonly send?: HeartbeatSender;
  readonly random?: () => number;
}

/**
 * The agent of `settings`, sending over HTTP with the token read (again before each heartbeat, from a
 * file) and sharing its state through the state file when there is one. Throws an
 * {@link AgentConfigError} when the token cannot be read.
 */
function createAgent(settings: AgentSettings, deps: AgentDeps): HeartbeatAgent {
  const now = deps.now ?? Date.now;
  const { log } = deps;
  let token = readToken(settings.token, deps.env);
  const throttle = new EventThrottle();
  const currentToken = () => {
    if (settings.token.from !== 'file') return token;
    // Read again before each heartbeat: a token rotated into the file is used without a restart.
    try {
      token = readToken(settings.token, deps.env);
      throttle.clear('token');
    } catch (error) {
      if (!(error instanceof AgentConfigError)) throw error;
      if (throttle.admit('token', now()).log) {
        log(
          {
            code: 'HBW2091',
            level: 'warn',
            msg: `${error.message}; the token read before is used`,
            fields: { agentId: settings.agentId },
          },
          now(),
        );
      }
    }
    return token;
  };
  return new HeartbeatAgent({
    agentId: settings.agentId,
    endpoints: settings.endpoints,
    failuresBeforeFailover: settings.failuresBeforeFailover,
    failbackMs: settings.failbackSeconds * 1000,
    bootId: deps.bootId,
    bootedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    seq: deps.seq,
    version: WATCHER_VERSION,
    cluster: settings.cluster,
    intervalSeconds: settings.intervalSeconds,
    tokenSource: tokenSourceText(settings.token),
    send:
      deps.send ??
      createHttpSender({
        token: currentToken,
        timeoutMs: settings.timeoutSeconds * 1000,
        ca: settings.ca?.pem,
      }),
    log,
    random: deps.random,
    ...(settings.stateFile === undefined ? {} : { state: loggedStateFile(settings, log, now, throttle) }),
  });
}

/** The state file, whose write problems are logged (HBW2095, throttled) and never stop a heartbeat. */
function loggedStateFile(
  settings: AgentSettings,
  log: (event: LogEvent, at: number) => void,
  now: () => number,
  throttle: EventThrottle,
): BootStateStore {
  const file = bootStateFile(settings.stateFile!);
  return {
    read: file.read,
    write(state: BootState) {
      try {
        file.write(state);
        throttle.clear('state');
      } catch (error) {
        if (!throttle.admit('state', now()).log) return;
        log(
          {
            code: 'HBW2095',
            level: 'warn',
            msg: `cannot write the state file ${settings.stateFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): a goodbye from "hbw agent goodbye" may be ended by the next heartbeat; check that this user may write it`,
            fields: { agentId: settings.agentId },
          },
          now(),
        );
      }
    },
  };
}

/** The line that says how a goodbye went: HBW2093 the watcher holds the agent away, HBW2094 it could not be said. */
export function goodbyeEvent(
  agentId: string,
  goodbye: Goodbye,
  result: SendResult | undefined,
  now: number,
): LogEvent {
  const reason = goodbye.reason === undefined ? '' : ` (${goodbye.reason})`;
  if (result?.kind === 'accepted') {
    const until = new Date(now + goodbye.backInSeconds * 1000).toISOString();
    return {
      code: 'HBW2093',
      level: 'info',
      msg: `said goodbye: the watcher holds agent ${agentId} ${result.answer.state} until ${until}${reason}`,
      fields: { agentId, state: result.answer.state, awayUntil: until },
    };
  }
  const why =
    result === undefined
      ? 'no endpoint answered in time'
      : result.kind === 'refused'
        ? `the watcher refused it (${result.status}${result.message ? `: ${result.message}` : ''})`
        : `${result.code}: ${result.detail}`;
  return {
    code: 'HBW2094',
    level: 'error',
    msg: `could not say goodbye for agent ${agentId}: ${why}; missed scans count as usual`,
    fields: { agentId },
  };
}

export interface SayGoodbyeDeps {
  readonly env: NodeJS.ProcessEnv;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default HTTP to the endpoints */
  readonly send?: HeartbeatSender;
}

/** Seq numbers a goodbye skips ahead at most when `hbw agent run` took the same one meanwhile. */
const GOODBYE_TRIES = 3;

/**
 * `hbw agent goodbye`: one heartbeat carrying `goodbye`, in the boot of the state file with its next
 * seq (a new boot without one), to the primary and then each failover while they fail. A duplicate
 * answer (the running agent sent that seq meanwhile) is tried again with the next seq. Answers the
 * outcome and the event that says it.
 */
export async function sayGoodbye(
  settings: AgentSettings,
  goodbye: Goodbye,
  deps: SayGoodbyeDeps,
): Promise<{ result: SendResult | undefined; event: LogEvent }> {
  const now = deps.now ?? Date.now;
  let result: SendResult | undefined;
  for (let attempt = 0; attempt < GOODBYE_TRIES; attempt++) {
    const shared = settings.stateFile === undefined ? undefined : readBootState(settings.stateFile);
    const agent = createAgent(settings, {
      env: deps.env,
      log: () => {},
      bootId: shared?.bootId ?? (await newBootId()),
      seq: shared?.seq,
      now,
      send: deps.send,
    });
    result = await agent.goodbye(
      now(),
      goodbye,
      AbortSignal.timeout(settings.timeoutSeconds * 1000 * settings.endpoints.length),
    );
    if (!(result?.kind === 'accepted' && result.answer.duplicate)) break;
  }
  return { result, event: goodbyeEvent(settings.agentId, goodbye, result, now()) };
}
