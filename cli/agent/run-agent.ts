import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WATCHER_VERSION } from '../../lambda/version';
import { AgentConfigError, type AgentSettings, readToken, tokenFileWarning, tokenSourceText } from './config';
import { EventThrottle, formatEvent, type LogEvent } from './events';
import { HeartbeatAgent } from './failover';
import { createHttpSender, type HeartbeatSender } from './heartbeat-sender';

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
}

/**
 * Runs the reference agent until `deps.signal` aborts; answers the exit code (0). Throws an
 * {@link AgentConfigError} when the token cannot be read at start.
 */
export async function runAgent(settings: AgentSettings, deps: RunAgentDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const log = (event: LogEvent, at: number) => deps.write(formatEvent(event, settings.logFormat, at));
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
  const agent = new HeartbeatAgent({
    agentId: settings.agentId,
    endpoints: settings.endpoints,
    failuresBeforeFailover: settings.failuresBeforeFailover,
    failbackMs: settings.failbackSeconds * 1000,
    bootId: deps.bootId ?? randomUUID(),
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
  });
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
