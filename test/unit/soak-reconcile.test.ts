import {
  type AlertRow,
  expectations,
  type Notice,
  noticeAlertIds,
  type Outage,
  overlapMs,
  parseAlertId,
  type ReconcileInput,
  type ReconcileSettings,
  reconcile,
  secretsIn,
} from '../../bench/soak-reconcile';
import { hashSecret } from '../../lambda/domain/secrets';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const S = 1000;

const SETTINGS: ReconcileSettings = {
  scanIntervalMs: S,
  missedScans: 3,
  probeMaxMs: 1200,
  slackMs: 1500,
  pagingGroups: ['production', 'staging'],
  end: T0 + 600 * S,
};

/** An outage whose agent last beat at `last` (s after T0) and beat again at `back`. */
function outage(
  id: number,
  agentId: string,
  last: number,
  back: number,
  overrides: Partial<Outage> = {},
): Outage {
  return {
    id,
    agentId,
    group: 'production',
    kind: 'silent',
    killAt: T0 + (last + 1) * S,
    reviveAt: T0 + back * S,
    lastBefore: { send: T0 + last * S, resp: T0 + last * S + 20 },
    firstAfter: { send: T0 + back * S, resp: T0 + back * S + 20 },
    ...overrides,
  };
}

/** The alert the watcher records for an incident that started at the heartbeat `last` s after T0. */
function alert(
  kind: string,
  agentId: string,
  last: number,
  opened: number,
  overrides: Partial<AlertRow> = {},
): AlertRow {
  return {
    alertId: `${kind}.${T0 + last * S + 10}.${agentId}`,
    agentId,
    group: 'production',
    kind,
    status: 'resolved',
    openedAt: T0 + opened * S,
    resolvedAt: T0 + (opened + 5) * S,
    opening: 'sent',
    recovery: 'sent',
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
    observedAt: T0 + at * S + 50,
  };
}

const recovery = (alerts: readonly AlertRow[], at: number) => page(alerts, at, 'recovery');

function input(overrides: Partial<ReconcileInput>): ReconcileInput {
  return {
    outages: [],
    flaps: [],
    chaos: [],
    blind: [],
    alerts: [],
    notices: [],
    missingAfterRestart: [],
    settings: SETTINGS,
    ...overrides,
  };
}

