import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/dynamo-stores';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { cronProblems } from '../domain/maintenance';
import type { Logger } from '../logger';
import { WatcherService } from '../service';
import { WATCHER_VERSION } from '../version';
import { EnvironmentError } from './env';
import { serviceEnv } from './service-env';
import { TABLE_VARIABLES, type TableKey } from './table-variables';

/** A store whose table this function was not given: any use says which variable is missing. */
function unwired<T extends object>(variable: string): T {
  return new Proxy({} as T, {
    get: () => () => {
      throw new EnvironmentError(variable, 'is not set: this function was not granted that table');
    },
  });
}

/**
 * The stores of the tables this function was given (`tables`, from `tableNamesFromEnv`). Each
 * function gets only the table variables (and so the grants) its routes need; a store without its
 * variable refuses to be used.
 */
export function wiredStores(tables: Partial<Record<TableKey, string>>, client: DynamoDBClient, log: Logger) {
  const stores = dynamoStores(
    client,
    {
      agents: tables.agents ?? '',
      state: tables.state ?? '',
      alerts: tables.alerts ?? '',
      audit: tables.audit ?? '',
    },
    log,
  );
  const wired = <K extends TableKey>(key: K): (typeof stores)[K] =>
    tables[key] ? stores[key] : unwired<(typeof stores)[K]>(TABLE_VARIABLES[key]);
  return { agents: wired('agents'), state: wired('state'), alerts: wired('alerts'), audit: wired('audit') };
}

/** Builds the service from the environment, once per container. */
export function serviceFromEnv(
  env: NodeJS.ProcessEnv,
  client = withoutSdkLogging(new DynamoDBClient(SDK_CLIENT_CONFIG)),
): WatcherService {
  const { tables, config, log } = serviceEnv(env, cronProblems);
  return new WatcherService({
    ...wiredStores(tables, client, log),
    clock: { now: () => Date.now() },
    config,
    version: WATCHER_VERSION,
    log,
  });
}
