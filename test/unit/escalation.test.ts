import type { AlertRecord } from '../../lambda/domain/alert';
import { parseConfig, type RawConfig } from '../../lambda/domain/config';
import {
  claimSteps,
  dueEscalations,
  type EscalationRecord,
  escalationSteps,
  finishSteps,
} from '../../lambda/domain/escalation';
import { escalationNotice } from '../../lambda/domain/messages';
import { configProblems } from '../support/config-problems';
import { T0 } from '../support/records';

const MIN = 60_000;
const STEPS = escalationSteps([
  { after: '15m', group: 'managers' },
  { after: '45m', group: 'directors' },
]);

/** A production page that went out at T0 and is still open. */
function paged(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    alertId: `agent.${T0 - 90_000}.web-01`,
    agentId: 'web-01',
    group: 'production',
    kind: 'heartbeat_failure',
    severity: 'critical',
    status: 'open',
    openedAt: T0,
    incidentStart: T0 - 90_000,
    detail: 'no heartbeat for 3 scans',
    channels: ['sms', 'email'],
    openNotice: 'sent',
    notifiedAt: T0,
    pagedAt: T0,
    recoveryNotice: 'none',
    ...overrides,
  };
}

const sent = (group: string, after: string): EscalationRecord => ({
  group,
  after,
  state: 'sent',
  sentAt: T0,
});

describe('dueEscalations', () => {
  it.each<[string, Partial<AlertRecord>, number, string[]]>([
    ['nothing before the first step', {}, 15 * MIN - 1, []],
    ['the first step at its after, counted from the page', {}, 15 * MIN, ['managers']],
    ['both steps once both are due', {}, 45 * MIN, ['managers', 'directors']],
    [
      'the second step alone once the first went',
      { escalations: [sent('managers', '15m')] },
      45 * MIN,
      ['directors'],
    ],
    ['no step after an acknowledgement', { acknowledgedAt: T0 + 20 * MIN }, 45 * MIN, []],
    ['no step of a resolved alert', { status: 'resolved', resolvedAt: T0 + 10 * MIN }, 45 * MIN, []],
    [
      'no step of a page still held',
      { openNotice: 'held', pagedAt: undefined, notifiedAt: undefined },
      45 * MIN,
      [],
    ],
    [
      'no step of a page that failed for good',
      { openNotice: 'failed', pagedAt: undefined, notifiedAt: undefined },
      45 * MIN,
      [],
    ],
    // A reminder moved notifiedAt to T0 + 10 min: the steps still count from the page.
    [
      'steps counted from the page, not from a reminder',
      { notifiedAt: T0 + 10 * MIN },
      15 * MIN,
      ['managers'],
    ],
    [
      'from notifiedAt for an alert paged before pagedAt was kept',
      { pagedAt: undefined, notifiedAt: T0 + 5 * MIN },
      15 * MIN,
      [],
    ],
    [
      'a step again whose claim ran out',
      { escalations: [{ group: 'managers', after: '15m', state: 'sending', leaseUntil: T0 + 15 * MIN }] },
      16 * MIN,
      ['managers'],
    ],
    [
      'not a step another scanner holds',
      { escalations: [{ group: 'managers', after: '15m', state: 'sending', leaseUntil: T0 + 17 * MIN }] },
      16 * MIN,
      [],
    ],
    [
      'a step again that failed and may be retried',
      { escalations: [{ group: 'managers', after: '15m', state: 'pending', error: 'throttled' }] },
      16 * MIN,
      ['managers'],
    ],
    [
      'never a step that failed for good',
      { escalations: [{ group: 'managers', after: '15m', state: 'failed', error: 'no topic' }] },
      16 * MIN,
      [],
    ],
  ])('owes %s', (_name, overrides, sincePage, groups) => {
    const due = dueEscalations(paged(overrides), STEPS, T0 + sincePage);

    expect(due.map((s) => s.group)).toEqual(groups);
  });

  it('owes only the first step when an acknowledgement comes between the two, on the manual clock', () => {
    // 15 min after the page the first step goes; the page is acknowledged at 20 min; at 45 min nothing.
    let alert = paged();
    const owed: string[][] = [];
    for (const minute of [14, 15, 20, 45, 60]) {
      if (minute === 20) alert = { ...alert, acknowledgedAt: T0 + 20 * MIN };
      const due = dueEscalations(alert, STEPS, T0 + minute * MIN);
      owed.push(due.map((s) => s.group));
      const claimed = claimSteps(alert, due, T0 + minute * MIN + 60_000);
      alert = {
        ...alert,
        escalations: finishSteps(claimed, new Map(due.map((s) => [s.group, { sentAt: T0 + minute * MIN }]))),
      };
    }

    expect(owed).toEqual([[], ['managers'], [], [], []]);
    expect(alert.escalations).toEqual([
      { group: 'managers', after: '15m', state: 'sent', sentAt: T0 + 15 * MIN },
    ]);
  });
});

