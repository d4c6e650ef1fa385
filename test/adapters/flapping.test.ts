import type { AlertRecord } from '../../lambda/domain/alert';
import type { Notification } from '../../lambda/domain/messages';
import { countDynamoRequests } from '../support/dynamo-request-counter';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// Flapping and recovery hysteresis, over the real DynamoDB stores (dynalite, and DynamoDB Local) with
// the clock moved by hand: scans every 30 s, a heartbeat failure after 3 missed scans, so one incident of an agent that
// goes silent and beats again takes 4 scans (2 minutes).
const FLAPPING = { changes: 3, window: '30m', stableFor: '5m' };

describe('Scanner: flapping', () => {
  const harness = scannerHarnesses();

  const kinds = (notices: readonly Notification[]) => notices.map((n) => n.kind);

  async function flappingHarness(): Promise<ScannerHarness> {
    const h = await harness({
      groups: {
        production: { channels: ['sms', 'email'], flapping: FLAPPING },
        test: { channels: ['console'] },
      },
    });
    await h.addAgent('web-01');
    await h.beat('web-01');
    await h.scan();
    return h;
  }

  /** Three silent scans (the alert opens at the third); answers the notices sent meanwhile. */
  async function goSilent(h: ScannerHarness): Promise<Notification[]> {
    for (let i = 0; i < 3; i++) await h.step();
    return h.notifier.take();
  }

  /** A heartbeat and a scan that resolves the incident; answers the notices sent. */
  async function comeBack(h: ScannerHarness, agentId = 'web-01'): Promise<Notification[]> {
    await h.step(agentId);
    return h.notifier.take();
  }

  /** A promise `opened` that settles when `open` is called. */
  function latch() {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open };
  }

  /** Two incidents and back, then up to the scan that opens the third incident (not yet run). */
  async function toTheScanOfTheThirdOpening(h: ScannerHarness) {
    for (let i = 0; i < 2; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    await h.step();
    await h.step();
    h.clock.advance(h.intervalMs);
  }

  const flappingAlerts = async (h: ScannerHarness) => (await h.alerts()).filter((a) => a.kind === 'flapping');

  /**
   * Another scanner whose store fails to create a flapping alert (a throttled write) while
   * `failing.on`; `more` replaces other methods of its alert store.
   */
  function withoutFlappingCreates(h: ScannerHarness, more: object = {}) {
    const failing = { on: true };
    const scanner = h.otherScanner({
      wrap: (stores) => ({
        ...stores,
        alerts: Object.assign(Object.create(stores.alerts), {
          async create(alert: AlertRecord) {
            if (alert.kind === 'flapping' && failing.on) throw new Error('throttled');
            return stores.alerts.create(alert);
          },
          ...more,
        }),
      }),
    });
    return { scanner, failing };
  }

  it('pages one flapping alert at the third opening within the window and holds the incident’s own page and recovery', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 2; i++) {
      expect(kinds(await goSilent(h))).toEqual(['heartbeat_failure']);
      expect(kinds(await comeBack(h))).toEqual(['recovery']);
    }

    const third = await goSilent(h);

    expect(kinds(third)).toEqual(['flapping']);
    expect(third[0]).toMatchObject({ severity: 'warning', agentIds: ['web-01'] });
    expect(third[0]!.subject).toBe('WARNING flapping: web-01 (production)');
    const [flapping] = await flappingAlerts(h);
    expect(flapping).toMatchObject({ status: 'open', severity: 'warning', delivery: { opening: 'sent' } });
    expect(await h.service.getAgent('web-01')).toMatchObject({ state: 'failed', flapping: true });
    const incident = (await h.alerts({ status: 'open' })).find((a) => a.kind === 'heartbeat_failure');
    expect(incident).toMatchObject({
      delivery: { opening: 'held' },
      suppressed: { reason: 'flapping', by: 'web-01' },
    });

    expect(await comeBack(h)).toEqual([]);
    const resolved = (await h.alerts()).find((a) => a.alertId === incident!.alertId);
    expect(resolved).toMatchObject({
      status: 'resolved',
      delivery: { opening: 'suppressed', recovery: 'none' },
    });
  });

  it('holds every later incident while it flaps, then resolves with one recovery once healthy for stableFor', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 3; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    expect(kinds(h.notifier.sent)).toEqual([
      'heartbeat_failure',
      'recovery',
      'heartbeat_failure',
      'recovery',
      'flapping',
    ]);

    // A fourth incident while it flaps: no page, no recovery, no second flapping alert.
    expect(await goSilent(h)).toEqual([]);
    expect(await comeBack(h)).toEqual([]);
    expect(await flappingAlerts(h)).toHaveLength(1);

    // Healthy from the scan that resolved the incident; 5 minutes later (10 scans) it is stable.
    for (let i = 0; i < 9; i++) {
      const report = await h.step('web-01');
      expect(report.resolved).toEqual([]);
    }
    const stable = await h.step('web-01');

    const [flapping] = await flappingAlerts(h);
    expect(stable.resolved).toEqual([flapping!.alertId]);
    expect(flapping).toMatchObject({ status: 'resolved', resolution: 'stable' });
    const recovery = h.notifier.take();
    expect(kinds(recovery)).toEqual(['recovery']);
    expect(recovery[0]!.subject).toBe('RECOVERED web-01 (production): flapping resolved');
    expect(recovery[0]!.alertIds).toEqual([flapping!.alertId]);
    expect((await h.service.getAgent('web-01')).flapping).toBeUndefined();

    // The openings of the episode no longer count: the next incident pages as usual.
    expect(kinds(await goSilent(h))).toEqual(['heartbeat_failure']);
    expect(kinds(await comeBack(h))).toEqual(['recovery']);
  });

  it('pages the next incident as usual when the end of the episode was not written on the agent', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 3; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    const scanner = h.otherScanner({
      wrap: (stores) => ({
        ...stores,
        agents: Object.assign(Object.create(stores.agents), {
          async endFlapping() {
            throw new Error('throttled');
          },
        }),
      }),
    });
    for (let i = 0; i < 10; i++) {
      h.clock.advance(h.intervalMs);
      await h.beat('web-01');
      await scanner.scan();
    }
    expect(await flappingAlerts(h)).toMatchObject([{ status: 'resolved' }]);
    h.notifier.take();

    // The openings of the episode are still within the window: they must not make it flap again.
    expect(kinds(await goSilent(h))).toEqual(['heartbeat_failure']);
    expect(await flappingAlerts(h)).toHaveLength(1);
  });

  it('closes the flapping alert of an agent no longer monitored, and its episode with it', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 3; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    expect((await h.http('POST', '/v1/agents/web-01/reject')).status).toBe(200);

    await h.step();

    expect(await flappingAlerts(h)).toMatchObject([{ status: 'resolved', resolution: 'unmonitored' }]);
    expect((await h.http('POST', '/v1/agents/web-01/approve')).status).toBe(200);
    await h.step('web-01');
    h.notifier.take();
    expect(kinds(await goSilent(h))).toEqual(['heartbeat_failure']);
  });

  it('starts the stable count again when the agent is late before stableFor has passed', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 3; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    for (let i = 0; i < 8; i++) await h.step('web-01');
    await h.step(); // one scan late, below the threshold: no incident, but not healthy

    for (let i = 0; i < 10; i++) expect((await h.step('web-01')).resolved).toEqual([]);
    expect((await h.step('web-01')).resolved).toHaveLength(1);
  });

  /**
   * Two incidents, then a third whose scanner fails to open the flapping alert: the incident pages,
   * and its agent flaps from the next scan on.
   */
  async function pagedBeforeFlapping() {
    const h = await flappingHarness();
    for (let i = 0; i < 2; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    const { scanner: failing, failing: fails } = withoutFlappingCreates(h);
    await h.step();
    await h.step();
    h.clock.advance(h.intervalMs);
    await failing.scan();
    fails.on = false;
    expect(kinds(h.notifier.take())).toEqual(['heartbeat_failure']);
    return h;
  }

  it('holds the recovery of an incident paged before its agent began to flap: the flapping recovery is the one sent', async () => {
    const h = await pagedBeforeFlapping();

    // The next scan opens it; the incident's recovery is then held for good.
    expect(kinds(await comeBack(h))).toEqual(['flapping']);
    const incident = (await h.alerts()).find(
      (a) =>
        a.kind === 'heartbeat_failure' &&
        a.delivery?.opening === 'sent' &&
        a.status === 'resolved' &&
        a.resolvedAt === new Date(h.clock.now()).toISOString(),
    );
    expect(incident).toMatchObject({
      delivery: { opening: 'sent', recovery: 'suppressed' },
      suppressed: { reason: 'flapping', by: 'web-01' },
    });

    // Stable from the next scan, the first to find it healthy with the flapping alert open.
    for (let i = 0; i < 10; i++) await h.step('web-01');
    expect(h.notifier.take()).toEqual([]);
    await h.step('web-01');
    expect(kinds(h.notifier.take())).toEqual(['recovery']);
    expect(await h.alerts({ status: 'open' })).toEqual([]);
  });

  it('sends the recovery of an incident paged before its agent began to flap when the flapping alert resolves unpaged', async () => {
    const h = await pagedBeforeFlapping();
    const [incident] = await h.alerts({ status: 'open' });

    // The flapping alert opens as the incident resolves, but its page fails twice; then a window of
    // the group holds it until the agent has long been stable.
    h.notifier.failNext(2, { retryable: true, message: 'SNS throttled' });
    await comeBack(h);
    await comeBack(h);
    const [opened] = await flappingAlerts(h);
    expect(opened).toMatchObject({ status: 'open', delivery: { opening: 'pending' } });
    const until = new Date(h.clock.now() + 10 * 60_000).toISOString();
    await h.service.startFleetMaintenance('group', 'production', { until, reason: 'rack move' });
    while (h.clock.now() < Date.parse(until) - h.intervalMs) await h.step('web-01');
    expect(h.notifier.take()).toEqual([]);
    expect((await h.alerts()).find((a) => a.alertId === incident!.alertId)).toMatchObject({
      status: 'resolved',
      delivery: { opening: 'sent', recovery: 'pending' },
    });

    // At the window's end the flapping alert resolves before its page went out, so no flapping
    // recovery goes: the incident's own recovery does, and those paged hear that it is back.
    await h.step('web-01');
    const [flapping] = await flappingAlerts(h);
    expect(flapping).toMatchObject({
      status: 'resolved',
      resolution: 'stable',
      delivery: { opening: 'suppressed', recovery: 'none' },
    });
    const sent = h.notifier.take();
    expect(kinds(sent)).toEqual(['recovery']);
    expect(sent[0]!.alertIds).toEqual([incident!.alertId]);
  });

  it('opens exactly one flapping alert, paged once, when two scanners race on the scan that finds it', async () => {
    const h = await flappingHarness();
    const other = h.otherScanner();
    await toTheScanOfTheThirdOpening(h);

    await Promise.all([h.scanner.scan(), other.scan()]);

    expect(await flappingAlerts(h)).toHaveLength(1);
    expect(kinds(h.notifier.take())).toEqual(['flapping']);
    h.clock.advance(h.intervalMs);
    await Promise.all([h.scanner.scan(), other.scan()]);
    expect(h.notifier.take()).toEqual([]);
  });

  it('holds the incident’s page in the scanner that lost its create, though it read the openings before they were recorded', async () => {
    const h = await flappingHarness();
    await toTheScanOfTheThirdOpening(h);
    // The other scanner has read the agent (two openings) and decided to open the incident; its
    // create waits until the first scanner has opened it, recorded the third opening, opened the
    // flapping alert and delivered.
    const gate = latch();
    const atCreate = latch();
    const late = h.otherScanner({
      wrap: (stores) => ({
        ...stores,
        alerts: Object.assign(Object.create(stores.alerts), {
          async create(alert: AlertRecord) {
            if (alert.kind === 'heartbeat_failure') {
              atCreate.open();
              await gate.opened;
            }
            return stores.alerts.create(alert);
          },
        }),
      }),
    });
    const lateScan = late.scan();
    await atCreate.opened;
    await h.scanner.scan();
    gate.open();
    const report = await lateScan;

    expect(report.opened).toEqual([]);
    expect(await flappingAlerts(h)).toHaveLength(1);
    expect(kinds(h.notifier.take())).toEqual(['flapping']);
    const incident = (await h.alerts({ status: 'open' })).find((a) => a.kind === 'heartbeat_failure');
    expect(incident).toMatchObject({ suppressed: { reason: 'flapping' } });
  });

  it('opens exactly one flapping alert when two scanners that both see the openings race to open it', async () => {
    const h = await flappingHarness();
    for (let i = 0; i < 2; i++) {
      await goSilent(h);
      await comeBack(h);
    }
    // The third opening is recorded, but its scanner could not open the flapping alert.
    // Nor does it deliver: the race below sends the pages.
    const { scanner: failing } = withoutFlappingCreates(h, { claimNotice: async () => false });
    await h.step();
    await h.step();
    h.clock.advance(h.intervalMs);
    await failing.scan();
    expect(await flappingAlerts(h)).toEqual([]);

    h.clock.advance(h.intervalMs);
    const reports = await Promise.all([h.scanner.scan(), h.otherScanner().scan()]);

    const opened = reports.flatMap((r) => r.opened);
    const [flapping] = await flappingAlerts(h);
    expect(opened.filter((id) => id === flapping!.alertId)).toHaveLength(1);
    expect(await flappingAlerts(h)).toHaveLength(1);
    expect(kinds(h.notifier.take())).toEqual(['flapping']);
  });

  it('counts no flapping alert as an agent gone silent or still failing for the storm guard', async () => {
    const h = await harness({
      stormMinAgents: 2,
      groups: {
        production: { channels: ['sms', 'email'], flapping: FLAPPING },
        test: { channels: ['console'] },
      },
    });
    for (const id of ['f-1', 'f-2', 'h-1']) await h.addAgent(id);
    await h.beat('f-1', 'f-2', 'h-1');
    await h.scan();
    const { scanner, failing } = withoutFlappingCreates(h);
    // f-1 fails at scans 3, 7 and 11 and f-2 at 5, 9 and 13, never together; each beats the scan after.
    const beatsAt = (id: 'f-1' | 'f-2', n: number) => (id === 'f-1' ? n % 4 === 0 : n <= 2 || n % 4 === 2);
    for (let n = 1; n <= 13; n++) {
      h.clock.advance(h.intervalMs);
      await h.beat('h-1', ...(['f-1', 'f-2'] as const).filter((id) => beatsAt(id, n)));
      expect((await scanner.scan()).storm).toBe('none');
    }
    failing.on = false;

    // Both flapping alerts open now, while both agents beat: no agent went silent in this scan.
    h.clock.advance(h.intervalMs);
    await h.beat('f-1', 'f-2', 'h-1');
    const report = await scanner.scan();

    expect(report.opened.filter((id) => id.startsWith('flapping.'))).toHaveLength(2);
    expect(report.storm).toBe('none');

    // Both go silent together: a storm. Once they beat again, their flapping alerts, still open, do
    // not keep it going as if they were still failing.
    for (let n = 1; n <= 3; n++) {
      h.clock.advance(h.intervalMs);
      await h.beat('h-1');
      expect((await scanner.scan()).storm).toBe(n === 3 ? 'start' : 'none');
    }
    h.clock.advance(h.intervalMs);
    await h.beat('f-1', 'f-2', 'h-1');
    const back = await scanner.scan();

    expect(back.storm).toBe('clear');
    expect(await flappingAlerts(h)).toMatchObject([{ status: 'open' }, { status: 'open' }]);
  });

  it('keeps the heartbeat one UpdateItem with no read for an agent whose openings are recorded', async () => {
    const h = await flappingHarness();
    await goSilent(h);
    await comeBack(h);
    await goSilent(h);
    const requests = countDynamoRequests(h.client);

    h.clock.advance(1000);
    await h.beat('web-01');

    expect(requests.take()).toEqual(['UpdateItem']);
    requests.detach();
  });

  it('adds no request to a scan of agents that do not fail, whether flapping is on or off', async () => {
    const count = async (config: Parameters<typeof harness>[0]) => {
      const h = await harness(config);
      for (const id of ['a-1', 'a-2', 'a-3']) await h.addAgent(id);
      await h.beat('a-1', 'a-2', 'a-3');
      await h.scan();
      const requests = countDynamoRequests(h.client);
      await h.step('a-1', 'a-2', 'a-3');
      const operations = requests.take();
      requests.detach();
      return operations;
    };

    const off = await count({});
    const on = await count({
      groups: {
        production: { channels: ['sms', 'email'], flapping: FLAPPING },
        test: { channels: ['console'] },
      },
    });

    expect(on).toEqual(off);
  });
});

