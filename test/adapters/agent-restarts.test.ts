import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { ValidationError } from '../../lambda/domain/errors';
import { HOUR_MS, lossHour } from '../../lambda/domain/loss';
import type { WatcherService } from '../../lambda/service';
import type { DynamoRequestLog } from '../support/dynamo-request-counter';
import { beatAcrossTheHour } from '../support/loss-scenario';
import { type ServiceHarness, startServiceHarness } from '../support/service-harness';
import type { ManualClock } from '../support/watcher';

// What a heartbeat's one write tells beyond "alive", over the real stores (dynalite, and DynamoDB Local:
// test-store.ts): restarts, loss, replays and goodbyes.
let harness: ServiceHarness;
let requests: DynamoRequestLog;
let service: WatcherService;
let clock: ManualClock;

beforeAll(async () => {
  harness = await startServiceHarness();
  ({ requests, service, clock } = harness);
});
afterAll(() => harness.close());

const storedItem = (agentId: string) =>
  harness.client.send(
    new GetItemCommand({ TableName: LOCAL_TABLE_NAMES.agents, Key: { agentId: { S: agentId } } }),
  );

/** The loss counts of the stored item, by attribute. */
const lossAttributes = async (agentId: string) =>
  Object.fromEntries(
    Object.entries((await storedItem(agentId)).Item!)
      .filter(([name]) => /^(loss|boot(FirstSeq|Beats))/.test(name))
      .map(([name, value]) => [name, Number(value.N)]),
  );

/** The loss counts of one hour, as stored: its first and last seq, and how many heartbeats came. */
const hourCounts = (hour: number, first: number, last: number, beats: number) => ({
  [`lossFirstSeq_${hour}`]: first,
  [`lossLastSeq_${hour}`]: last,
  [`lossBeats_${hour}`]: beats,
});

let serial = 0;
async function agent() {
  const agentId = `beat-${++serial}`;
  const { token } = await service.addAgent({ agentId, group: 'production' });
  const beat = (body: Record<string, unknown>) =>
    service.heartbeat(token!, { agentId, sentAt: new Date(clock.now()).toISOString(), ...body });
  requests.reset();
  return { agentId, token: token!, beat, view: () => service.getAgent(agentId) };
}

describe('restarts', () => {
  it('counts a new bootId as a restart, with the boot it ended and the downtime the agent reports', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });
    clock.advance(2 * HOUR_MS);
    await a.beat({ seq: 240, bootId: 'boot-a' });
    const shutdownAt = clock.now();
    clock.advance(90_000);

    await a.beat({ seq: 1, bootId: 'boot-b', bootedAt: new Date(shutdownAt + 40_000).toISOString() });

    expect(await a.view()).toMatchObject({
      bootId: 'boot-b',
      restarts: 1,
      lastRestartAt: new Date(clock.now()).toISOString(),
      lostHeartbeats: 0,
    });
    const stored = await storedItem(a.agentId);
    expect(JSON.parse(stored.Item!.lastRestart!.S!)).toEqual({
      at: clock.now(),
      fromBoot: 'boot-a',
      toBoot: 'boot-b',
      downtimeSeconds: 40,
      expected: false,
    });
    // The old boot's counts are gone: only the new boot's first heartbeat is counted.
    const hour = lossHour(clock.now());
    expect(await lossAttributes(a.agentId)).toEqual({
      bootFirstSeq: 1,
      bootBeats: 1,
      ...hourCounts(hour, 1, 1, 1),
    });
  });

  it('counts a restart of an agent that sends no sentAt, with the same two writes', async () => {
    const a = await agent();
    await service.heartbeat(a.token, { agentId: a.agentId, seq: 9, bootId: 'boot-a' });
    clock.advance(60_000);
    requests.reset();

    await service.heartbeat(a.token, { agentId: a.agentId, seq: 1, bootId: 'boot-b' });

    expect(requests.take().filter((operation) => operation === 'UpdateItem')).toHaveLength(2);
    expect(await a.view()).toMatchObject({ bootId: 'boot-b', restarts: 1 });
  });

  it('counts no restart for the first bootId an agent sends, nor for a late heartbeat of the old boot', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });
    clock.advance(1_000);
    await a.beat({ seq: 1, bootId: 'boot-b' });
    clock.advance(1_000);

    const late = await a.beat({
      seq: 3,
      bootId: 'boot-a',
      sentAt: new Date(clock.now() - 60_000).toISOString(),
    });

    expect(late.body.duplicate).toBe(true);
    expect(await a.view()).toMatchObject({ bootId: 'boot-b', restarts: 1 });
  });

  it('counts one restart when the first heartbeats of a new boot race each other', async () => {
    const a = await agent();
    await a.beat({ seq: 10, bootId: 'boot-a' });
    clock.advance(30_000);

    const answers = await Promise.all([1, 2, 3, 4].map((seq) => a.beat({ seq, bootId: 'boot-b' })));

    expect(answers.every((x) => x.status === 200)).toBe(true);
    expect(await a.view()).toMatchObject({ bootId: 'boot-b', seq: 4, restarts: 1 });
  });

  it('marks a restart after a goodbye as expected', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a', goodbye: { backInSeconds: 600, reason: 'kernel update' } });
    clock.advance(60_000);

    await a.beat({ seq: 1, bootId: 'boot-b' });

    const view = await a.view();
    expect(view).toMatchObject({ state: 'healthy', restarts: 1 });
    expect(view.awayUntil).toBeUndefined();
    expect(JSON.parse((await storedItem(a.agentId)).Item!.lastRestart!.S!)).toMatchObject({ expected: true });
  });
});