describe('soak reconciliation', () => {
  it('counts an outage alerted once, paged once and recovered once', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 13.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [a],
        notices: [page([a], 13.5), recovery([a], 21)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-once');
    expect(verdict.totals).toMatchObject({
      mustAlert: 1,
      alertedOnce: 1,
      alertedTwice: 0,
      missed: 0,
      falseAlerts: 0,
      falsePages: 0,
      recoveriesExpected: 1,
      recoveriesSent: 1,
      recoveriesDuplicated: 0,
      owed: 0,
      stillOpen: 0,
    });
  });

  it('counts an alert paged in two outbox lines as alerted twice', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 13.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [a],
        notices: [page([a], 13.5), page([a], 15), recovery([a], 21)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-twice');
    expect(verdict.totals).toMatchObject({ alertedOnce: 0, alertedTwice: 1, duplicatePages: 1 });
  });

  it('counts two alert records of one kind for one outage as alerted twice', () => {
    const first = alert('heartbeat_failure', 'prod-1', 10, 13.5);
    const second = alert('heartbeat_failure', 'prod-1', 14, 17.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [first, second],
        notices: [page([first], 13.5), page([second], 17.5)],
      }),
    );

    expect(verdict.totals.alertedTwice).toBe(1);
  });

  it('counts an outage long enough to alert and never alerted as missed', () => {
    const verdict = reconcile(input({ outages: [outage(1, 'prod-1', 10, 20)] }));

    expect(verdict.outages[0]!.verdict).toBe('missed');
    expect(verdict.totals).toMatchObject({ mustAlert: 1, alertedOnce: 0, missed: 1 });
  });

  it('counts a recorded alert whose page never went out as missed', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 13.5, { opening: 'pending', status: 'open' });
    const verdict = reconcile(input({ outages: [outage(1, 'prod-1', 10, 20)], alerts: [a] }));

    expect(verdict.totals).toMatchObject({ missed: 1, owed: 1, stillOpen: 1 });
  });

  it('counts a page owed across a restart and never sent as lost, not missed', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 13.5, { opening: 'sending' });
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [a],
        chaos: [{ kind: 'restart', start: T0 + 14 * S, end: T0 + 16 * S }],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('lost');
    expect(verdict.totals).toMatchObject({ lost: 1, missed: 0 });
  });

  it('counts alerts that vanished in a restart as lost', () => {
    const verdict = reconcile(input({ missingAfterRestart: ['heartbeat_failure.1.prod-9'] }));

    expect(verdict.totals.lost).toBe(1);
  });

  it('counts an alert on a silence shorter than the threshold as a false alert and its page as false', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 11.9);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 12, { kind: 'short' })],
        alerts: [a],
        notices: [page([a], 11.9)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('false-alert');
    expect(verdict.totals).toMatchObject({ mustAlert: 0, mustNotAlert: 1, falseAlerts: 1, falsePages: 1 });
  });

  it('keeps a short outage that opened nothing quiet', () => {
    const verdict = reconcile(input({ outages: [outage(1, 'prod-1', 10, 12, { kind: 'short' })] }));

    expect(verdict.outages[0]!.verdict).toBe('quiet');
    expect(verdict.totals).toMatchObject({ mustNotAlert: 1, falseAlerts: 0, missed: 0 });
  });

  it('counts an alert no outage explains as false, and says when a pause came just before it', () => {
    const a = alert('heartbeat_failure', 'prod-2', 30, 41);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [a],
        notices: [page([a], 41)],
        chaos: [{ kind: 'pause', start: T0 + 33 * S, end: T0 + 40 * S }],
      }),
    );

    expect(verdict.falseAlerts).toEqual([expect.objectContaining({ agentId: 'prod-2' })]);
    expect(verdict.falseAlerts[0]!.reason).toMatch(/after the end of a watcher pause/);
    expect(verdict.totals).toMatchObject({ falseAlerts: 1, falsePages: 1, missed: 1 });
  });

  it('counts an alert during a probe-port flap of a beating agent as false', () => {
    const a = alert('host_unreachable', 'prod-1', 30, 32);
    const verdict = reconcile(
      input({
        flaps: [{ agentId: 'prod-1', group: 'production', closedAt: T0 + 29 * S, reopenedAt: T0 + 35 * S }],
        alerts: [a],
      }),
    );

    expect(verdict.falseAlerts[0]!.reason).toMatch(/flap/);
  });

  it('counts a host-down outage alerted once when its one alert says host_unreachable and is paged once', () => {
    const unreachable = alert('host_unreachable', 'prod-1', 10, 11.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20, { kind: 'host-down' })],
        alerts: [unreachable],
        notices: [page([unreachable], 11.5), recovery([unreachable], 21)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-once');
    expect(verdict.totals).toMatchObject({
      mustAlertByKind: { silent: 0, short: 0, 'host-down': 1 },
      recoveriesExpected: 1,
      recoveriesSent: 1,
    });
  });

  it('counts a host-down outage with a second alert of another kind as alerted twice', () => {
    const unreachable = alert('host_unreachable', 'prod-1', 10, 11.5);
    const failure = alert('heartbeat_failure', 'prod-1', 10, 13.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20, { kind: 'host-down' })],
        alerts: [unreachable, failure],
        notices: [page([unreachable], 11.5), page([failure], 13.5), recovery([unreachable, failure], 21)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-twice');
    expect(verdict.totals).toMatchObject({ alertedOnce: 0, alertedTwice: 1 });
  });

  it('counts one alert paged twice under two kinds as alerted twice', () => {
    const unreachable = alert('host_unreachable', 'prod-1', 10, 11.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20, { kind: 'host-down' })],
        alerts: [unreachable],
        notices: [page([unreachable], 11.5), page([unreachable], 13.5, 'heartbeat_failure')],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-twice');
  });

  it('measures each kind an incident took from when its alert first showed it', () => {
    const turned = alert('host_unreachable', 'prod-1', 10, 13.5, {
      kindHistory: [
        { kind: 'heartbeat_failure', at: T0 + 13.5 * S },
        { kind: 'host_unreachable', at: T0 + 14.5 * S },
      ],
    });
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20, { kind: 'host-down' })],
        alerts: [turned],
        notices: [page([turned], 13.5)],
      }),
    );

    expect(verdict.latencies.map((l) => [l.kind, l.ms])).toEqual([
      ['heartbeat_failure', 3.5 * S - 10],
      ['host_unreachable', 4.5 * S - 10],
    ]);
  });

  it('does not time a heartbeat failure that came after host_unreachable (the host answering again) as a detection', () => {
    const turned = alert('heartbeat_failure', 'prod-1', 10, 11.5, {
      kindHistory: [
        { kind: 'host_unreachable', at: T0 + 11.5 * S },
        { kind: 'heartbeat_failure', at: T0 + 20.8 * S },
      ],
    });
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 21, { kind: 'host-down' })],
        alerts: [turned],
        notices: [page([turned], 11.5)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('alerted-once');
    expect(verdict.latencies.map((l) => l.kind)).toEqual(['host_unreachable']);
    expect(verdict.totals.latencyHeartbeat.n).toBe(0);
  });

  it('counts host_unreachable in the history of a silent agent whose port stayed open as a false alert', () => {
    const failure = alert('heartbeat_failure', 'prod-1', 10, 11.5, {
      kindHistory: [
        { kind: 'host_unreachable', at: T0 + 11.5 * S },
        { kind: 'heartbeat_failure', at: T0 + 13.5 * S },
      ],
    });
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [failure],
        notices: [page([failure], 11.5)],
      }),
    );

    expect(verdict.outages[0]!.verdict).toBe('false-alert');
    expect(verdict.totals.falseAlerts).toBe(1);
  });

  it('counts an alert held by the storm guard (recorded, no page of its own) as alerted', () => {
    const held = alert('heartbeat_failure', 'prod-1', 10, 13.5, { opening: 'suppressed', recovery: 'none' });
    const storm: AlertRow = {
      ...alert('network_event', 'production', 10, 13.5),
      alertId: `network_event.${T0 + 13.5 * S}.production`,
      agentId: '*',
      agentIds: ['prod-1'],
    };
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [held, storm],
        notices: [{ ...page([storm], 13.5), agentIds: ['prod-1'] }],
      }),
    );

    expect(verdict.outages[0]!.kinds).toContainEqual(
      expect.objectContaining({ kind: 'heartbeat_failure', outcome: 'held' }),
    );
    expect(verdict.totals).toMatchObject({ alertedOnce: 1, alertedHeld: 1, stormEvents: 1, falsePages: 0 });
  });

  it('counts a console-only alert recorded once as alerted, and any outbox line of that group as a false page', () => {
    const a = alert('heartbeat_failure', 'lab-1', 10, 13.5, {
      group: 'test',
      opening: undefined,
      recovery: undefined,
    });
    const quiet = reconcile(input({ outages: [outage(1, 'lab-1', 10, 20, { group: 'test' })], alerts: [a] }));
    const paged = reconcile(
      input({
        outages: [outage(1, 'lab-1', 10, 20, { group: 'test' })],
        alerts: [a],
        notices: [page([a], 13.5)],
      }),
    );

    expect(quiet.totals).toMatchObject({ alertedOnce: 1, recoveriesExpected: 0, falsePages: 0 });
    expect(paged.totals.falsePages).toBe(1);
  });

  it('allows either verdict when a pause with no blind window logged (it fell inside a scan) ate most of the silence', () => {
    const silent = outage(1, 'prod-1', 10, 20);
    const chaos = [{ kind: 'pause' as const, start: T0 + 11 * S, end: T0 + 19 * S }];

    const verdict = reconcile(input({ outages: [silent], chaos }));

    expect(verdict.outages[0]!.verdict).toBe('ok-either');
    expect(verdict.totals).toMatchObject({ missed: 0, ambiguous: 1 });
    expect(reconcile(input({ outages: [silent] })).totals.missed).toBe(1);
  });

  it('allows either verdict when a blind window ate most of the silence, and never counts it missed', () => {
    const blind = [{ start: T0 + 11 * S, end: T0 + 19 * S }];
    const silent = outage(1, 'prod-1', 10, 20);

    expect(expectations(silent, blind, SETTINGS).expect.heartbeat_failure).toBe('either');
    const verdict = reconcile(input({ outages: [silent], blind }));
    expect(verdict.outages[0]!.verdict).toBe('ok-either');
    expect(verdict.totals).toMatchObject({ missed: 0, ambiguous: 1, ambiguousAlerted: 0 });
  });

  it('still counts an ambiguous outage paged twice as alerted twice', () => {
    const blind = [{ start: T0 + 11 * S, end: T0 + 19 * S }];
    const a = alert('heartbeat_failure', 'prod-1', 10, 19.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        blind,
        alerts: [a],
        notices: [page([a], 19.5), page([a], 20)],
      }),
    );

    expect(verdict.totals.alertedTwice).toBe(1);
  });

  it('measures detection latency from the incident start the alert records, and sets apart outages a pause overlapped', () => {
    const clear = alert('heartbeat_failure', 'prod-1', 10, 13.9);
    const paused = alert('heartbeat_failure', 'prod-2', 50, 62);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20), outage(2, 'prod-2', 50, 70)],
        alerts: [clear, paused],
        notices: [page([clear], 13.9), page([paused], 62)],
        chaos: [{ kind: 'pause', start: T0 + 52 * S, end: T0 + 60 * S }],
      }),
    );

    const [first, second] = verdict.latencies;
    // opened 13.9 s, incident start 10.01 s: 3.89 s over 3 x 1 s.
    expect(first!.ratio).toBeCloseTo(3.89 / 3, 5);
    expect(first!.excluded).toBe(false);
    expect(second!.excluded).toBe(true);
    expect(verdict.totals.latencyHeartbeat.n).toBe(1);
    expect(verdict.totals.latencyHeartbeatExcluded.n).toBe(1);
    expect(verdict.totals.boundHeartbeat).toBeCloseTo(1 + 1 / 3 + 1.2 / 3, 5);
  });

  it('flags an alert whose incident start is not the last heartbeat the soak had accepted', () => {
    const a = {
      ...alert('heartbeat_failure', 'prod-1', 10, 13.5),
      alertId: `heartbeat_failure.${T0 + 8 * S}.prod-1`,
    };
    const verdict = reconcile(
      input({ outages: [outage(1, 'prod-1', 10, 20)], alerts: [a], notices: [page([a], 13.5)] }),
    );

    expect(verdict.totals.heartbeatMismatches).toBe(1);
  });

  it('counts recoveries sent twice', () => {
    const a = alert('heartbeat_failure', 'prod-1', 10, 13.5);
    const verdict = reconcile(
      input({
        outages: [outage(1, 'prod-1', 10, 20)],
        alerts: [a],
        notices: [page([a], 13.5), recovery([a], 21), recovery([a], 22)],
      }),
    );

    expect(verdict.totals).toMatchObject({
      recoveriesSent: 1,
      recoveriesDuplicated: 1,
      duplicateRecoveries: 1,
    });
  });
});

