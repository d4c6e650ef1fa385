import { readFileSync } from 'node:fs';
import { WATCHER_VERSION } from '../../lambda/version';
import {
  AGENT_OPTION_HELP,
  AGENT_OPTIONS,
  AgentConfigError,
  readToken,
  tokenSourceText,
} from '../agent/config';
import { renderDoctorReport, runDoctor } from '../agent/doctor';
import { formatEvent, LOG_FORMATS, type LogFormat } from '../agent/events';
import { type Relay, startRelay } from '../agent/relay';
import { type Command, type CommandContext, UsageError } from '../command';
import { listenFailure } from '../listening';
import {
  type AgentCommandDeps,
  createAgentRunCommands,
  EXIT_CODES,
  logFormatFlag,
  settingsOf,
  stopOnSignals,
} from './agent-run';

function logFormatOf(value: unknown, env: NodeJS.ProcessEnv): LogFormat {
  const format = (value as string | undefined) ?? (env.HBW_LOG_FORMAT || 'text');
  if (!LOG_FORMATS.includes(format as LogFormat)) {
    throw new UsageError(`--log-format must be text or json, not "${format}"`);
  }
  return format as LogFormat;
}

function wholeFlag(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** `HOST:PORT`, `[IPv6]:PORT` or `PORT` alone (on 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new UsageError(`--listen must be HOST:PORT (127.0.0.1:8788), not "${text}"`);
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** `hbw agent doctor`: the checks of cli/agent/doctor.ts, against each endpoint the agent would use. */
function doctorCommand(now: () => number): Command {
  return {
    path: ['agent', 'doctor'],
    summary:
      "Check the agent's way to each endpoint: name resolution, TCP, TLS, HTTP, clock skew, token and approval, each with a verdict and the fix. " +
      'It sends one real heartbeat to each endpoint. Exit codes: 0 every step that applies passed, 1 a step failed, 2 bad usage.',
    options: AGENT_OPTIONS,
    optionHelp: AGENT_OPTION_HELP,
    example: 'hbw agent doctor --endpoint https://hbw.example.com --id web-01 --token-file /etc/hbw/token',
    async run(ctx) {
      const settings = settingsOf(ctx, false);
      if (typeof settings === 'number') return settings;
      let token: string | undefined;
      let tokenProblem: string | undefined;
      if (settings.token.from !== 'none') {
        try {
          token = readToken(settings.token, ctx.env);
        } catch (error) {
          if (!(error instanceof AgentConfigError)) throw error;
          tokenProblem = error.message;
        }
      }
      const report = await runDoctor(
        {
          agentId: settings.agentId,
          endpoints: settings.endpoints,
          token,
          tokenProblem,
          tokenSource: tokenSourceText(settings.token),
          version: WATCHER_VERSION,
          cluster: settings.cluster,
          ca: settings.ca?.pem,
          timeoutMs: settings.timeoutSeconds * 1000,
        },
        { now },
      );
      ctx.out(ctx.json ? JSON.stringify(report, null, 2) : renderDoctorReport(report));
      return report.ok ? 0 : 1;
    },
  };
}

/** The `hbw agent ...` commands; `deps` lets tests give the agent a clock of their own. */
export function createAgentCommands(deps: AgentCommandDeps = {}): Command[] {
  const now = deps.now ?? Date.now;
  return [...createAgentRunCommands(deps), doctorCommand(now), relayCommand(now)];
}

/** `hbw agent relay`: its options and their help; {@link runRelay} runs it. */
function relayCommand(now: () => number): Command {
  return {
    path: ['agent', 'relay'],
    summary:
      "Relay the heartbeats of agents behind it to the watcher in batches of up to 100. Each item keeps its agent's own token; " +
      `agents POST /v1/heartbeat to it as to the watcher and are answered with what the watcher said of them, in its own interval. ${EXIT_CODES}`,
    options: {
      listen: { type: 'string', default: '127.0.0.1:8788' },
      endpoint: { type: 'string' },
      'batch-size': { type: 'string' },
      'flush-ms': { type: 'string' },
      'queue-limit': { type: 'string' },
      'interval-seconds': { type: 'string' },
      'refuse-seconds': { type: 'string' },
      'timeout-seconds': { type: 'string' },
      'ca-file': { type: 'string' },
      'log-format': { type: 'string' },
    },
    optionHelp: [
      '--listen HOST:PORT          where agents send heartbeats (default 127.0.0.1:8788)',
      '--endpoint URL              the watcher (env HBW_ENDPOINT)',
      '--batch-size N              heartbeats per request to the watcher, 1 to 100 (default 100)',
      '--flush-ms N                the longest a heartbeat waits for a full batch (default 1000)',
      '--queue-limit N             heartbeats kept while the watcher is unreachable; then the oldest go (default 10000)',
      "--interval-seconds N        the longest interval told to agents; the watcher's own when shorter (default: no limit)",
      '--refuse-seconds N          an agent id and token the watcher refused get 401 from the relay itself this long (default 300)',
      '--timeout-seconds N         how long one batch request may take (default 10)',
      '--ca-file FILE              PEM certificates to trust besides the system ones',
      '--log-format F              text (default) or json (HBW3xxx codes)',
    ],
    jsonHelp: 'the same as --log-format json',
    example: 'hbw agent relay --listen 0.0.0.0:8788 --endpoint https://hbw.example.com',
    run: (ctx) => runRelay(ctx, now),
  };
}

/** Runs the relay that `ctx`'s flags describe until SIGTERM or SIGINT; 1 when it cannot start. */
async function runRelay(ctx: CommandContext, now: () => number): Promise<number> {
  const endpoint = (ctx.values.endpoint as string | undefined) ?? (ctx.env.HBW_ENDPOINT || undefined);
  if (endpoint === undefined) throw new UsageError('the watcher is required: --endpoint URL or HBW_ENDPOINT');
  if (!/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new UsageError(`--endpoint must be an http:// or https:// URL, not "${endpoint}"`);
  }
  const { host, port } = parseListen(String(ctx.values.listen));
  const format = logFormatOf(logFormatFlag(ctx), ctx.env);
  let ca: string | undefined;
  if (ctx.values['ca-file'] !== undefined) {
    try {
      ca = readFileSync(String(ctx.values['ca-file']), 'utf8');
    } catch (error) {
      ctx.err(`hbw: cannot read the CA file ${ctx.values['ca-file']} (${(error as Error).message})`);
      return 1;
    }
  }
  const stop = stopOnSignals();
  let relay: Relay;
  try {
    relay = await startRelay({
      host,
      port,
      endpoint: endpoint.replace(/\/+$/, ''),
      batchSize: wholeFlag(ctx.values['batch-size'], 'batch-size', 100, 1, 100),
      flushMs: wholeFlag(ctx.values['flush-ms'], 'flush-ms', 1000, 1, 60_000),
      queueLimit: wholeFlag(ctx.values['queue-limit'], 'queue-limit', 10_000, 1, 10_000_000),
      intervalSeconds:
        ctx.values['interval-seconds'] === undefined
          ? undefined
          : wholeFlag(ctx.values['interval-seconds'], 'interval-seconds', 0, 1, 86_400),
      refuseSeconds: wholeFlag(ctx.values['refuse-seconds'], 'refuse-seconds', 300, 0, 86_400),
      timeoutMs: wholeFlag(ctx.values['timeout-seconds'], 'timeout-seconds', 10, 1, 300) * 1000,
      ca,
      log: (event, at) => ctx.out(formatEvent(event, format, at)),
      now,
    });
  } catch (error) {
    stop.release();
    if (error instanceof UsageError) throw error;
    const where = `${host}:${port}`;
    ctx.err(
      `hbw: ${listenFailure(error, where, `${where} is in use (another relay?); pick another with --listen`)}`,
    );
    return 1;
  }
  await new Promise<void>((resolve) =>
    stop.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  stop.release();
  await relay.close();
  return 0;
}

/** The `hbw agent ...` commands: what runs on (or next to) a monitored server. */
export const agentSideCommands: Command[] = createAgentCommands();
