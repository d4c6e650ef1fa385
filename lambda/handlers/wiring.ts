import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/dynamo-stores';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import type { WatcherConfig } from '../domain/config';
import { cronProblems } from '../domain/maintenance';
import type { Logger } from '../logger';
import { WatcherService } from '../service';
import { WATCHER_VERSION } from '../version';
import { configFromEnv, EnvironmentError, loggerFromEnv } from './env';
import { LAMBDA_CLIENT_CONFIG } from './sdk-config';
import { TABLE_VARIABLES } from './table-variables';

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
export function storesFromEnv(env: NodeJS.ProcessEnv, client: DynamoDBClient, log: Logger) {
  const name = (key: keyof typeof TABLE_VARIABLES) => env[TABLE_VARIABLES[key]] ?? '';
  const stores = dynamoStores(
    client,
    { agents: name('agents'), state: name('state'), alerts: name('alerts') },
    log,
  );
  const wired = <K extends keyof typeof stores>(key: K): (typeof stores)[K] =>
    env[TABLE_VARIABLES[key]] ? stores[key] : unwired<(typeof stores)[K]>(TABLE_VARIABLES[key]);
  return { agents: wired('agents'), state: wired('state'), alerts: wired('alerts') };
}

/** Builds the service from the environment, once per container. */
export function serviceFromEnv(
  env: NodeJS.ProcessEnv,
  client = withoutSdkLogging(new DynamoDBClient(LAMBDA_CLIENT_CONFIG)),
  config: WatcherConfig = configFromEnv(env, cronProblems),
): WatcherService {
  if (!env[TABLE_VARIABLES.agents])
    throw new EnvironmentError(`environment variable ${TABLE_VARIABLES.agents} is not set`);
  const log = loggerFromEnv(env);
  return new WatcherService({
    ...storesFromEnv(env, client, log),
    clock: { now: () => Date.now() },
    config,
    version: WATCHER_VERSION,
    log,
  });
}
