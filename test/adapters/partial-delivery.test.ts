import { FanOutNotifier } from '../../lambda/adapters/fan-out-notifier';
import type { RawConfig } from '../../lambda/domain/config';
import type { Scanner } from '../../lambda/scanner';
import { RecordingNotifier, type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// Notices that reach some of their channels and not others, over the real stores (dynalite, and
// DynamoDB Local): production pages by SMS and email (one notifier, as SNS) and through a webhook
// (another, as the event bus or the local webhook sender). What went is never sent again; what did
// not is owed to its channels alone.
describe('Notices that reach some of their channels', () => {
  const harness = scannerHarnesses();
  const CONFIG: Partial<RawConfig> = {
    groups: {
      production: {
        channels: ['sms', 'email', 'webhook'],
        webhooks: [{ name: 'oncall', format: 'pagerduty', secretName: 'PD_ROUTING_KEY' }],
      },
      test: { channels: ['console'] },
    },
  };

  /** A scanner over the harness's tables whose phones and webhooks are two notifiers. */
  function wired(h: ScannerHarness) {
    const phones = new RecordingNotifier();
    const hooks = new RecordingNotifier();
    const notifier = new FanOutNotifier([
      { channels: ['sms', 'email'], notifier: phones },
      { channels: ['webhook'], notifier: hooks },
    ]);
    return { phones, hooks, scanner: h.otherScanner({ notifier }) };
  }

  async function step(h: ScannerHarness, scanner: Scanner, ...beating: string[]) {
    h.clock.advance(h.intervalMs);
    await h.beat(...beating);
    return scanner.scan();
  }

  /** web-01 fails; its page is due at the third missed scan. */
  async function failing(h: ScannerHarness, scanner: Scanner) {
    await h.addAgent('web-01');
    await h.beat('web-01');
    await scanner.scan();
    for (let i = 0; i < 2; i++) await step(h, scanner);
  }

  const kinds = (n: RecordingNotifier) => n.take().map((x) => `${x.kind} ${x.channels.join('+')}`);

  /** web-01 is paged by the phones while its webhook fails the next `times` publishes with `message`. */
  async function pagedWhileWebhookFails(times: number, message: string) {
    const h = await harness(CONFIG);
    const { phones, hooks, scanner } = wired(h);
    await failing(h, scanner);
    hooks.failNext(times, { message });
    await step(h, scanner);
    expect(kinds(phones)).toEqual(['heartbeat_failure sms+email+webhook']);
    return { h, phones, hooks, scanner };
  }

  it('pages the phones once while the webhook that failed is retried alone, until it goes', async () => {
    const { h, phones, hooks, scanner } = await pagedWhileWebhookFails(3, 'EventBridge throttled');

    const [alert] = await h.alerts();
    // The page went out: reminders and escalation count from it, the recovery may follow. The
    // view says what it still owes, and to which channel.
    expect(alert).toMatchObject({
      delivery: { opening: 'sent', openingRest: { state: 'pending', channels: ['webhook'] } },
      lastDeliveryError: expect.stringContaining('EventBridge throttled'),
      pagedAt: expect.any(String),
    });

    for (let i = 0; i < 3; i++) await step(h, scanner);
    expect(phones.take()).toEqual([]);
    expect(hooks.attempts.map((n) => n.channels)).toEqual([
      ['sms', 'email', 'webhook'],
      ['webhook'],
      ['webhook'],
      ['webhook'],
    ]);
    const [sent] = hooks.take();
    // The rest is the same notice: a destination that keeps ids sees one.
    expect(sent).toMatchObject({
      kind: 'heartbeat_failure',
      channels: ['webhook'],
      noticeId: hooks.attempts[0]!.noticeId,
    });

    await step(h, scanner);
    expect(hooks.take()).toEqual([]);
    const [after] = await h.alerts();
    expect(after!.delivery).toMatchObject({ openingRest: { state: 'sent', channels: ['webhook'] } });
  });

  it('sends the recovery only where the opening went, when the alert resolves before the webhook heals', async () => {
    const { h, phones, hooks, scanner } = await pagedWhileWebhookFails(100, 'webhook down');

    // The agent is back: the phones hear it recovered; the webhook never heard of the outage.
    for (let i = 0; i < 4; i++) await step(h, scanner, 'web-01');
    expect(kinds(phones)).toEqual(['recovery sms+email']);
    expect(hooks.attempts.filter((n) => n.kind === 'recovery')).toEqual([]);
    const [alert] = await h.alerts();
    expect(alert).toMatchObject({ status: 'resolved', delivery: { recovery: 'sent' } });
  });

  it('keeps a recovery whose webhook failed in the queue until the webhook has it, and tells the phones once', async () => {
    const h = await harness(CONFIG);
    const { phones, hooks, scanner } = wired(h);
    await failing(h, scanner);
    await step(h, scanner);
    expect(kinds(hooks)).toEqual(['heartbeat_failure sms+email+webhook']);
    phones.take();

    hooks.failNext(2, { message: 'webhook down' });
    for (let i = 0; i < 6; i++) await step(h, scanner, 'web-01');

    expect(kinds(phones)).toEqual(['recovery sms+email+webhook']);
    expect(kinds(hooks)).toEqual(['recovery webhook']);
    expect(hooks.attempts.filter((n) => n.kind === 'recovery')).toHaveLength(3);
    expect((await h.stores.alerts.listQueue('recovery')).map((a) => a.alertId)).toEqual([]);
  });

  it('sends a rest once when two scanners race for it', async () => {
    const h = await harness(CONFIG);
    const one = wired(h);
    await failing(h, one.scanner);
    one.hooks.failNext(1, { message: 'webhook down' });
    await step(h, one.scanner);
    const two = wired(h);

    h.clock.advance(h.intervalMs);
    await Promise.all([one.scanner.scan(), two.scanner.scan()]);

    const rests = [...one.hooks.take(), ...two.hooks.take()].filter((n) => n.channels.join() === 'webhook');
    expect(rests).toHaveLength(1);
    expect([...one.phones.take(), ...two.phones.take()]).toHaveLength(1);
  });

  it('keeps the SMS of a page whose webhook failed spent: the budget counts what went', async () => {
    const h = await harness({
      groups: {
        production: { ...CONFIG.groups!.production!, smsBudget: { perDay: 1 } },
        test: { channels: ['console'] },
      },
    });
    const { phones, hooks, scanner } = wired(h);
    await h.addAgent('web-02');
    await failing(h, scanner);
    hooks.failNext(1, { message: 'webhook down' });
    await step(h, scanner, 'web-02');
    expect(kinds(phones)).toEqual(['heartbeat_failure sms+email+webhook']);

    // web-02 fails later: the day's one SMS is spent, so its page goes without SMS.
    for (let i = 0; i < 3; i++) await step(h, scanner);
    const pages = phones.take().filter((n) => n.kind === 'heartbeat_failure');
    expect(pages.map((n) => n.channels)).toEqual([['email', 'webhook']]);
  });
});
