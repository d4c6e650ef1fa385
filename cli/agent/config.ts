import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { NAME_PATTERN } from '../../lambda/domain/names';
import { LOG_FORMATS, type LogEvent, type LogFormat } from './events';

/**
 * The reference agent's settings, from flags, then the environment, then a JSON file (`--config`),
 * then defaults: a flag beats a variable, a variable beats the file. The token is never a flag (it
 * would show in `ps`): it comes from a token file or from HBW_AGENT_TOKEN.
 */
export interface AgentSettings {
  readonly agentId: string;
  /** The primary first, then the failovers. */
  readonly endpoints: readonly string[];
  readonly failuresBeforeFailover: number;
  readonly failbackSeconds: number;
  /** Until the watcher says otherwise in its first answer. */
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly cluster?: string;
  readonly logFormat: LogFormat;
  readonly token: TokenSetting;
  /** PEM text of extra CA certificates to trust, and where it was read from. */
  readonly ca?: { readonly path: string; readonly pem: string };
  /** The file `hbw agent run` and `hbw agent goodbye` share the boot, seq and goodbye through. */
  readonly stateFile?: string;
}

export type TokenSetting =
  | { readonly from: 'file'; readonly path: string }
  | { readonly from: 'env' }
  | { readonly from: 'none' };

/** A setting that cannot be used. `usage` is bad usage (exit 2); otherwise the agent cannot start (exit 1). */
export class AgentConfigError extends Error {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

const AGENT_DEFAULTS = {
  failuresBeforeFailover: 3,
  failbackSeconds: 60,
  intervalSeconds: 30,
  timeoutSeconds: 10,
  logFormat: 'text' as LogFormat,
};

/** One setting: its flag, its variable and its key in the config file. */
interface Source {
  readonly flag: string;
  readonly env: string;
  readonly key: string;
}

export const SETTINGS = {
  agentId: { flag: 'id', env: 'HBW_AGENT_ID', key: 'agentId' },
  endpoint: { flag: 'endpoint', env: 'HBW_ENDPOINT', key: 'endpoint' },
  failover: { flag: 'failover', env: 'HBW_FAILOVER', key: 'failover' },
  failuresBeforeFailover: {
    flag: 'failures-before-failover',
    env: 'HBW_FAILURES_BEFORE_FAILOVER',
    key: 'failuresBeforeFailover',
  },
  failbackSeconds: { flag: 'failback-seconds', env: 'HBW_FAILBACK_SECONDS', key: 'failbackSeconds' },
  intervalSeconds: { flag: 'interval-seconds', env: 'HBW_INTERVAL_SECONDS', key: 'intervalSeconds' },
  timeoutSeconds: { flag: 'timeout-seconds', env: 'HBW_TIMEOUT_SECONDS', key: 'timeoutSeconds' },
  cluster: { flag: 'cluster', env: 'HBW_CLUSTER', key: 'cluster' },
  logFormat: { flag: 'log-format', env: 'HBW_LOG_FORMAT', key: 'logFormat' },
  tokenFile: { flag: 'token-file', env: 'HBW_AGENT_TOKEN_FILE', key: 'tokenFile' },
  caFile: { flag: 'ca-file', env: 'HBW_CA_FILE', key: 'caFile' },
  stateFile: { flag: 'state-file', env: 'HBW_AGENT_STATE_FILE', key: 'stateFile' },
} as const satisfies Record<string, Source>;

/** The options `hbw agent run` and `hbw agent doctor` share, for `parseArgs`. */
export const AGENT_OPTIONS = {
  id: { type: 'string' },
  endpoint: { type: 'string' },
  failover: { type: 'string', multiple: true },
  'failures-before-failover': { type: 'string' },
  'failback-seconds': { type: 'string' },
  'interval-seconds': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  cluster: { type: 'string' },
  'token-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'state-file': { type: 'string' },
  config: { type: 'string' },
} as const;

export const AGENT_OPTION_HELP = [
  '--id ID                     the agent id (env HBW_AGENT_ID)',
  '--endpoint URL              the primary watcher (env HBW_ENDPOINT)',
  '--failover URL              a failover endpoint; repeat for more, tried in order (env HBW_FAILOVER, comma-separated)',
  '--failures-before-failover N  timeouts or error answers in a row before failing over (default 3; a connection that fails moves on at once)',
  '--failback-seconds N        on a failover, try the primary again this often (default 60)',
  '--token-file FILE           the file holding the token (env HBW_AGENT_TOKEN_FILE); or set HBW_AGENT_TOKEN. Never a flag',
  '--cluster NAME              the cluster, sent with each heartbeat (env HBW_CLUSTER)',
  '--interval-seconds N        the interval until the watcher tells its own (default 30)',
  '--timeout-seconds N         how long one heartbeat may take (default 10)',
  '--ca-file FILE              PEM certificates to trust besides the system ones (env HBW_CA_FILE)',
  '--state-file FILE           where the agent keeps its boot id, last seq and a goodbye in force, shared by',
  '                            "hbw agent run" and "hbw agent goodbye" (env HBW_AGENT_STATE_FILE; default: none)',
  '--config FILE               a JSON file with any of: agentId, endpoint, failover, failuresBeforeFailover,',
  '                            failbackSeconds, tokenFile, cluster, intervalSeconds, timeoutSeconds, caFile, logFormat,',
  '                            stateFile',
];

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;
type FileConfig = Record<string, unknown>;

const FILE_KEYS = new Set<string>(Object.values(SETTINGS).map((s) => s.key));

function readConfigFile(path: string, cwd: string): FileConfig {
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new AgentConfigError(`cannot read the config file ${full} (${(error as Error).message})`, false);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError(`${full} is not valid JSON (${(error as Error).message})`, false);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AgentConfigError(`${full} must hold a JSON object`, false);
  }
  for (const key of Object.keys(parsed)) {
    if (key === 'token') {
      throw new AgentConfigError(
        `${full}: "token" is not read from the config file; put the token in a file of its own (mode 600) and name it in "tokenFile", or set HBW_AGENT_TOKEN`,
        false,
      );
    }
    if (key !== '$schema' && !FILE_KEYS.has(key)) {
      throw new AgentConfigError(
        `${full}: unknown setting "${key}" (known: ${[...FILE_KEYS].join(', ')})`,
        false,
      );
    }
  }
  return parsed as FileConfig;
}

