import type { TableNames } from '../adapters/tables';
import { parseConfig, type WatcherConfig } from '../domain/config';
import type { FieldProblem } from '../domain/errors';
import { EnvironmentError, loggerFromEnv, requireEnv, tableNamesFromEnv, topicsFromEnv } from './env';

// What the functions that hold the whole config read: the admin and scanner functions. Apart from
// env.ts, so that the ingest and register functions, which read only their settings, carry neither
// the config's schema nor its policies.

/**
 * The config the stack serialised into `HBW_CONFIG` at synth time, validated again at cold start;
 * `more` adds the checks of what this function uses beyond what every function does (the windows'
 * cron expressions: `cronProblems`).
 */
export function configFromEnv(env: NodeJS.ProcessEnv, more?: ConfigChecks): WatcherConfig {
  const text = requireEnv(env, 'HBW_CONFIG');
  try {
    return parseConfig(JSON.parse(text), more);
  } catch (error) {
    throw new EnvironmentError('HBW_CONFIG', `is not a valid config: ${(error as Error).message}`);
  }
}

/** The config checks of a function that reads the maintenance windows (`cronProblems`). */
type ConfigChecks = (raw: unknown) => readonly FieldProblem[];

/**
 * What the admin function reads: the agents table (the others as they were granted),
 * the config, the log level.
 */
export function serviceEnv(env: NodeJS.ProcessEnv, checks: ConfigChecks) {
  return {
    tables: tableNamesFromEnv(env, ['agents']),
    config: configFromEnv(env, checks),
    log: loggerFromEnv(env),
  };
}

/** The event bus the scanner puts webhook notices on; set by the stack only when the config has webhooks. */
export const WEBHOOK_BUS_VARIABLE = 'HBW_WEBHOOK_BUS';

/** The prober function of each probe network, by name; set by the stack only when the config has networks. */
export const PROBERS_VARIABLE = 'HBW_PROBERS';

/** The AWS health prober function (ec2 and ssm probes), by name; the stack always sets it. */
export const AWS_PROBER_VARIABLE = 'HBW_AWS_PROBER';

/** `HBW_PROBERS`: a JSON object of probe network name to its prober function's name, one for each network of `config`. */
function probersFromEnv(env: NodeJS.ProcessEnv, config: WatcherConfig): Record<string, string> {
  const networks = Object.keys(config.probeNetworks);
  if (networks.length === 0) return {};
  const text = requireEnv(env, PROBERS_VARIABLE);
  let probers: unknown;
  try {
    probers = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(PROBERS_VARIABLE, `is not JSON (${(error as Error).message})`);
  }
  const named = (p: unknown): p is Record<string, string> =>
    typeof p === 'object' &&
    p !== null &&
    !Array.isArray(p) &&
    networks.every((n) => typeof (p as Record<string, unknown>)[n] === 'string');
  if (!named(probers))
    throw new EnvironmentError(
      PROBERS_VARIABLE,
      `is not a JSON object naming the prober function of each probe network (${networks.join(', ')})`,
    );
  return Object.fromEntries(networks.map((n) => [n, probers[n]!]));
}

/**
 * What the scanner function reads: every table (a missing one stops it at start, not at its first
 * scan), the config, the stack's name (its metrics' dimension), the groups' topics, the probe
 * networks' prober functions, the AWS health prober function, the log level.
 */
export function scannerEnv(env: NodeJS.ProcessEnv, checks: ConfigChecks) {
  const tables = tableNamesFromEnv(env, ['agents', 'state', 'alerts']) as TableNames;
  const config = configFromEnv(env, checks);
  const hooked = Object.values(config.groups).some((g) => g.webhooks.length > 0);
  return {
    tables,
    config,
    webhookBus: hooked ? requireEnv(env, WEBHOOK_BUS_VARIABLE) : undefined,
    probers: probersFromEnv(env, config),
    awsProber: requireEnv(env, AWS_PROBER_VARIABLE),
    stack: requireEnv(env, 'STACK_NAME'),
    topics: topicsFromEnv(env),
    log: loggerFromEnv(env),
  };
}