describe('soak reconciliation helpers', () => {
  it('parses an alert id whose agent id has dots in it', () => {
    expect(parseAlertId('heartbeat_failure.1795422524408.web-01.example.com')).toEqual({
      kind: 'heartbeat_failure',
      incidentStart: 1795422524408,
      subject: 'web-01.example.com',
    });
  });

  it('reads the alert ids off the email of a notice', () => {
    const email = 'CRITICAL 2 agents\n\n- a\n- b\n\nAlert ids: heartbeat_failure.1.a, heartbeat_failure.2.b';
    expect(noticeAlertIds(email)).toEqual(['heartbeat_failure.1.a', 'heartbeat_failure.2.b']);
    expect(noticeAlertIds('no ids here')).toEqual([]);
  });

  it('adds overlapping windows once', () => {
    const windows = [
      { start: 10, end: 20 },
      { start: 15, end: 30 },
      { start: 40, end: 50 },
    ];
    expect(overlapMs(0, 45, windows)).toBe(20 + 5);
    expect(overlapMs(31, 39, windows)).toBe(0);
  });
});

describe('secretsIn', () => {
  const token = `hbw_${'a'.repeat(43)}`;
  const other = `hbw_${'b'.repeat(43)}`;

  it('finds a token written as itself or as its stored hash, and counts each token once', () => {
    const log = `{"msg":"x","token":"${token}"}\n{"tokenHash":"${hashSecret(other)}","again":"${token}"}`;

    expect(secretsIn(log, [token, other])).toBe(2);
  });

  it('finds nothing in a log that names only agent ids', () => {
    expect(secretsIn('{"msg":"scan","agentId":"prod-0001"}', [token, other])).toBe(0);
  });
});
