// The notification policies in the soak: a group with a recurring maintenance window whose agents go
// silent inside it (one of them for longer than the window), and a group that judges flapping with an
// agent that goes silent and comes back over and over. The plan is fixed; the verdict sets what the
// watcher recorded and paged against it.
import type { AlertRow, GoalRow, Notice } from './soak-reconcile';

/** The window: every minute, on the minute, for 25 s (cron in UTC). */
export const PATCHING = {
  group: 'patching',
  cron: '* * * * *',
  durationSeconds: 25,
  /** Agents go silent this long after a window starts... */
  silentFromSeconds: 2,
  /** ...and are heard again this long after it started, well inside it. */
  backAtSeconds: 18,
  /** The last agent stays silent this long after the window ends: it must page once the window is over. */
  outlastSeconds: 20,
  /** ...when the watcher watched at least this long of that stretch (3 missed 1 s scans, and room). */
  outlastWatchedSeconds: 10,
  agents: Array.from({ length: 10 }, (_, i) => `pat-${String(i).padStart(2, '0')}`),
} as const;

/** Flapping: three openings within two minutes; stable again after 10 s. */
export const FLAPPING = {
  group: 'flappy',
  changes: 3,
  windowSeconds: 120,
  stableForSeconds: 10,
  /** Each cycle: silent long enough to alert (3 missed 1 s scans), then heard long enough to resolve. */
  silentSeconds: 5,
  heardSeconds: 4,
  cycles: 4,
  /** Episodes start this far apart: more than the window and the time to go stable. */
  everySeconds: 150,
  agents: ['flap-00'],
} as const;

export const POLICY_GROUPS = [PATCHING.group, FLAPPING.group] as const;

/** The groups of the config: both page by email. */
export function policyGroupsConfig() {
  return {
    [PATCHING.group]: {
      channels: ['email'],
      subscriptions: { email: ['patching@example.com'] },
      maintenance: [
        {
          cron: PATCHING.cron,
          duration: `${PATCHING.durationSeconds}s`,
          timezone: 'UTC',
          reason: 'soak patching',
        },
      ],
    },
    [FLAPPING.group]: {
      channels: ['email'],
      subscriptions: { email: ['flappy@example.com'] },
      flapping: {
        changes: FLAPPING.changes,
        window: `${FLAPPING.windowSeconds}s`,
        stableFor: `${FLAPPING.stableForSeconds}s`,
      },
    },
  };
}

/** What the policy agents will be made to do, in seconds after the soak's start. */
export interface PolicyPlan {
  /** Maintenance windows whose silences are played: start and end, ms since the epoch. */
  readonly windows: readonly { start: number; end: number }[];
  /** Flapping episodes: when the first silence starts and the last one ends, ms since the epoch. */
  readonly episodes: readonly { agentId: string; start: number; end: number }[];
}

const MINUTE = 60_000;

/**
 * The windows of the run between `from` and `until` (ms) that have room for the silences, the longest
 * one outlasting the window; and the flapping episodes from `from` on, each with room to go stable
 * before `until`.
 */
export function planPolicy(from: number, until: number): PolicyPlan {
  const windows: { start: number; end: number }[] = [];
  const last = PATCHING.durationSeconds + PATCHING.outlastSeconds + 5;
  for (let start = Math.ceil(from / MINUTE) * MINUTE; start + last * 1000 <= until; start += MINUTE)
    windows.push({ start, end: start + PATCHING.durationSeconds * 1000 });
  const cycle = (FLAPPING.silentSeconds + FLAPPING.heardSeconds) * 1000;
  const episodes: { agentId: string; start: number; end: number }[] = [];
  const room = FLAPPING.cycles * cycle + (FLAPPING.stableForSeconds + 5) * 1000;
  for (let start = from; start + room <= until; start += FLAPPING.everySeconds * 1000) {
    for (const agentId of FLAPPING.agents)
      episodes.push({ agentId, start, end: start + FLAPPING.cycles * cycle - FLAPPING.heardSeconds * 1000 });
  }
  return { windows, episodes };
}

/** How long the soak waits before its start so that a window opens `leadSeconds` after it. */
export function waitForWindowMs(now: number, leadSeconds: number): number {
  const firstStart = Math.ceil((now + leadSeconds * 1000) / MINUTE) * MINUTE;
  return firstStart - leadSeconds * 1000 - now;
}

