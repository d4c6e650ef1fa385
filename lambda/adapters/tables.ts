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
  /** A global secondary index: string partition key, number sort key, all attributes projected. */
  readonly index?: { readonly name: string; readonly partitionKey: string; readonly sortKey: string };
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
    index: { name: 'byQueue', partitionKey: 'queue', sortKey: 'openedAt' },
    timeToLive: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableRole = keyof typeof TABLES;
export type TableNames = Record<TableRole, string>;

export const LOCAL_TABLE_NAMES: TableNames = {
  agents: 'hbw-agents',
  state: 'hbw-state',
  alerts: 'hbw-alerts',
};

/**
 * Creates each missing table (local mode and tests; the cloud stack owns its own). They get no TTL:
 * dynalite has none, and nothing reads `expiresAt`, which only lets DynamoDB delete the stack's items.
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
          ...(index
            ? [
                { AttributeName: index.partitionKey, AttributeType: 'S' as const },
                { AttributeName: index.sortKey, AttributeType: 'N' as const },
              ]
            : []),
        ],
        KeySchema: [{ AttributeName: def.partitionKey, KeyType: 'HASH' }],
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