/** Where a setting was found, for messages: `--id`, `HBW_AGENT_ID`, `agentId in agent.json`. */
interface Found {
  readonly value: unknown;
  readonly where: string;
}

function pick(source: Source, values: Values, env: NodeJS.ProcessEnv, file: FileConfig, fileName: string) {
  const flag = values[source.flag];
  if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
    return { value: flag, where: `--${source.flag}` } as Found;
  }
  const fromEnv = env[source.env];
  // An empty variable counts as unset, as `HBW_ENDPOINT= hbw agent run` means to.
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, where: source.env } as Found;
  if (file[source.key] !== undefined) {
    return { value: file[source.key], where: `"${source.key}" in ${fileName}` } as Found;
  }
  return undefined;
}

function text(found: Found | undefined): string | undefined {
  if (found === undefined) return undefined;
  if (typeof found.value !== 'string' || found.value.trim() === '') {
    throw new AgentConfigError(`${found.where} must be a non-empty string`, true);
  }
  return found.value.trim();
}

function whole(found: Found | undefined, fallback: number, min: number, max: number): number {
  if (found === undefined) return fallback;
  const n = typeof found.value === 'string' ? Number(found.value) : found.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new AgentConfigError(`${found.where} must be a whole number from ${min} to ${max}`, true);
  }
  return n;
}

function httpUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AgentConfigError(`${where} must be an http:// or https:// URL, not "${value}"`, true);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentConfigError(`${where} must be an http:// or https:// URL, not "${value}"`, true);
  }
  if (url.username || url.password) {
    throw new AgentConfigError(`${where} must not carry a user or password; the token authenticates`, true);
  }
  return value.replace(/\/+$/, '');
}

function failovers(found: Found | undefined): string[] {
  if (found === undefined) return [];
  const list =
    typeof found.value === 'string'
      ? found.value.split(',')
      : Array.isArray(found.value) && found.value.every((x) => typeof x === 'string')
        ? (found.value as string[])
        : undefined;
  if (list === undefined) throw new AgentConfigError(`${found.where} must be a list of URLs`, true);
  return list
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => httpUrl(u, found.where));
}

export interface ResolveOptions {
  /** Whether an agent id and a token are required (run) or may be missing and reported (doctor). */
  readonly requireIdentity: boolean;
  readonly cwd?: string;
}

/** Where the token comes from: a file or the environment, one of them; none only when not required. */
function tokenSettingOf(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  requireIdentity: boolean,
): TokenSetting {
  const tokenEnv = env.HBW_AGENT_TOKEN !== undefined && env.HBW_AGENT_TOKEN !== '';
  if (tokenFile !== undefined && tokenEnv) {
    throw new AgentConfigError(
      'give the token one way: a token file (--token-file, HBW_AGENT_TOKEN_FILE, "tokenFile") or HBW_AGENT_TOKEN, not both',
      true,
    );
  }
  const token: TokenSetting =
    tokenFile !== undefined
      ? { from: 'file', path: resolve(cwd, tokenFile) }
      : tokenEnv
        ? { from: 'env' }
        : { from: 'none' };
  if (token.from === 'none' && requireIdentity) {
    throw new AgentConfigError(
      'the token is required: --token-file FILE (or HBW_AGENT_TOKEN_FILE, "tokenFile"), or HBW_AGENT_TOKEN; never a flag, so it stays out of ps',
      true,
    );
  }
  return token;
}

/** The CA certificates to trust besides the system's, read at start (exit 1 when they cannot be). */
function readCa(path: string): NonNullable<AgentSettings['ca']> {
  try {
    return { path, pem: readFileSync(path, 'utf8') };
  } catch (error) {
    throw new AgentConfigError(`cannot read the CA file ${path} (${(error as Error).message})`, false);
  }
}

