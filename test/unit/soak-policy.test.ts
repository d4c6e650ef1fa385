import {
  coveredMs,
  FLAPPING,
  PATCHING,
  type PolicyPlan,
  planPolicy,
  reconcilePolicy,
  waitForWindowMs,
} from '../../bench/soak-policy';
import type { AlertRow, Notice } from '../../bench/soak-reconcile';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const S = 1000;
const OUTLASTER = PATCHING.agents[PATCHING.agents.length - 1]!;

const row = (over: Partial<AlertRow> & Pick<AlertRow, 'alertId' | 'agentId' | 'openedAt'>): AlertRow => ({
  group: FLAPPING.group,
  kind: 'heartbeat_failure',
  status: 'resolved',
  opening: 'sent',
  recovery: 'sent',
  ...over,
});

const page = (alert: AlertRow, time: number, kind = alert.kind): Notice => ({
  time,
  group: alert.group,
  kind,
  agentIds: [alert.agentId],
  alertIds: [alert.alertId],
});

describe('planPolicy', () => {
  it('plays the windows that open on the minute with room for the outlasting silence', () => {
    const plan = planPolicy(T0 - 20 * S, T0 + 90 * S);
    expect(plan.windows).toEqual([{ start: T0, end: T0 + PATCHING.durationSeconds * S }]);
  });

  it('plays flapping episodes a fixed stretch apart, each ending before the run does', () => {
    const plan = planPolicy(T0, T0 + 350 * S);
    expect(plan.episodes.map((e) => (e.start - T0) / S)).toEqual([0, 150]);
    expect(plan.episodes[0]!.end - plan.episodes[0]!.start).toBe(32 * S);
  });
});

describe('waitForWindowMs', () => {
  it('waits until a window opens the lead after the start', () => {
    expect(waitForWindowMs(T0 - 30 * S, 12)).toBe(18 * S);
    expect(waitForWindowMs(T0 - 12 * S, 12)).toBe(0);
    expect(waitForWindowMs(T0 - 11 * S, 12)).toBe(59 * S);
  });
});

describe('coveredMs', () => {
  it('counts each moment the spans cover once, within the stretch', () => {
    const spans = [
      { start: 5, end: 15 },
      { start: 0, end: 8 },
      { start: 12, end: 30 },
      { start: 40, end: 50 },
    ];
    expect(coveredMs(spans, 6, 25)).toBe(19);
    expect(coveredMs(spans, 30, 40)).toBe(0);
    expect(coveredMs(spans, 0, 100)).toBe(40);
  });
});

describe('reconcilePolicy', () => {
  const plan: PolicyPlan = {
    windows: [{ start: T0, end: T0 + 25 * S }],
    episodes: [{ agentId: 'flap-00', start: T0, end: T0 + 32 * S }],
  };
  const incidents = [0, 9, 18, 27].map((k, i) =>
    row({ alertId: `agent.${i}.flap-00`, agentId: 'flap-00', openedAt: T0 + (k + 4) * S }),
  );
  const flap = row({
    alertId: 'flapping.1.flap-00',
    agentId: 'flap-00',
    kind: 'flapping',
    openedAt: incidents[2]!.openedAt,
    resolvedAt: T0 + 45 * S,
  });
  const outlast = row({
    alertId: `agent.1.${OUTLASTER}`,
    agentId: OUTLASTER,
    group: PATCHING.group,
    openedAt: T0 + 29 * S,
  });
  const clean: Notice[] = [
    page(incidents[0]!, incidents[0]!.openedAt),
    page(incidents[1]!, incidents[1]!.openedAt),
    page(flap, flap.openedAt),
    page(flap, T0 + 45 * S, 'recovery'),
    page(outlast, outlast.openedAt),
  ];

  it('finds every policy kept when the watcher did as it should', () => {
    const v = reconcilePolicy(plan, [...incidents, flap, outlast], clean, []);
    expect(v).toMatchObject({
      pagesInWindows: 0,
      alertsInWindows: 0,
      outlastPaged: 1,
      flappingEpisodes: 1,
      flappingPagedOnce: 1,
      flappingExtra: 0,
      pagesWhileFlapping: 0,
      flappingRecovered: 1,
    });
  });

  it('counts an alert opened and paged inside a window', () => {
    const inside = row({
      alertId: 'agent.2.pat-00',
      agentId: 'pat-00',
      group: PATCHING.group,
      openedAt: T0 + 6 * S,
    });
    const v = reconcilePolicy(plan, [inside], [page(inside, inside.openedAt)], []);
    expect(v).toMatchObject({ pagesInWindows: 1, alertsInWindows: 1, outlastPaged: 0 });
  });

  it('counts an incident paged while its agent flapped, and a second flapping alert', () => {
    const again = { ...flap, alertId: 'flapping.2.flap-00', openedAt: T0 + 31 * S };
    const notices = [...clean, page(incidents[3]!, incidents[3]!.openedAt), page(again, again.openedAt)];
    const v = reconcilePolicy(plan, [...incidents, flap, again, outlast], notices, []);
    expect(v).toMatchObject({ pagesWhileFlapping: 2, flappingPagedOnce: 0, flappingExtra: 1 });
  });

  it('expects no flapping alert when too few incidents opened in the episode', () => {
    const v = reconcilePolicy(plan, [incidents[0]!, incidents[1]!, flap], clean, []);
    expect(v).toMatchObject({ flappingEpisodes: 0, flappingExtra: 1 });
  });

  it('allows an outlasting outage to go unpaged when the watcher was blind right after the window', () => {
    const pause = { start: T0 + 24 * S, end: T0 + 36 * S };
    const v = reconcilePolicy(plan, [], [], [pause]);
    expect(v).toMatchObject({ outlastPaged: 0, outlastExpected: 0, outlastAmbiguous: 1 });
  });

  it('still expects the page of an outlasting outage when a short pause leaves enough of it watched', () => {
    const pause = { start: T0 + 24 * S, end: T0 + 30 * S };
    const v = reconcilePolicy(plan, [outlast], [page(outlast, outlast.openedAt)], [pause]);
    expect(v).toMatchObject({ outlastPaged: 1, outlastExpected: 1, outlastAmbiguous: 0 });
  });

  it('finds a flapping alert whose recovery was never sent', () => {
    const v = reconcilePolicy(plan, [...incidents, flap], clean.slice(0, 3), []);
    expect(v.flappingRecovered).toBe(0);
  });
});