describe('finishSteps', () => {
  it('records a sent step, a step to retry and one failed for good, leaving the others as they were', () => {
    const claimed = claimSteps(paged({ escalations: [sent('ops', '5m')] }), STEPS, T0 + 46 * MIN);
    const outcomes = new Map([
      ['managers', { sentAt: T0 + 45 * MIN }],
      ['directors', { error: 'SNS throttled', retryable: true }],
    ]);

    expect(finishSteps(claimed, outcomes)).toEqual([
      sent('ops', '5m'),
      { group: 'managers', after: '15m', state: 'sent', sentAt: T0 + 45 * MIN },
      { group: 'directors', after: '45m', state: 'pending', error: 'SNS throttled' },
    ]);
    expect(
      finishSteps(claimed, new Map([['managers', { error: 'no topic', retryable: false }]]))[1],
    ).toMatchObject({
      state: 'failed',
    });
  });
});

describe('escalationNotice', () => {
  it("goes to the step's group on its channels, says where it comes from and after how long", () => {
    const notice = escalationNotice(
      [paged()],
      STEPS[0]!,
      ['email', 'console'],
      new Date(T0 + 15 * MIN).toISOString(),
    );

    expect(notice).toMatchObject({
      group: 'managers',
      channels: ['email'],
      kind: 'escalation',
      escalation: { from: 'production', after: '15m' },
      alertIds: [`agent.${T0 - 90_000}.web-01`],
      subject: 'ESCALATED from production after 15m: heartbeat failure: web-01 (production)',
    });
    expect(notice.noticeId).toMatch(/^escalation\./);
    expect(notice.messages.sms.length).toBeLessThanOrEqual(160);
    expect(notice.messages.email).toContain('Nobody acknowledged the page of production within 15m');
  });

  it('has one id per alert and target group, whatever the time of the attempt', () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const first = escalationNotice([paged()], STEPS[0]!, ['email'], at(T0));

    expect(escalationNotice([paged()], STEPS[0]!, ['email'], at(T0 + MIN)).noticeId).toBe(first.noticeId);
    expect(escalationNotice([paged()], STEPS[1]!, ['email'], at(T0)).noticeId).not.toBe(first.noticeId);
  });
});

describe('escalation in the config', () => {
  const config = (production: Record<string, unknown>): RawConfig =>
    ({
      groups: {
        production: { channels: ['sms', 'email'], ...production },
        managers: { channels: ['email'] },
        directors: { channels: ['sms'] },
        test: { channels: ['console'] },
      },
    }) as RawConfig;

  it('gives a group its steps in order, each with its after in milliseconds', () => {
    const parsed = parseConfig(
      config({
        escalation: [
          { after: '15m', group: 'managers' },
          { after: '1h30m', group: 'directors' },
        ],
      }),
    );

    expect(parsed.groups.production?.escalation).toEqual([
      { group: 'managers', after: '15m', afterMs: 15 * MIN },
      { group: 'directors', after: '1h30m', afterMs: 90 * MIN },
    ]);
    expect(parsed.groups.managers?.escalation).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown group',
      [{ after: '15m', group: 'nobody' }],
      'groups.production.escalation[0].group: unknown group "nobody"',
    ],
    [
      "the alert's own group",
      [{ after: '15m', group: 'production' }],
      'groups.production.escalation[0].group: is the group itself',
    ],
    [
      'a group that never pages',
      [{ after: '15m', group: 'test' }],
      'groups.production.escalation[0].group: group "test" pages on no channel',
    ],
    [
      'steps out of order',
      [
        { after: '45m', group: 'managers' },
        { after: '15m', group: 'directors' },
      ],
      'groups.production.escalation[1].after: must be longer than the step before it ("45m")',
    ],
    [
      'two steps of the same length',
      [
        { after: '1h', group: 'managers' },
        { after: '60m', group: 'directors' },
      ],
      'groups.production.escalation[1].after: must be longer than the step before it ("1h")',
    ],
    [
      'one group twice',
      [
        { after: '15m', group: 'managers' },
        { after: '45m', group: 'managers' },
      ],
      'groups.production.escalation[1].group: names "managers" a second time',
    ],
    [
      'a duration without a unit',
      [{ after: '15', group: 'managers' }],
      'groups.production.escalation[0].after: must be a duration',
    ],
    [
      'a duration of 0',
      [{ after: '0m', group: 'managers' }],
      'groups.production.escalation[0].after: must be longer than 0',
    ],
    [
      'a duration over 7 days',
      [{ after: '8d', group: 'managers' }],
      'groups.production.escalation[0].after: must be at most 7d',
    ],
    [
      'an unknown key in a step',
      [{ after: '15m', group: 'managers', to: 'x' }],
      'groups.production.escalation[0].to',
    ],
  ])('refuses %s, naming the field', (_name, escalation, message) => {
    expect(configProblems(config({ escalation }))).toEqual([expect.stringContaining(message)]);
  });

  it('refuses steps on a group that never pages', () => {
    const raw = config({});
    (raw.groups.test as Record<string, unknown>).escalation = [{ after: '15m', group: 'managers' }];

    expect(configProblems(raw)).toEqual([
      expect.stringContaining('groups.test.escalation: the group pages on no channel'),
    ]);
  });
});
