import { type Reboot, type RebootInput, rebootRows, reconcileReboots } from '../../bench/soak-reboot';
import type { AlertRow, GoalRow, Notice, ReconcileSettings } from '../../bench/soak-reconcile';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const S = 1000;

const SETTINGS: ReconcileSettings = {
  scanIntervalMs: S,
  heartbeatIntervalMs: S,
  agentlessEveryNScans: 3,
  missedScans: 3,
  probeMaxMs: 1200,
  slackMs: 1500,
  pagingGroups: ['production', 'staging'],
  end: T0 + 600 * S,
};

/** A reboot whose last heartbeat of the old boot was `last` s after T0, and its new boot's first `back`. */
function reboot(
  id: number,
  agentId: string,
  kind: Reboot['kind'],
  last: number,
  back: number,
  overrides: Partial<Reboot> = {},
): Reboot {
  return {
    id,
    agentId,
    group: 'production',
    kind,
    ...(kind === 'quick'
      ? {}
      : { goodbye: { backInSeconds: kind === 'planned' ? 40 : 3, reason: 'kernel update' } }),
    killAt: T0 + (last + 1) * S,
    lastBefore: { send: T0 + last * S, resp: T0 + last * S + 20 },
    reviveAt: T0 + back * S,
    firstAfter: { send: T0 + back * S, resp: T0 + back * S + 20 },
    ...overrides,
  };
}

/** The restart the watcher records for the first heartbeat of a new boot received `at` s after T0. */
function restart(agentId: string, at: number, overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    alertId: `agent_restarted.${T0 + at * S + 10}.${agentId}`,
    agentId,
    group: 'production',
    kind: 'agent_restarted',
    status: 'resolved',
    openedAt: T0 + (at + 0.5) * S,
    resolvedAt: T0 + (at + 0.5) * S,
    opening: 'none',
    recovery: 'none',
    ...overrides,
  };
}

/** A heartbeat failure whose incident started `since` s after T0 (the back-by time, after a goodbye). */
function failure(
  agentId: string,
  since: number,
  opened: number,
  overrides: Partial<AlertRow> = {},
): AlertRow {
  return {
    alertId: `agent.${T0 + since * S + 10}.${agentId}`,
    agentId,
    group: 'production',
    kind: 'heartbeat_failure',
    status: 'resolved',
    openedAt: T0 + opened * S,
    resolvedAt: T0 + (opened + 5) * S,
    opening: 'sent',
    recovery: 'sent',
    detail: `No heartbeat for 3 scans (threshold 3 x 1 s; last ...). It did not come back after a planned restart: kernel update (it said it would be back by ...).`,
    ...overrides,
  };
}

function page(alerts: readonly AlertRow[], at: number, kind?: string): Notice {
  return {
    time: T0 + at * S,
    group: alerts[0]!.group,
    kind: kind ?? alerts[0]!.kind,
    agentIds: [...new Set(alerts.map((a) => a.agentId))],
    alertIds: alerts.map((a) => a.alertId),
  };
}

function input(overrides: Partial<RebootInput>): RebootInput {
  return {
    reboots: [],
    alerts: [],
    notices: [],
    chaos: [],
    blind: [],
    pageOnRestart: 'staging',
    settings: SETTINGS,
    ...overrides,
  };
}

const rowsOf = (i: RebootInput) => rebootRows(reconcileReboots(i).totals, 'staging');
const row = (rows: readonly GoalRow[], start: string) => rows.find((r) => r.measure.startsWith(start))!;
const failed = (rows: readonly GoalRow[]) => rows.filter((r) => r.met === false).map((r) => r.measure);

/** One reboot of each kind, each as it should go: the quick one in staging paged once. */
function everyKind() {
  const stg = { group: 'staging' };
  const reboots = [
    reboot(1, 'stg-1', 'quick', 10, 12, stg),
    reboot(2, 'prod-2', 'quick', 10, 12),
    reboot(3, 'stg-3', 'planned', 20, 28, stg),
    // Said back in 3 s at 30 s, back at 45 s: missed scans count from 33 s, the alert opens at 36.4 s.
    reboot(4, 'prod-4', 'late', 30, 45),
  ];
  const quickStg = restart('stg-1', 12, { ...stg, opening: 'sent' });
  const plannedStg = restart('stg-3', 28, {
    ...stg,
    opening: 'suppressed',
    suppressed: { reason: 'goodbye', by: 'stg-3' },
  });
  const late = failure('prod-4', 33, 36.4);
  const alerts = [quickStg, restart('prod-2', 12), plannedStg, late, restart('prod-4', 45)];
  const notices = [page([quickStg], 12.5), page([late], 36.4), page([late], 46, 'recovery')];
  return { reboots, alerts, notices };
}

