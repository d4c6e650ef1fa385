import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { parseConfig, type RawConfig } from '../../lambda/domain/config';
import { WatcherService } from '../../lambda/service';
import { countDynamoRequests, type DynamoRequestLog } from './dynamo-request-counter';
import { openTestStore } from './test-store';
import { ManualClock, TEST_CONFIG } from './watcher';

/**
 * The service over the real stores on a store of its own of the run's kind (test-store.ts: dynalite or
 * DynamoDB Local), every request it sends counted.
 */
export interface ServiceHarness {
  readonly client: DynamoDBClient;
  readonly requests: DynamoRequestLog;
  readonly service: WatcherService;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

export async function startServiceHarness(config: RawConfig = TEST_CONFIG): Promise<ServiceHarness> {
  const store = await openTestStore();
  const client = store.newClient();
  await ensureTables(client, LOCAL_TABLE_NAMES);
  const requests = countDynamoRequests(client);
  const clock = new ManualClock();
  const service = new WatcherService({
    ...dynamoStores(client, LOCAL_TABLE_NAMES),
    clock,
    config: parseConfig(config),
    version: 'test',
  });
  return {
    client,
    requests,
    service,
    clock,
    async close() {
      requests.detach();
      client.destroy();
      await store.close();
    },
  };
}
