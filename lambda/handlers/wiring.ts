import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/dynamo-stores';
import type { WatcherConfig } from '../domain/config';
import { WatcherService } from '../service';
import { WATCHER_VERSION } from '../version';
import { configFromEnv, EnvironmentError } from './env';

/** The environment variable that names each table. */
export const TABLE_VARIABLES = {
  agents: 'AGENTS_TABLE',
  state: 'STATE_TABLE',
  alerts: 'ALERTS_TABLE',
} as const;

/** A store whose table this function was not given: any use says which variable is missing. */
function unwired<T extends object>(variable: string): T {
  return new Proxy({} as T, {
    get: () => () => {
      throw new EnvironmentError(`${variable} is not set: this function was not granted that table`);
    },
  });
}

/**
 * The stores of the tables this function was given. Each function gets only the table variables
 * (and so the grants) its routes need; a store without its variable refuses to be used.
 */
export function storesFromEnv(env: NodeJS.ProcessEnv, client: DynamoDBClient) {
  const stores = dynamoStores(client, {
    agents: env.AGENTS_TABLE ?? '',
    state: env.STATE_TABLE ?? '',
    alerts: env.ALERTS_TABLE ?? '',
  });
  const wired = <K extends keyof typeof stores>(key: K): (typeof stores)[K] =>
    env[TABLE_VARIABLES[key]] ? stores[key] : unwired<(typeof stores)[K]>(TABLE_VARIABLES[key]);
  return { agents: wired('agents'), state: wired('state'), alerts: wired('alerts') };
}

/** Builds the service from the environment, once per container. */
export function serviceFromEnv(
  env: NodeJS.ProcessEnv,
  client = new DynamoDBClient({}),
  config: WatcherConfig = configFromEnv(env),
): WatcherService {
  if (!env.AGENTS_TABLE) throw new EnvironmentError('environment variable AGENTS_TABLE is not set');
  return new WatcherService({
    ...storesFromEnv(env, client),
    clock: { now: () => Date.now() },
    config,
    version: WATCHER_VERSION,
  });
}
