import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AgentRecord } from '../../lambda/domain/agent';
import type { AlertRecord } from '../../lambda/domain/alert';
import type { RawConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import type { AgentStore, MalformedItemError } from '../../lambda/ports';
import {
  alertIdsOf,
  type ScannerHarness,
  ScriptedProber,
  scannerHarnesses,
} from '../support/scanner-harness';

// One alert per incident even with two scanners, every notice sent exactly once
// (a failed publish retried, never lost, never doubled), and one bad agent never
// stops a scan, nor does a scan that died half way leave a state the next one cannot finish.
describe('Scanner reliability', () => {
  const harness = scannerHarnesses();

  /** How many sent notices of `phase` name each alert id. */
  function noticesPerAlert(
    notices: readonly Notification[],
    phase: 'opening' | 'recovery',
  ): Map<string, number> {
    const counts = new Map<string, number>();
    for (const n of notices) {
      if (n.kind === 'reminder' || (phase === 'recovery') !== (n.kind === 'recovery')) continue;
      for (const id of alertIdsOf(n)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  describe('two scanners racing over the same tables', () => {
    it('open one alert for a dead host when their probes disagree at the threshold', async () => {
      const h = await harness();
      await h.addAgent('flaky-01', 'production', { probe: { type: 'tcp', host: 'flaky-01', port: 22 } });
      h.prober.set('flaky-01', true);
      await h.beat('flaky-01');
      await h.scan();
      await h.step();
      await h.step();
      // One scanner finds the port closed, the other finds it open, in the same scan.
      const refusing = new ScriptedProber();
      refusing.set('flaky-01', false);
      const other = h.otherScanner({ prober: refusing });

      h.clock.advance(h.intervalMs);
      await Promise.all([h.scanner.scan(), other.scan()]);

      const alerts = await h.alerts();
      expect(alerts).toHaveLength(1);
      expect([...noticesPerAlert(h.notifier.sent, 'opening').values()]).toEqual([1]);
    });

    it('open one alert per incident and page each alert once when they scan at the same moment', async () => {
      const h = await harness();
      const other = h.otherScanner();
      const agents = ['r-01', 'r-02', 'r-03', 'r-04', 'r-05', 'r-06'];
      for (const id of agents) await h.addAgent(id);
      await h.addAgent('r-test', 'test');
      await h.beat(...agents, 'r-test');
      await h.scan();
      await h.step();
      await h.step();

      h.clock.advance(h.intervalMs);
      const reports = await Promise.all([h.scanner.scan(), other.scan()]);

      expect(reports[0].opened.length + reports[1].opened.length).toBe(7);
      expect(new Set([...reports[0].opened, ...reports[1].opened]).size).toBe(7);
      expect(reports.filter((r) => r.recorded)).toHaveLength(1);
      const alerts = await h.alerts();
      expect(alerts).toHaveLength(7);
      const perAlert = noticesPerAlert(h.notifier.sent, 'opening');
      const paged = alerts.filter((a) => a.group === 'production').map((a) => a.alertId);
      expect([...perAlert.keys()].sort()).toEqual(paged.sort());
      expect([...perAlert.values()].every((n) => n === 1)).toBe(true);
      expect(h.notifier.sent.flatMap((n) => n.agentIds)).not.toContain('r-test');

      // Both come back in the same scan: one recovery each.
      h.clock.advance(h.intervalMs);
      await h.beat(...agents, 'r-test');
      await Promise.all([other.scan(), h.scanner.scan()]);
      const recoveries = noticesPerAlert(h.notifier.sent, 'recovery');
      expect([...recoveries.keys()].sort()).toEqual(paged.sort());
      expect([...recoveries.values()].every((n) => n === 1)).toBe(true);
      expect(h.notifier.attempts).toHaveLength(h.notifier.sent.length);
    });

    it('over 20 rounds of agents failing and recovering, open exactly the alerts one scanner opens and page each once', async () => {
      const config: Partial<RawConfig> = {};
      const racing = await harness(config);
      const solo = await harness(config);
      const other = racing.otherScanner();
      const fleet = Array.from({ length: 8 }, (_, i) => `f-${i}`);
      for (const h of [racing, solo]) {
        for (const id of fleet) await h.addAgent(id);
        await h.addAgent('f-probe', 'production', { probe: { type: 'tcp', host: 'down-host', port: 22 } });
        await h.addAgent('f-test', 'test');
        h.prober.set('down-host', false);
      }
      const everyone = [...fleet, 'f-probe', 'f-test'];
      // Each agent has silent stretches of 5 rounds every 11, at its own phase: incidents overlap.
      const silent = (index: number, round: number) => round > 0 && (round + 3 * index) % 11 < 5;
      const beating = (round: number) => everyone.filter((_, i) => !silent(i, round));

      for (let round = 0; round <= 20; round++) {
        for (const h of [racing, solo]) {
          if (round > 0) h.clock.advance(h.intervalMs);
          await h.beat(...beating(round));
        }
        const pair = round % 2 === 0 ? [racing.scanner, other] : [other, racing.scanner];
        await Promise.all(pair.map((s) => s.scan()));
        await solo.scan();
      }

      const racingAlerts = await racing.alerts();
      const soloAlerts = await solo.alerts();
      expect(soloAlerts.length).toBeGreaterThan(12);
      const summary = (alerts: typeof soloAlerts) =>
        alerts.map((a) => `${a.alertId} ${a.status} ${a.resolution ?? ''}`).sort();
      expect(summary(racingAlerts)).toEqual(summary(soloAlerts));

      const openings = noticesPerAlert(racing.notifier.sent, 'opening');
      const recoveries = noticesPerAlert(racing.notifier.sent, 'recovery');
      for (const alert of racingAlerts) {
        const paging = alert.group === 'production';
        expect([alert.alertId, openings.get(alert.alertId) ?? 0]).toEqual([alert.alertId, paging ? 1 : 0]);
        const recovered = paging && alert.status === 'resolved';
        expect([alert.alertId, recoveries.get(alert.alertId) ?? 0]).toEqual([
          alert.alertId,
          recovered ? 1 : 0,
        ]);
      }
      expect([...openings.keys()].every((id) => racingAlerts.some((a) => a.alertId === id))).toBe(true);
    });
  });

  describe('two scanners racing through a storm', () => {
    const fleet = Array.from({ length: 20 }, (_, i) => `st-${String(i).padStart(2, '0')}`);
    const silent = fleet.slice(0, 12);
    const healthy = fleet.slice(12);

    async function fleetAboutToStorm(h: ScannerHarness) {
      for (const id of fleet) await h.addAgent(id);
      await h.beat(...fleet);
      await h.scan();
      await h.step(...healthy);
      await h.step(...healthy);
      h.clock.advance(h.intervalMs);
      await h.beat(...healthy);
    }

    it('send one network_event notice and no per-agent page when 12 of 20 agents go silent in the scan they share', async () => {
      const h = await harness({ stormMinAgents: 10 });
      const other = h.otherScanner();
      await fleetAboutToStorm(h);
      await Promise.all([h.scanner.scan(), other.scan()]);

      expect(h.notifier.sent.map((n) => n.kind)).toEqual(['network_event']);
      const perAgent = (await h.alerts({ status: 'open' })).filter((a) => a.kind === 'heartbeat_failure');
      expect(perAgent.map((a) => a.agentId).sort()).toEqual(silent);
      expect(perAgent.map((a) => a.delivery?.opening)).toEqual(silent.map(() => 'held'));
    });

    it('send one network_event notice when a racing scanner wins every create but has not marked the storm yet', async () => {
      const h = await harness({ stormMinAgents: 10 });
      // The first scanner of the round wins every create, then stops before it marks the storm.
      const first = h.otherScanner({
        wrap: (stores) => ({
          ...stores,
          state: replacing(stores.state, 'setStorm', () =>
            Promise.reject(new Error('stopped before its storm guard')),
          ),
        }),
      });
      // The second read the open alerts before any was created; its first create waits for the first
      // scanner's whole scan, so it loses every one.
      let firstScan: Promise<unknown> | undefined;
      const second = h.otherScanner({
        wrap: (stores) => ({
          ...stores,
          alerts: replacing(stores.alerts, 'create', async (alert: AlertRecord) => {
            firstScan ??= first.scan().catch(() => undefined);
            await firstScan;
            return stores.alerts.create(alert);
          }),
        }),
      });
      await fleetAboutToStorm(h);

      await second.scan();

      expect((await h.alerts({ status: 'open' })).filter((a) => a.kind === 'heartbeat_failure')).toHaveLength(
        12,
      );
      expect(h.notifier.sent.map((n) => n.kind)).toEqual(['network_event']);
    });

    it('send one network_event notice and no per-agent page at the next scan when the scan that opened the storm died before its storm guard', async () => {
      const h = await harness({ stormMinAgents: 10 });
      const dying = h.otherScanner({
        wrap: (stores) => ({
          ...stores,
          state: replacing(stores.state, 'setStorm', () =>
            Promise.reject(new Error('died before its storm guard')),
          ),
        }),
      });
      await fleetAboutToStorm(h);
      await expect(dying.scan()).rejects.toThrow('died before its storm guard');
      expect(h.notifier.sent).toEqual([]);

      h.clock.advance(h.intervalMs);
      await h.beat(...healthy);
      expect((await h.scanner.scan()).storm).toBe('start');

      expect(h.notifier.sent.map((n) => n.kind)).toEqual(['network_event']);
      const perAgent = (await h.alerts({ status: 'open' })).filter((a) => a.kind === 'heartbeat_failure');
      expect(perAgent.map((a) => a.delivery?.opening)).toEqual(silent.map(() => 'held'));
    });

    it('page every agent still failing once when the storm clears, with no page left held', async () => {
      const h = await harness({ stormMinAgents: 10 });
      const other = h.otherScanner();
      await fleetAboutToStorm(h);
      expect((await h.scanner.scan()).storm).toBe('start');
      expect(h.notifier.take().map((n) => n.kind)).toEqual(['network_event']);

      const back = silent.slice(0, 4);
      const stillSilent = silent.slice(4);
      h.clock.advance(h.intervalMs);
      await h.beat(...healthy, ...back);
      await Promise.all([other.scan(), h.scanner.scan()]);
      for (let i = 0; i < 2; i++) await h.step(...healthy, ...back);

      const open = (await h.alerts({ status: 'open' })).filter((a) => a.kind === 'heartbeat_failure');
      expect(open.map((a) => a.agentId).sort()).toEqual(stillSilent);
      expect(open.map((a) => a.delivery?.opening)).toEqual(stillSilent.map(() => 'sent'));
      const perAlert = noticesPerAlert(
        h.notifier.sent.filter((n) => n.kind !== 'recovery' && n.kind !== 'network_event'),
        'opening',
      );
      expect([...perAlert.keys()].sort()).toEqual(open.map((a) => a.alertId).sort());
      expect([...perAlert.values()].every((n) => n === 1)).toBe(true);
    });
  });

  describe('delivery', () => {
    it('keeps a page whose retryable publish failed pending and sends it once at the next scan', async () => {
      const h = await harness();
      await h.addAgent('d-01');
      await h.addAgent('d-02');
      await h.beat('d-01', 'd-02');
      await h.scan();
      await h.step();
      await h.step();
      h.notifier.failNext(1, { retryable: true, message: 'SNS throttled' });
      const failed = await h.step();

      expect(failed).toMatchObject({ noticesSent: 0, noticesFailed: 1 });
      expect(h.notifier.sent).toEqual([]);
      let alerts = await h.alerts();
      expect(alerts).toHaveLength(2);
      for (const a of alerts) {
        expect(a).toMatchObject({
          status: 'open',
          delivery: { opening: 'pending' },
          lastDeliveryError: 'SNS throttled',
        });
      }

      const retried = await h.step();
      expect(retried).toMatchObject({ noticesSent: 1, noticesFailed: 0 });
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect([...notices[0]!.agentIds].sort()).toEqual(['d-01', 'd-02']);
      alerts = await h.alerts();
      expect(alerts.every((a) => a.delivery?.opening === 'sent' && a.lastDeliveryError === undefined)).toBe(
        true,
      );

      // The recovery fails once too, and goes out once at the scan after.
      await h.step();
      expect(h.notifier.take()).toEqual([]);
      h.notifier.failNext(1);
      await h.step('d-01', 'd-02');
      expect(h.notifier.take()).toEqual([]);
      expect(
        (await h.alerts()).every((a) => a.status === 'resolved' && a.delivery?.recovery === 'pending'),
      ).toBe(true);
      await h.step('d-01', 'd-02');
      const recovery = h.notifier.take();
      expect(recovery).toHaveLength(1);
      expect(recovery[0]!.kind).toBe('recovery');
      for (let i = 0; i < 3; i++) await h.step('d-01', 'd-02');
      expect(h.notifier.take()).toEqual([]);
      expect((await h.alerts()).every((a) => a.delivery?.recovery === 'sent')).toBe(true);
    });

    it('marks a page whose publish failed for good as failed and never retries it', async () => {
      const h = await harness();
      await h.addAgent('n-01');
      await h.beat('n-01');
      await h.scan();
      await h.step();
      await h.step();
      h.notifier.failNext(1, { retryable: false, message: 'topic does not exist' });
      const report = await h.step();
      expect(report.noticesFailed).toBe(1);
      expect((await h.alerts())[0]).toMatchObject({
        status: 'open',
        delivery: { opening: 'failed' },
        lastDeliveryError: 'topic does not exist',
      });

      for (let i = 0; i < 4; i++) await h.step();
      await h.step('n-01');
      await h.step('n-01');
      expect(h.notifier.attempts).toHaveLength(1);
      expect(h.notifier.sent).toEqual([]);
      expect((await h.alerts())[0]).toMatchObject({ status: 'resolved', delivery: { opening: 'failed' } });
    });
  });

  describe('a scan that dies half way', () => {
    it('leaves a state that the next scan completes: every alert opened once and paged once', async () => {
      const h = await harness();
      const silentAgents = Array.from({ length: 8 }, (_, i) => `c-${i}`);
      for (const id of silentAgents) await h.addAgent(id);
      await h.addAgent('c-ok');
      await h.beat(...silentAgents, 'c-ok');
      await h.scan();
      await h.step('c-ok');
      await h.step('c-ok');
      const before = await h.stores.state.getScannerState();

      const inFlight = { count: 0 };
      const crashing = h.otherScanner({
        wrap: (stores) => ({
          agents: crashAfter(tracked(stores.agents, inFlight), 4),
          alerts: tracked(stores.alerts, inFlight),
          state: tracked(stores.state, inFlight),
        }),
      });
      h.clock.advance(h.intervalMs);
      await h.beat('c-ok');
      await expect(crashing.scan()).rejects.toThrow('the scanner died');
      await settled(inFlight);

      const partial = await h.alerts();
      expect(partial.length).toBeLessThanOrEqual(4);
      expect(h.notifier.attempts).toEqual([]);
      expect((await h.stores.state.getScannerState()).lastScanAt).toBe(before.lastScanAt);

      const report = await h.scan();
      expect(report.recorded).toBe(true);
      expect(report.opened).toHaveLength(8 - partial.length);
      const alerts = await h.alerts();
      expect(alerts.map((a) => a.agentId).sort()).toEqual(silentAgents);
      expect(new Set(alerts.map((a) => a.alertId)).size).toBe(8);
      const perAlert = noticesPerAlert(h.notifier.sent, 'opening');
      expect([...perAlert.keys()].sort()).toEqual(alerts.map((a) => a.alertId).sort());
      expect([...perAlert.values()].every((n) => n === 1)).toBe(true);
      expect(h.notifier.sent).toHaveLength(1);

      await h.step('c-ok');
      expect(await h.alerts()).toHaveLength(8);
      expect(h.notifier.take()).toHaveLength(1);
    });
  });

  describe('a malformed agent item', () => {
    it('is counted in the report and skipped while every other agent is scanned', async () => {
      const h = await harness();
      await h.addAgent('g-01');
      await h.addAgent('g-02');
      await h.addAgent('g-ok');
      await h.beat('g-01', 'g-02', 'g-ok');
      const createdAt = { N: String(h.clock.now()) };
      await h.client.send(
        new PutItemCommand({
          TableName: h.names.agents,
          Item: { agentId: { S: 'broken-nogroup' }, approval: { S: 'approved' }, createdAt },
        }),
      );
      await h.client.send(
        new PutItemCommand({
          TableName: h.names.agents,
          Item: {
            agentId: { S: 'broken-approval' },
            group: { S: 'production' },
            approval: { S: 'bogus' },
            createdAt,
          },
        }),
      );
      const first = await h.scan();
      expect(first).toMatchObject({ agents: 5, malformed: 2, monitored: 3, errors: 0 });
      await h.step('g-ok');
      await h.step('g-ok');
      const report = await h.step('g-ok');

      expect(report).toMatchObject({ agents: 5, malformed: 2, monitored: 3, errors: 0, recorded: true });
      expect(report.opened).toHaveLength(2);
      expect((await h.alerts()).map((a) => a.agentId).sort()).toEqual(['g-01', 'g-02']);
      const notices = h.notifier.take();
      expect(notices).toHaveLength(1);
      expect([...notices[0]!.agentIds].sort()).toEqual(['g-01', 'g-02']);
    });

    it('keeps the open alert of an agent whose item went bad instead of resolving it as removed', async () => {
      const h = await harness();
      await h.addAgent('g-bad');
      await h.beat('g-bad');
      await h.scan();
      await h.step();
      await h.step();
      await h.step();
      const [alert] = await h.alerts();
      expect(alert?.status).toBe('open');

      await h.client.send(
        new PutItemCommand({
          TableName: h.names.agents,
          Item: {
            agentId: { S: 'g-bad' },
            group: { S: 'production' },
            approval: { S: 'bogus' },
            createdAt: { N: '0' },
          },
        }),
      );
      const report = await h.step();
      expect(report.malformed).toBe(1);
      expect((await h.alerts())[0]).toMatchObject({ alertId: alert!.alertId, status: 'open' });
    });
  });
});

/** The agent store of a scanner that dies after reading `limit` agents. */
function crashAfter(store: AgentStore, limit: number): AgentStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'scanAll') return Reflect.get(target, prop, receiver);
      return async function* (segments: number): AsyncIterable<AgentRecord | MalformedItemError> {
        let read = 0;
        for await (const item of target.scanAll(segments)) {
          if (read === limit) throw new Error('the scanner died');
          read += 1;
          yield item;
        }
      };
    },
  });
}

/** Counts the calls of `store` under way, so that a test can wait for a dead scan's stragglers. */
function tracked<T extends object>(store: T, inFlight: { count: number }): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        inFlight.count += 1;
        return result.finally(() => {
          inFlight.count -= 1;
        });
      };
    },
  });
}

/** Waits until no tracked call has been under way for a few turns of the event loop. */
async function settled(inFlight: { count: number }): Promise<void> {
  let quiet = 0;
  while (quiet < 3) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = inFlight.count === 0 ? quiet + 1 : 0;
  }
}

/** `target` with its method `key` replaced by `method`, every other member as it was. */
function replacing<T extends object, K extends keyof T>(target: T, key: K, method: T[K]): T {
  return new Proxy(target, {
    get(inner, name) {
      if (name === key) return method;
      const value = Reflect.get(inner, name);
      return typeof value === 'function' ? value.bind(inner) : value;
    },
  });
}
