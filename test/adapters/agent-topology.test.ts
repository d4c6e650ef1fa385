import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { ConflictError, HasChildrenError, NotFoundError, ValidationError } from '../../lambda/domain/errors';
import type { WatcherService } from '../../lambda/service';
import type { DynamoRequestLog } from '../support/dynamo-request-counter';
import { type ServiceHarness, startServiceHarness } from '../support/service-harness';
import { READ_AFTER_REFUSAL } from '../support/test-store';
import { type ManualClock, TEST_CONFIG } from '../support/watcher';

const PROBE = { type: 'tcp' as const, host: '10.0.0.2', port: 22 };

describe('changing an agent in place, and removing a parent', () => {
  let harness: ServiceHarness;
  let client: DynamoDBClient;
  let requests: DynamoRequestLog;
  let service: WatcherService;
  let clock: ManualClock;
  let store: DynamoAgentStore;

  beforeAll(async () => {
    harness = await startServiceHarness();
    ({ client, requests, service, clock } = harness);
    store = new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents);
  });
  afterAll(() => harness.close());

  let serial = 0;
  /** A new agent that has sent one heartbeat; its id ends in `name`. */
  async function beatingAgent(name: string, extra: Record<string, unknown> = {}) {
    const agentId = `${name}-${++serial}`;
    const { token } = await service.addAgent({ agentId, group: 'production', ...extra });
    await service.heartbeat(token!, { agentId, seq: 1, bootId: 'boot-a', version: '1.0.0' });
    requests.reset();
    return { agentId, token: token! };
  }

  async function switchEntry(name: string, extra: Record<string, unknown> = {}) {
    const agentId = `${name}-${++serial}`;
    await service.addAgent({ agentId, group: 'production', agentless: true, probe: PROBE, ...extra });
    requests.reset();
    return agentId;
  }

  async function rawItem(agentId: string) {
    const out = await client.send(
      new GetItemCommand({
        TableName: LOCAL_TABLE_NAMES.agents,
        Key: { agentId: { S: agentId } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  describe('DynamoAgentStore.change', () => {
    it('writes the named fields in one UpdateItem and leaves the token and the heartbeat as they were', async () => {
      const { agentId } = await beatingAgent('web');
      const before = await rawItem(agentId);
      requests.reset();

      const outcome = await store.change(agentId, { group: 'test', cluster: 'db', probe: PROBE });

      expect(requests.take()).toEqual(['UpdateItem']);
      expect(outcome).toEqual({
        written: expect.objectContaining({ agentId, group: 'test', cluster: 'db', probe: PROBE }),
      });
      expect(await rawItem(agentId)).toEqual({
        ...before,
        group: { S: 'test' },
        cluster: { S: 'db' },
        probe: { S: JSON.stringify(PROBE) },
      });
    });

    it('removes a field given as null and nothing else', async () => {
      const parent = await switchEntry('sw');
      const { agentId } = await beatingAgent('web', { parent, cluster: 'db', probe: PROBE });
      const { parent: _p, cluster: _c, probe: _pr, ...rest } = (await rawItem(agentId))!;

      await store.change(agentId, { parent: null, cluster: null, probe: null });

      expect(await rawItem(agentId)).toEqual(rest);
    });

    it('creates nothing for an agent that does not exist, answering that there is none', async () => {
      requests.reset();

      const outcome = await store.change('ghost-01', { group: 'test' });

      // dynalite returns nothing with a failed write, so one read follows; DynamoDB returns the item.
      expect(requests.take()).toEqual(['UpdateItem', ...READ_AFTER_REFUSAL]);
      expect(outcome).toEqual({ current: undefined });
      expect(await rawItem('ghost-01')).toBeUndefined();
    });

    it('refuses to clear the probe of an agentless entry in the write itself, answering the entry', async () => {
      const agentId = await switchEntry('sw');
      const before = await rawItem(agentId);

      const outcome = await store.change(agentId, { probe: null, group: 'test' });

      expect(outcome).toEqual({
        current: expect.objectContaining({ agentId, agentless: true, probe: PROBE }),
      });
      expect(await rawItem(agentId)).toEqual(before);
    });
  });

  describe('DynamoAgentStore.childrenOf and clearParent', () => {
    it('finds the children with one Scan of the table, projected to their ids', async () => {
      const parent = await switchEntry('sw');
      const a = await beatingAgent('web', { parent });
      const b = await beatingAgent('web', { parent });
      await beatingAgent('web');

      const children = await store.childrenOf(parent);

      expect(children).toEqual([a.agentId, b.agentId].sort());
      expect(requests.take()).toEqual(['Scan']);
    });

    it('clears a parent only while it is still the one named', async () => {
      const old = await switchEntry('sw');
      const other = await switchEntry('sw');
      const child = await beatingAgent('web', { parent: old });
      await service.changeAgent(child.agentId, { parent: other });

      expect(await store.clearParent(child.agentId, old)).toBe(false);
      expect((await store.get(child.agentId))?.parent).toBe(other);
      expect(await store.clearParent(child.agentId, other)).toBe(true);
      expect((await store.get(child.agentId))?.parent).toBeUndefined();
    });
  });

  describe('WatcherService.changeAgent', () => {
    it('answers the agent view as changed, and the token keeps working', async () => {
      const parent = await switchEntry('sw');
      const { agentId, token } = await beatingAgent('web');

      const view = await service.changeAgent(agentId, { group: 'test', parent, probe: PROBE });

      expect(view).toMatchObject({ agentId, group: 'test', parent, probe: PROBE, version: '1.0.0', seq: 1 });
      expect(await service.getAgent(agentId)).toEqual(view);
      const beat = await service.heartbeat(token, { agentId, seq: 2, bootId: 'boot-a' });
      expect(beat.status).toBe(200);
    });

    it('reads the agent and each ancestor, then writes with one UpdateItem: never a whole item', async () => {
      const top = await switchEntry('sw');
      const middle = await switchEntry('sw', { parent: top });
      const { agentId } = await beatingAgent('web');
      requests.reset();

      await service.changeAgent(agentId, { parent: middle });

      // The agent, then middle and top as the loop check walks up; the write; middle and top again, as
      // the chain is read once more after the write (a change racing this one may have closed a loop);
      // the audit entry of the change; then what the view needs besides the record (the scanner's
      // state, the open alerts, and the one-off maintenance windows of the groups and clusters, in one
      // batch).
      expect(requests.take()).toEqual([
        'GetItem',
        'GetItem',
        'GetItem',
        'UpdateItem',
        'GetItem',
        'GetItem',
        'PutItem',
        'GetItem',
        'Query',
        'BatchGetItem',
      ]);
    });

    it('refuses a parent that would close a loop, showing the loop, and changes nothing', async () => {
      const a = await switchEntry('a');
      const b = await switchEntry('b', { parent: a });
      const c = await switchEntry('c', { parent: b });
      const before = await rawItem(a);

      const refused = service.changeAgent(a, { parent: c });

      await expect(refused).rejects.toThrow(
        new ValidationError(`parent: ${c} would make a loop: ${a} -> ${c} -> ${b} -> ${a}`, 'parent'),
      );
      await expect(refused).rejects.toMatchObject({ field: 'parent' });
      expect(await rawItem(a)).toEqual(before);
    });

    /** Runs `changes` at once, each held just before its write until all of them have done their checks. */
    async function raceToWrite(changes: readonly [string, Record<string, unknown>][]) {
      const waiting: (() => void)[] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const update = (args.input as { UpdateExpression?: string }).UpdateExpression;
          const change = context.commandName === 'UpdateItemCommand' && !update?.includes('#lastHeartbeatAt');
          if (change && waiting.length < changes.length) {
            await new Promise<void>((resolve) => {
              waiting.push(resolve);
              if (waiting.length === changes.length) for (const go of waiting) go();
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'raceToWrite' },
      );
      try {
        return await Promise.allSettled(
          changes.map(([agentId, change]) => service.changeAgent(agentId, change)),
        );
      } finally {
        client.middlewareStack.remove('raceToWrite');
      }
    }

    it.each([
      ['two agents, each made the parent of the other', 2],
      ['three agents, each made the parent of the next', 3],
    ])(
      'leaves no loop when changes race to close one: %s; each one undone answers 409 and changes nothing',
      async (_, size) => {
        const ids = await Promise.all(Array.from({ length: size }, () => switchEntry('ring')));
        const before = await Promise.all(ids.map(rawItem));
        // The first change also moves its agent to another group: undone, it goes back too.
        const changes = ids.map((agentId, i): [string, Record<string, unknown>] => [
          agentId,
          { parent: ids[(i + 1) % size], ...(i === 0 ? { group: 'test' } : {}) },
        ]);

        const outcomes = await raceToWrite(changes);

        const undone = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
        expect(undone.length).toBeGreaterThanOrEqual(1);
        for (const i of undone) {
          const { reason } = outcomes[i] as PromiseRejectedResult;
          expect(reason).toBeInstanceOf(ConflictError);
          expect(reason).toMatchObject({
            field: 'parent',
            message: expect.stringContaining('closes a loop'),
          });
          expect(await rawItem(ids[i]!)).toEqual(before[i]);
        }
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome.status === 'fulfilled')
            expect((await store.get(ids[i]!))?.parent).toBe(ids[(i + 1) % size]);
        }
        // Walking up from any agent reaches the top: no loop.
        const parents = new Map(
          await Promise.all(ids.map(async (id) => [id, (await store.get(id))?.parent] as const)),
        );
        for (const id of ids) {
          const seen = new Set<string>();
          for (let at: string | undefined = id; at !== undefined; at = parents.get(at)) {
            expect(seen.has(at)).toBe(false);
            seen.add(at);
          }
        }
      },
    );

    it('refuses a parent that is not an agent, and an agent as its own parent', async () => {
      const { agentId } = await beatingAgent('web');

      await expect(service.changeAgent(agentId, { parent: 'nobody' })).rejects.toMatchObject({
        field: 'parent',
        message: 'parent: no agent nobody',
      });
      await expect(service.changeAgent(agentId, { parent: agentId })).rejects.toMatchObject({
        field: 'parent',
        message: `parent: ${agentId} would make a loop: ${agentId} -> ${agentId}`,
      });
      expect((await store.get(agentId))?.parent).toBeUndefined();
    });

    it('answers not found for an agent that does not exist, writing nothing', async () => {
      requests.reset();

      await expect(service.changeAgent('ghost-02', { group: 'test' })).rejects.toBeInstanceOf(NotFoundError);

      expect(requests.take()).toEqual(['GetItem']);
    });

    it('keeps both a PATCH and a heartbeat that lands between its read and its write', async () => {
      const parent = await switchEntry('sw');
      const { agentId, token } = await beatingAgent('web');
      // The heartbeat is sent from inside the PATCH: after its reads, just before its write (any
      // write of the agent that is not a heartbeat's own).
      let interleaved = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const update = (args.input as { UpdateExpression?: string }).UpdateExpression;
          const write =
            context.commandName === 'PutItemCommand' ||
            (context.commandName === 'UpdateItemCommand' && !update?.includes('#lastHeartbeatAt'));
          if (!interleaved && write) {
            interleaved = true;
            clock.advance(5_000);
            await service.heartbeat(token, { agentId, seq: 2, bootId: 'boot-a', version: '2.0.0' });
          }
          return next(args);
        },
        { step: 'initialize', name: 'interleaveHeartbeat' },
      );
      try {
        await service.changeAgent(agentId, { parent, group: 'test' });
      } finally {
        client.middlewareStack.remove('interleaveHeartbeat');
      }

      expect(interleaved).toBe(true);
      expect(await store.get(agentId)).toMatchObject({
        parent,
        group: 'test',
        seq: 2,
        version: '2.0.0',
        lastHeartbeatAt: clock.now(),
      });
    });

    it('loses no field when PATCHes of different fields race 30 heartbeats', async () => {
      const parent = await switchEntry('sw');
      const { agentId, token } = await beatingAgent('web');
      const seqs = Array.from({ length: 30 }, (_, i) => i + 2);

      await Promise.all([
        ...seqs.map((seq) => service.heartbeat(token, { agentId, seq, bootId: 'boot-a' })),
        service.changeAgent(agentId, { group: 'test' }),
        service.changeAgent(agentId, { parent }),
        service.changeAgent(agentId, { probe: PROBE }),
        service.changeAgent(agentId, { cluster: 'db' }),
      ]);

      expect(await store.get(agentId)).toMatchObject({
        group: 'test',
        parent,
        probe: PROBE,
        cluster: 'db',
        seq: 31,
        tokenHash: expect.any(String),
      });
      expect((await service.heartbeat(token, { agentId, seq: 32, bootId: 'boot-a' })).status).toBe(200);
    });
  });

  describe('WatcherService.removeAgent', () => {
    it('refuses to remove a parent with has_children, naming every child, and removes nothing', async () => {
      const parent = await switchEntry('sw');
      const children = [
        (await beatingAgent('web', { parent })).agentId,
        (await beatingAgent('web', { parent })).agentId,
      ].sort();

      const refused = service.removeAgent(parent);

      await expect(refused).rejects.toBeInstanceOf(HasChildrenError);
      await expect(refused).rejects.toMatchObject({
        code: 'has_children',
        children,
        message: expect.stringContaining(`${children[0]}, ${children[1]}`),
      });
      expect(await store.get(parent)).toBeDefined();
      for (const child of children) expect((await store.get(child))?.parent).toBe(parent);
    });

    it('with force clears the parent of each child with a conditional write, then removes it, each recorded', async () => {
      const parent = await switchEntry('sw');
      const a = await beatingAgent('web', { parent });
      const b = await beatingAgent('web', { parent });

      requests.reset();

      await service.removeAgent(parent, { force: 'true' });

      // Each write with the audit entry of its change: the children's and the removal.
      expect(requests.take()).toEqual([
        'GetItem',
        'Scan',
        'UpdateItem',
        'PutItem',
        'UpdateItem',
        'PutItem',
        'DeleteItem',
        'PutItem',
      ]);
      expect(await store.get(parent)).toBeUndefined();
      for (const child of [a, b]) {
        expect(await store.get(child.agentId)).toMatchObject({ agentId: child.agentId, seq: 1 });
        expect((await store.get(child.agentId))?.parent).toBeUndefined();
      }
    });

    it('names at most ten children in the message and all of them in the list', async () => {
      const parent = await switchEntry('sw');
      const children: string[] = [];
      for (let i = 0; i < 12; i++) children.push(await switchEntry('leaf', { parent }));

      const refused = service.removeAgent(parent);

      await expect(refused).rejects.toMatchObject({
        children: children.sort(),
        message: expect.stringContaining('and 2 more'),
      });
    });
  });
});

describe('the topology as the admin API reads it', () => {
  let harness: ServiceHarness;
  let service: WatcherService;

  beforeAll(async () => {
    harness = await startServiceHarness({
      ...TEST_CONFIG,
      clusters: {
        db: { group: 'production', minHealthy: 2, memberPages: false },
        web: { group: 'test', minHealthy: 1 },
      },
    });
    ({ service } = harness);
    await service.addAgent({ agentId: 'sw-01', group: 'production', agentless: true, probe: PROBE });
    for (const agentId of ['web-01', 'web-02']) {
      await service.addAgent({ agentId, group: 'production', parent: 'sw-01' });
    }
    await service.addAgent({ agentId: 'web-03', group: 'production', parent: 'web-01' });
  });
  afterAll(() => harness.close());

  it('GET /v1/status shows the clusters in effect: the group each pages, its quorum, whether members page', async () => {
    const { config } = await service.status();

    expect(config.clusters).toEqual({
      db: { group: 'production', minHealthy: 2, memberPages: false },
      web: { group: 'test', minHealthy: 1, memberPages: true },
    });
  });

  it('GET /v1/agents?parent= lists the agents right behind a parent, not those further down', async () => {
    const behind = (await service.listAgents({ parent: 'sw-01' })).agents;

    expect(behind.map((a) => a.agentId)).toEqual(['web-01', 'web-02']);
    expect((await service.listAgents({ parent: 'web-02' })).agents).toEqual([]);
  });

  it('refuses a parent filter that is not an agent id, naming it', async () => {
    const refused = service.listAgents({ parent: 'sw 01' });

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ field: 'parent' });
  });
});
