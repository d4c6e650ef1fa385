import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAgentStore } from '../adapters/dynamo-agent-store';
import { DynamoWatcherStateStore } from '../adapters/dynamo-state-store';
import { WatcherService } from '../service';
import { WATCHER_VERSION } from '../version';
import { configFromEnv, requireEnv } from './env';

/** Builds the service from the environment, once per container. */
export function serviceFromEnv(env: NodeJS.ProcessEnv, client = new DynamoDBClient({})): WatcherService {
  return new WatcherService({
    agents: new DynamoAgentStore(client, requireEnv(env, 'AGENTS_TABLE')),
    state: new DynamoWatcherStateStore(client, requireEnv(env, 'STATE_TABLE')),
    clock: { now: () => Date.now() },
    config: configFromEnv(env),
    version: WATCHER_VERSION,
  });
}
