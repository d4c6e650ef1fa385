// `hbw agent run`: what runs on every monitored server. This module and what it imports make the
// agent's own bundle (bin/hbw.ts), so it stays free of the watcher, the SDK, hono and valibot: import
// nothing here that the agent does not need.

import { parseDuration } from '../../lambda/domain/duration';
import {
  AGENT_OPTION_HELP,
  AGENT_OPTIONS,
  AgentConfigError,
  type AgentSettings,
  resolveAgentSettings,
} from '../agent/config';
import { type Goodbye, MAX_GOODBYE_SECONDS } from '../agent/heartbeat-sender';
import { GOODBYE_ON_STOP_MS, runAgent, sayGoodbye } from '../agent/run-agent';
import { type Command, type CommandContext, UsageError } from '../command';

export interface AgentCommandDeps {
  /** The agent's clock. @default Date.now */
  readonly now?: () => number;
}

/** Reads the settings, or says what is wrong: exit 2 for bad usage, 1 for a file that cannot be read. */
export function settingsOf(
  ctx: CommandContext,
  requireIdentity: boolean,
  values: CommandContext['values'] = ctx.values,
): AgentSettings | number {
  try {
    return resolveAgentSettings(values, ctx.env, { requireIdentity });
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    if (error.usage) throw new UsageError(error.message);
    ctx.err(`hbw: ${error.message}`);
    return 1;
  }
}

