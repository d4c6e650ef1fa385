import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../lambda/domain/errors';
import { sameHash } from '../../lambda/domain/secrets';
import type { WatcherService } from '../../lambda/service';
import { countDynamoRequests, type DynamoRequestLog } from '../support/dynamo-request-counter';
import { type ServiceHarness, startServiceHarness } from '../support/service-harness';
import { READ_AFTER_REFUSAL } from '../support/test-store';
import type { ManualClock } from '../support/watcher';

// The secrets module as it is, with its hash comparison counted.
jest.mock('../../lambda/domain/secrets', () => {
  const actual = jest.requireActual('../../lambda/domain/secrets');
  return { ...actual, sameHash: jest.fn(actual.sameHash) };
});

// One watcher over a store of the run's kind (dynalite or DynamoDB Local: test-store.ts) serves every
// test of this file; each test has agents of its own.
let harness: ServiceHarness;
let requests: DynamoRequestLog;
let service: WatcherService;
let clock: ManualClock;

beforeAll(async () => {
  harness = await startServiceHarness();
  ({ requests, service, clock } = harness);
});
afterAll(() => harness.close());

// The heartbeat path is one DynamoDB write and no read.
describe('DynamoDB requests of a heartbeat', () => {
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

  it('stops after one failed write (and dynalite’s read) for a wrong token', async () => {
    const { agentId } = await approvedAgent();
    const { token: otherAgentsToken } = await approvedAgent();
    await expect(service.heartbeat(otherAgentsToken, { agentId })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
  });

  it('stops after one failed write (and dynalite’s read) for an unknown agent', async () => {
    const { token } = await approvedAgent();
    await expect(service.heartbeat(token, { agentId: 'nobody' })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
  });

  it('does the same work for an unknown agent as for a known one with a wrong token, or an agentless one: the same requests, the same read, one comparison of two hashes', async () => {
    const { agentId: known } = await approvedAgent();
    const { token } = await approvedAgent();
    await service.addAgent({
      agentId: 'probe-only',
      group: 'production',
      agentless: true,
      probe: { type: 'tcp', host: 'db', port: 1433 },
    });
    const reads: unknown[] = [];
    harness.client.middlewareStack.add(
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
      // dynalite returns no item with a failed write, so one read follows on every path; DynamoDB
      // returns it (or says there is none) with the failed write, and none follows on any path.
      expect(wrongToken.requests).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
      expect(wrongToken.compared).toEqual([[64, 64]]);
      expect(await work('nobody-here')).toEqual(wrongToken);
      expect(await work('probe-only')).toEqual(wrongToken);
    } finally {
      harness.client.middlewareStack.remove('hbwTestReads');
    }
  });

  it('stops after one failed write (and dynalite’s read) for a rejected agent', async () => {
    const { agentId, token } = await approvedAgent();
    await service.reject(agentId);
    requests.reset();
    await expect(service.heartbeat(token, { agentId })).rejects.toBeInstanceOf(ForbiddenError);
    expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
  });
});

describe('a heartbeat never moves its agent backwards', () => {
  let serial = 0;
  async function beating(first: Record<string, unknown>) {
    const agentId = `order-${++serial}`;
    const { token } = await service.addAgent({ agentId, group: 'production' });
    const beat = (body: Record<string, unknown>) => service.heartbeat(token!, { agentId, ...body });
    await beat(first);
    const stored = await service.getAgent(agentId);
    requests.reset();
    return { agentId, beat, stored };
  }
  const sentAt = (ms: number) => new Date(ms).toISOString();

  it('answers a replay of the same seq and boot 200 duplicate and changes nothing', async () => {
    const { agentId, beat, stored } = await beating({
      seq: 5,
      bootId: 'boot-a',
      sentAt: sentAt(clock.now()),
    });
    clock.advance(10_000);

    const answer = await beat({ seq: 5, bootId: 'boot-a', sentAt: sentAt(clock.now()) });

    expect(answer).toMatchObject({ status: 200, body: { duplicate: true, state: 'healthy' } });
    // dynalite returns nothing with a failed write, so one read follows; DynamoDB returns the item.
    expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
    expect(await service.getAgent(agentId)).toEqual(stored);
  });

  it('keeps the newer heartbeat when an older one of the same boot arrives after it', async () => {
    const { agentId, beat } = await beating({ seq: 1122, bootId: 'boot-a', sentAt: sentAt(clock.now()) });
    const newer = await service.getAgent(agentId);
    clock.advance(20_000);

    const late = await beat({ seq: 1083, bootId: 'boot-a', sentAt: sentAt(clock.now() - 60_000) });

    expect(late.body.duplicate).toBe(true);
    expect(await service.getAgent(agentId)).toMatchObject({
      seq: 1122,
      lastHeartbeatAt: newer.lastHeartbeatAt,
      lastSentAt: newer.lastSentAt,
      clockSkewSeconds: newer.clockSkewSeconds,
    });
  });

  it('takes a heartbeat of a new boot whose seq starts again from 1, as a restart: one more write', async () => {
    const { agentId, beat } = await beating({ seq: 900, bootId: 'boot-a', sentAt: sentAt(clock.now()) });
    clock.advance(40_000);

    const answer = await beat({ seq: 1, bootId: 'boot-b', sentAt: sentAt(clock.now()) });

    expect(answer.body.duplicate).toBeUndefined();
    // The write of the stored boot fails, and the restart's write follows. dynalite returns nothing
    // with the failed write, so a read comes between; DynamoDB returns the item with the failure.
    expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL, 'UpdateItem']);
    expect(await service.getAgent(agentId)).toMatchObject({
      seq: 1,
      bootId: 'boot-b',
      restarts: 1,
      lastRestartAt: new Date(clock.now()).toISOString(),
    });
  });

  it('refuses a heartbeat of another boot that the agent sent before the stored one', async () => {
    const { agentId, beat } = await beating({ seq: 2, bootId: 'boot-new', sentAt: sentAt(clock.now()) });
    clock.advance(5_000);

    const answer = await beat({ seq: 700, bootId: 'boot-old', sentAt: sentAt(clock.now() - 30_000) });

    expect(answer.body.duplicate).toBe(true);
    expect(await service.getAgent(agentId)).toMatchObject({ seq: 2, bootId: 'boot-new' });
  });

  it('keeps the highest seq when 20 heartbeats of one boot race in any order', async () => {
    const { agentId, beat } = await beating({ seq: 0, bootId: 'boot-r' });
    const order = [7, 19, 3, 20, 1, 12, 5, 16, 9, 2, 14, 18, 4, 11, 6, 17, 8, 13, 10, 15];

    const answers = await Promise.all(order.map((seq) => beat({ seq, bootId: 'boot-r' })));

    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect((await service.getAgent(agentId)).seq).toBe(20);
  });

  it('always takes heartbeats that carry no seq or no bootId, which cannot be ordered', async () => {
    const { agentId, beat } = await beating({ seq: 50, bootId: 'boot-a' });
    clock.advance(5_000);

    expect((await beat({})).body.duplicate).toBeUndefined();
    expect((await beat({ seq: 3 })).body.duplicate).toBeUndefined();
    expect((await service.getAgent(agentId)).lastHeartbeatAt).toBe(new Date(clock.now()).toISOString());
  });

  it('answers a duplicate in a relay batch as ok, with duplicate, and a pending agent 202 alike', async () => {
    const { agentId } = await beating({ seq: 9, bootId: 'boot-a' });
    const { key } = await service.newEnrollmentKey('production');
    const waiting = await service.register(key, { agentId: `order-${++serial}`, group: 'production' });
    await service.heartbeat(waiting.token, { agentId: waiting.agentId, seq: 4, bootId: 'boot-p' });
    const token = (await service.rotateToken(agentId)).token;

    const { results } = await service.heartbeats({
      heartbeats: [
        { agentId, token, seq: 8, bootId: 'boot-a' },
        { agentId: waiting.agentId, token: waiting.token, seq: 4, bootId: 'boot-p' },
      ],
    });
    const single = await service.heartbeat(waiting.token, {
      agentId: waiting.agentId,
      seq: 3,
      bootId: 'boot-p',
    });

    expect(results).toMatchObject([
      { status: 'ok', duplicate: true },
      { status: 'pending', duplicate: true },
    ]);
    expect(single).toMatchObject({ status: 202, body: { duplicate: true, state: 'pending' } });
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
