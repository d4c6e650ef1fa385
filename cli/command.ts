import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  ApiError,
  CredentialsError,
  createWatcherClient,
  DEFAULT_ENDPOINT,
  SigningSetupError,
  UnreachableError,
  type WatcherClient,
} from './client';

/** Bad usage of the CLI: exit code 2, with the command's usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `value` of the option `--name` when it is one of `allowed`; a UsageError (exit 2) naming them when not. */
export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly unknown[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${String(value)}"`);
  return value as T;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  readonly args: readonly string[];
  readonly values: Values;
  readonly json: boolean;
  /** The environment the CLI was started with (`io.env`), read instead of `process.env`. */
  readonly env: NodeJS.ProcessEnv;
  client(): WatcherClient;
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** The words that select it: `['agents', 'add']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Positional argument names, in order; a trailing `?` marks one optional. */
  readonly args?: readonly string[];
  readonly options?: Options;
  /** One line per option, for --help. */
  readonly optionHelp?: readonly string[];
  readonly example: string;
  /** What --json does for this command (every command takes it). @default machine-readable output */
  readonly jsonHelp?: string;
  /** Commands that talk to a watcher get --endpoint, --sign and --region. */
  readonly remote?: boolean;
  run(ctx: CommandContext): Promise<number | undefined>;
}

const REMOTE_OPTIONS: Options = {
  endpoint: { type: 'string' },
  sign: { type: 'boolean' },
  region: { type: 'string' },
};

/** What every command takes. */
const COMMON_OPTIONS: Options = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
};

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** The command of `commands` whose words `argv` starts with. */
export function findCommand(commands: readonly Command[], argv: readonly string[]): Command | undefined {
  return commands.find((c) => c.path.every((word, i) => argv[i] === word));
}

function usageLine(cmd: Command): string {
  const args = (cmd.args ?? []).map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a)).join(' ');
  return `hbw ${cmd.path.join(' ')}${args ? ` ${args}` : ''} [options]`;
}

function commandHelp(cmd: Command): string {
  const lines = [`${cmd.summary}`, '', `Usage: ${usageLine(cmd)}`];
  const options = [...(cmd.optionHelp ?? [])];
  if (cmd.remote) {
    options.push(
      `--endpoint URL      the watcher to talk to (env HBW_ENDPOINT; default ${DEFAULT_ENDPOINT})`,
      '--sign              sign requests with AWS SigV4 even to a plain http:// or loopback endpoint (env HBW_SIGN=1;',
      '                    https:// endpoints off this machine are signed unless HBW_SIGN=0). Credentials come from',
      '                    the standard AWS chain: AWS_PROFILE, "aws configure", SSO, AWS_ACCESS_KEY_ID...',
      '--region REGION     the AWS region to sign for; default: the one in an endpoint like',
      '                    https://<id>.execute-api.<region>.amazonaws.com, else env AWS_REGION (custom domains)',
    );
  }
  options.push(
    `--json              ${cmd.jsonHelp ?? 'machine-readable output'}`,
    '--help              this text',
  );
  lines.push('', 'Options:', ...options.map((o) => `  ${o}`), '', 'Example:', `  ${cmd.example}`);
  return lines.join('\n');
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Parses `argv` for `cmd` and runs it; answers the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runCommand(cmd: Command, argv: readonly string[], io: Io): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        ...(cmd.remote ? REMOTE_OPTIONS : {}),
        ...cmd.options,
        ...COMMON_OPTIONS,
      },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    io.err(
      `hbw: ${(error as Error).message}\nUsage: ${usageLine(cmd)}\nSee: hbw ${cmd.path.join(' ')} --help`,
    );
    return 2;
  }
  if (parsed.values.help) {
    io.out(commandHelp(cmd));
    return 0;
  }
  const names = cmd.args ?? [];
  const required = names.filter((n) => !n.endsWith('?')).length;
  if (parsed.positionals.length < required || parsed.positionals.length > names.length) {
    io.err(`hbw: expected ${names.join(' ') || 'no arguments'}\nUsage: ${usageLine(cmd)}`);
    return 2;
  }
  const endpointFlag = parsed.values.endpoint as string | undefined;
  // An empty HBW_ENDPOINT counts as unset, as `HBW_ENDPOINT= hbw status` means to.
  const endpoint = endpointFlag ?? (io.env.HBW_ENDPOINT || DEFAULT_ENDPOINT);
  if (cmd.remote && !isHttpUrl(endpoint)) {
    io.err(
      `hbw: ${endpointFlag === undefined ? 'HBW_ENDPOINT' : '--endpoint'} must be an http:// or https:// URL, not "${endpoint}"\nUsage: ${usageLine(cmd)}`,
    );
    return 2;
  }
  let client: WatcherClient | undefined;
  const ctx: CommandContext = {
    args: parsed.positionals,
    values: parsed.values,
    json: parsed.values.json === true,
    env: io.env,
    client: () => {
      client ??= createWatcherClient({
        endpoint,
        env: io.env,
        sign: parsed.values.sign === true,
        region: parsed.values.region as string | undefined,
      });
      return client;
    },
    out: io.out,
    err: io.err,
  };
  try {
    return (await cmd.run(ctx)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof SigningSetupError) {
      io.err(`hbw: ${error.message}\nUsage: ${usageLine(cmd)}`);
      return 2;
    }
    if (error instanceof ApiError) {
      const hint =
        error.status === 401 && !client?.signed && !error.message.includes('HBW_ADMIN_TOKEN')
          ? ' (admin routes off loopback need HBW_ADMIN_TOKEN)'
          : '';
      io.err(`hbw: ${error.message}${hint}`);
      return 1;
    }
    if (error instanceof UnreachableError || error instanceof CredentialsError) {
      io.err(`hbw: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
