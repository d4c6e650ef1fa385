import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoHeartbeatStore } from '../adapters/dynamo-heartbeat-store';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { HeartbeatService } from '../heartbeats';
import { ingestDoor } from '../http/lambda-door';
import { ingestEnv } from './env';
import { HeartbeatCounts } from './metrics';

const { agentsTable, stack, settings, log } = ingestEnv(process.env);
const clock = { now: () => Date.now() };
const service = new HeartbeatService({
  agents: new DynamoHeartbeatStore(
    withoutSdkLogging(new DynamoDBClient(SDK_CLIENT_CONFIG)),
    agentsTable,
    log,
  ),
  clock,
  settings,
  log,
});

/**
 * The ingest Lambda: the heartbeat routes (one, and a relay's batch), no authorizer in front. It
 * imports the heartbeat use cases and its own door alone (not lambda/service.ts, not the hono
 * router of lambda/http), so its bundle holds neither the alert store, the operators' use cases, the
 * installers, nor a web framework.
 */
export const handler = ingestDoor(
  service,
  new HeartbeatCounts(stack, (document) => log.metrics('heartbeat metrics', document), clock.now).observe,
);
