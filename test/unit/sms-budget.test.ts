import { parseConfig } from '../../lambda/domain/config';
import { smsBudgetNotice, smsCounterExpiresAt, smsDay, withoutSms } from '../../lambda/domain/sms-budget';
import { configProblems } from '../support/config-problems';
import { OPENING_NOTICE } from '../support/notices';

describe('smsDay', () => {
  it.each([
    ['2026-12-01T00:00:00.000Z', '2026-12-01'],
    ['2026-12-01T23:59:59.999Z', '2026-12-01'],
    ['2026-12-02T00:00:00.000Z', '2026-12-02'],
    // A UTC day, whatever the clocks of Berlin say (01:30 there is 00:30Z).
    ['2026-12-31T23:30:00.000Z', '2026-12-31'],
  ])('counts a notice at %s against %s', (at, day) => {
    expect(smsDay(Date.parse(at))).toBe(day);
  });
});

describe('smsCounterExpiresAt', () => {
  it('lets a counter go a day after its day ended, in epoch seconds', () => {
    const expected = Date.parse('2026-12-03T00:00:00.000Z') / 1000;

    expect(smsCounterExpiresAt(Date.parse('2026-12-01T00:00:00.000Z'))).toBe(expected);
    expect(smsCounterExpiresAt(Date.parse('2026-12-01T23:59:59.999Z'))).toBe(expected);
  });
});

describe('withoutSms', () => {
  it('keeps every channel but sms, and says why', () => {
    const notice = withoutSms(OPENING_NOTICE);

    expect(notice).toEqual({ ...OPENING_NOTICE, channels: ['email'], smsSkipped: 'budget' });
  });
});

describe('smsBudgetNotice', () => {
  it('says the budget is reached by SMS alone, with one id per group and day', () => {
    const notice = smsBudgetNotice('production', 50, '2026-12-01', '2026-12-01T12:00:00.000Z');

    expect(notice).toMatchObject({
      group: 'production',
      channels: ['sms'],
      kind: 'sms_budget',
      messages: { sms: 'SMS budget of 50/day reached for production; more in email and the console' },
    });
    expect(smsBudgetNotice('production', 50, '2026-12-01', '2026-12-01T13:00:00.000Z').noticeId).toBe(
      notice.noticeId,
    );
    expect(smsBudgetNotice('production', 50, '2026-12-02', '2026-12-02T12:00:00.000Z').noticeId).not.toBe(
      notice.noticeId,
    );
  });
});

describe('smsBudget in the config', () => {
  it('gives a group its budget, and none to the others', () => {
    const config = parseConfig({
      groups: {
        production: { channels: ['sms', 'email'], smsBudget: { perDay: 50 } },
        test: { channels: ['console'] },
      },
    });

    expect(config.groups.production?.smsBudget).toEqual({ perDay: 50 });
    expect(config.groups.test?.smsBudget).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a budget of 0', { perDay: 0 }, 'groups.production.smsBudget.perDay: must be at least 1'],
    [
      'a budget that is not whole',
      { perDay: 2.5 },
      'groups.production.smsBudget.perDay: must be a whole number',
    ],
    ['a budget without perDay', {}, 'groups.production.smsBudget.perDay'],
    ['an unknown key', { perDay: 5, perMonth: 100 }, 'groups.production.smsBudget.perMonth'],
  ])('refuses %s, naming the field', (_name, smsBudget, message) => {
    expect(configProblems({ groups: { production: { channels: ['sms'], smsBudget } } })).toEqual([
      expect.stringContaining(message),
    ]);
  });

  it('refuses a budget on a group without the sms channel', () => {
    expect(
      configProblems({ groups: { production: { channels: ['email'], smsBudget: { perDay: 5 } } } }),
    ).toEqual(['groups.production.smsBudget: the group has no sms channel, so there is nothing to count']);
  });
});