describe('Scanner: recoverAfterScans', () => {
  const harness = scannerHarnesses();

  async function failedAgent(): Promise<ScannerHarness> {
    const h = await harness({ recoverAfterScans: 2 });
    await h.addAgent('db-01');
    await h.beat('db-01');
    await h.scan();
    for (let i = 0; i < 3; i++) await h.step();
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['heartbeat_failure']);
    return h;
  }

  it('resolves an alert only at the second consecutive scan that sees a fresh heartbeat, with one recovery', async () => {
    const h = await failedAgent();

    const first = await h.step('db-01');
    expect(first.resolved).toEqual([]);
    expect(await h.alerts({ status: 'open' })).toHaveLength(1);
    expect((await h.service.getAgent('db-01')).state).toBe('healthy');

    const second = await h.step('db-01');
    expect(second.resolved).toHaveLength(1);
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['recovery']);
  });

  it('starts the count again after a scan that sees the agent late, and opens no second alert', async () => {
    const h = await failedAgent();

    expect((await h.step('db-01')).resolved).toEqual([]);
    expect((await h.step()).resolved).toEqual([]); // late again
    expect((await h.step('db-01')).resolved).toEqual([]);
    const report = await h.step('db-01');

    expect(report.resolved).toHaveLength(1);
    expect(report.opened).toEqual([]);
    expect(await h.alerts()).toHaveLength(1);
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['recovery']);
  });

  it('keeps the same alert open when the agent fails again before it recovered', async () => {
    const h = await failedAgent();
    await h.step('db-01');

    for (let i = 0; i < 4; i++) expect((await h.step()).opened).toEqual([]);

    expect(await h.alerts()).toHaveLength(1);
    expect(h.notifier.take()).toEqual([]);
  });

  it('counts a fresh scan once when two scanners race on it', async () => {
    const h = await failedAgent();
    const other = h.otherScanner();
    h.clock.advance(h.intervalMs);
    await h.beat('db-01');

    const reports = await Promise.all([h.scanner.scan(), other.scan()]);

    expect(reports.flatMap((r) => r.resolved)).toEqual([]);
    expect((await h.step('db-01')).resolved).toHaveLength(1);
  });
});