export interface PolicyVerdict {
  readonly windows: number;
  /** Opening pages of the patching group whose scan ran inside a window. */
  readonly pagesInWindows: number;
  /** Alerts of patching agents opened inside a window. */
  readonly alertsInWindows: number;
  /** Outages that outlasted their window: paged once after it ended / expected. */
  readonly outlastPaged: number;
  readonly outlastExpected: number;
  /** Outages that outlasted their window while the watcher was blind or down: a page is allowed either way. */
  readonly outlastAmbiguous: number;
  readonly episodes: number;
  /** Episodes whose agent's alerts opened `changes` times within the flapping window. */
  readonly flappingEpisodes: number;
  /** Of those, the ones with exactly one flapping alert, paged exactly once. */
  readonly flappingPagedOnce: number;
  /** Flapping alerts beyond one per episode, or paged more than once, or in an episode that did not flap. */
  readonly flappingExtra: number;
  /** Incidents of a flapping agent opened while its flapping alert was open, and paged all the same. */
  readonly pagesWhileFlapping: number;
  /** Flapping alerts resolved with their recovery sent once / flapping alerts. */
  readonly flappingRecovered: number;
  readonly flappingAlerts: number;
}

/** How much of [from, to) the spans cover, each moment counted once. */
export function coveredMs(
  spans: readonly { start: number; end: number }[],
  from: number,
  to: number,
): number {
  let covered = 0;
  let reached = from;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const start = Math.max(span.start, reached);
    const end = Math.min(span.end, to);
    if (end > start) covered += end - start;
    reached = Math.max(reached, Math.min(span.end, to));
  }
  return covered;
}

const isOpening = (n: Notice) => n.kind !== 'recovery' && n.kind !== 'reminder' && n.kind !== 'escalation';
const within = (t: number, w: { start: number; end: number }) => t >= w.start && t < w.end;

/**
 * The policies against what the watcher did: no alert opens and nothing pages inside a window; an
 * outage that outlasts its window pages once after it; an agent whose alerts opened `changes` times
 * within the flapping window has one `flapping` alert, paged once, and no per-incident page while it
 * flaps; every flapping alert resolves with one recovery. `blind` holds the stretches the watcher was
 * paused, restarting or blind.
 */
