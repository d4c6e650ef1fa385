import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import dynaliteDb = require('dynalite/db');

import { closeDynaliteIterators } from '../../cli/dynalite-iterators';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { dynamoStores } from '../../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import { WatcherService } from '../../lambda/service';
import { ManualClock, TEST_CONFIG } from '../support/watcher';

type Level = ReturnType<typeof dynaliteDb.create>['db'];

const AGENTS = 20;

// Issue 17 point 12: a local watcher whose console was open grew without limit, in memory and on disk.
// dynalite kept the LevelDB iterator of every Scan and Query open (see cli/dynalite-iterators.js). Here
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
