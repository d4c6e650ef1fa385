import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { WatcherStateStore } from '../ports';
import { call, N, num, S, str } from './dynamo';

const enrollKey = (group: string) => `enroll#${group}`;
const SCANNER_KEY = 'scanner';

/** Enrollment key hashes and scanner progress, one item each, in the state table. */
export class DynamoWatcherStateStore implements WatcherStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async putEnrollmentKeyHash(group: string, keyHash: string, at: number) {
    await call('put enrollment key', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { key: S(enrollKey(group)), keyHash: S(keyHash), createdAt: N(at) },
        }),
      ),
    );
  }

  async getEnrollmentKeyHash(group: string) {
    const out = await call('get enrollment key', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { key: S(enrollKey(group)) },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? str(out.Item, 'keyHash') : undefined;
  }

  async getLastScanAt() {
    const out = await call('get scanner state', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { key: S(SCANNER_KEY) } })),
    );
    return out.Item ? num(out.Item, 'lastScanAt') : undefined;
  }
}
