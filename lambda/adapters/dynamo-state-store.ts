import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { BlindWindow, ScannerState } from '../domain/scan';
import type { WatcherStateStore } from '../ports';
import { call, isConditionFailure, N, num, S, str } from './dynamo';

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

  async getScannerState(): Promise<ScannerState> {
    const out = await call('get scanner state', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { key: S(SCANNER_KEY) }, ConsistentRead: true }),
      ),
    );
    const item = out.Item ?? {};
    let blindWindows: BlindWindow[] = [];
    try {
      blindWindows = JSON.parse(str(item, 'blindWindows') ?? '[]') as BlindWindow[];
    } catch {
      console.error(JSON.stringify({ msg: 'scanner state: blindWindows is not JSON; starting afresh' }));
    }
    return {
      lastScanAt: num(item, 'lastScanAt'),
      lastCompletedAt: num(item, 'lastCompletedAt'),
      scanCount: num(item, 'scanCount') ?? 0,
      blindWindows,
      stormSince: num(item, 'stormSince'),
    };
  }

  async completeScan(
    state: Omit<ScannerState, 'stormSince'> & { lastScanAt: number; lastCompletedAt: number },
  ) {
    return this.conditionalUpdate(
      'SET lastScanAt = :at, lastCompletedAt = :done, scanCount = :count, blindWindows = :windows',
      'attribute_not_exists(lastScanAt) OR lastScanAt < :at',
      {
        ':at': N(state.lastScanAt),
        ':done': N(state.lastCompletedAt),
        ':count': N(state.scanCount),
        ':windows': S(JSON.stringify(state.blindWindows)),
      },
    );
  }

  async setStorm(expected: number | undefined, since: number | undefined) {
    const condition = expected === undefined ? 'attribute_not_exists(stormSince)' : 'stormSince = :expected';
    const values: Record<string, AttributeValue> = expected === undefined ? {} : { ':expected': N(expected) };
    return since === undefined
      ? this.conditionalUpdate('REMOVE stormSince', condition, values)
      : this.conditionalUpdate('SET stormSince = :since', condition, { ...values, ':since': N(since) });
  }

  private async conditionalUpdate(
    expression: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    try {
      await call('update scanner state', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { key: S(SCANNER_KEY) },
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
