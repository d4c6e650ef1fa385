import { parseConfig, type WatcherConfig } from '../domain/config';

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

/** The config the stack serialised into `HBW_CONFIG` at synth time, validated again at cold start. */
export function configFromEnv(env: NodeJS.ProcessEnv): WatcherConfig {
  const text = requireEnv(env, 'HBW_CONFIG');
  try {
    return parseConfig(JSON.parse(text));
  } catch (error) {
    throw new EnvironmentError(`HBW_CONFIG: ${(error as Error).message}`);
  }
}
