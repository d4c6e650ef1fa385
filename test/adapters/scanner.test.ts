import type { Notification } from '../../lambda/domain/messages';
import { alertIdsOf, scannerHarnesses } from '../support/scanner-harness';

// The heartbeat rules, over the real DynamoDB stores (dynalite, and DynamoDB Local) with the clock
// moved by hand: scans every 30 s, a heartbeat failure after 3 missed scans.
describe('Scanner', () => {
  const harness = scannerHarnesses();

  const kinds = (notices: readonly Notification[]) => notices.map((n) => n.kind);

  describe('heartbeat failure', () => {
    it('shows the agent healthy in its views as soon as a heartbeat answers healthy, and in the status counts after the scan that resolves its alert', async () => {
      const h = await harness();
      await h.addAgent('web-02');
      await h.beat('web-02');
      await h.scan();
      for (let i = 0; i < 3; i++) await h.step();
      expect((await h.service.getAgent('web-02')).state).toBe('failed');

      h.clock.advance(1000);
      await h.beat('web-02');

      expect(await h.service.getAgent('web-02')).toMatchObject({ state: 'healthy', missedScans: 0 });
      expect((await h.service.listAgents({})).agents.map((a) => a.state)).toEqual(['healthy']);
      expect(await h.alerts({ status: 'open' })).toHaveLength(1);
      // The status counts are the last scan's, and say so.
      const before = await h.service.status();
      expect(before.groups.production).toMatchObject({ healthy: 0, failed: 1 });
      expect(before).toMatchObject({ countsAt: before.lastScanAt, agents: 1, openAlerts: 1 });

      await h.step('web-02');

      const after = await h.service.status();
      expect(after.groups.production).toMatchObject({ healthy: 1, failed: 0 });
      expect(after).toMatchObject({ countsAt: after.lastScanAt, agents: 1, openAlerts: 0 });
    });

    it('counts missed scans in the agent view as the scanner does, leaving out a blind window', async () => {
      const h = await harness();
      await h.addAgent('web-03');
      await h.beat('web-03');
      await h.scan();
      // The watcher is blind for 5 intervals, then scans again: the view counts what the scanner counts.
      h.clock.advance(5 * h.intervalMs);
      const report = await h.scan();
      expect(report.blindWindowAdded).toBe(true);

      const view = await h.service.getAgent('web-03');

      expect(view).toMatchObject({ state: 'late', missedScans: 1 });
      expect(report.states.late).toBe(1);
    });

    it('opens exactly one heartbeat_failure alert and sends one notice after 3 silent intervals, not before', async () => {
      const h = await harness();
      await h.addAgent('web-01');
      await h.beat('web-01');
      await h.scan();

      for (const missed of [1, 2]) {
        const report = await h.step();
        expect(report.opened).toEqual([]);
        const agent = await h.service.getAgent('web-01');
        expect(agent).toMatchObject({ state: 'late', missedScans: missed });
        expect(await h.alerts()).toEqual([]);
        expect(h.notifier.take()).toEqual([]);
      }

      const report = await h.step();
      expect(report.opened).toHaveLength(1);
      const alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        agentId: 'web-01',
        group: 'production',
        kind: 'heartbeat_failure',
        severity: 'critical',
        status: 'open',
        missedScans: 3,
        channels: ['sms', 'email'],
        delivery: { opening: 'sent', recovery: 'none' },
        notifiedAt: new Date(h.clock.now()).toISOString(),
      });
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        group: 'production',
        channels: ['sms', 'email'],
        kind: 'heartbeat_failure',
        severity: 'critical',
        agentIds: ['web-01'],
      });
      expect(alertIdsOf(notices[0]!)).toEqual([alerts[0]!.alertId]);
      expect(notices[0]!.messages.sms.length).toBeLessThanOrEqual(160);
      expect((await h.service.getAgent('web-01')).state).toBe('failed');

      // Still silent: the incident stays one alert, paged once.
      await h.step();
      await h.step();
      expect(await h.alerts()).toHaveLength(1);
      expect(h.notifier.take()).toEqual([]);
    });

    it('records the alert of a console-only (test) agent and never publishes it, nor its recovery', async () => {
      const h = await harness();
      await h.addAgent('lab-01', 'test');
      await h.beat('lab-01');
      await h.scan();
      await h.step();
      await h.step();
      const report = await h.step();
      expect(report.opened).toHaveLength(1);

      const listed = await h.http('GET', '/v1/alerts?group=test');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({
        alerts: [
          expect.objectContaining({
            agentId: 'lab-01',
            group: 'test',
            kind: 'heartbeat_failure',
            status: 'open',
            channels: ['console'],
          }),
        ],
      });
      expect(await h.service.listAlerts({ status: 'open' })).toHaveLength(1);

      await h.beat('lab-01');
      const next = await h.step();
      expect(next.resolved).toHaveLength(1);
      await h.step();
      expect((await h.alerts())[0]).toMatchObject({ status: 'resolved', resolution: 'heartbeat' });
      expect(h.notifier.attempts).toEqual([]);
    });

    it('resolves the alert at the next scan after a heartbeat, with one recovery notice', async () => {
      const h = await harness();
      await h.addAgent('web-02');
      await h.beat('web-02');
      await h.scan();
      await h.step();
      await h.step();
      await h.step();
      const [opening] = h.notifier.take();
      expect(opening?.kind).toBe('heartbeat_failure');
      const [alert] = await h.alerts();

      h.clock.advance(5_000);
      await h.beat('web-02');
      // Until the next scan the verdict stands.
      expect((await h.alerts())[0]).toMatchObject({ status: 'open' });
      h.clock.advance(h.intervalMs - 5_000);
      const report = await h.scan();
      expect(report.resolved).toEqual([alert!.alertId]);
      expect((await h.alerts())[0]).toMatchObject({
        alertId: alert!.alertId,
        status: 'resolved',
        resolution: 'heartbeat',
        resolvedAt: new Date(h.clock.now()).toISOString(),
        delivery: { opening: 'sent', recovery: 'sent' },
      });
      const recovery = h.notifier.take();
      expect(recovery).toHaveLength(1);
      expect(recovery[0]).toMatchObject({ kind: 'recovery', group: 'production', agentIds: ['web-02'] });
      expect(alertIdsOf(recovery[0]!)).toEqual([alert!.alertId]);
      expect((await h.service.getAgent('web-02')).state).toBe('healthy');

      await h.step();
      await h.step();
      expect(h.notifier.take()).toEqual([]);
    });
  });

  describe('probing late agents (the ping)', () => {
    it('opens host_unreachable at the first missed scan when the probe fails, and no second alert or page at the threshold', async () => {
      const h = await harness();
      h.prober.set('db-07', false);
      await h.addAgent('db-07', 'production', { probe: { type: 'tcp', host: 'db-07', port: 5432 } });
      await h.beat('db-07');
      await h.scan();
      expect(h.prober.count('db-07')).toBe(0);

      const first = await h.step();
      expect(first.probed).toBe(1);
      let alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        kind: 'host_unreachable',
        severity: 'critical',
        missedScans: 1,
        status: 'open',
      });
      expect(alerts[0]!.detail).toContain('does not answer');
      expect(kinds(h.notifier.take())).toEqual(['host_unreachable']);
      expect((await h.service.getAgent('db-07')).state).toBe('unreachable');

      // The threshold passes while the host stays down: the same incident, the same one alert.
      for (let i = 0; i < 4; i++) await h.step();
      alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'host_unreachable', status: 'open' });
      expect(h.notifier.take()).toEqual([]);
      expect(h.prober.count('db-07')).toBe(5);
    });

    it('does not probe a beating agent found one scan late on its spread alone: no host_unreachable though its probe fails', async () => {
      // Heartbeats as long as the scans (the defaults' 30 s each), spread up to 10%: a wait of 31 s.
      const h = await harness({ heartbeatIntervalSeconds: 30 });
      h.prober.set('db-08', false);
      await h.addAgent('db-08', 'production', { probe: { type: 'tcp', host: 'db-08', port: 5432 } });
      await h.scan();
      h.clock.advance(h.intervalMs - 1_000);
      await h.beat('db-08');
      h.clock.advance(h.intervalMs + 1_000);

      const late = await h.scan();
      expect(late.probed).toBe(0);
      expect((await h.service.getAgent('db-08')).state).toBe('late');
      h.clock.advance(3_000);
      const past = await h.scan();
      expect(past.probed).toBe(1);
      expect((await h.alerts()).map((a) => a.kind)).toEqual(['host_unreachable']);
    });

    it('turns a heartbeat failure warning into host_unreachable when the host goes down, paging no second time', async () => {
      const h = await harness();
      h.prober.set('app-04', true);
      await h.addAgent('app-04', 'production', { probe: { type: 'tcp', host: 'app-04', port: 22 } });
      await h.beat('app-04');
      await h.scan();
      for (let i = 0; i < 3; i++) await h.step();
      expect(h.notifier.take().map((n) => [n.kind, n.severity])).toEqual([['heartbeat_failure', 'warning']]);

      h.prober.set('app-04', false);
      await h.step();

      const alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'host_unreachable', severity: 'critical', status: 'open' });
      expect(alerts[0]!.kindHistory.map((k) => k.kind)).toEqual(['heartbeat_failure', 'host_unreachable']);
      expect(alerts[0]!.detail).toContain('does not answer');
      expect(h.notifier.take()).toEqual([]);
      expect((await h.service.getAgent('app-04')).state).toBe('unreachable');

      // The host answers again, the agent is still silent: still the one incident, now a warning.
      h.prober.set('app-04', true);
      await h.step();
      const after = await h.alerts();
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ kind: 'heartbeat_failure', severity: 'warning', status: 'open' });
      expect(h.notifier.take()).toEqual([]);

      // A heartbeat ends it: one recovery for the one page.
      await h.step('app-04');
      expect(kinds(h.notifier.take())).toEqual(['recovery']);
      expect(await h.alerts({ status: 'open' })).toEqual([]);
    });

    it('opens only a heartbeat_failure warning, at the threshold, when the late host answers its probe', async () => {
      const h = await harness();
      h.prober.set('app-03', true);
      await h.addAgent('app-03', 'production', { probe: { type: 'tcp', host: 'app-03', port: 443 } });
      await h.beat('app-03');
      await h.scan();
      await h.step();
      await h.step();
      expect(await h.alerts()).toEqual([]);
      expect(h.notifier.take()).toEqual([]);
      expect(h.prober.count('app-03')).toBe(2);

      await h.step();
      const alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'heartbeat_failure', severity: 'warning', missedScans: 3 });
      expect(alerts[0]!.detail).toMatch(/host answers/);
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        kind: 'heartbeat_failure',
        severity: 'warning',
        agentIds: ['app-03'],
      });
    });

    it('probes an agentless entry every agentlessEveryNScans scans, alerts when it fails and resolves when it answers', async () => {
      const h = await harness({ agentlessEveryNScans: 3 });
      h.prober.set('printer-01', true);
      await h.addAgent('printer-01', 'production', {
        agentless: true,
        probe: { type: 'tcp', host: 'printer-01', port: 9100 },
      });

      // Scans 0..5: probed at 0 and 3 only, never a heartbeat failure though it never beats.
      await h.scan();
      for (let i = 1; i <= 5; i++) await h.step();
      expect(h.prober.count('printer-01')).toBe(2);
      expect(await h.alerts()).toEqual([]);

      h.prober.set('printer-01', false);
      const failing = await h.step(); // scan 6
      expect(failing.probed).toBe(1);
      let alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        agentId: 'printer-01',
        kind: 'host_unreachable',
        severity: 'critical',
      });
      expect(kinds(h.notifier.take())).toEqual(['host_unreachable']);

      await h.step(); // 7
      await h.step(); // 8
      expect(h.prober.count('printer-01')).toBe(3);
      expect(h.notifier.take()).toEqual([]);

      h.prober.set('printer-01', true);
      await h.step(); // 9
      alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'resolved', resolution: 'probe' });
      const recovery = h.notifier.take();
      expect(recovery).toHaveLength(1);
      expect(recovery[0]).toMatchObject({ kind: 'recovery', agentIds: ['printer-01'] });

      // A later failure is a new incident with an alert of its own.
      h.prober.set('printer-01', false);
      for (let i = 10; i <= 12; i++) await h.step();
      const again = await h.alerts({ status: 'open' });
      expect(again).toHaveLength(1);
      expect(again[0]!.alertId).not.toBe(alerts[0]!.alertId);
      expect(kinds(h.notifier.take())).toEqual(['host_unreachable']);
    });
  });

  describe('maintenance', () => {
    it('opens nothing inside a window and keeps an alert already open, silently', async () => {
      const h = await harness({ renotifyMinutes: 1 });
      await h.addAgent('m-quiet');
      await h.addAgent('m-open');
      await h.beat('m-quiet', 'm-open');
      await h.scan();
      await h.step();
      await h.step();
      // m-quiet keeps beating until the window starts; m-open fails first.
      await h.beat('m-quiet');
      await h.step();
      const [alert] = await h.alerts();
      expect(alert).toMatchObject({ agentId: 'm-open', status: 'open' });
      expect(h.notifier.take()).toHaveLength(1);

      const until = new Date(h.clock.now() + 60 * 60_000).toISOString();
      await h.service.startMaintenance('m-quiet', { until, reason: 'patching' });
      await h.service.startMaintenance('m-open', { until, reason: 'patching' });
      for (let i = 0; i < 8; i++) await h.step();

      const alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ alertId: alert!.alertId, status: 'open' });
      expect(h.notifier.take()).toEqual([]);
      expect((await h.service.getAgent('m-quiet')).state).toBe('maintenance');

      // The window over, the agent that stayed silent is a failure at the next scan.
      await h.service.endMaintenance('m-quiet');
      const report = await h.step();
      expect(report.opened).toHaveLength(1);
      expect((await h.alerts({ status: 'open' })).map((a) => a.agentId).sort()).toEqual([
        'm-open',
        'm-quiet',
      ]);
    });

    it('holds back an opening still owed (its publish failed) while the agent is in maintenance, and sends it after', async () => {
      const h = await harness();
      await h.addAgent('m-owed');
      await h.beat('m-owed');
      await h.scan();
      await h.step();
      await h.step();
      h.notifier.failNext(1, { retryable: true, message: 'SNS throttled' });
      await h.step();
      expect(h.notifier.take()).toEqual([]);
      expect((await h.alerts())[0]).toMatchObject({ status: 'open', delivery: { opening: 'pending' } });

      const until = new Date(h.clock.now() + 60 * 60_000).toISOString();
      await h.service.startMaintenance('m-owed', { until, reason: 'patching' });
      for (let i = 0; i < 4; i++) await h.step();
      expect(h.notifier.take()).toEqual([]);
      expect((await h.alerts())[0]).toMatchObject({
        status: 'open',
        delivery: { opening: 'held' },
        suppressed: { reason: 'maintenance', by: 'm-owed' },
      });

      await h.service.endMaintenance('m-owed');
      await h.step();
      expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure']);
    });
  });

  describe('reminders', () => {
    it('repeats an unacknowledged page once per renotifyMinutes and stops after the acknowledgement', async () => {
      const h = await harness({ renotifyMinutes: 2 });
      await h.addAgent('r-01');
      await h.beat('r-01');
      await h.scan();
      await h.step();
      await h.step();
      await h.step();
      const [alert] = await h.alerts();
      const openedAt = Date.parse(alert!.openedAt!);
      expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure']);

      let reminders = 0;
      for (let i = 0; i < 10; i++) {
        await h.step();
        const notices = h.notifier.take();
        expect(notices.every((n) => n.kind === 'reminder' && n.agentIds.join() === 'r-01')).toBe(true);
        reminders += notices.length;
        expect(reminders).toBe(Math.floor((h.clock.now() - openedAt) / 120_000));
      }
      expect(reminders).toBe(2);

      const acked = await h.http('POST', `/v1/alerts/${alert!.alertId}/ack`, { by: 'oncall' });
      expect(acked.status).toBe(200);
      for (let i = 0; i < 10; i++) await h.step();
      expect(h.notifier.take()).toEqual([]);
      expect((await h.alerts())[0]).toMatchObject({ status: 'open', acknowledgedBy: 'oncall' });
    });
  });

  describe('summaries', () => {
    it('sends ONE summary per group listing every agent that failed in the same scan', async () => {
      const h = await harness();
      const prod = ['p-01', 'p-02', 'p-03', 'p-04'];
      for (const id of prod) await h.addAgent(id);
      await h.addAgent('p-ok');
      await h.addAgent('t-01', 'test');
      await h.addAgent('t-02', 'test');
      await h.beat(...prod, 'p-ok', 't-01', 't-02');
      await h.scan();
      for (let i = 0; i < 3; i++) await h.step('p-ok');

      const alerts = await h.alerts({ status: 'open' });
      expect(alerts.map((a) => a.agentId).sort()).toEqual([...prod, 't-01', 't-02']);
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ group: 'production', kind: 'heartbeat_failure' });
      expect([...notices[0]!.agentIds].sort()).toEqual(prod);
      expect(alertIdsOf(notices[0]!).sort()).toEqual(
        alerts
          .filter((a) => a.group === 'production')
          .map((a) => a.alertId)
          .sort(),
      );
      expect(notices[0]!.messages.sms.length).toBeLessThanOrEqual(160);

      // They come back together: one recovery summary.
      await h.step(...prod, 'p-ok', 't-01', 't-02');
      const recoveries = h.notifier.take();
      expect(recoveries).toHaveLength(1);
      expect(recoveries[0]!.kind).toBe('recovery');
      expect([...recoveries[0]!.agentIds].sort()).toEqual(prod);
    });
  });

  describe('storm guard', () => {
    const fleet = Array.from({ length: 20 }, (_, i) => `s-${String(i + 1).padStart(2, '0')}`);
    const silent = fleet.slice(0, 12);
    const healthy = fleet.slice(12);

    it('holds per-agent pages behind one network_event notice, then pages only the agents still failing when it clears', async () => {
      const h = await harness({ stormMinAgents: 10 });
      for (const id of fleet) await h.addAgent(id);
      await h.beat(...fleet);
      await h.scan();
      await h.step(...healthy);
      await h.step(...healthy);
      const start = await h.step(...healthy);

      expect(start.storm).toBe('start');
      expect(start.opened).toHaveLength(12);
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ kind: 'network_event', group: 'production', severity: 'critical' });
      expect([...notices[0]!.agentIds].sort()).toEqual(silent);
      let open = await h.alerts({ status: 'open' });
      const perAgent = open.filter((a) => a.kind === 'heartbeat_failure');
      expect(perAgent.map((a) => a.agentId).sort()).toEqual(silent);
      expect(perAgent.every((a) => a.delivery?.opening === 'held')).toBe(true);
      expect(open.filter((a) => a.kind === 'network_event')).toHaveLength(1);

      // Still a storm: nothing more is sent.
      expect((await h.step(...healthy)).storm).toBe('active');
      expect(h.notifier.take()).toEqual([]);

      // One comes back: 11 still failing, still a storm; its held page is dropped.
      const back = silent.slice(0, 4);
      expect((await h.step(...healthy, back[0]!)).storm).toBe('active');
      expect(h.notifier.take()).toEqual([]);

      // Three more come back: 8 failing, the storm clears.
      const clear = await h.step(...healthy, ...back);
      expect(clear.storm).toBe('clear');
      const released = h.notifier.take();
      const stillSilent = silent.slice(4);
      const summary = released.filter((n) => n.kind !== 'recovery');
      expect(summary).toHaveLength(1);
      expect(summary[0]).toMatchObject({ kind: 'heartbeat_failure', group: 'production' });
      expect([...summary[0]!.agentIds].sort()).toEqual(stillSilent);
      const cleared = released.filter((n) => n.kind === 'recovery');
      expect(cleared).toHaveLength(1);
      expect(cleared[0]!.subject).toMatch(/CLEARED/);

      const all = await h.alerts();
      const resolvedInStorm = all.filter((a) => a.kind === 'heartbeat_failure' && back.includes(a.agentId));
      expect(resolvedInStorm.every((a) => a.status === 'resolved')).toBe(true);
      expect(resolvedInStorm.every((a) => a.notifiedAt === undefined)).toBe(true);
      open = await h.alerts({ status: 'open' });
      expect(open.map((a) => a.agentId).sort()).toEqual(stillSilent);

      // Later the rest come back: one recovery summary of those that were paged, none for the others.
      await h.step(...fleet);
      const recoveries = h.notifier.take();
      expect(recoveries).toHaveLength(1);
      expect(recoveries[0]!.kind).toBe('recovery');
      expect([...recoveries[0]!.agentIds].sort()).toEqual(stillSilent);

      const pagedIds = h.notifier.sent.filter((n) => n.kind !== 'network_event').flatMap(alertIdsOf);
      for (const a of resolvedInStorm) expect(pagedIds).not.toContain(a.alertId);
    });
  });

  describe('a blind watcher', () => {
    it('does not count a gap of 10 intervals without scans as missed scans', async () => {
      const h = await harness();
      const agents = ['b-01', 'b-02', 'b-03'];
      for (const id of agents) await h.addAgent(id);
      await h.beat(...agents);
      await h.scan();

      h.clock.advance(10 * h.intervalMs);
      const report = await h.scan();
      expect(report.blindWindowAdded).toBe(true);
      expect(report.opened).toEqual([]);
      expect(await h.alerts()).toEqual([]);
      expect(h.notifier.take()).toEqual([]);

      // Counting resumes after the gap: still silent two scans later, they fail.
      expect((await h.step()).opened).toEqual([]);
      const failing = await h.step();
      expect(failing.opened).toHaveLength(3);
    });
  });
});
