import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * The tables, defined once: the local mode and the tests create them from here, and the stack
 * (lib/) builds its `dynamodb.Table`s from the same definitions.
 */
export interface TableDefinition {
  readonly partitionKey: string;
  /** A string sort key, where the table has one. */
  readonly sortKey?: string;
  /** A global secondary index: string partition key, a sort key of `sortKeyType`, all attributes projected. */
  readonly index?: {
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey: string;
    readonly sortKeyType: 'S' | 'N';
  };
  /** The attribute DynamoDB's TTL reads (epoch seconds), where items expire. */
  readonly timeToLive?: string;
}

export const TABLES = {
  /** One item per agent, keyed by `agentId`. The heartbeat path writes here and nowhere else. */
  agents: { partitionKey: 'agentId' },
  /**
   * The watcher's own state: enrollment key hashes (`enroll#<group>`), scanner progress, and the SMS
   * spent per group and UTC day (`sms#<group>#<day>`, which expire).
   */
  state: { partitionKey: 'key', timeToLive: 'expiresAt' },
  /**
   * One item per alert. `queue` is `open` while it is open and `recovery` while its recovery notice
   * is still to be sent; the sparse index on it is what each scan reads. Resolved alerts expire.
   */
  alerts: {
    partitionKey: 'alertId',
    index: { name: 'byQueue', partitionKey: 'queue', sortKey: 'openedAt', sortKeyType: 'N' },
    timeToLive: 'expiresAt',
  },
  /**
   * The audit trail: one item per admin change, keyed by its `target` (`agent:web-01`) and its
   * `entryId` (its time as RFC 3339, then random bits), so that a target's entries, newest first, are
   * one Query. The index `byTime` holds every entry under one partition (`trail`, always `all`),
   * sorted by `entryId` the same way, for the newest first of all targets: one partition takes every
   * admin change, which come at an operator's pace, far below a partition's 1,000 writes a second. A
   * table of its own, not items in the state table: the state table has no sort key, and its items
   * are read by key alone. Entries expire (`expiresAt`, `auditRetentionDays`).
   */
  audit: {
    partitionKey: 'target',
    sortKey: 'entryId',
    index: { name: 'byTime', partitionKey: 'trail', sortKey: 'entryId', sortKeyType: 'S' },
    timeToLive: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableRole = keyof typeof TABLES;
export type TableNames = Record<TableRole, string>;

export const LOCAL_TABLE_NAMES: TableNames = {
  agents: 'hbw-agents',
  state: 'hbw-state',
  alerts: 'hbw-alerts',
  audit: 'hbw-audit',
};

/**
 * Creates each missing table (local mode and tests; the cloud stack owns its own). They get no TTL:
 * dynalite has none. `expiresAt` lets DynamoDB delete the stack's items; where an expired item would
 * still be seen (the audit trail, which reads it back), the store leaves it out on read.
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const role of Object.keys(TABLES) as TableRole[]) {
    const name = names[role];
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const def: TableDefinition = TABLES[role];
    const index = def.index;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: def.partitionKey, AttributeType: 'S' },
          ...(def.sortKey ? [{ AttributeName: def.sortKey, AttributeType: 'S' as const }] : []),
          ...(index
            ? [
                { AttributeName: index.partitionKey, AttributeType: 'S' as const },
                // The audit index sorts on the table's own sort key, defined once.
                ...(index.sortKey === def.sortKey
                  ? []
                  : [{ AttributeName: index.sortKey, AttributeType: index.sortKeyType }]),
              ]
            : []),
        ],
        KeySchema: [
          { AttributeName: def.partitionKey, KeyType: 'HASH' },
          ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        GlobalSecondaryIndexes: index
          ? [
              {
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              },
            ]
          : undefined,
      }),
    );
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
