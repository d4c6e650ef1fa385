import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { handle } from 'hono/aws-lambda';
import { DynamoAgentStore } from '../adapters/dynamo-agent-store';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { HeartbeatService } from '../heartbeats';
import { createIngestApp } from '../http/door';
import { configFromEnv, loggerFromEnv, requireEnv } from './env';
import { LAMBDA_CLIENT_CONFIG } from './sdk-config';
import { TABLE_VARIABLES } from './table-variables';

const env = process.env;
const log = loggerFromEnv(env);
const service = new HeartbeatService({
  agents: new DynamoAgentStore(
    withoutSdkLogging(new DynamoDBClient(LAMBDA_CLIENT_CONFIG)),
    requireEnv(env, TABLE_VARIABLES.agents),
    log,
  ),
  clock: { now: () => Date.now() },
  // The config's maintenance windows are the scanner's: their cron expressions were checked at synth,
  // and this function, which never reads them, does not carry the cron parser to check them again.
  config: configFromEnv(env),
  log,
});

/**
 * The ingest Lambda: the heartbeat routes (one, and a relay's batch), no authorizer in front. It
 * imports the heartbeat use cases and the door alone (not lambda/service.ts, not lambda/http/app.ts),
 * so its bundle holds neither the alert store, the operators' use cases, nor the installers.
 */
export const handler = handle(createIngestApp(service));