/** Waits for SIGTERM or SIGINT; the signal's name is the abort reason. */
export function stopOnSignals(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onTerm = () => controller.abort('SIGTERM');
  const onInt = () => controller.abort('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}

/** `--log-format` as given, `json` with `--json` (its alias); both given, they must agree. */
export function logFormatFlag(ctx: CommandContext): string | undefined {
  const flag = ctx.values['log-format'] as string | undefined;
  if (!ctx.json) return flag;
  if (flag !== undefined && flag !== 'json') {
    throw new UsageError(`--json means --log-format json: give one, not --json with --log-format ${flag}`);
  }
  return 'json';
}

/** The reason `hbw agent run --goodbye-on-stop` gives. */
const STOP_REASON = 'the agent was stopped (SIGTERM: a shutdown or a service stop)';

/** The longest `reason` of a goodbye the watcher takes. */
const MAX_REASON = 200;

/** A goodbye of `--NAME DURATION` (1s to 7d) with `reason`; a UsageError naming the flag when not one. */
export function goodbyeOf(name: string, duration: unknown, reason: unknown): Goodbye {
  const ms = typeof duration === 'string' ? parseDuration(duration) : undefined;
  if (ms === undefined || ms < 1000 || ms > MAX_GOODBYE_SECONDS * 1000) {
    throw new UsageError(
      `--${name} must be a duration from 1s to 7d such as 90s, 10m or 2h, not "${String(duration ?? '')}"`,
    );
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON)) {
    throw new UsageError(`--reason must be at most ${MAX_REASON} characters`);
  }
  return { backInSeconds: ms / 1000, ...(reason === undefined || reason === '' ? {} : { reason }) };
}

export const EXIT_CODES =
  'Exit codes: 0 stopped by SIGTERM or SIGINT, 1 cannot start (explained), 2 bad usage.';

/** `hbw agent run` and `hbw agent goodbye`; `deps` lets tests give the agent a clock of their own. */
export function createAgentRunCommands(deps: AgentCommandDeps = {}): Command[] {
  const now = deps.now ?? Date.now;
  return [runCommand(now), goodbyeCommand(now)];
}

/** `hbw agent run`: the reference agent, until SIGTERM or SIGINT. */
function runCommand(now: () => number): Command {
  return {
    path: ['agent', 'run'],
    summary:
      `Run the reference agent: a heartbeat every interval the watcher answers with, with failover and fail-back. ${EXIT_CODES} ` +
      'A refused token (401), a rejected (403) or a pending agent does not stop it: it logs what an operator must do and keeps trying.',
    options: { ...AGENT_OPTIONS, 'log-format': { type: 'string' }, 'goodbye-on-stop': { type: 'string' } },
    optionHelp: [
      ...AGENT_OPTION_HELP,
      '--log-format F              text (default) or json: one line per event, each with a stable code (HBW2xxx) (env HBW_LOG_FORMAT)',
      '--goodbye-on-stop DURATION  on SIGTERM (systemd at shutdown), say goodbye before exiting: the watcher holds the',
      `                            agent away this long (1s to 7d: 90s, 5m, 2h); tried for at most ${GOODBYE_ON_STOP_MS / 1000} s, so shutdown is not held`,
    ],
    jsonHelp: 'the same as --log-format json',
    example:
      'hbw agent run --endpoint https://hbw.example.com --failover https://hbw-b.example.com --id web-01 --token-file /etc/hbw/token',
    async run(ctx) {
      const settings = settingsOf(ctx, true, { ...ctx.values, 'log-format': logFormatFlag(ctx) });
      if (typeof settings === 'number') return settings;
      const onStop = ctx.values['goodbye-on-stop'];
      const goodbyeOnStop =
        onStop === undefined ? undefined : goodbyeOf('goodbye-on-stop', onStop, STOP_REASON);
      const stop = stopOnSignals();
      try {
        return await runAgent(settings, {
          env: ctx.env,
          write: ctx.out,
          signal: stop.signal,
          now,
          ...(goodbyeOnStop === undefined ? {} : { goodbyeOnStop }),
        });
      } catch (error) {
        if (!(error instanceof AgentConfigError)) throw error;
        ctx.err(`hbw: ${error.message}`);
        return 1;
      } finally {
        stop.release();
      }
    },
  };
}

/** `hbw agent goodbye`: one heartbeat that has the watcher hold the agent away. */
function goodbyeCommand(now: () => number): Command {
  return {
    path: ['agent', 'goodbye'],
    summary:
      'Say goodbye before a planned restart: one heartbeat that has the watcher hold the agent away (no missed scans ' +
      'counted) until it is back or the time is up. Exit codes: 0 the watcher holds it away, 1 it could not (explained), 2 bad usage.',
    options: { ...AGENT_OPTIONS, 'back-in': { type: 'string' }, reason: { type: 'string' } },
    optionHelp: [
      '--back-in DURATION          how long until the agent is back: 1s to 7d (90s, 10m, 2h, 1h30m). Required',
      `--reason TEXT               why, at most ${MAX_REASON} characters: shown with the away, and in the alert if it is not back`,
      ...AGENT_OPTION_HELP,
      '                            With the --state-file of the running "hbw agent run", the goodbye is a heartbeat of',
      '                            its boot with the next seq, and that agent keeps saying it until then; without one,',
      '                            the watcher sees a new boot (a restart, recorded).',
    ],
    jsonHelp: "the watcher's answer as JSON",
    example:
      'hbw agent goodbye --back-in 10m --reason "kernel update" --endpoint https://hbw.example.com --id web-01 --token-file /etc/hbw/token --state-file /var/lib/hbw/state.json',
    async run(ctx) {
      const goodbye = goodbyeOf('back-in', ctx.values['back-in'], ctx.values.reason);
      const settings = settingsOf(ctx, true);
      if (typeof settings === 'number') return settings;
      let said: Awaited<ReturnType<typeof sayGoodbye>>;
      try {
        said = await sayGoodbye(settings, goodbye, { env: ctx.env, now });
      } catch (error) {
        if (!(error instanceof AgentConfigError)) throw error;
        ctx.err(`hbw: ${error.message}`);
        return 1;
      }
      const { result, event } = said;
      if (result?.kind !== 'accepted') {
        ctx.err(`hbw: ${event.msg}`);
        return 1;
      }
      ctx.out(ctx.json ? JSON.stringify(result.answer, null, 2) : event.msg);
      return 0;
    },
  };
}

/** The commands of the agent's own bundle: `hbw` runs them without loading the rest of the CLI. */
export const agentRunCommands: Command[] = createAgentRunCommands();
