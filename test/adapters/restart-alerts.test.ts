import type { Notification } from '../../lambda/domain/messages';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// Restarts and goodbyes as the scanner records and pages them, over the real stores (dynalite, and
// DynamoDB Local) with the clock moved by hand: scans every 30 s, a heartbeat failure after 3 missed scans.
describe('Scanner: restarts', () => {
  const harness = scannerHarnesses();
  const kinds = (notices: readonly Notification[]) => notices.map((n) => n.kind);
  const restartAlerts = async (h: ScannerHarness) =>
    (await h.alerts()).filter((a) => a.kind === 'agent_restarted');

  async function restartingHarness(onRestart?: 'record' | 'page') {
    const h = await harness({
      groups: {
        production: { channels: ['sms', 'email'], ...(onRestart ? { onRestart } : {}) },
        test: { channels: ['console'] },
      },
    });
    await h.addAgent('web-01');
    await h.beatWith('web-01', { seq: 1, bootId: 'boot-a' });
    await h.scan();
    return h;
  }

  /** The agent comes back under a new boot within one scan interval (it never misses a scan). */
  async function quickReboot(h: ScannerHarness, fields: Record<string, unknown> = {}) {
    h.clock.advance(h.intervalMs);
    await h.beatWith('web-01', { seq: 1, bootId: 'boot-b', ...fields });
    return h.scan();
  }

  it('records a restart the agent never missed a scan for as one resolved warning, and pages nobody by default', async () => {
    const h = await restartingHarness();

    const report = await quickReboot(h);

    const [restart, ...more] = await restartAlerts(h);
    expect(more).toEqual([]);
    expect(restart).toMatchObject({
      agentId: 'web-01',
      severity: 'warning',
      status: 'resolved',
      resolution: 'event',
      delivery: { opening: 'none', recovery: 'none' },
    });
    expect(restart!.detail).toContain('boot boot-a ended, boot boot-b began');
    expect(report.opened).toEqual([restart!.alertId]);
    expect(h.notifier.take()).toEqual([]);
    expect(await h.service.getAgent('web-01')).toMatchObject({ state: 'healthy', restarts: 1 });

    await h.step('web-01');
    expect(await restartAlerts(h)).toHaveLength(1);
  });

  it('pages a restart once, with no recovery after it, where the group says onRestart: page', async () => {
    const h = await restartingHarness('page');

    await quickReboot(h);
    await h.step('web-01');

    const notices = h.notifier.take();
    expect(kinds(notices)).toEqual(['agent_restarted']);
    expect(notices[0]).toMatchObject({ severity: 'warning', agentIds: ['web-01'] });
    expect(await restartAlerts(h)).toMatchObject([
      { status: 'resolved', delivery: { opening: 'sent', recovery: 'none' } },
    ]);
  });

  it('records but never pages a restart after a goodbye, and says why', async () => {
    const h = await restartingHarness('page');
    h.clock.advance(h.intervalMs);
    await h.beatWith('web-01', {
      seq: 2,
      bootId: 'boot-a',
      goodbye: { backInSeconds: 600, reason: 'kernel update' },
    });
    await h.scan();

    await quickReboot(h);

    expect(h.notifier.take()).toEqual([]);
    const [restart] = await restartAlerts(h);
    expect(restart).toMatchObject({ status: 'resolved', suppressed: { reason: 'goodbye', by: 'web-01' } });
    expect(restart!.detail).toContain('after it said goodbye');
  });

  it('holds for good the page of a restart inside a maintenance window', async () => {
    const h = await restartingHarness('page');
    await h.service.startMaintenance('web-01', {
      until: new Date(h.clock.now() + 30 * 60_000).toISOString(),
      reason: 'patching',
    });

    await quickReboot(h);
    await h.step('web-01');

    expect(h.notifier.take()).toEqual([]);
    expect(await restartAlerts(h)).toMatchObject([
      { status: 'resolved', delivery: { opening: 'suppressed' }, suppressed: { reason: 'maintenance' } },
    ]);
  });

  it('records one restart alert and sends one page when two scanners race on it', async () => {
    const h = await restartingHarness('page');
    h.clock.advance(h.intervalMs);
    await h.beatWith('web-01', { seq: 1, bootId: 'boot-b' });

    const reports = await Promise.all([h.scanner.scan(), h.otherScanner().scan()]);

    const alerts = await restartAlerts(h);
    expect(alerts).toHaveLength(1);
    expect(reports.flatMap((r) => r.opened)).toEqual([alerts[0]!.alertId]);
    expect(kinds(h.notifier.take())).toEqual(['agent_restarted']);
    await h.step('web-01');
    expect(await restartAlerts(h)).toMatchObject([{ status: 'resolved' }]);
  });

  it('sends a restart page that failed at the next scan, then resolves it', async () => {
    const h = await restartingHarness('page');
    h.notifier.failNext(1);

    await quickReboot(h);
    expect(await restartAlerts(h)).toMatchObject([{ status: 'open' }]);
    await h.step('web-01');

    expect(kinds(h.notifier.take())).toEqual(['agent_restarted']);
    expect(await restartAlerts(h)).toMatchObject([{ status: 'resolved', delivery: { opening: 'sent' } }]);
  });
});

describe('Scanner: goodbyes', () => {
  const harness = scannerHarnesses();

  it('opens no alert while the agent is away, then one that says it did not come back', async () => {
    const h = await harness({});
    await h.addAgent('db-01');
    await h.beat('db-01');
    await h.scan();
    await h.beatWith('db-01', { goodbye: { backInSeconds: 300, reason: 'kernel update' } });

    // Away for 300 s: nine scans see it away.
    for (let i = 0; i < 9; i++) await h.step();
    expect(await h.alerts()).toEqual([]);
    expect(h.notifier.take()).toEqual([]);
    expect(await h.service.getAgent('db-01')).toMatchObject({ state: 'away' });

    // Its missed scans count from then: the third after it fails it.
    for (let i = 0; i < 3; i++) await h.step();
    expect(await h.alerts()).toEqual([]);
    await h.step();

    const [alert] = await h.alerts({ status: 'open' });
    expect(alert).toMatchObject({ kind: 'heartbeat_failure', agentId: 'db-01' });
    expect(alert!.detail).toContain('did not come back after a planned restart: kernel update');
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['heartbeat_failure']);
  });

  it('resolves that alert with a recovery when the agent comes back late', async () => {
    const h = await harness({});
    await h.addAgent('db-01');
    await h.beat('db-01');
    await h.scan();
    await h.beatWith('db-01', { goodbye: { backInSeconds: 60 } });
    for (let i = 0; i < 5; i++) await h.step();
    expect(await h.alerts({ status: 'open' })).toHaveLength(1);

    await h.step('db-01');

    expect(await h.alerts({ status: 'open' })).toEqual([]);
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['heartbeat_failure', 'recovery']);
  });
});