describe('the soak verdict of reboots', () => {
  it('meets every goal when each restart is recorded once, paged only for a quick reboot in the page group', () => {
    const verdict = reconcileReboots(input(everyKind()));

    expect(verdict.totals).toMatchObject({
      quickPageGroup: 1,
      quickRecordGroups: 1,
      planned: 1,
      late: 1,
      recorded: { quick: 2, planned: 1, late: 1 },
      unexplainedRestarts: 0,
      quickRecordPaged: 0,
      quickPagedOnce: 1,
      plannedPaged: 0,
      lateMust: 1,
      lateOnce: 1,
      lateSays: 1,
      lateBackByMismatches: 0,
    });
    expect(verdict.results.every((r) => r.problems.length === 0)).toBe(true);
    expect(failed(rebootRows(verdict.totals, 'staging'))).toEqual([]);
  });

  it('claims every restart and the alerts of the reboots, so the outage verdict leaves them out', () => {
    const kinds = everyKind();

    const verdict = reconcileReboots(input(kinds));

    expect([...verdict.claimed].sort()).toEqual(kinds.alerts.map((a) => a.alertId).sort());
  });

  it('fails when a planned reboot pages its restart, in the page group too', () => {
    const stg = { group: 'staging' };
    const paged = restart('stg-3', 28, { ...stg, opening: 'sent' });

    const rows = rowsOf(
      input({
        reboots: [reboot(3, 'stg-3', 'planned', 20, 28, stg)],
        alerts: [paged],
        notices: [page([paged], 28.5)],
      }),
    );

    expect(row(rows, 'planned reboots paged')).toMatchObject({ result: '1 of 1 / 0', met: false });
  });

  it('fails when a planned reboot back in time opens a heartbeat failure and pages it', () => {
    const a = failure('prod-3', 20, 23.5, { detail: 'No heartbeat for 3 scans.' });

    const verdict = reconcileReboots(
      input({
        reboots: [reboot(3, 'prod-3', 'planned', 20, 28)],
        alerts: [a, restart('prod-3', 28)],
        notices: [page([a], 23.5)],
      }),
    );

    expect(verdict.results[0]!.problems).toEqual(['1 heartbeat failures opened']);
    expect(row(rebootRows(verdict.totals, 'staging'), 'planned reboots paged')).toMatchObject({
      result: '1 of 1 / 1',
      met: false,
    });
  });

  it('allows a planned reboot to alert when its first heartbeat back was sent after the time it gave', () => {
    const a = failure('prod-3', 60, 63.5);

    const rows = rowsOf(
      input({
        reboots: [reboot(3, 'prod-3', 'planned', 20, 70)],
        alerts: [a, restart('prod-3', 70)],
        notices: [page([a], 63.5), page([a], 71, 'recovery')],
      }),
    );

    expect(row(rows, 'planned reboots paged')).toMatchObject({
      result: '0 of 1 / 0; 1 back after the time they gave, allowed to alert',
      met: true,
    });
  });

  it('fails when a quick reboot in a group that records pages, or one in the page group does not page once', () => {
    const stg = { group: 'staging' };
    const prod = restart('prod-2', 12, { opening: 'sent' });
    const twice = restart('stg-1', 12, { ...stg, opening: 'sent' });

    const rows = rowsOf(
      input({
        reboots: [
          reboot(1, 'stg-1', 'quick', 10, 12, stg),
          reboot(2, 'prod-2', 'quick', 10, 12),
          reboot(5, 'stg-5', 'quick', 10, 12, stg),
        ],
        alerts: [prod, twice, restart('stg-5', 12, stg)],
        notices: [page([prod], 12.5), page([twice], 12.5), page([twice], 14)],
      }),
    );

    expect(row(rows, 'quick reboots paged')).toMatchObject({ result: '1 of 1 / 0 of 2', met: false });
  });

  it('fails when a reboot is recorded twice or not at all, or a restart is recorded with no reboot', () => {
    const rows = rowsOf(
      input({
        reboots: [reboot(1, 'prod-1', 'quick', 10, 12), reboot(2, 'prod-2', 'quick', 10, 12)],
        alerts: [restart('prod-1', 11.5), restart('prod-1', 12), restart('prod-9', 40)],
      }),
    );

    expect(row(rows, 'reboots recorded')).toMatchObject({ result: '0 of 2 / 0 of 0 / 0 of 0', met: false });
    expect(row(rows, 'agent_restarted alerts no reboot explains')).toMatchObject({
      result: '1 / 0',
      met: false,
    });
  });

  it('counts a heartbeat failure of a quick reboot as one, unless the watcher stretched its silence past the threshold', () => {
    const quick = failure('prod-1', 10, 11.9);
    const stretched = failure('prod-2', 10, 14);

    const rows = rowsOf(
      input({
        reboots: [reboot(1, 'prod-1', 'quick', 10, 12), reboot(2, 'prod-2', 'quick', 10, 18)],
        alerts: [quick, restart('prod-1', 12), stretched, restart('prod-2', 18)],
        chaos: [{ kind: 'pause', start: T0 + 11 * S, end: T0 + 17 * S }],
      }),
    );

    expect(row(rows, 'heartbeat failures opened by quick reboots')).toMatchObject({
      result: "1; 1 stretched past the threshold by the watcher's chaos, allowed either way",
      met: false,
    });
  });

  it('fails when a reboot not back in time opens its heartbeat failure before the time it gave and the threshold', () => {
    // Back by 33 s: the threshold ends at 36 s; opened at 35 s, counted from the goodbye's recorded back-by time.
    const early = failure('prod-4', 33, 35);

    const verdict = reconcileReboots(
      input({
        reboots: [reboot(4, 'prod-4', 'late', 30, 45)],
        alerts: [early, restart('prod-4', 45)],
        notices: [page([early], 35), page([early], 46, 'recovery')],
      }),
    );

    expect(verdict.results[0]!.ratio).toBeCloseTo((35 - 33.01) / 3, 3);
    expect(verdict.results[0]!.problems).toEqual([
      'opened 1010 ms before the time it gave and the threshold',
    ]);
    expect(row(rebootRows(verdict.totals, 'staging'), 'their detection latency ratio')).toMatchObject({
      met: false,
    });
  });

  it('fails when a reboot not back in time records a back-by time other than its goodbye’s, or one too late', () => {
    const counted = failure('prod-4', 30, 36.4);
    const slow = failure('prod-6', 33, 40);

    const verdict = reconcileReboots(
      input({
        reboots: [reboot(4, 'prod-4', 'late', 30, 45), reboot(6, 'prod-6', 'late', 30, 45)],
        alerts: [counted, restart('prod-4', 45), slow, restart('prod-6', 45)],
        notices: [
          page([counted], 36.4),
          page([counted], 46, 'recovery'),
          page([slow], 40),
          page([slow], 46, 'recovery'),
        ],
      }),
    );

    expect(verdict.results.map((r) => r.backByMismatch)).toEqual([true, false]);
    expect(row(rebootRows(verdict.totals, 'staging'), 'their detection latency ratio')).toMatchObject({
      result: "min 1.13 (n 2) / max 2.33, p50 1.13 (n 2); back-by time off the goodbye's 1",
      met: false,
    });
  });

  it('fails when a reboot not back in time is not alerted, is paged twice, or its alert does not say it did not come back', () => {
    const twice = failure('prod-4', 33, 36.4);
    const mute = failure('prod-6', 33, 36.4, {
      detail: 'No heartbeat for 3 scans (threshold 3 x 1 s; last ...).',
    });

    const verdict = reconcileReboots(
      input({
        reboots: [
          reboot(4, 'prod-4', 'late', 30, 45),
          reboot(6, 'prod-6', 'late', 30, 45),
          reboot(7, 'prod-7', 'late', 30, 45),
        ],
        alerts: [twice, restart('prod-4', 45), mute, restart('prod-6', 45), restart('prod-7', 45)],
        notices: [
          page([twice], 36.4),
          page([twice], 38),
          page([twice], 46, 'recovery'),
          page([mute], 36.4),
          page([mute], 46, 'recovery'),
        ],
      }),
    );

    expect(verdict.results.map((r) => r.problems)).toEqual([
      ['its heartbeat failure paged 2 times'],
      ['its alert does not say it did not come back'],
      ['no heartbeat failure'],
    ]);
    const rows = rebootRows(verdict.totals, 'staging');
    expect(row(rows, 'reboots not back in time')).toMatchObject({
      result: '1 of 3; 0 allowed either way / 1',
      met: false,
    });
    expect(row(rows, 'their heartbeat failures saying')).toMatchObject({ result: '1 of 2', met: false });
  });

  it('allows a reboot not back in time either way when a blind window ate its silence past the time it gave', () => {
    const verdict = reconcileReboots(
      input({
        reboots: [reboot(4, 'prod-4', 'late', 30, 38)],
        alerts: [restart('prod-4', 38)],
        blind: [{ start: T0 + 33 * S, end: T0 + 37 * S }],
      }),
    );

    expect(verdict.totals).toMatchObject({ lateMust: 0, lateAmbiguous: 1, lateOnce: 0 });
    expect(failed(rebootRows(verdict.totals, 'staging'))).toEqual([expect.stringMatching(/^reboots played/)]);
  });

  it('fails when a kind of reboot was not played', () => {
    const rows = rowsOf(
      input({ reboots: [reboot(1, 'prod-1', 'quick', 10, 12)], alerts: [restart('prod-1', 12)] }),
    );

    expect(row(rows, 'reboots played')).toMatchObject({ result: '0 / 1 / 0 / 0', met: false });
  });
});