export function reconcilePolicy(
  plan: PolicyPlan,
  alerts: readonly AlertRow[],
  notices: readonly Notice[],
  blind: readonly { start: number; end: number }[],
): PolicyVerdict {
  const patching = new Set<string>(PATCHING.agents);
  const openingsOf = (alertId: string) =>
    notices.filter((n) => isOpening(n) && n.alertIds.includes(alertId)).length;
  const recoveriesOf = (alertId: string) =>
    notices.filter((n) => n.kind === 'recovery' && n.alertIds.includes(alertId)).length;

  const pagesInWindows = notices.filter(
    (n) => n.group === PATCHING.group && isOpening(n) && plan.windows.some((w) => within(n.time, w)),
  ).length;
  const patchingAlerts = alerts.filter((a) => patching.has(a.agentId));
  const alertsInWindows = patchingAlerts.filter((a) =>
    plan.windows.some((w) => within(a.openedAt, w)),
  ).length;
  const outlaster = PATCHING.agents[PATCHING.agents.length - 1]!;
  // Past its window, the outage lasts `outlastSeconds`: pauses, restarts and blind windows within that
  // stretch may leave the watcher too little of it to be sure (the scan after a blind one judges nobody).
  const clear = plan.windows.filter((w) => {
    const end = w.end + PATCHING.outlastSeconds * 1000;
    const lost = coveredMs(
      blind.map((b) => ({ start: b.start, end: b.end + 1000 })),
      w.end,
      end,
    );
    return end - w.end - lost >= PATCHING.outlastWatchedSeconds * 1000;
  });
  const outlastPaged = clear.filter((w) => {
    const after = patchingAlerts.filter(
      (a) => a.agentId === outlaster && a.openedAt >= w.end && a.openedAt < w.end + MINUTE / 2,
    );
    return after.length === 1 && openingsOf(after[0]!.alertId) === 1;
  }).length;

  const flapping = alerts.filter((a) => a.kind === 'flapping');
  let flappingEpisodes = 0;
  let flappingPagedOnce = 0;
  let flappingExtra = 0;
  let pagesWhileFlapping = 0;
  for (const episode of plan.episodes) {
    const reach = { start: episode.start, end: episode.end + FLAPPING.stableForSeconds * 1000 };
    const openings = alerts
      .filter((a) => a.agentId === episode.agentId && a.kind !== 'flapping' && within(a.openedAt, reach))
      .map((a) => a.openedAt)
      .sort((x, y) => x - y);
    const flapped = openings.some(
      (t, i) =>
        i + FLAPPING.changes - 1 < openings.length &&
        openings[i + FLAPPING.changes - 1]! - t <= FLAPPING.windowSeconds * 1000,
    );
    const mine = flapping.filter((a) => a.agentId === episode.agentId && within(a.openedAt, reach));
    if (flapped) {
      flappingEpisodes += 1;
      if (mine.length === 1 && openingsOf(mine[0]!.alertId) === 1) flappingPagedOnce += 1;
      flappingExtra += Math.max(0, mine.length - 1);
    } else flappingExtra += mine.length;
    for (const f of mine) {
      const end = f.resolvedAt ?? Number.POSITIVE_INFINITY;
      pagesWhileFlapping += alerts.filter(
        (a) =>
          a.agentId === episode.agentId &&
          a.kind !== 'flapping' &&
          a.openedAt >= f.openedAt &&
          a.openedAt < end &&
          openingsOf(a.alertId) > 0,
      ).length;
    }
  }
  flappingExtra += flapping.filter((a) => openingsOf(a.alertId) > 1).length;
  const flappingRecovered = flapping.filter(
    (a) => a.status === 'resolved' && recoveriesOf(a.alertId) === 1,
  ).length;
  return {
    windows: plan.windows.length,
    pagesInWindows,
    alertsInWindows,
    outlastPaged,
    outlastExpected: clear.length,
    outlastAmbiguous: plan.windows.length - clear.length,
    episodes: plan.episodes.length,
    flappingEpisodes,
    flappingPagedOnce,
    flappingExtra,
    pagesWhileFlapping,
    flappingRecovered,
    flappingAlerts: flapping.length,
  };
}

export function policyRows(v: PolicyVerdict): GoalRow[] {
  return [
    {
      measure: `maintenance windows played (${PATCHING.agents.length} agents of ${PATCHING.group} silent inside each, the last one ${PATCHING.outlastSeconds} s past its end)`,
      result: String(v.windows),
      goal: 'at least 1',
      met: v.windows > 0,
    },
    {
      measure: 'pages inside maintenance windows / alerts opened inside them',
      result: `${v.pagesInWindows} / ${v.alertsInWindows}`,
      goal: '0 / 0',
      met: v.pagesInWindows === 0 && v.alertsInWindows === 0,
    },
    {
      measure:
        'outages that outlasted their window, paged once after it (clear of pauses, restarts and blind windows)',
      result: `${v.outlastPaged} of ${v.outlastExpected}; ${v.outlastAmbiguous} with the watcher blind after the window`,
      goal: 'all',
      met: v.outlastPaged === v.outlastExpected,
    },
    {
      measure: `flapping episodes played (${FLAPPING.cycles} silences of ${FLAPPING.silentSeconds} s) / that flapped (${FLAPPING.changes} openings within ${FLAPPING.windowSeconds} s)`,
      result: `${v.episodes} / ${v.flappingEpisodes}`,
      goal: 'each at least 1',
      met: v.episodes > 0 && v.flappingEpisodes > 0,
    },
    {
      measure: 'flapping episodes with exactly one flapping page / flapping alerts beyond that',
      result: `${v.flappingPagedOnce} of ${v.flappingEpisodes} / ${v.flappingExtra}`,
      goal: 'all / 0',
      met: v.flappingPagedOnce === v.flappingEpisodes && v.flappingExtra === 0,
    },
    {
      measure: 'per-incident pages of a flapping agent while it flapped',
      result: String(v.pagesWhileFlapping),
      goal: '0',
      met: v.pagesWhileFlapping === 0,
    },
    {
      measure: 'flapping alerts resolved with one recovery',
      result: `${v.flappingRecovered} of ${v.flappingAlerts}`,
      goal: 'all',
      met: v.flappingRecovered === v.flappingAlerts,
    },
  ];
}
