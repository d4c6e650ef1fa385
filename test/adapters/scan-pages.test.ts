import { BatchWriteItemCommand, type DynamoDBClient, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { openTestStore, type TestStore } from '../support/test-store';

// How a scan reads the agents table: in the cloud four segments at once in DynamoDB's own 1 MB pages;
// in local mode (cli/local-watcher.ts) one segment in small pages, so that the embedded store, which
// answers every request on one thread, serves the heartbeats' writes between them.

const AGENTS = 450;

let testStore: TestStore;
let client: DynamoDBClient;
let store: DynamoAgentStore;
let scans: ScanCommandInput[];

beforeAll(async () => {
  testStore = await openTestStore();
  client = testStore.newClient();
  await ensureTables(client, LOCAL_TABLE_NAMES);
  store = new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents);
  for (let i = 0; i < AGENTS; i += 25) {
    const items = Array.from({ length: Math.min(25, AGENTS - i) }, (_, k) => ({
      PutRequest: {
        Item: {
          agentId: { S: `web-${String(i + k).padStart(3, '0')}` },
          group: { S: 'production' },
          approval: { S: 'approved' },
          createdAt: { N: '1' },
        },
      },
    }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { [LOCAL_TABLE_NAMES.agents]: items } }));
  }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') scans.push({ ...(args.input as ScanCommandInput) });
      return next(args);
    },
    { step: 'initialize', name: 'recordScans' },
  );
});
beforeEach(() => {
  scans = [];
});
afterAll(async () => {
  client.destroy();
  await testStore.close();
});

async function readAll(segments: number, pageSize?: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const agent of store.scanAll(segments, pageSize))
    if (!(agent instanceof Error)) ids.push(agent.agentId);
  return ids.sort();
}

describe('the scan of the agents table', () => {
  it('reads one segment in pages of the size given, every agent once', async () => {
    const ids = await readAll(1, 200);

    expect(ids).toHaveLength(AGENTS);
    expect(new Set(ids).size).toBe(AGENTS);
    // 200 + 200 + 50, and DynamoDB Local may answer one more, empty, page.
    expect(scans.length).toBeGreaterThanOrEqual(3);
    expect(scans.every((s) => s.Limit === 200 && s.TotalSegments === 1)).toBe(true);
  });

  it('reads segments in parallel in pages of DynamoDB’s own size when none is given, every agent once', async () => {
    const ids = await readAll(4);

    expect(ids).toHaveLength(AGENTS);
    expect(new Set(ids).size).toBe(AGENTS);
    expect(new Set(scans.map((s) => s.Segment))).toEqual(new Set([0, 1, 2, 3]));
    expect(scans.every((s) => s.Limit === undefined)).toBe(true);
  });
});
