import type { TableNames } from '../adapters/tables';
import { parseConfig, type WatcherConfig } from '../domain/config';
import type { FieldProblem } from '../domain/errors';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel, parseLogLevel } from '../logger';
import { TABLE_VARIABLES, type TableKey } from './table-variables';

// Every variable the functions (and `hbw local`, for LOG_LEVEL) read from their environment is read
// here, and a missing or bad one is reported one way: an EnvironmentError at cold start (or, for a
// table the function was not granted, at its first use) whose message begins `environment variable
// NAME` and says what is wrong with it.

/** A variable the function needs is missing or bad; `variable` names it, and so does the message. */
export class EnvironmentError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`environment variable ${variable} ${problem}`);
    this.name = 'EnvironmentError';
  }
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new EnvironmentError(name, 'is not set');
  return value;
}

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

/** The level `LOG_LEVEL` names, in any case; `undefined` (the logger's default, info) when it is not set. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const text = env.LOG_LEVEL;
  if (!text) return undefined;
  const level = parseLogLevel(text);
  if (level === undefined)
    throw new EnvironmentError('LOG_LEVEL', `is "${text}", not one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** The function's logger, at the level of `LOG_LEVEL`. */
export function loggerFromEnv(env: NodeJS.ProcessEnv): Logger {
  return createLogger({ level: logLevelFromEnv(env) });
}

/** `TOPIC_ARNS`: the SNS topic of each group, a JSON object of group name to topic ARN. */
export function topicsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const text = requireEnv(env, 'TOPIC_ARNS');
  let topics: unknown;
  try {
    topics = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError('TOPIC_ARNS', `is not JSON (${(error as Error).message})`);
  }
  const isMap =
    typeof topics === 'object' &&
    topics !== null &&
    !Array.isArray(topics) &&
    Object.values(topics).every((arn) => typeof arn === 'string');
  if (!isMap) throw new EnvironmentError('TOPIC_ARNS', 'is not a JSON object of group name to topic ARN');
  return topics as Record<string, string>;
}

/**
 * The table names this function was given, each from its variable (see table-variables.ts): those
 * in `required` must be set (the function cannot start without them); the others may be missing, for
 * a function that was not granted that table.
 */
export function tableNamesFromEnv(
  env: NodeJS.ProcessEnv,
  required: readonly TableKey[],
): Partial<Record<TableKey, string>> {
  for (const key of required) requireEnv(env, TABLE_VARIABLES[key]);
  const names: Partial<Record<TableKey, string>> = {};
  for (const key of Object.keys(TABLE_VARIABLES) as TableKey[]) {
    const name = env[TABLE_VARIABLES[key]];
    if (name) names[key] = name;
  }
  return names;
}

/** What the ingest function reads: the agents table, the config, the log level. */
export function ingestEnv(env: NodeJS.ProcessEnv) {
  return {
    agentsTable: requireEnv(env, TABLE_VARIABLES.agents),
    /** The dimension of the heartbeat counts. */
    stack: requireEnv(env, 'STACK_NAME'),
    // The config's maintenance windows are the scanner's: their cron expressions were checked at
    // synth, and this function, which never reads them, does not carry the cron parser to check
    // them again.
    config: configFromEnv(env),
    log: loggerFromEnv(env),
  };
}

/** The config checks of a function that reads the maintenance windows (`cronProblems`). */
type ConfigChecks = (raw: unknown) => readonly FieldProblem[];

/**
 * What the register and admin functions read: the agents table (the others as they were granted),
 * the config, the log level.
 */
export function serviceEnv(env: NodeJS.ProcessEnv, checks: ConfigChecks) {
  return {
    tables: tableNamesFromEnv(env, ['agents']),
    config: configFromEnv(env, checks),
    log: loggerFromEnv(env),
  };
}

/**
 * What the scanner function reads: every table (a missing one stops it at start, not at its first
 * scan), the config, the stack's name (its metrics' dimension), the groups' topics, the log level.
 */
/** The event bus the scanner puts webhook notices on; set by the stack only when the config has webhooks. */
export const WEBHOOK_BUS_VARIABLE = 'HBW_WEBHOOK_BUS';

export function scannerEnv(env: NodeJS.ProcessEnv, checks: ConfigChecks) {
  const tables = tableNamesFromEnv(env, ['agents', 'state', 'alerts']) as TableNames;
  const config = configFromEnv(env, checks);
  const hooked = Object.values(config.groups).some((g) => g.webhooks.length > 0);
  return {
    tables,
    config,
    webhookBus: hooked ? requireEnv(env, WEBHOOK_BUS_VARIABLE) : undefined,
    stack: requireEnv(env, 'STACK_NAME'),
    topics: topicsFromEnv(env),
    log: loggerFromEnv(env),
  };
}