describe('loss', () => {
  it('counts the heartbeats missing between two seqs of one boot, and the loss over the last hour', async () => {
    const a = await agent();
    for (const seq of [1, 2, 3, 7, 8, 9, 10]) {
      await a.beat({ seq, bootId: 'boot-a' });
      clock.advance(30_000);
    }

    const view = await a.view();
    expect(view.lostHeartbeats).toBe(3);
    expect(view.lossLastHourPercent).toBeGreaterThan(0);
  });

  it('counts none lost for heartbeats a relay coalesced into a newer one, in a boot and at a restart', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });

    await a.beat({ seq: 6, bootId: 'boot-a', coalesced: 5 });
    expect(await a.view()).toMatchObject({ lostHeartbeats: 0, lossLastHourPercent: 0 });
    await a.beat({ seq: 9, bootId: 'boot-a', coalesced: 2 });
    expect((await a.view()).lostHeartbeats).toBe(1);

    clock.advance(60_000);
    await a.beat({ seq: 3, bootId: 'boot-b', coalesced: 3 });
    expect(await a.view()).toMatchObject({ restarts: 1, lostHeartbeats: 0 });
  });

  it('keeps each heartbeat of one boot one UpdateItem while it counts them in each hour, across the hour', async () => {
    const a = await agent();
    const nextHour = Math.ceil(clock.now() / HOUR_MS) * HOUR_MS;
    clock.time = nextHour - 45_000;
    // seq 1 and 2 before the hour; 3 and 4 lost; 5 and 6 after it.
    for (const seq of [1, 2, 5, 6]) {
      await a.beat({ seq, bootId: 'boot-a' });
      clock.advance(30_000);
    }

    expect(requests.take()).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    const [before, after] = [lossHour(nextHour - 1), lossHour(nextHour)];
    expect(await lossAttributes(a.agentId)).toEqual({
      bootFirstSeq: 1,
      bootBeats: 4,
      ...hourCounts(before, 1, 2, 2),
      ...hourCounts(after, 5, 6, 2),
    });
    expect(await a.view()).toMatchObject({ lostHeartbeats: 2 });
  });

  it('counts from the hour before only the part still inside the last hour', async () => {
    const a = await agent();

    const shown = await beatAcrossTheHour(clock, a.beat);

    const view = await a.view();
    expect(view.lossLastHourPercent).toBeCloseTo(shown.lossLastHourPercent, 1);
    expect(view.lostHeartbeats).toBe(shown.lostHeartbeats);
  });

  it('forgets the counts of hours gone by after a long silence, with one more write', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });
    clock.advance(5 * HOUR_MS);
    requests.reset();

    await a.beat({ seq: 2, bootId: 'boot-a' });

    expect(requests.take()).toEqual(['UpdateItem', 'UpdateItem']);
    const hour = lossHour(clock.now());
    expect(await lossAttributes(a.agentId)).toEqual({
      bootFirstSeq: 1,
      bootBeats: 2,
      ...hourCounts(hour, 2, 2, 1),
    });
  });
});

describe('heldMs', () => {
  it('dates a heartbeat a relay held that much earlier, by at most half the shortest scan interval', async () => {
    const a = await agent();

    await a.beat({ heldMs: 2_000 });
    expect((await a.view()).lastHeartbeatAt).toBe(new Date(clock.now() - 2_000).toISOString());
    clock.advance(60_000);
    await a.beat({ heldMs: 600_000 });
    expect((await a.view()).lastHeartbeatAt).toBe(new Date(clock.now() - 15_000).toISOString());
  });
});

