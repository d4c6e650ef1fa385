import type { RawConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { smsDay } from '../../lambda/domain/sms-budget';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// The SMS budget over the real stores (dynalite, and DynamoDB Local) on the manual clock: production
// pages by SMS and email and repeats an open page every minute, so each minute brings one more notice.
describe('SMS budget', () => {
  const harness = scannerHarnesses();
  const MIN = 60_000;
  const config = (perDay: number): Partial<RawConfig> => ({
    renotifyMinutes: 1,
    groups: {
      production: { channels: ['sms', 'email'], smsBudget: { perDay } },
      test: { channels: ['console'] },
    },
  });

  /** web-01 fails and is paged (the first notice of the day); the clock starts at `start`. */
  async function failing(h: ScannerHarness, start?: string): Promise<Notification[]> {
    if (start) h.clock.time = Date.parse(start);
    await h.addAgent('web-01');
    await h.beat('web-01');
    await h.scan();
    for (let i = 0; i < 3; i++) await h.step();
    return h.notifier.take();
  }

  /** Scans once a minute for `minutes`: one reminder each. */
  async function minutes(h: ScannerHarness, count: number): Promise<Notification[]> {
    for (let i = 0; i < count; i++) {
      h.clock.advance(MIN);
      await h.scan();
    }
    return h.notifier.take();
  }

  /** Each notice as `kind channels[+smsSkipped]`. */
  const shape = (notices: readonly Notification[]) =>
    notices.map((n) => `${n.kind} ${n.channels.join('+')}${n.smsSkipped ? ` (${n.smsSkipped})` : ''}`);

  it.each<[number, string[]]>([
    [
      1,
      [
        'heartbeat_failure sms+email',
        'reminder email (budget)',
        'sms_budget sms',
        'reminder email (budget)',
        'reminder email (budget)',
      ],
    ],
    [
      3,
      [
        'heartbeat_failure sms+email',
        'reminder sms+email',
        'reminder sms+email',
        'reminder email (budget)',
        'sms_budget sms',
        'reminder email (budget)',
      ],
    ],
    [
      6,
      Array.from({ length: 6 }, (_, i) => (i === 0 ? 'heartbeat_failure sms+email' : 'reminder sms+email')),
    ],
  ])(
    'with a budget of %i, sends up to that many notices by SMS; past it one SMS says so, and the rest go by email',
    async (perDay, expected) => {
      const h = await harness(config(perDay));
      const opening = await failing(h);

      const later = await minutes(h, expected.length - 1 - (expected.includes('sms_budget sms') ? 1 : 0));

      expect(shape([...opening, ...later])).toEqual(expected);
    },
  );

  it('says the budget is reached in exactly the words operators read', async () => {
    const h = await harness(config(1));
    await failing(h);

    const [, budget] = await minutes(h, 1);

    expect(budget?.messages.sms).toBe(
      'SMS budget of 1/day reached for production; more in email and the console',
    );
    expect(budget?.subject).toBe(budget?.messages.sms);
  });

  it('starts afresh on the next UTC day, and shows what was spent today in the status', async () => {
    const h = await harness(config(2));
    await failing(h, '2026-12-01T23:50:00.000Z');
    const before = await minutes(h, 4);
    const spentBefore = (await h.service.status()).smsBudget;

    // Past midnight UTC: a new day, a new budget.
    const after = await minutes(h, 10);

    expect(shape(before)).toEqual([
      'reminder sms+email',
      'reminder email (budget)',
      'sms_budget sms',
      'reminder email (budget)',
      'reminder email (budget)',
    ]);
    expect(spentBefore).toEqual({
      production: {
        day: '2026-12-01',
        perDay: 2,
        spentToday: 2,
        reachedAt: expect.stringMatching(/^2026-12-01T23:5/),
      },
    });
    expect(shape(after).filter((s) => s.includes('sms'))).toEqual([
      'reminder sms+email',
      'reminder sms+email',
      'sms_budget sms',
    ]);
    expect(smsDay(h.clock.now())).toBe('2026-12-02');
    expect((await h.service.status()).smsBudget?.production).toMatchObject({
      day: '2026-12-02',
      spentToday: 2,
    });
  });

  it('gives an SMS back when its notice did not go out, so a retry can still have it', async () => {
    const h = await harness(config(2));
    await failing(h);
    h.notifier.failNext(1);

    await minutes(h, 1);
    const day = smsDay(h.clock.now());
    const spent = await h.stores.state.smsSpent('production', day);

    expect(spent.spent).toBe(1);
  });

  it('counts nothing for a group without a budget, nor shows one in the status', async () => {
    const h = await harness({ renotifyMinutes: 1 });
    await failing(h);
    const later = await minutes(h, 3);

    expect(shape(later)).toEqual(Array.from({ length: 3 }, () => 'reminder sms+email'));
    expect((await h.service.status()).smsBudget).toBeUndefined();
  });

  describe('racing', () => {
    it('never spends past the budget when two scanners take SMS of one counter at once', async () => {
      const h = await harness(config(5));
      const mine = h.stores.state;
      const theirs = (() => {
        let stores: typeof h.stores | undefined;
        h.otherScanner({
          wrap: (s) => {
            stores = s;
            return s;
          },
        });
        return stores!.state;
      })();
      const day = '2026-12-01';
      const expiresAt = Date.parse('2026-12-03T00:00:00.000Z') / 1000;

      const spends = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? mine : theirs).spendSms('production', day, 5, expiresAt),
        ),
      );
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? mine : theirs).claimSmsBudgetNotice('production', day, 1, expiresAt),
        ),
      );

      expect(spends.filter(Boolean)).toHaveLength(5);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await mine.smsSpent('production', day)).toEqual({ spent: 5, reachedAt: 1 });
    });

    it('sends the budget by SMS and one SMS past it, no more, with two scanners delivering every scan', async () => {
      const h = await harness({
        groups: {
          production: { channels: ['sms', 'email'], smsBudget: { perDay: 3 } },
          test: { channels: ['console'] },
        },
      });
      const other = h.otherScanner();
      const fleet = Array.from({ length: 8 }, (_, i) => `b-${i}`);
      for (const id of fleet) await h.addAgent(id);
      // Each agent is silent 5 scans in 9 at its own phase: openings and recoveries all day long.
      const beating = (round: number) => fleet.filter((_, i) => round === 0 || (round + 2 * i) % 9 >= 5);

      for (let round = 0; round <= 30; round++) {
        if (round > 0) h.clock.advance(h.intervalMs);
        await h.beat(...beating(round));
        await Promise.all((round % 2 ? [h.scanner, other] : [other, h.scanner]).map((s) => s.scan()));
      }

      const sent = h.notifier.sent;
      expect(sent.filter((n) => n.smsSkipped === 'budget').length).toBeGreaterThan(3);
      expect(sent.filter((n) => n.channels.includes('sms') && n.kind !== 'sms_budget')).toHaveLength(3);
      expect(sent.filter((n) => n.kind === 'sms_budget')).toHaveLength(1);
      expect(sent.filter((n) => n.smsSkipped).every((n) => !n.channels.includes('sms'))).toBe(true);
      expect((await h.service.status()).smsBudget?.production).toMatchObject({ perDay: 3, spentToday: 3 });
    });
  });
});