/** Reads the settings; throws an {@link AgentConfigError} that names the flag, variable or key at fault. */
export function resolveAgentSettings(
  values: Values,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
): AgentSettings {
  const cwd = options.cwd ?? process.cwd();
  const configPath = (values.config as string | undefined) ?? (env.HBW_AGENT_CONFIG || undefined);
  const file = configPath === undefined ? {} : readConfigFile(configPath, cwd);
  const fileName = configPath ?? '';
  const get = (source: Source) => pick(source, values, env, file, fileName);

  const agentId = text(get(SETTINGS.agentId));
  if (agentId === undefined) {
    throw new AgentConfigError('the agent id is required: --id ID, HBW_AGENT_ID or "agentId"', true);
  }
  if (agentId.length > 128 || !NAME_PATTERN.test(agentId)) {
    throw new AgentConfigError(`the agent id "${agentId}" may hold 1 to 128 of A-Z a-z 0-9 . _ : -`, true);
  }
  const endpointFound = get(SETTINGS.endpoint);
  const endpoint = text(endpointFound);
  if (endpoint === undefined) {
    throw new AgentConfigError('the endpoint is required: --endpoint URL, HBW_ENDPOINT or "endpoint"', true);
  }
  const endpoints = [httpUrl(endpoint, endpointFound!.where), ...failovers(get(SETTINGS.failover))];
  const twice = endpoints.find((e, i) => endpoints.indexOf(e) !== i);
  if (twice) throw new AgentConfigError(`the endpoint ${twice} is given twice`, true);

  const logFormat = text(get(SETTINGS.logFormat)) ?? AGENT_DEFAULTS.logFormat;
  if (!LOG_FORMATS.includes(logFormat as LogFormat)) {
    throw new AgentConfigError(`the log format must be text or json, not "${logFormat}"`, true);
  }
  const tokenFile = text(get(SETTINGS.tokenFile));
  const token = tokenSettingOf(tokenFile, env, cwd, options.requireIdentity);
  const caFile = text(get(SETTINGS.caFile));
  const ca = caFile === undefined ? undefined : readCa(resolve(cwd, caFile));
  const stateFile = text(get(SETTINGS.stateFile));
  const cluster = text(get(SETTINGS.cluster));
  if (cluster !== undefined && (cluster.length > 64 || !NAME_PATTERN.test(cluster))) {
    throw new AgentConfigError(`the cluster "${cluster}" may hold 1 to 64 of A-Z a-z 0-9 . _ : -`, true);
  }
  return {
    agentId,
    endpoints,
    failuresBeforeFailover: whole(
      get(SETTINGS.failuresBeforeFailover),
      AGENT_DEFAULTS.failuresBeforeFailover,
      1,
      1000,
    ),
    failbackSeconds: whole(get(SETTINGS.failbackSeconds), AGENT_DEFAULTS.failbackSeconds, 1, 86_400),
    intervalSeconds: whole(get(SETTINGS.intervalSeconds), AGENT_DEFAULTS.intervalSeconds, 1, 86_400),
    timeoutSeconds: whole(get(SETTINGS.timeoutSeconds), AGENT_DEFAULTS.timeoutSeconds, 1, 300),
    ...(cluster === undefined ? {} : { cluster }),
    logFormat: logFormat as LogFormat,
    token,
    ...(ca === undefined ? {} : { ca }),
    ...(stateFile === undefined ? {} : { stateFile: resolve(cwd, stateFile) }),
  };
}

/** Reads the token where the settings say; throws an {@link AgentConfigError} (exit 1) when it cannot. */
export function readToken(setting: TokenSetting, env: NodeJS.ProcessEnv): string {
  if (setting.from === 'env') return String(env.HBW_AGENT_TOKEN).trim();
  if (setting.from === 'none') throw new AgentConfigError('no token given', true);
  let token: string;
  try {
    token = readFileSync(setting.path, 'utf8').trim();
  } catch (error) {
    throw new AgentConfigError(
      `cannot read the token file ${setting.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path and that this user may read it`,
      false,
    );
  }
  if (token === '' || /\s/.test(token)) {
    throw new AgentConfigError(
      `the token file ${setting.path} must hold the token alone on one line (as "hbw agents add" printed it)`,
      false,
    );
  }
  return token;
}

/**
 * The warning (HBW2092) for a token file that other users of this host may read or change, or
 * `undefined` when only its owner may: the agent logs it once, at start. Not for a token from the
 * environment, nor on Windows, where the file's ACL decides, not its mode.
 */
export function tokenFileWarning(setting: TokenSetting, agentId: string): LogEvent | undefined {
  if (setting.from !== 'file' || process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(setting.path).mode & 0o777;
  } catch {
    return undefined; // readToken says why it cannot be read
  }
  if ((mode & 0o077) === 0) return undefined;
  return {
    code: 'HBW2092',
    level: 'warn',
    msg: `other users of this host may read the token file ${setting.path} (mode ${mode.toString(8).padStart(3, '0')}): chmod 600 ${setting.path}`,
    fields: { agentId },
  };
}

/** Where the token comes from, in words for log lines (never the token itself). */
export function tokenSourceText(setting: TokenSetting): string {
  if (setting.from === 'file') return `the token file ${setting.path}`;
  if (setting.from === 'env') return 'HBW_AGENT_TOKEN';
  return 'a token file (--token-file) or HBW_AGENT_TOKEN';
}
