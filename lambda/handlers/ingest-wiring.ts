import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoHeartbeatStore } from '../adapters/dynamo-heartbeat-store';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import type { HeartbeatSettings } from '../domain/heartbeat-settings';
import { HeartbeatService } from '../heartbeats';
import { ingestDoor } from '../http/lambda-door';
import type { Logger } from '../logger';
import type { Clock } from '../ports';
import { HeartbeatCounts } from './metrics';

/** What the ingest function is built of: its client, its table, the stack its metrics name, the settings. */
export interface IngestWiring {
  /** Not sent through yet: the SDK's logger middleware is taken off it here. */
  readonly client: DynamoDBClient;
  readonly agentsTable: string;
  readonly stack: string;
  readonly settings: HeartbeatSettings;
  readonly log: Logger;
  readonly clock: Clock;
}

/**
 * The ingest function's handler: the heartbeat use cases over the agents table's heartbeat writes,
 * through its own door, each answer counted into the heartbeat metrics. The function deploys it
 * (./ingest.ts) and the bench measures its CPU per heartbeat (bench/lambda-cpu.ts): one wiring, so
 * what is measured is what runs.
 */
export function ingestHandler({ client, agentsTable, stack, settings, log, clock }: IngestWiring) {
  const service = new HeartbeatService({
    agents: new DynamoHeartbeatStore(withoutSdkLogging(client), agentsTable, log),
    clock,
    settings,
    log,
  });
  const counts = new HeartbeatCounts(
    stack,
    (document) => log.metrics('heartbeat metrics', document),
    clock.now,
  );
  return ingestDoor(service, counts.observe);
}
