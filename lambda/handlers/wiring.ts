import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/dynamo-stores';
import { WatcherService } from '../service';
import { WATCHER_VERSION } from '../version';
import { configFromEnv, requireEnv } from './env';

/** Builds the service from the environment, once per container. */
export function serviceFromEnv(env: NodeJS.ProcessEnv, client = new DynamoDBClient({})): WatcherService {
  const stores = dynamoStores(client, {
    agents: requireEnv(env, 'AGENTS_TABLE'),
    state: requireEnv(env, 'STATE_TABLE'),
    alerts: requireEnv(env, 'ALERTS_TABLE'),
  });
  return new WatcherService({
    ...stores,
    clock: { now: () => Date.now() },
    config: configFromEnv(env),
    version: WATCHER_VERSION,
  });
}
