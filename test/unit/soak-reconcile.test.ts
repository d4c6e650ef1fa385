import {
  type AlertRow,
  behindCounts,
  expectations,
  type Notice,
  noticeAlertIds,
  type Outage,
  overlapMs,
  type ParentOutage,
  parseAlertId,
  type QuorumLoss,
  type ReconcileInput,
  type ReconcileSettings,
  reconcile,
  secretsIn,
} from '../../bench/soak-reconcile';
import type { AlertRecord } from '../../lambda/domain/alert';
import { openingNotice } from '../../lambda/domain/messages';
import { hashSecret } from '../../lambda/domain/secrets';

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
    topology: [],
    judgedApart: [],
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

  it('leaves out the alerts judged apart (a reboot’s): no outage claims them and none is false, their pages known', () => {
    const restarted = alert('agent_restarted', 'prod-1', 30, 30.5, { recovery: 'none' });
    const late = alert('heartbeat_failure', 'prod-2', 33, 36.4);

    const verdict = reconcile(
      input({
        alerts: [restarted, late],
        notices: [page([restarted], 30.5), page([late], 36.4), recovery([late], 46)],
        judgedApart: [restarted.alertId, late.alertId],
      }),
    );

    expect(verdict.totals).toMatchObject({ falseAlerts: 0, falsePages: 0, mustAlert: 0, duplicatePages: 0 });
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

describe('soak reconciliation of the topology', () => {
  const rack = (n: number) => Array.from({ length: 20 }, (_, i) => `rack${n}-${String(i).padStart(2, '0')}`);

  /** Agents behind `parent` silent from 10 s to 17 s (the straggler to `stragglerBack`), the switch's port closed 11.5 s to 18 s. */
  function switchDown(
    parent: string,
    children: readonly string[],
    options: { straggler?: string; stragglerBack?: number; id?: number } = {},
  ): { outage: ParentOutage; switchAlert: AlertRow; held: AlertRow[] } {
    const behind = children.map((id, k) =>
      outage(k + 1, id, 10, id === options.straggler ? (options.stragglerBack ?? 30) : 17),
    );
    return {
      outage: {
        kind: 'parent',
        id: options.id ?? 1,
        parent,
        group: 'production',
        closedAt: T0 + 11.5 * S,
        reopenedAt: T0 + 18 * S,
        children: behind,
        straggler: options.straggler,
      },
      // Opened at 12.5 s, resolved at 17.5 + 1 s: the port answered at the switch's next probe.
      switchAlert: alert('host_unreachable', parent, 11, 12.5, { resolvedAt: T0 + 18.5 * S }),
      held: children
        .filter((id) => id !== options.straggler)
        .map((id) =>
          alert('heartbeat_failure', id, 10, 13.5, {
            opening: 'suppressed',
            recovery: 'none',
            suppressed: { reason: 'parent', by: parent },
          }),
        ),
    };
  }

  /** db-1..db-3 of a cluster of 5 (3 must be up) silent from 10 s to 17 s. */
  function quorumLost(): { outage: QuorumLoss; clusterAlert: AlertRow; held: AlertRow[] } {
    const members = ['db-1', 'db-2', 'db-3'];
    return {
      outage: {
        kind: 'quorum',
        id: 2,
        cluster: 'db',
        group: 'production',
        size: 5,
        minHealthy: 3,
        members: members.map((id, k) => outage(k + 1, id, 10, 17)),
      },
      clusterAlert: {
        ...alert('cluster_down', '*', 10, 13.5),
        alertId: `cluster_down.${T0 + 10 * S + 10}.db`,
        cluster: 'db',
        agentIds: members,
      },
      held: members.map((id) =>
        alert('heartbeat_failure', id, 10, 13.5, {
          cluster: 'db',
          opening: 'suppressed',
          recovery: 'none',
          suppressed: { reason: 'cluster', by: 'db' },
        }),
      ),
    };
  }

  it('counts a switch down with 20 agents behind it as paged once, by the switch, its 20 alerts held', () => {
    const down = switchDown('switch-1', rack(1));
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [down.switchAlert, ...down.held],
        notices: [page([down.switchAlert], 12.5), recovery([down.switchAlert], 18.5)],
      }),
    );

    expect(verdict.topology.pages).toEqual([
      expect.objectContaining({ role: 'parent', subject: 'switch-1', expect: 'must', verdict: 'paged-once' }),
    ]);
    expect(verdict.totals.topology).toMatchObject({
      parentOutages: 1,
      mustPage: 1,
      pagedOnce: 1,
      missed: 0,
      pagedTwice: 0,
      mustHold: 20,
      recorded: 20,
      held: 20,
      heldPaged: 0,
      recoveriesExpected: 1,
      recoveriesSent: 1,
    });
    expect(verdict.totals).toMatchObject({ falseAlerts: 0, falsePages: 0, mustAlert: 0 });
  });

  it('counts the alert of a scan that started just before the port closed, its probe after, as the switch page', () => {
    const down = switchDown('switch-1', rack(1));
    const early = { ...down.switchAlert, openedAt: down.outage.closedAt - 0.2 * S };
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [early, ...down.held],
        notices: [page([early], 11.3), recovery([early], 18.5)],
      }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('paged-once');
    expect(verdict.totals).toMatchObject({ falseAlerts: 0, falsePages: 0 });
  });

  it('counts a switch paged in two outbox lines as paged twice, and a missing recovery as not sent', () => {
    const down = switchDown('switch-1', rack(1));
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [down.switchAlert, ...down.held],
        notices: [page([down.switchAlert], 12.5), page([down.switchAlert], 14)],
      }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('paged-twice');
    expect(verdict.totals.topology).toMatchObject({
      pagedOnce: 0,
      pagedTwice: 1,
      recoveriesExpected: 1,
      recoveriesSent: 0,
    });
  });

  it('counts an agent behind the down switch paged on its own as a second page of the outage', () => {
    const down = switchDown('switch-1', rack(1));
    const [first, ...others] = down.held;
    const paged = { ...first!, opening: 'sent', recovery: 'sent', suppressed: undefined };
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [down.switchAlert, paged, ...others],
        notices: [page([down.switchAlert], 12.5), page([paged], 13.5), recovery([down.switchAlert], 18.5)],
      }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('paged-twice');
    expect(verdict.totals.topology).toMatchObject({ held: 19, heldPaged: 1, pagedTwice: 1 });
  });

  it('counts a switch that never paged as missed, though the agents behind it are held', () => {
    const down = switchDown('switch-1', rack(1));
    const verdict = reconcile(
      input({ topology: [down.outage], alerts: [{ ...down.switchAlert, opening: 'pending' }, ...down.held] }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('missed');
    expect(verdict.totals.topology).toMatchObject({ pagedOnce: 0, missed: 1, held: 20 });
  });

  it('counts an agent behind the switch held for another reason or by another, or not recorded, as not held', () => {
    const down = switchDown('switch-1', rack(1));
    const [first, , third, ...others] = down.held;
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [
          down.switchAlert,
          { ...first!, suppressed: { reason: 'parent', by: 'switch-2' } },
          { ...third!, suppressed: { reason: 'maintenance', by: 'switch-1' } },
          ...others,
        ],
        notices: [page([down.switchAlert], 12.5), recovery([down.switchAlert], 18.5)],
      }),
    );

    expect(verdict.totals.topology).toMatchObject({ mustHold: 20, recorded: 19, held: 17, heldPaged: 0 });
  });

  it('counts an agent behind the switch paged in place of the switch as missed', () => {
    const down = switchDown('switch-1', rack(1));
    const [first, ...others] = down.held;
    const paged = { ...first!, opening: 'sent', recovery: 'sent', suppressed: undefined };
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [{ ...down.switchAlert, opening: 'held' }, paged, ...others],
        notices: [page([paged], 13.5)],
      }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('missed');
    expect(verdict.totals.topology).toMatchObject({ pagedOnce: 0, missed: 1, heldPaged: 1 });
  });

  it('counts the agent still silent after its switch is back as its own outage, paged once after the grace', () => {
    const down = switchDown('switch-2', rack(2), { straggler: 'rack2-07' });
    const straggler = alert('heartbeat_failure', 'rack2-07', 10, 13.5, { resolvedAt: T0 + 30.5 * S });
    const verdict = reconcile(
      input({
        topology: [down.outage],
        alerts: [down.switchAlert, ...down.held, straggler],
        notices: [
          page([down.switchAlert], 12.5),
          recovery([down.switchAlert], 18.5),
          page([straggler], 20),
          recovery([straggler], 30.5),
        ],
      }),
    );

    expect(verdict.topology.pages.map((p) => [p.role, p.subject, p.expect, p.verdict])).toEqual([
      ['parent', 'switch-2', 'must', 'paged-once'],
      ['straggler', 'rack2-07', 'must', 'paged-once'],
    ]);
    expect(verdict.totals.topology).toMatchObject({
      stragglers: 1,
      mustPage: 2,
      pagedOnce: 2,
      mustHold: 19,
      held: 19,
      recoveriesExpected: 2,
      recoveriesSent: 2,
    });
    expect(verdict.totals.falseAlerts).toBe(0);
  });

  it('counts the straggler paged while its switch was down, or before its grace passed, as paged too early', () => {
    const down = switchDown('switch-2', rack(2), { straggler: 'rack2-07' });
    const straggler = alert('heartbeat_failure', 'rack2-07', 10, 13.5, { resolvedAt: T0 + 30.5 * S });
    const judge = (pagedAt: number) =>
      reconcile(
        input({
          topology: [down.outage],
          alerts: [down.switchAlert, ...down.held, straggler],
          notices: [page([down.switchAlert], 12.5), page([straggler], pagedAt)],
        }),
      ).topology.pages[1]!.verdict;

    expect(judge(13.5)).toBe('early');
    expect(judge(19)).toBe('early');
    expect(judge(19.5)).toBe('paged-once');
  });

  it('counts the straggler never paged as missed, and paged twice as paged twice', () => {
    const down = switchDown('switch-2', rack(2), { straggler: 'rack2-07' });
    const straggler = alert('heartbeat_failure', 'rack2-07', 10, 13.5, { resolvedAt: T0 + 30.5 * S });
    const judge = (notices: Notice[]) =>
      reconcile(
        input({
          topology: [down.outage],
          alerts: [down.switchAlert, ...down.held, straggler],
          notices: [page([down.switchAlert], 12.5), ...notices],
        }),
      ).totals.topology;

    expect(judge([])).toMatchObject({ missed: 1, pagedOnce: 1 });
    expect(judge([page([straggler], 20), page([straggler], 21)])).toMatchObject({
      pagedTwice: 1,
      pagedOnce: 1,
    });
  });

  it('allows the straggler either way when it came back before its grace and a scan could have passed', () => {
    const down = switchDown('switch-2', rack(2), { straggler: 'rack2-07', stragglerBack: 20 });
    const straggler = alert('heartbeat_failure', 'rack2-07', 10, 13.5, { opening: 'suppressed' });

    const verdict = reconcile(
      input({ topology: [down.outage], alerts: [down.switchAlert, ...down.held, straggler] }),
    );

    expect(verdict.topology.pages[1]).toMatchObject({ expect: 'either', verdict: 'ok-either' });
    expect(verdict.totals.topology.missed).toBe(1); // the switch's own page, not the straggler's
  });

  it('counts a cluster below quorum as paged once by its cluster_down, its members held', () => {
    const lost = quorumLost();
    const verdict = reconcile(
      input({
        topology: [lost.outage],
        alerts: [lost.clusterAlert, ...lost.held],
        notices: [page([lost.clusterAlert], 13.5), recovery([lost.clusterAlert], 17.5)],
      }),
    );

    expect(verdict.topology.pages).toEqual([
      expect.objectContaining({ role: 'quorum', subject: 'db', expect: 'must', verdict: 'paged-once' }),
    ]);
    expect(verdict.totals.topology).toMatchObject({
      quorumLosses: 1,
      pagedOnce: 1,
      mustHold: 3,
      held: 3,
      recoveriesSent: 1,
    });
    expect(verdict.totals.falseAlerts).toBe(0);
  });

  it('counts a cluster_down paged twice, a member paged beside it, or none at all', () => {
    const lost = quorumLost();
    const [first, ...others] = lost.held;
    const member = { ...first!, opening: 'sent', suppressed: undefined };
    const judge = (alerts: AlertRow[], notices: Notice[]) =>
      reconcile(input({ topology: [lost.outage], alerts, notices })).totals.topology;

    expect(
      judge(
        [lost.clusterAlert, ...lost.held],
        [page([lost.clusterAlert], 13.5), page([lost.clusterAlert], 15)],
      ),
    ).toMatchObject({ pagedTwice: 1 });
    expect(
      judge([lost.clusterAlert, member, ...others], [page([member], 13.5), page([lost.clusterAlert], 14.5)]),
    ).toMatchObject({ pagedTwice: 1, heldPaged: 1 });
    expect(judge(lost.held, [])).toMatchObject({ missed: 1, pagedOnce: 0 });
  });

  it('counts a cluster_down naming other members than the ones down as paged wrong', () => {
    const lost = quorumLost();
    const wrong = { ...lost.clusterAlert, agentIds: ['db-1', 'db-2'] };
    const verdict = reconcile(
      input({ topology: [lost.outage], alerts: [wrong, ...lost.held], notices: [page([wrong], 13.5)] }),
    );

    expect(verdict.topology.pages[0]!.verdict).toBe('wrong-members');
    expect(verdict.totals.topology).toMatchObject({ pagedOnce: 0, pagedWrong: 1 });
  });

  it('counts a cluster_down while the members left up keep the quorum as a false alert', () => {
    const lost = quorumLost();
    const kept: QuorumLoss = { ...lost.outage, members: lost.outage.members.slice(0, 2) };
    const verdict = reconcile(
      input({ topology: [kept], alerts: [lost.clusterAlert, ...lost.held.slice(0, 2)], notices: [] }),
    );

    expect(verdict.topology.pages[0]).toMatchObject({ expect: 'forbidden', verdict: 'false-alert' });
    expect(verdict.totals.falseAlerts).toBe(1);
  });

  it('counts an alert of a topology agent no topology outage explains as false', () => {
    const stray = alert('host_unreachable', 'switch-1', 40, 42);
    const verdict = reconcile(input({ alerts: [stray], notices: [page([stray], 42)] }));

    expect(verdict.totals).toMatchObject({ falseAlerts: 1, falsePages: 1 });
  });

  it('finds the scan that opened the most agent alerts and how many a down parent held', () => {
    const down = switchDown('switch-1', rack(1));
    const verdict = reconcile(input({ topology: [down.outage], alerts: [down.switchAlert, ...down.held] }));

    expect(verdict.totals.busiestScan).toEqual({ opened: 20, behindParent: 20 });
  });
});

