import { parseConfig, type WatcherConfig } from '../domain/config';
import type { FieldProblem } from '../domain/errors';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel, parseLogLevel } from '../logger';

/** Thrown at cold start when the environment lacks what the function needs; names the variable. */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new EnvironmentError(`environment variable ${name} is not set`);
  return value;
}

/**
 * The config the stack serialised into `HBW_CONFIG` at synth time, validated again at cold start;
 * `more` adds the checks of what this function uses beyond what every function does (the windows'
 * cron expressions: `cronProblems`).
 */
export function configFromEnv(
  env: NodeJS.ProcessEnv,
  more?: (raw: unknown) => readonly FieldProblem[],
): WatcherConfig {
  const text = requireEnv(env, 'HBW_CONFIG');
  try {
    return parseConfig(JSON.parse(text), more);
  } catch (error) {
    throw new EnvironmentError(`HBW_CONFIG: ${(error as Error).message}`);
  }
}

/** The level `LOG_LEVEL` names, in any case; `undefined` (the logger's default, info) when it is not set. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const text = env.LOG_LEVEL;
  if (!text) return undefined;
  const level = parseLogLevel(text);
  if (level === undefined)
    throw new EnvironmentError(`LOG_LEVEL: "${text}" is not one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** The function's logger, at the level of `LOG_LEVEL`. */
export function loggerFromEnv(env: NodeJS.ProcessEnv): Logger {
  return createLogger({ level: logLevelFromEnv(env) });
}
