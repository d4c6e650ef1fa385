import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../cli/embedded-dynamo';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { dynamoStores } from '../../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../lambda/domain/errors';
import { sameHash } from '../../lambda/domain/secrets';
import { WatcherService } from '../../lambda/service';
import { countDynamoRequests, type DynamoRequestLog } from '../support/dynamo-request-counter';
import { ManualClock, TEST_CONFIG } from '../support/watcher';

// The secrets module as it is, with its hash comparison counted.
jest.mock('../../lambda/domain/secrets', () => {
  const actual = jest.requireActual('../../lambda/domain/secrets');
  return { ...actual, sameHash: jest.fn(actual.sameHash) };
});

// DESIGN.md section 9: the heartbeat path is one DynamoDB write and no read.
describe('DynamoDB requests of a heartbeat', () => {
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBClient;
  let requests: DynamoRequestLog;
  let service: WatcherService;
  let clock: ManualClock;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    client = localDynamoClient(dynamo.connection);
    await ensureTables(client, LOCAL_TABLE_NAMES);
    requests = countDynamoRequests(client);
    clock = new ManualClock();
    service = new WatcherService({
      ...dynamoStores(client, LOCAL_TABLE_NAMES),
      clock,
      config: parseConfig(TEST_CONFIG),
      version: 'test',
    });
  });
  afterAll(async () => {
    requests.detach();
    client.destroy();
    await dynamo.close();
  });

  let serial = 0;
  async function approvedAgent(): Promise<{ agentId: string; token: string }> {
    const agentId = `req-${++serial}`;
    const { token } = await service.addAgent({ agentId, group: 'production' });
    requests.reset();
    return { agentId, token: token! };
  }

  async function pendingAgent(): Promise<{ agentId: string; token: string }> {
    const agentId = `req-${++serial}`;
    const { key } = await service.newEnrollmentKey('production');
    const { token, approval } = await service.register(key, { agentId, group: 'production' });
    expect(approval).toBe('pending');
    requests.reset();
    return { agentId, token };
  }

  it.each([
    ['only an agentId', {}],
    [
      'every optional field',
      { seq: 7, bootId: 'boot-1', cluster: 'eu-1', endpoint: '10.0.0.7', version: '1.2.3' },
    ],
  ])('issues exactly one UpdateItem and nothing else for an accepted heartbeat with %s', async (_, extra) => {
    const { agentId, token } = await approvedAgent();
    const answer = await service.heartbeat(token, {
      agentId,
      sentAt: new Date(clock.now()).toISOString(),
      ...extra,
    });
    expect(answer.status).toBe(200);
    expect(requests.take()).toEqual(['UpdateItem']);
  });

  it('issues one UpdateItem per accepted item of a relay batch', async () => {
    const agents = [await approvedAgent(), await approvedAgent(), await approvedAgent()];
    const { results } = await service.heartbeats({
      heartbeats: agents.map(({ agentId, token }) => ({ agentId, token })),
    });
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(requests.take()).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem']);
  });

  it('issues no request at all for a malformed body', async () => {
    const { token } = await approvedAgent();
    await expect(service.heartbeat(token, { agentId: 'bad id!' })).rejects.toBeInstanceOf(ValidationError);
    expect(requests.take()).toEqual([]);
  });

  it('records the heartbeat of a pending agent with the one UpdateItem and no read, answering 202', async () => {
    const { agentId, token } = await pendingAgent();
    const answer = await service.heartbeat(token, { agentId });
    expect(answer.status).toBe(202);
    expect(requests.take()).toEqual(['UpdateItem']);
    expect((await service.getAgent(agentId)).lastHeartbeatAt).toBeDefined();
  });

  it('stops after one failed write and one read for a wrong token', async () => {
    const { agentId } = await approvedAgent();
    const { token: otherAgentsToken } = await approvedAgent();
    await expect(service.heartbeat(otherAgentsToken, { agentId })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(requests.take()).toEqual(['UpdateItem', 'GetItem']);
  });

  it('stops after one failed write and one read for an unknown agent', async () => {
    const { token } = await approvedAgent();
    await expect(service.heartbeat(token, { agentId: 'nobody' })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(requests.take()).toEqual(['UpdateItem', 'GetItem']);
  });

  it('does the same work for an unknown agent as for a known one with a wrong token, or an agentless one: the same two requests, the same read, one comparison of two hashes', async () => {
    const { agentId: known } = await approvedAgent();
    const { token } = await approvedAgent();
    await service.addAgent({
      agentId: 'probe-only',
      group: 'production',
      agentless: true,
      probe: { type: 'tcp', host: 'db', port: 1433 },
    });
    const reads: unknown[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand') {
          const { Key: _key, ...rest } = args.input as Record<string, unknown>;
          reads.push(rest);
        }
        return next(args);
      },
      { step: 'initialize', name: 'hbwTestReads' },
    );
    const work = async (agentId: string) => {
      requests.reset();
      reads.length = 0;
      jest.mocked(sameHash).mockClear();
      await expect(service.heartbeat(token, { agentId })).rejects.toBeInstanceOf(UnauthorizedError);
      const compared = jest.mocked(sameHash).mock.calls.map(([a, b]) => [a?.length, b.length]);
      return { requests: requests.take(), reads: [...reads], compared };
    };
    try {
      const wrongToken = await work(known);
      expect(wrongToken.requests).toEqual(['UpdateItem', 'GetItem']);
      expect(wrongToken.compared).toEqual([[64, 64]]);
      expect(await work('nobody-here')).toEqual(wrongToken);
      expect(await work('probe-only')).toEqual(wrongToken);
    } finally {
      client.middlewareStack.remove('hbwTestReads');
    }
  });

  it('stops after one failed write and one read for a rejected agent', async () => {
    const { agentId, token } = await approvedAgent();
    await service.reject(agentId);
    requests.reset();
    await expect(service.heartbeat(token, { agentId })).rejects.toBeInstanceOf(ForbiddenError);
    expect(requests.take()).toEqual(['UpdateItem', 'GetItem']);
  });
});

describe('countDynamoRequests', () => {
  it('counts every attempt of a retried request, as each is billed', async () => {
    // A store that drops every connection at once: each attempt fails with ECONNRESET and is retried.
    const dir = mkdtempSync(join(tmpdir(), 'hbw-reset-'));
    const socketPath = join(dir, 'reset.sock');
    const resetting = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => resetting.listen(socketPath, resolve));
    const client = localDynamoClient({ socketPath, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const requests = countDynamoRequests(client);
    try {
      await expect(
        new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents).get('anyone'),
      ).rejects.toBeDefined();
      expect(requests.take()).toEqual(['GetItem', 'GetItem', 'GetItem']);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
