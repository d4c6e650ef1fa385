import type { RawConfig } from '../../lambda/domain/config';
import { RecordingNotifier, type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// The acknowledgement stage over the real stores (dynalite, and DynamoDB Local): production pages by
// email and through a PagerDuty webhook; an acknowledgement here is told to the webhooks, once.
describe('Acknowledgement notices', () => {
  const harness = scannerHarnesses();
  const CONFIG: Partial<RawConfig> = {
    groups: {
      production: {
        channels: ['email', 'webhook'],
        webhooks: [{ name: 'oncall', format: 'pagerduty', secretName: 'PD_ROUTING_KEY' }],
      },
      test: { channels: ['console'] },
    },
  };

  /** web-01 fails and is paged; answers its alert id. */
  async function paged(h: ScannerHarness): Promise<string> {
    await h.addAgent('web-01');
    await h.beat('web-01');
    await h.scan();
    for (let i = 0; i < 3; i++) await h.step();
    const [opening] = h.notifier.take();
    expect(opening).toMatchObject({ group: 'production', kind: 'heartbeat_failure' });
    return opening!.alertIds[0]!;
  }

  it('tells the webhooks once, after the page went out, on the webhook channel alone', async () => {
    const h = await harness(CONFIG);
    const alertId = await paged(h);

    await h.service.acknowledgeAlert(alertId, { by: 'ana' });
    await h.step();
    await h.step();

    const notices = h.notifier.take();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      kind: 'acknowledgement',
      channels: ['webhook'],
      alertIds: [alertId],
      subject: expect.stringContaining('by ana'),
    });
    const [alert] = await h.alerts();
    expect(alert!.delivery).toMatchObject({ opening: 'sent', acknowledgement: 'sent' });
  });

  it('sends it exactly once when two scanners race for it', async () => {
    const h = await harness(CONFIG);
    const alertId = await paged(h);
    await h.service.acknowledgeAlert(alertId, { by: 'ana' });
    const other = new RecordingNotifier();

    h.clock.advance(1000);
    await Promise.all([h.scan(), h.otherScanner({ notifier: other }).scan()]);

    const told = [...h.notifier.take(), ...other.take()].filter((n) => n.kind === 'acknowledgement');
    expect(told).toHaveLength(1);
  });

  it('tries again after a failure, and never for a group without the webhook channel', async () => {
    const h = await harness(CONFIG);
    const alertId = await paged(h);
    await h.service.acknowledgeAlert(alertId, {});
    h.notifier.failNext(1, { message: 'HTTP 500' });

    await h.step();
    await h.step();

    expect(h.notifier.attempts.filter((n) => n.kind === 'acknowledgement')).toHaveLength(2);
    expect(h.notifier.take().filter((n) => n.kind === 'acknowledgement')).toHaveLength(1);

    const plain = await harness({
      groups: { production: { channels: ['email'] }, test: { channels: ['console'] } },
    });
    const plainId = await paged(plain);
    await plain.service.acknowledgeAlert(plainId, {});
    await plain.step();
    expect(plain.notifier.take()).toEqual([]);
  });

  it('tells the webhooks of each group an escalation step reached, once each', async () => {
    const h = await harness({
      groups: {
        production: { ...CONFIG.groups!.production!, escalation: [{ after: '5m', group: 'managers' }] },
        managers: {
          channels: ['email', 'webhook'],
          webhooks: [{ name: 'managers-pd', format: 'pagerduty', secretName: 'PD_MANAGERS_KEY' }],
        },
        directors: { channels: ['email'] },
        test: { channels: ['console'] },
      },
    });
    const alertId = await paged(h);
    for (let i = 0; i < 6; i++) {
      h.clock.advance(60_000);
      await h.scan();
    }
    expect(h.notifier.take().map((n) => `${n.kind} ${n.group}`)).toEqual(['escalation managers']);

    await h.service.acknowledgeAlert(alertId, { by: 'ana' });
    await h.step();
    await h.step();

    const told = h.notifier.take();
    expect(told.map((n) => `${n.kind} ${n.group} ${n.channels.join()}`)).toEqual([
      'acknowledgement production webhook',
      'acknowledgement managers webhook',
    ]);
    // Two notices, two ids: a destination that keeps ids (the outbox) records both.
    expect(new Set(told.map((n) => n.noticeId)).size).toBe(2);
  });
});