describe('behindCounts', () => {
  const switchAlert = (agentId: string): AlertRecord => ({
    alertId: `agent.${T0}.${agentId}`,
    agentId,
    group: 'production',
    kind: 'host_unreachable',
    severity: 'critical',
    status: 'open',
    openedAt: T0,
    incidentStart: T0,
    detail: 'Agentless host does not answer its probe (tcp 127.0.0.1:9: ECONNREFUSED).',
    channels: ['sms', 'email'],
    openNotice: 'pending',
    recoveryNotice: 'none',
  });
  const context = { silentBehind: (id: string) => (id === 'switch-1' ? 20 : id === 'switch-2' ? 1 : 0) };

  it("reads the count of agents silent behind a switch off the headline of the switch's own page", () => {
    const notice = openingNotice([switchAlert('switch-1')], new Date(T0).toISOString(), context);

    expect(behindCounts(notice.messages.email)).toEqual({ 'switch-1': 20 });
  });

  it("reads each switch's count off its line of a summary", () => {
    const alerts = ['switch-1', 'switch-2', 'prod-0001'].map(switchAlert);
    const notice = openingNotice(alerts, new Date(T0).toISOString(), context);

    expect(behindCounts(notice.messages.email)).toEqual({ 'switch-1': 20, 'switch-2': 1 });
  });
});
