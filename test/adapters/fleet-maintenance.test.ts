import type { RawConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { scannerHarnesses } from '../support/scanner-harness';

// Recurring and one-off windows of groups and clusters, over the real stores on the manual clock: it
// starts on Monday 2026-11-23 at 12:00 UTC; scans every 30 s, a heartbeat failure after 3 missed scans.
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const MINUTE = 60_000;

const kinds = (notices: readonly Notification[]) => notices.map((n) => `${n.kind} ${n.agentIds.join(',')}`);

describe('fleet maintenance in the scanner', () => {
  const harness = scannerHarnesses();

  it('opens nothing inside a recurring window of the group, keeps an open alert silent, and pages after the window if still down', async () => {
    // Every day from 12:05 to 12:15 UTC.
    const h = await harness({
      renotifyMinutes: 1,
      groups: {
        production: {
          channels: ['sms', 'email'],
          maintenance: [{ cron: '5 12 * * *', duration: '10m', reason: 'nightly restart' }],
        },
      },
    });
    await h.addAgent('w-open');
    await h.addAgent('w-quiet');
    await h.beat('w-open', 'w-quiet');
    await h.scan();
    for (let i = 0; i < 3; i++) await h.step('w-quiet');
    expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure w-open']);
    // w-quiet beats until the window starts at 12:05, then falls silent.
    while (h.clock.now() < T0 + 5 * MINUTE) await h.step('w-quiet');
    h.notifier.take(); // w-open's reminders, once a minute until then

    while (h.clock.now() < T0 + 15 * MINUTE - h.intervalMs) {
      const report = await h.step();
      expect(report.opened).toEqual([]);
      expect(report.states.maintenance).toBe(2);
    }

    expect(h.notifier.take()).toEqual([]);
    expect(await h.alerts()).toEqual([expect.objectContaining({ agentId: 'w-open', status: 'open' })]);
    expect(await h.service.getAgent('w-quiet')).toMatchObject({
      state: 'maintenance',
      maintenanceUntil: '2026-11-23T12:15:00.000Z',
      maintenanceReason: 'nightly restart',
    });

    // 12:15:00, the end instant, is outside: the agent still silent is paged, and w-open reminded.
    const after = await h.step();
    expect(h.clock.now()).toBe(T0 + 15 * MINUTE);
    expect(after.opened).toHaveLength(1);
    expect(kinds(h.notifier.take()).sort()).toEqual(['heartbeat_failure w-quiet', 'reminder w-open']);
    expect((await h.service.getAgent('w-quiet')).state).toBe('failed');
  });

  it("holds a page still owed while the agent's group has a one-off window, saying whose, and sends it after", async () => {
    const h = await harness();
    await h.addAgent('g-owed');
    await h.beat('g-owed');
    await h.scan();
    await h.step();
    await h.step();
    h.notifier.failNext(1, { retryable: true, message: 'SNS throttled' });
    await h.step();
    expect(h.notifier.take()).toEqual([]);

    const until = new Date(h.clock.now() + 30 * MINUTE).toISOString();
    await h.service.startFleetMaintenance('group', 'production', { until, reason: 'rack move' });
    for (let i = 0; i < 4; i++) await h.step();

    expect(h.notifier.take()).toEqual([]);
    expect((await h.alerts())[0]).toMatchObject({
      status: 'open',
      delivery: { opening: 'held' },
      suppressed: { reason: 'maintenance', by: 'group production' },
    });
    expect(await h.service.getAgent('g-owed')).toMatchObject({
      state: 'maintenance',
      maintenanceUntil: until,
      maintenanceReason: 'rack move',
    });

    await h.service.endFleetMaintenance('group', 'production');
    await h.step();
    expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure g-owed']);
  });

  it("keeps a cluster's cluster_down open and its page held inside the cluster's window, and pages it after", async () => {
    const config: Partial<RawConfig> = { clusters: { db: { group: 'production', minHealthy: 2 } } };
    const h = await harness(config);
    for (const id of ['db-01', 'db-02', 'db-03']) await h.addAgent(id, 'production', { cluster: 'db' });
    await h.beat('db-01', 'db-02', 'db-03');
    await h.scan();
    await h.step('db-03');
    await h.step('db-03');
    // The scan that finds the quorum lost cannot publish.
    h.notifier.failNext(1, { retryable: true, message: 'SNS throttled' });
    await h.step('db-03');
    expect(h.notifier.take()).toEqual([]);

    const until = new Date(h.clock.now() + 10 * MINUTE).toISOString();
    await h.service.startFleetMaintenance('cluster', 'db', { until });
    for (let i = 0; i < 4; i++) await h.step('db-03');

    expect(h.notifier.take()).toEqual([]);
    const open = await h.alerts({ status: 'open' });
    expect(open.find((a) => a.kind === 'cluster_down')).toMatchObject({
      cluster: 'db',
      delivery: { opening: 'held' },
      suppressed: { reason: 'maintenance', by: 'cluster db' },
    });
    expect((await h.service.listAgents({ cluster: 'db' })).agents.map((a) => a.state)).toEqual([
      'maintenance',
      'maintenance',
      'maintenance',
    ]);

    await h.service.endFleetMaintenance('cluster', 'db');
    await h.step('db-03');
    expect(kinds(h.notifier.take())).toEqual(['cluster_down db-01,db-02']);
  });

  it('reads the stored one-off windows once per scan, not once per agent', async () => {
    const h = await harness();
    for (const id of ['r-01', 'r-02', 'r-03', 'r-04']) await h.addAgent(id);
    await h.service.startFleetMaintenance('group', 'production', {
      until: new Date(h.clock.now() + MINUTE).toISOString(),
    });
    const reads: string[] = [];
    h.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') reads.push(context.commandName);
        return next(args);
      },
      { step: 'initialize' },
    );

    const report = await h.scan();

    expect(report.states.maintenance).toBe(4);
    expect(reads).toEqual(['BatchGetItemCommand']);
  });
});
