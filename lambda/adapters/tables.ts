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
export const TABLES = {
  /** One item per agent, keyed by `agentId`. The heartbeat path writes here and nowhere else. */
  agents: { partitionKey: 'agentId' },
  /** The watcher's own state: enrollment key hashes (`enroll#<group>`) and scanner progress. */
  state: { partitionKey: 'key' },
} as const;

export type TableRole = keyof typeof TABLES;
export type TableNames = Record<TableRole, string>;

export const LOCAL_TABLE_NAMES: TableNames = { agents: 'hbw-agents', state: 'hbw-state' };

/** Creates each missing table (local mode and tests; the cloud stack owns its own). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const role of Object.keys(TABLES) as TableRole[]) {
    const name = names[role];
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const key = TABLES[role].partitionKey;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      }),
    );
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
