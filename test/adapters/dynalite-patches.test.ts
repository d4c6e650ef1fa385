import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import dynaliteDb = require('dynalite/db');
import updateParser = require('dynalite/db/updateParser');

import {
  cacheDynaliteExpressions,
  cacheDynaliteTables,
  closeDynaliteIterators,
} from '../../cli/dynalite-patches';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { dynamoStores } from '../../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import { WatcherService } from '../../lambda/service';
import { ManualClock, TEST_CONFIG } from '../support/watcher';

type Level = ReturnType<typeof dynaliteDb.create>['db'];

const AGENTS = 20;

// Issue 17 point 12: a local watcher whose console was open grew without limit, in memory and on disk.
// dynalite kept the LevelDB iterator of every Scan and Query open (see cli/dynalite-patches.js). Here
// it runs on LevelDB in a temporary directory, with the patch the dynalite thread applies, under the
// load of a watcher: heartbeats overwrite the agents while the console's reads scan them.
describe('dynalite under heartbeats and the console reads, as the dynalite thread runs it', () => {
  let dir: string;
  let server: Server;
  let level: Level;
  let openIterators = 0;
  let client: DynamoDBClient;
  let service: WatcherService;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-dynalite-'));
    closeDynaliteIterators(require.resolve('dynalite'));
    // Counts the iterators the store opens and closes (abstract-level tracks each as a resource).
    const create = dynaliteDb.create;
    dynaliteDb.create = (options) => {
      const store = create(options);
      const { attachResource, detachResource } = store.db;
      store.db.attachResource = (resource) => {
        openIterators += 1;
        attachResource.call(store.db, resource);
      };
      store.db.detachResource = (resource) => {
        openIterators -= 1;
        detachResource.call(store.db, resource);
      };
      level = store.db;
      return store;
    };
    server = dynalite({ path: join(dir, 'store'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    // On a socket, as the watcher's store listens (this one checks no signature: it is the test's own).
    const socketPath = join(dir, 'dynamodb.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    client = localDynamoClient({ socketPath, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await ensureTables(client, LOCAL_TABLE_NAMES);
    service = new WatcherService({
      ...dynamoStores(client, LOCAL_TABLE_NAMES),
      clock: new ManualClock(),
      config: parseConfig(TEST_CONFIG),
      version: 'test',
    });
    for (let i = 0; i < AGENTS; i++) {
      const { token } = await service.addAgent({ agentId: `web-${i}`, group: 'production' });
      tokens.set(`web-${i}`, token!);
    }
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Each agent beats once, then the console reads the status and the fleet, as it does each second. */
  async function rounds(count: number): Promise<void> {
    for (let round = 0; round < count; round++) {
      for (const [agentId, token] of tokens) await service.heartbeat(token, { agentId });
      await service.status();
      await service.listAgents({});
    }
  }

  /** The bytes LevelDB keeps once it has compacted everything it may. */
  async function compactedSize(): Promise<number> {
    await level.compactRange('\x00', '\xff');
    return level.approximateSize('\x00', '\xff');
  }

  it('closes the LevelDB iterator of every Scan and Query once the read has answered', async () => {
    await rounds(10);

    expect(openIterators).toBe(0);
  });

  it('lets compaction drop the versions the heartbeats overwrote, so the store stays the size of its data', async () => {
    // A first compaction only moves the files it flushes (LevelDB keeps every version of a key within
    // a freshly flushed file); from the second on, overwritten versions go, unless a snapshot sees them.
    await rounds(10);
    await compactedSize();
    await rounds(10);
    const before = await compactedSize();

    await rounds(20);
    const after = await compactedSize();

    // Each round overwrites every agent once. With a snapshot left open by each read, every version a
    // read saw stays, and the store grows by a round's worth with each round (1.6x over these 20).
    // 1.2x leaves room for the records' own growth.
    expect(after).toBeLessThanOrEqual(before * 1.2);
  });
});

// Patches 2 and 3 of cli/dynalite-patches.js: dynalite keeps its expression parses and its tables'
// descriptions. What it answers must not change: each request is judged on its own values.
describe('dynalite with its parses and its tables kept, as the dynalite thread runs it', () => {
  let dir: string;
  let server: Server;
  let client: DynamoDBClient;
  let updateParses = 0;
  let tableReads = 0;
  let putDelayMs = 0;
  let onPut: (() => void) | undefined;
  const TABLE = 'kept';
  const key = { id: { S: 'a' } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-dynalite-'));
    // Counted beneath the patches: what dynalite itself still parses and reads.
    const parse = updateParser.parse;
    updateParser.parse = (...args) => {
      updateParses += 1;
      return parse(...args);
    };
    const create = dynaliteDb.create;
    dynaliteDb.create = (options) => {
      const store = create(options);
      const { get, put } = store.tableDb;
      store.tableDb.get = (name, callback) => {
        tableReads += 1;
        get.call(store.tableDb, name, callback);
      };
      // A slow disk, when asked: LevelDB writes the description a while after dynalite asked it to.
      store.tableDb.put = (name, table, callback) => {
        onPut?.();
        setTimeout(() => put.call(store.tableDb, name, table, callback), putDelayMs);
      };
      return store;
    };
    cacheDynaliteExpressions(require.resolve('dynalite'));
    cacheDynaliteTables(require.resolve('dynalite'));
    server = dynalite({ path: join(dir, 'store'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const socketPath = join(dir, 'dynamodb.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    client = localDynamoClient({ socketPath, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await createTable();
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function createTable(): Promise<void> {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // dynalite makes it ACTIVE a moment after it answers.
    while (
      (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus !== 'ACTIVE'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  const counted = (n: number, seen: number) => ({
    UpdateExpression: 'SET #seen = :seen ADD #count :n',
    ConditionExpression: 'attribute_not_exists(#seen) OR #seen < :seen',
    ExpressionAttributeNames: { '#seen': 'seen', '#count': 'count' },
    ExpressionAttributeValues: { ':seen': { N: String(seen) }, ':n': { N: String(n) } },
  });

  async function update(input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>) {
    return client.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key, ReturnValues: 'ALL_NEW', ...input }),
    );
  }

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'written',
      (error: Error) => `${error.name}: ${error.message}`,
    );

  it('parses an expression once, and writes each request its own values', async () => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: key }));
    const before = updateParses;

    for (let seen = 1; seen <= 5; seen++) await update(counted(seen, seen));
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true })))
      .Item;

    expect(updateParses - before).toBe(1);
    expect(item).toEqual({ ...key, seen: { N: '5' }, count: { N: '15' } });
  });

  it("judges a kept condition on the request's own values", async () => {
    await update(counted(1, 10));

    await expect(refusal(update(counted(1, 3)))).resolves.toMatch(/^ConditionalCheckFailedException/);
  });

  it('still refuses a value the expressions do not use', async () => {
    await update(counted(1, 20));
    const extra = counted(1, 21);

    const answer = await refusal(
      update({
        ...extra,
        ExpressionAttributeValues: { ...extra.ExpressionAttributeValues, ':spare': { N: '1' } },
      }),
    );

    expect(answer).toBe(
      'ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:spare}',
    );
  });

  it('parses the same expression afresh for values of another type', async () => {
    await update(counted(1, 30));
    const stringy = counted(1, 31);

    const answer = await refusal(
      update({
        ...stringy,
        ExpressionAttributeValues: { ...stringy.ExpressionAttributeValues, ':n': { S: 'one' } },
      }),
    );

    expect(answer).toMatch(
      /^ValidationException: Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING/,
    );
  });

  it('reads the attribute a kept projection names under each request its own names', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { id: { S: 'p' }, x: { S: 'ex' }, y: { S: 'why' } } }),
    );
    const get = (name: string) =>
      client.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { id: { S: 'p' } },
          ProjectionExpression: '#wanted',
          ExpressionAttributeNames: { '#wanted': name },
        }),
      );

    const [x, y] = [await get('x'), await get('y')];

    expect([x.Item, y.Item]).toEqual([{ x: { S: 'ex' } }, { y: { S: 'why' } }]);
  });

  it('judges every BETWEEN on its own bounds, and answers a syntax error each time', async () => {
    const between = (lo: number, hi: number) => ({
      UpdateExpression: 'SET #note = :note',
      ConditionExpression: '#seen BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#note': 'note', '#seen': 'seen' },
      ExpressionAttributeValues: { ':note': { S: 'n' }, ':lo': { N: String(lo) }, ':hi': { N: String(hi) } },
    });
    const broken = {
      UpdateExpression: 'SET #seen = = :seen',
      ExpressionAttributeNames: { '#seen': 'seen' },
      ExpressionAttributeValues: { ':seen': { N: '1' } },
    };

    const answers = [
      await refusal(update(between(0, 1000))),
      await refusal(update(between(1000, 0))),
      await refusal(update(broken)),
      await refusal(update(broken)),
    ];

    expect(answers[0]).toBe('written');
    expect(answers[1]).toMatch(
      /^ValidationException: .*BETWEEN.*upper bound to be greater than or equal to lower bound/,
    );
    expect(answers[2]).toMatch(/^ValidationException: Invalid UpdateExpression: Syntax error/);
    expect(answers[3]).toBe(answers[2]);
  });

  it("reads a table's description once, and again each time dynalite writes it", async () => {
    await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
    const before = tableReads;
    for (let i = 0; i < 5; i++) await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
    const readsWhileUnchanged = tableReads - before;

    await client.send(
      new UpdateTableCommand({
        TableName: TABLE,
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
      }),
    );
    const described = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    const gone = await refusal(client.send(new GetItemCommand({ TableName: TABLE, Key: key })));
    await createTable();
    const back = await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));

    expect(readsWhileUnchanged).toBe(0);
    expect(described.Table?.ProvisionedThroughput?.ReadCapacityUnits).toBe(7);
    expect(gone).toMatch(/^ResourceNotFoundException/);
    expect(back.Item).toBeUndefined();
  });
  it('keeps no description read while dynalite was writing it', async () => {
    const throughput = async () =>
      (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.ProvisionedThroughput;
    const provision = (units: number) =>
      client.send(
        new UpdateTableCommand({
          TableName: TABLE,
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: units, WriteCapacityUnits: units },
        }),
      );
    await provision(7);
    await new Promise((resolve) => setTimeout(resolve, 50));
    putDelayMs = 50;

    // UpdateTable writes the description twice: UPDATING, then (a moment after it answers) ACTIVE with
    // the new throughput. The one read while that last write is on its way to disk is the one before it.
    let puts = 0;
    const lastPutIssued = new Promise<void>((resolve) => {
      onPut = () => {
        puts += 1;
        if (puts === 2) resolve();
      };
    });
    await provision(9);
    await lastPutIssued;
    onPut = undefined;
    const during = await throughput();
    await new Promise((resolve) => setTimeout(resolve, 200));
    putDelayMs = 0;
    const after = await throughput();

    expect(during?.ReadCapacityUnits).toBe(7);
    expect(after?.ReadCapacityUnits).toBe(9);
  });
});
