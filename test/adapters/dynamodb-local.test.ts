import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { ForbiddenError, UnauthorizedError } from '../../lambda/domain/errors';
import { HOUR_MS, lossHour } from '../../lambda/domain/loss';
import type { Notification } from '../../lambda/domain/messages';
import { describeOnDynamoDbLocal } from '../support/dynamodb-local';
import { beatAcrossTheHour } from '../support/loss-scenario';
import { readsScenario } from '../support/reads-scenario';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';
import { type ServiceHarness, startServiceHarness } from '../support/service-harness';
import { TEST_CONFIG } from '../support/watcher';

// The stores, the service and the scanner against AWS's DynamoDB Local rather than dynalite:
// DynamoDB's own checks of every expression (an unused name or value, two actions on one attribute, a
// reserved word: dynalite makes these too, as far as we tried), and its
// ReturnValuesOnConditionCheckFailure, which dynalite ignores. So here a refused write is judged from
// the item it returns, without a read, as in the cloud. Heartbeats every 30 s, scans every 30 s, a
// heartbeat failure after 3 missed scans.
describeOnDynamoDbLocal('the stores against DynamoDB Local', (local) => {
  describe('heartbeats', () => {
    let h: ServiceHarness;
    beforeAll(async () => {
      h = await startServiceHarness(TEST_CONFIG, local().client);
    });
    afterAll(() => h.close());

    const storedItem = async (agentId: string) =>
      (
        await h.client.send(
          new GetItemCommand({
            TableName: LOCAL_TABLE_NAMES.agents,
            Key: { agentId: { S: agentId } },
            ConsistentRead: true,
          }),
        )
      ).Item!;
    const lossAttributes = async (agentId: string) =>
      Object.fromEntries(
        Object.entries(await storedItem(agentId))
          .filter(([name]) => /^(loss|boot(FirstSeq|Beats))/.test(name))
          .map(([name, value]) => [name, Number(value.N)]),
      );

    let serial = 0;
    async function agent() {
      const agentId = `ddb-${++serial}`;
      const { token } = await h.service.addAgent({ agentId, group: 'production' });
      const beat = (body: Record<string, unknown>, sent = h.clock.now()) =>
        h.service.heartbeat(token!, { agentId, sentAt: new Date(sent).toISOString(), ...body });
      h.requests.reset();
      return { agentId, token: token!, beat, view: () => h.service.getAgent(agentId) };
    }

    it('takes a heartbeat with every optional field with one UpdateItem and no read', async () => {
      const a = await agent();

      const answer = await a.beat({
        seq: 7,
        bootId: 'boot-1',
        cluster: 'eu-1',
        endpoint: '10.0.0.7',
        version: '1.2.3',
      });

      expect(answer).toMatchObject({ status: 200, body: { state: 'healthy' } });
      expect(h.requests.take()).toEqual(['UpdateItem']);
      expect(await a.view()).toMatchObject({ seq: 7, bootId: 'boot-1', cluster: 'eu-1', version: '1.2.3' });
    });

    it('adds to the loss counts of each hour with the one UpdateItem, across an hour boundary', async () => {
      const a = await agent();
      const nextHour = Math.ceil(h.clock.now() / HOUR_MS) * HOUR_MS;
      h.clock.time = nextHour - 45_000;
      // seq 1 and 2 before the hour; 3 and 4 lost; 5 and 6 after it.
      for (const seq of [1, 2, 5, 6]) {
        await a.beat({ seq, bootId: 'boot-a' });
        h.clock.advance(30_000);
      }

      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
      const [before, after] = [lossHour(nextHour - 1), lossHour(nextHour)];
      expect(await lossAttributes(a.agentId)).toEqual({
        bootFirstSeq: 1,
        bootBeats: 4,
        [`lossFirstSeq_${before}`]: 1,
        [`lossLastSeq_${before}`]: 2,
        [`lossBeats_${before}`]: 2,
        [`lossFirstSeq_${after}`]: 5,
        [`lossLastSeq_${after}`]: 6,
        [`lossBeats_${after}`]: 2,
      });
      expect(await a.view()).toMatchObject({ lostHeartbeats: 2 });
    });

    it('answers a replay duplicate from its one failed UpdateItem, which returns the item: no read', async () => {
      const a = await agent();
      await a.beat({ seq: 5, bootId: 'boot-a' });
      const stored = await a.view();
      h.clock.advance(10_000);
      h.requests.reset();

      const answer = await a.beat({ seq: 5, bootId: 'boot-a' });

      expect(answer).toMatchObject({ status: 200, body: { duplicate: true, state: 'healthy' } });
      expect(h.requests.take()).toEqual(['UpdateItem']);
      expect(await a.view()).toEqual(stored);
    });

    it('keeps the newer heartbeat when an older one of the boot arrives late, with no read', async () => {
      const a = await agent();
      await a.beat({ seq: 1122, bootId: 'boot-a' });
      const newer = await a.view();
      h.clock.advance(20_000);
      h.requests.reset();

      const late = await a.beat({ seq: 1083, bootId: 'boot-a' }, h.clock.now() - 60_000);

      expect(late.body.duplicate).toBe(true);
      expect(h.requests.take()).toEqual(['UpdateItem']);
      expect(await a.view()).toMatchObject({ seq: 1122, lastHeartbeatAt: newer.lastHeartbeatAt });
    });

    it('refuses a wrong token, an unknown agent and a rejected agent each with one failed UpdateItem', async () => {
      const a = await agent();
      const other = await agent();
      const rejected = await agent();
      await h.service.reject(rejected.agentId);
      h.requests.reset();

      await expect(h.service.heartbeat(other.token, { agentId: a.agentId })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      await expect(h.service.heartbeat(a.token, { agentId: 'nobody' })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      await expect(rejected.beat({})).rejects.toBeInstanceOf(ForbiddenError);

      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem']);
    });

    it('answers a relay batch with one UpdateItem per item, a duplicate among them with no read', async () => {
      const a = await agent();
      const b = await agent();
      await a.beat({ seq: 8, bootId: 'boot-a' });
      h.requests.reset();

      const { results } = await h.service.heartbeats({
        heartbeats: [
          { agentId: a.agentId, token: a.token, seq: 8, bootId: 'boot-a' },
          { agentId: b.agentId, token: b.token, seq: 1, bootId: 'boot-b' },
        ],
      });

      expect(results).toMatchObject([
        { status: 'ok', duplicate: true },
        { status: 'ok', duplicate: undefined },
      ]);
      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem']);
    });

    it('creates nothing when an agent that does not exist is changed, with one UpdateItem and no read', async () => {
      const store = new DynamoAgentStore(h.client, LOCAL_TABLE_NAMES.agents);
      h.requests.reset();

      const outcome = await store.change('ghost-01', { group: 'test' });

      expect(outcome).toEqual({ current: undefined });
      expect(h.requests.take()).toEqual(['UpdateItem']);
      expect(await store.get('ghost-01')).toBeUndefined();
    });

    it('records a restart with exactly two UpdateItems and no read, and drops the old boot’s counts', async () => {
      const a = await agent();
      await a.beat({ seq: 1, bootId: 'boot-a' });
      h.clock.advance(2 * HOUR_MS);
      await a.beat({ seq: 240, bootId: 'boot-a' });
      const shutdownAt = h.clock.now();
      h.clock.advance(90_000);
      h.requests.reset();

      await a.beat({ seq: 1, bootId: 'boot-b', bootedAt: new Date(shutdownAt + 40_000).toISOString() });

      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem']);
      expect(await a.view()).toMatchObject({
        bootId: 'boot-b',
        seq: 1,
        restarts: 1,
        lastRestartAt: new Date(h.clock.now()).toISOString(),
        lostHeartbeats: 0,
      });
      const hour = lossHour(h.clock.now());
      expect(await lossAttributes(a.agentId)).toEqual({
        bootFirstSeq: 1,
        bootBeats: 1,
        [`lossFirstSeq_${hour}`]: 1,
        [`lossLastSeq_${hour}`]: 1,
        [`lossBeats_${hour}`]: 1,
      });
      expect(JSON.parse((await storedItem(a.agentId)).lastRestart!.S!)).toMatchObject({
        fromBoot: 'boot-a',
        toBoot: 'boot-b',
        downtimeSeconds: 40,
      });
    });

    it('records a restart of an agent that sends no sentAt, with the same two UpdateItems', async () => {
      const a = await agent();
      await h.service.heartbeat(a.token, { agentId: a.agentId, seq: 9, bootId: 'boot-a' });
      h.clock.advance(60_000);
      h.requests.reset();

      await h.service.heartbeat(a.token, { agentId: a.agentId, seq: 1, bootId: 'boot-b' });

      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem']);
      expect(await a.view()).toMatchObject({ bootId: 'boot-b', restarts: 1 });
    });

    it('refuses a late heartbeat of the old boot after a restart as a duplicate', async () => {
      const a = await agent();
      await a.beat({ seq: 3, bootId: 'boot-a' });
      h.clock.advance(30_000);
      await a.beat({ seq: 1, bootId: 'boot-b' });
      h.clock.advance(1_000);

      const late = await a.beat({ seq: 4, bootId: 'boot-a' }, h.clock.now() - 60_000);

      expect(late.body.duplicate).toBe(true);
      expect(await a.view()).toMatchObject({ bootId: 'boot-b', restarts: 1 });
    });

    it('counts one restart when the first heartbeats of a new boot race each other', async () => {
      const a = await agent();
      await a.beat({ seq: 10, bootId: 'boot-a' });
      h.clock.advance(30_000);

      const answers = await Promise.all([1, 2, 3, 4].map((seq) => a.beat({ seq, bootId: 'boot-b' })));

      expect(answers.every((x) => x.status === 200)).toBe(true);
      expect(await a.view()).toMatchObject({ bootId: 'boot-b', seq: 4, restarts: 1 });
    });

    it('keeps the highest seq when 20 heartbeats of one boot race in any order', async () => {
      const a = await agent();
      await a.beat({ seq: 0, bootId: 'boot-r' });
      const order = [7, 19, 3, 20, 1, 12, 5, 16, 9, 2, 14, 18, 4, 11, 6, 17, 8, 13, 10, 15];

      const answers = await Promise.all(order.map((seq) => a.beat({ seq, bootId: 'boot-r' })));

      expect(answers.every((x) => x.status === 200)).toBe(true);
      expect(await a.view()).toMatchObject({ seq: 20, restarts: 0 });
    });

    it('counts from the hour before only the part still inside the last hour', async () => {
      const a = await agent();

      const shown = await beatAcrossTheHour(h.clock, a.beat);

      const view = await a.view();
      expect(view.lossLastHourPercent).toBeCloseTo(shown.lossLastHourPercent, 1);
      expect(view.lostHeartbeats).toBe(shown.lostHeartbeats);
    });

    it('forgets the counts of hours gone by after hours of silence, with one more UpdateItem', async () => {
      const a = await agent();
      await a.beat({ seq: 1, bootId: 'boot-a' });
      h.clock.advance(5 * HOUR_MS);
      h.requests.reset();

      await a.beat({ seq: 2, bootId: 'boot-a' });

      expect(h.requests.take()).toEqual(['UpdateItem', 'UpdateItem']);
      const hour = lossHour(h.clock.now());
      expect(await lossAttributes(a.agentId)).toEqual({
        bootFirstSeq: 1,
        bootBeats: 2,
        [`lossFirstSeq_${hour}`]: 2,
        [`lossLastSeq_${hour}`]: 2,
        [`lossBeats_${hour}`]: 1,
      });
    });

    it('makes the agent away with a goodbye, and ends it with the next heartbeat, one UpdateItem each', async () => {
      const a = await agent();
      await a.beat({ seq: 1, bootId: 'boot-a' });
      const writes: string[][] = [];
      const beat = async (body: Record<string, unknown>) => {
        h.requests.reset();
        const answer = await a.beat({ bootId: 'boot-a', ...body });
        writes.push(h.requests.take());
        return answer;
      };

      const bye = await beat({ seq: 2, goodbye: { backInSeconds: 600, reason: 'kernel update' } });
      expect(bye.body.state).toBe('away');
      expect(await a.view()).toMatchObject({
        state: 'away',
        awayUntil: new Date(h.clock.now() + 600_000).toISOString(),
        awayReason: 'kernel update',
      });
      // A goodbye without a reason removes the one given before.
      h.clock.advance(30_000);
      await beat({ seq: 3, goodbye: { backInSeconds: 300 } });
      expect(await a.view()).toMatchObject({ state: 'away', awayReason: undefined });
      h.clock.advance(30_000);
      await beat({ seq: 4 });

      expect(writes).toEqual([['UpdateItem'], ['UpdateItem'], ['UpdateItem']]);
      expect(await a.view()).toMatchObject({ state: 'healthy', awayUntil: undefined, awayReason: undefined });
    });

    it('marks a restart after a goodbye as expected', async () => {
      const a = await agent();
      await a.beat({ seq: 1, bootId: 'boot-a', goodbye: { backInSeconds: 600, reason: 'kernel update' } });
      h.clock.advance(60_000);

      await a.beat({ seq: 1, bootId: 'boot-b' });

      const view = await a.view();
      expect(view).toMatchObject({ state: 'healthy', restarts: 1 });
      expect(view.awayUntil).toBeUndefined();
      expect(JSON.parse((await storedItem(a.agentId)).lastRestart!.S!)).toMatchObject({ expected: true });
    });
  });

  describe('the scanner', () => {
    const harness = scannerHarnesses(local);
    const kinds = (notices: readonly Notification[]) => notices.map((n) => n.kind);
    const restartAlerts = async (h: ScannerHarness) =>
      (await h.alerts()).filter((a) => a.kind === 'agent_restarted');

    it('opens an alert for an agent that fails, pages it, and resolves it with a recovery when it is back', async () => {
      const h = await harness();
      await h.addAgent('web-01');
      await h.beat('web-01');
      await h.scan();

      for (let i = 0; i < 3; i++) await h.step();
      const [opened] = await h.alerts({ status: 'open' });
      expect(opened).toMatchObject({
        kind: 'heartbeat_failure',
        status: 'open',
        missedScans: 3,
        delivery: { opening: 'sent', recovery: 'none' },
      });
      await h.service.acknowledgeAlert(opened!.alertId, { by: 'ops', note: 'looking' });
      await h.step('web-01');

      expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure', 'recovery']);
      expect(await h.alerts()).toMatchObject([
        {
          alertId: opened!.alertId,
          status: 'resolved',
          acknowledgedBy: 'ops',
          delivery: { opening: 'sent', recovery: 'sent' },
        },
      ]);
    });

    it('tries a page whose publish failed again at the next scan, recording the error meanwhile', async () => {
      const h = await harness();
      await h.addAgent('web-01');
      await h.beat('web-01');
      await h.scan();
      h.notifier.failNext(1, { message: 'SNS throttled' });

      for (let i = 0; i < 3; i++) await h.step();
      expect(await h.alerts()).toMatchObject([{ delivery: { opening: 'pending' } }]);
      await h.step();

      expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure']);
      expect(await h.alerts()).toMatchObject([{ status: 'open', delivery: { opening: 'sent' } }]);
    });

    it('holds a page still owed while the agent is in maintenance, sends it after, and reminds', async () => {
      const h = await harness({ renotifyMinutes: 1 });
      await h.addAgent('web-01');
      await h.beat('web-01');
      await h.scan();
      h.notifier.failNext(1);
      for (let i = 0; i < 3; i++) await h.step();
      await h.service.startMaintenance('web-01', {
        until: new Date(h.clock.now() + 30 * 60_000).toISOString(),
        reason: 'patching',
      });

      await h.step();
      expect(await h.alerts()).toMatchObject([
        { delivery: { opening: 'held' }, suppressed: { reason: 'maintenance', by: 'web-01' } },
      ]);
      await h.service.endMaintenance('web-01');
      for (let i = 0; i < 3; i++) await h.step();

      expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure', 'reminder']);
      expect(await h.alerts()).toMatchObject([{ status: 'open', delivery: { opening: 'sent' } }]);
    });

    it('records a restart as an agent_restarted alert resolved at once, and pages nobody by default', async () => {
      const h = await harness();
      await h.addAgent('web-01');
      await h.beatWith('web-01', { seq: 1, bootId: 'boot-a' });
      await h.scan();
      h.clock.advance(h.intervalMs);
      await h.beatWith('web-01', { seq: 1, bootId: 'boot-b' });

      const report = await h.scan();

      const alerts = await restartAlerts(h);
      expect(alerts).toMatchObject([
        { agentId: 'web-01', severity: 'warning', status: 'resolved', resolution: 'event' },
      ]);
      expect(report.opened).toEqual([alerts[0]!.alertId]);
      expect(h.notifier.take()).toEqual([]);
      await h.step('web-01');
      expect(await restartAlerts(h)).toHaveLength(1);
    });

    it('records one restart alert and sends one page when two scanners race on it (onRestart: page)', async () => {
      const h = await harness({
        groups: { production: { channels: ['sms', 'email'], onRestart: 'page' } },
      });
      await h.addAgent('web-01');
      await h.beatWith('web-01', { seq: 1, bootId: 'boot-a' });
      await h.scan();
      h.clock.advance(h.intervalMs);
      await h.beatWith('web-01', { seq: 1, bootId: 'boot-b' });

      await Promise.all([h.scanner.scan(), h.otherScanner().scan()]);
      await h.step('web-01');

      expect(kinds(h.notifier.take())).toEqual(['agent_restarted']);
      expect(await restartAlerts(h)).toMatchObject([
        { status: 'resolved', delivery: { opening: 'sent', recovery: 'none' } },
      ]);
    });

    it('opens no alert while the agent is away, then one that says it did not come back', async () => {
      const h = await harness();
      await h.addAgent('db-01');
      await h.beat('db-01');
      await h.scan();
      await h.beatWith('db-01', { goodbye: { backInSeconds: 60, reason: 'kernel update' } });

      for (let i = 0; i < 2; i++) await h.step();
      expect(await h.alerts()).toEqual([]);
      for (let i = 0; i < 3; i++) await h.step();

      const [alert] = await h.alerts({ status: 'open' });
      expect(alert!.detail).toContain('did not come back after a planned restart: kernel update');
    });
  });

  describe('the reads: agents in pages, the status from the scan', () => {
    const harness = scannerHarnesses(local);
    readsScenario(() => harness());
  });
});
