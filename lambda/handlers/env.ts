import { type EnrollmentSettings, parseEnrollmentSettings } from '../domain/enrollment-settings';
import { type HeartbeatSettings, parseHeartbeatSettings } from '../domain/heartbeat-settings';
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

/** The settings the stack serialised into `variable` at synth, read by `parse` (which throws naming the field). */
function settingsFromEnv<T>(env: NodeJS.ProcessEnv, variable: string, parse: (raw: unknown) => T): T {
  const text = requireEnv(env, variable);
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    throw new EnvironmentError(variable, `is not valid: ${(error as Error).message}`);
  }
}

/** `HBW_HEARTBEAT_SETTINGS`: what the ingest function takes of the config (`heartbeatSettings`). */
export function heartbeatSettingsFromEnv(env: NodeJS.ProcessEnv): HeartbeatSettings {
  return settingsFromEnv(env, 'HBW_HEARTBEAT_SETTINGS', parseHeartbeatSettings);
}

/** `HBW_ENROLLMENT_SETTINGS`: what the register function takes of the config (`enrollmentSettings`). */
export function enrollmentSettingsFromEnv(env: NodeJS.ProcessEnv): EnrollmentSettings {
  return settingsFromEnv(env, 'HBW_ENROLLMENT_SETTINGS', parseEnrollmentSettings);
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

/** What the ingest function reads: the agents table, its stack's name, the heartbeat settings, the log level. */
export function ingestEnv(env: NodeJS.ProcessEnv) {
  return {
    agentsTable: requireEnv(env, TABLE_VARIABLES.agents),
    /** The dimension of the heartbeat counts. */
    stack: requireEnv(env, 'STACK_NAME'),
    // The config's thresholds alone, serialised at synth from the config checked there: this
    // function carries neither the config's schema nor its policies (the windows' cron parser).
    settings: heartbeatSettingsFromEnv(env),
    log: loggerFromEnv(env),
  };
}

/** What the register function reads: the agents and state tables, the enrollment settings, the log level. */
export function registerEnv(env: NodeJS.ProcessEnv) {
  return {
    agentsTable: requireEnv(env, TABLE_VARIABLES.agents),
    stateTable: requireEnv(env, TABLE_VARIABLES.state),
    // The groups and their autoApprove alone, serialised at synth from the config checked there.
    settings: enrollmentSettingsFromEnv(env),
    log: loggerFromEnv(env),
  };
}

/** What the AWS health prober function reads: its stack's name (the dimension of its metric), the log level. */
export function awsProberEnv(env: NodeJS.ProcessEnv) {
  return { stack: requireEnv(env, 'STACK_NAME'), log: loggerFromEnv(env) };
}