describe('the agent item', () => {
  /**
   * An item's size as DynamoDB counts it for capacity: each attribute's name in UTF-8 bytes, plus a
   * string's UTF-8 bytes, a number's significant digits halved plus one, a boolean's one byte
   * (AWS, "Item sizes and formats" in the DynamoDB developer guide).
   */
  const itemBytes = (item: Record<string, AttributeValue>) =>
    Object.entries(item).reduce((sum, [name, value]) => {
      const size =
        value.S !== undefined
          ? Buffer.byteLength(value.S)
          : value.N !== undefined
            ? Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1
            : 1;
      return sum + Buffer.byteLength(name) + size;
    }, 0);

  it('stays within one write unit (1 KB) with every field, two hours of loss counts, a restart and a goodbye', async () => {
    const a = await agent();
    const full = {
      bootId: '2f1d6c8e-94a7-4c3b-b7a5-0e6f1c2d3b4a',
      cluster: 'db-cluster-eu-west-1',
      endpoint: 'https://heartbeats.example.internal:8443/v1/heartbeat',
      version: '1.24.3-rc.1+build.2026',
    };
    await a.beat({ ...full, seq: 1_000_000 });
    clock.advance(60_000);
    const newBoot = { ...full, bootId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' };
    await a.beat({ ...newBoot, seq: 1, bootedAt: new Date(clock.now() - 30_000).toISOString() });
    clock.advance(HOUR_MS);
    await a.beat({
      ...newBoot,
      seq: 1_000_000,
      goodbye: { backInSeconds: 604_800, reason: 'x'.repeat(200) },
    });

    const { Item } = await storedItem(a.agentId);
    expect(Object.keys(Item!).filter((k) => k.startsWith('lossBeats_'))).toHaveLength(2);
    expect(Item!.lastRestart).toBeDefined();
    expect(itemBytes(Item!)).toBeLessThanOrEqual(1024);
  });
});

describe('goodbye', () => {
  it('makes the agent away until the time it gave, and any later heartbeat ends it', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });

    const answer = await a.beat({
      seq: 2,
      bootId: 'boot-a',
      goodbye: { backInSeconds: 600, reason: 'kernel update' },
    });

    expect(answer.body.state).toBe('away');
    expect(await a.view()).toMatchObject({
      state: 'away',
      awayUntil: new Date(clock.now() + 600_000).toISOString(),
      awayReason: 'kernel update',
      missedScans: 0,
    });
    clock.advance(300_000);
    expect((await a.view()).state).toBe('away');

    await a.beat({ seq: 3, bootId: 'boot-a' });
    const back = await a.view();
    expect(back.state).toBe('healthy');
    expect(back.awayUntil).toBeUndefined();
    expect(back.awayReason).toBeUndefined();
  });

  it('takes a goodbye, another without a reason (which drops the one before), and the end with one UpdateItem each', async () => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });
    const writes: string[][] = [];
    const beat = async (body: Record<string, unknown>) => {
      requests.reset();
      await a.beat({ bootId: 'boot-a', ...body });
      writes.push(requests.take());
    };

    await beat({ seq: 2, goodbye: { backInSeconds: 600, reason: 'kernel update' } });
    clock.advance(30_000);
    await beat({ seq: 3, goodbye: { backInSeconds: 300 } });
    expect(await a.view()).toMatchObject({ state: 'away', awayReason: undefined });
    clock.advance(30_000);
    await beat({ seq: 4 });

    expect(writes).toEqual([['UpdateItem'], ['UpdateItem'], ['UpdateItem']]);
    expect(await a.view()).toMatchObject({ state: 'healthy', awayUntil: undefined, awayReason: undefined });
  });

  it('counts missed scans from the time it gave when the agent is not back by then', async () => {
    const a = await agent();
    await a.beat({ goodbye: { backInSeconds: 60 } });
    clock.advance(60_000 + 3 * 30_000);

    expect(await a.view()).toMatchObject({ state: 'failed', missedScans: 3 });
  });

  it.each([
    [{ backInSeconds: 0 }, 'goodbye.backInSeconds: must be at least 1'],
    [{ backInSeconds: -5 }, 'goodbye.backInSeconds: must be at least 1'],
    [{ backInSeconds: 1.5 }, 'goodbye.backInSeconds: must be a whole number of seconds'],
    [{ backInSeconds: 604_801 }, 'goodbye.backInSeconds: must be at most 604800 (7 days)'],
    [{ backInSeconds: 60, reasn: 'x' }, 'goodbye.reasn: unknown field'],
    [{ reason: 'x' }, 'goodbye.backInSeconds'],
  ])('refuses the goodbye %j naming the field, and changes nothing', async (goodbye, message) => {
    const a = await agent();
    await a.beat({ seq: 1, bootId: 'boot-a' });
    const before = await a.view();

    const refused = a.beat({ seq: 2, bootId: 'boot-a', goodbye });

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toThrow(message);
    expect(await a.view()).toEqual(before);
  });
});
