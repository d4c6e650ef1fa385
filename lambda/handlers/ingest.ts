import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { ingestEnv } from './env';
import { ingestHandler } from './ingest-wiring';

/**
 * The ingest Lambda: the heartbeat routes (one, and a relay's batch), no authorizer in front. It
 * imports the heartbeat use cases and its own door alone (not lambda/service.ts, not the hono
 * router of lambda/http), so its bundle holds neither the alert store, the operators' use cases, the
 * installers, nor a web framework.
 */
export const handler = ingestHandler({
  ...ingestEnv(process.env),
  client: new DynamoDBClient(SDK_CLIENT_CONFIG),
  clock: { now: () => Date.now() },
});
