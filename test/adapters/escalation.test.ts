import type { RawConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// Escalation over the real stores (dynalite, and DynamoDB Local) on the manual clock: production pages
// by SMS and email; a page nobody acknowledges goes to managers after 15 min and to directors after 45 min.
describe('Escalation', () => {
  const harness = scannerHarnesses();
  const MIN = 60_000;
  const CONFIG: Partial<RawConfig> = {
    groups: {
      production: {
        channels: ['sms', 'email'],
        escalation: [
          { after: '15m', group: 'managers' },
          { after: '45m', group: 'directors' },
        ],
      },
      managers: { channels: ['email'] },
      directors: { channels: ['sms', 'email'] },
    },
  };

  /** web-01 fails and is paged; answers the time of the page. */
  async function paged(h: ScannerHarness): Promise<number> {
    await h.addAgent('web-01');
    await h.beat('web-01');
    await h.scan();
    for (let i = 0; i < 3; i++) await h.step();
    const [opening] = h.notifier.take();
    expect(opening).toMatchObject({ group: 'production', kind: 'heartbeat_failure' });
    return h.clock.now();
  }

  /** Scans once a minute until `minutes` after `from`, answering the escalations sent. */
  async function scanUntil(h: ScannerHarness, from: number, minutes: number, beating: string[] = []) {
    const out: Notification[] = [];
    while (h.clock.now() < from + minutes * MIN) {
      h.clock.advance(MIN);
      await h.beat(...beating);
      await h.scan();
      out.push(...h.notifier.take().filter((n) => n.kind === 'escalation'));
    }
    return out;
  }

  const targets = (notices: readonly Notification[]) => notices.map((n) => n.group);

  it.each<[string, { ackAt?: number; recoverAt?: number }, string[]]>([
    [
      'goes to managers after 15 min and to directors after 45 min while nobody acknowledges',
      {},
      ['managers', 'directors'],
    ],
    ['stops the second step when the page is acknowledged between the two', { ackAt: 20 }, ['managers']],
    ['sends no step when the page is acknowledged before the first', { ackAt: 10 }, []],
    ['stops every step left when the alert resolves', { recoverAt: 30 }, ['managers']],
  ])('%s', async (_name, { ackAt, recoverAt }, expected) => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);
    const [alert] = await h.alerts();

    const sent = await scanUntil(h, pageAt, ackAt ?? recoverAt ?? 0);
    if (ackAt !== undefined) await h.service.acknowledgeAlert(alert!.alertId, { by: 'oncall' });
    sent.push(...(await scanUntil(h, pageAt, 60, recoverAt === undefined ? [] : ['web-01'])));

    expect(targets(sent)).toEqual(expected);
    const [after] = await h.alerts();
    expect(after!.delivery?.escalations ?? []).toEqual(
      expected.map((group) => ({
        group,
        after: group === 'managers' ? '15m' : '45m',
        state: 'sent',
        sentAt: new Date(pageAt + (group === 'managers' ? 15 : 45) * MIN).toISOString(),
      })),
    );
  });

  it('sends the escalation on the step group’s channels, naming the group paged and the step', async () => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);

    const [managers] = await scanUntil(h, pageAt, 15);

    expect(managers).toMatchObject({
      group: 'managers',
      channels: ['email'],
      kind: 'escalation',
      escalation: { from: 'production', after: '15m' },
      agentIds: ['web-01'],
    });
    expect(managers!.subject).toMatch(/^ESCALATED from production after 15m: heartbeat failure: web-01/);
  });

  it('counts the steps from the page, not from the reminders that follow it', async () => {
    const h = await harness({ ...CONFIG, renotifyMinutes: 5 });
    const pageAt = await paged(h);

    const sent = await scanUntil(h, pageAt, 15);

    expect(targets(sent)).toEqual(['managers']);
    expect(Date.parse(sent[0]!.time)).toBe(pageAt + 15 * MIN);
  });

  it('waits while a maintenance window holds the alert, and sends the step owed once it ends', async () => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);
    await scanUntil(h, pageAt, 5);
    await h.service.startMaintenance('web-01', {
      until: new Date(pageAt + 60 * MIN).toISOString(),
      reason: 'on it',
    });

    const held = await scanUntil(h, pageAt, 20);
    await h.service.endMaintenance('web-01');
    const after = await scanUntil(h, pageAt, 21);

    expect(held).toEqual([]);
    expect(targets(after)).toEqual(['managers']);
  });

  it('tries a step whose publish failed again at the next scan, and records the error meanwhile', async () => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);
    await scanUntil(h, pageAt, 14);
    h.notifier.failNext(1, { message: 'SNS throttled' });

    h.clock.advance(MIN);
    await h.scan();
    const [failed] = await h.alerts();
    const retried = await scanUntil(h, pageAt, 16);

    expect(failed!.delivery?.escalations).toEqual([
      { group: 'managers', after: '15m', state: 'pending', error: 'SNS throttled' },
    ]);
    expect(targets(retried)).toEqual(['managers']);
    // The retry is the same notice: a destination that keeps ids refuses a repeat.
    expect(h.notifier.attempts.filter((n) => n.kind === 'escalation').map((n) => n.noticeId)).toEqual([
      retried[0]!.noticeId,
      retried[0]!.noticeId,
    ]);
  });

  it('sends each step exactly once when two scanners deliver at the same moment, round after round', async () => {
    const h = await harness(CONFIG);
    const other = h.otherScanner();
    const pageAt = await paged(h);

    while (h.clock.now() < pageAt + 60 * MIN) {
      h.clock.advance(MIN);
      await Promise.all([h.scanner.scan(), other.scan()]);
    }

    const escalations = h.notifier.attempts.filter((n) => n.kind === 'escalation');
    expect(targets(escalations)).toEqual(['managers', 'directors']);
  });

  it('lets exactly one of two claims of the same step win, from the same alert as read', async () => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);
    const [view] = await h.alerts();
    const alert = (await h.stores.alerts.get(view!.alertId))!;
    const steps = h.config.groups.production!.escalation.slice(0, 1);

    const claims = await Promise.all(
      Array.from({ length: 8 }, () => h.stores.alerts.claimEscalations(alert, steps, pageAt + 16 * MIN)),
    );

    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it('claims no step of an acknowledged alert, even from a copy read before the acknowledgement', async () => {
    const h = await harness(CONFIG);
    const pageAt = await paged(h);
    const [view] = await h.alerts();
    const stale = (await h.stores.alerts.get(view!.alertId))!;
    await h.service.acknowledgeAlert(view!.alertId, { by: 'oncall' });

    const claim = await h.stores.alerts.claimEscalations(
      stale,
      h.config.groups.production!.escalation,
      pageAt + 16 * MIN,
    );

    expect(claim).toBeUndefined();
  });
});
