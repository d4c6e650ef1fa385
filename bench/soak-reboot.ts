// The soak's reboots (bench/soak-schedule.ts) against what the watcher recorded and paged: every
// restart is one `agent_restarted` alert; a quick reboot pages only in the group whose `onRestart`
// is `page`, once and with no recovery; a planned reboot pages nothing, even there; a reboot not back
// by the time its goodbye gave pages one heartbeat failure, no earlier than that time and the
// threshold, saying it did not come back. Pure, as bench/soak-reconcile.ts is.
import {
  type AlertRow,
  alertsOf,
  type Beat,
  type BlindWindow,
  type ChaosWindow,
  type Distribution,
  distribution,
  type Expectation,
  expectations,
  type GoalRow,
  isOpening,
  latencyBound,
  type Notice,
  type Outage,
  parseAlertId,
  type ReconcileSettings,
  touchesWatcherChaos,
  unwatchedWindows,
} from './soak-reconcile';
import type { RebootKind } from './soak-schedule';

/** A reboot as the soak played it. Times are epoch milliseconds. */
export interface Reboot {
  readonly id: number;
  readonly agentId: string;
  readonly group: string;
  readonly kind: RebootKind;
  /** What its last heartbeat of the old boot said (planned and late reboots). */
  readonly goodbye?: { readonly backInSeconds: number; readonly reason: string };
  /** When it stopped beating: its first heartbeat left out, or the answer to its goodbye. */
  readonly killAt: number;
  /** Its last accepted heartbeat of the old boot: the goodbye, when it said one. */
  readonly lastBefore?: Beat;
  /** When it sent its first heartbeat of the new boot; undefined if it never did. */
  readonly reviveAt?: number;
  /** Its first accepted heartbeat of the new boot. */
  readonly firstAfter?: Beat;
}

export interface RebootInput {
  readonly reboots: readonly Reboot[];
  /** Every alert of the fleet (`GET /v1/alerts?status=all`). */
  readonly alerts: readonly AlertRow[];
  readonly notices: readonly Notice[];
  readonly chaos: readonly ChaosWindow[];
  readonly blind: readonly BlindWindow[];
  /** The group whose `onRestart` is `page`; the others record restarts only. */
  readonly pageOnRestart: string;
  readonly settings: ReconcileSettings;
}

export interface RebootResult {
  readonly reboot: Reboot;
  /** Its `agent_restarted` alerts, their opening pages, and the recoveries sent for them. */
  readonly restarts: number;
  readonly restartPages: number;
  readonly restartRecoveries: number;
  /** Its restart must page, once: a quick reboot in a paging group whose `onRestart` is `page`. */
  readonly restartMustPage: boolean;
  /** Its other alerts (a heartbeat failure), their opening pages and recoveries. */
  readonly failures: number;
  readonly failurePages: number;
  readonly failureRecoveries: number;
  /**
   * Whether a heartbeat failure had to open: `forbidden` for a quick reboot silent under the
   * threshold and a planned one back in time; `either` when the watcher's chaos stretched it past.
   */
  readonly expect: Expectation;
  /** A late reboot: (opened - back-by time) / (missedScans x interval), the back-by time the alert recorded. */
  readonly ratio?: number;
  /** A late reboot whose alert recorded a back-by time other than its goodbye's plus `backInSeconds`. */
  readonly backByMismatch: boolean;
  /** A late reboot whose alert says it did not come back after a planned restart, and why. */
  readonly saysLate: boolean;
  readonly overlapsWatcherChaos: boolean;
  /** What went wrong, in words (none: recorded and paged as it should be). */
  readonly problems: readonly string[];
}

export interface RebootTotals {
  readonly quickPageGroup: number;
  readonly quickRecordGroups: number;
  readonly planned: number;
  readonly late: number;
  /** Recorded as exactly one `agent_restarted` alert, by kind. */
  readonly recorded: Readonly<Record<RebootKind, number>>;
  /** `agent_restarted` alerts no reboot explains. */
  readonly unexplainedRestarts: number;
  /** Quick reboots paged in the groups that record restarts only. */
  readonly quickRecordPaged: number;
  /** Quick reboots in the page group paged exactly once. */
  readonly quickPagedOnce: number;
  /** Recoveries sent for restarts (an event has none). */
  readonly restartRecoveries: number;
  /** Heartbeat failures opened by quick reboots, and quick reboots the watcher's chaos stretched past the threshold. */
  readonly quickFailures: number;
  readonly quickStretched: number;
  /**
   * Planned reboots paged (their restart, or a heartbeat failure where none could open), and the
   * alerts beside the restart of those back in time.
   */
  readonly plannedPaged: number;
  readonly plannedFailures: number;
  /** Planned reboots whose first heartbeat back was sent after the time they gave (judged either way). */
  readonly plannedLate: number;
  /** Late reboots that surely had to alert / with one heartbeat failure, paged once and recovered once, their restart unpaged. */
  readonly lateMust: number;
  readonly lateOnce: number;
  /** Late reboots, any, with more than one heartbeat failure or opening page, or their restart paged. */
  readonly lateExtra: number;
  /** Late reboots allowed either way (the watcher's chaos ate their silence). */
  readonly lateAmbiguous: number;
  /** Their ratios: all (none may be under 1), and those clear of the watcher's chaos (held to the bound). */
  readonly lateRatio: Distribution;
  readonly lateRatioMin: number;
  readonly lateRatioClear: Distribution;
  readonly lateBackByMismatches: number;
  /** Late reboots whose heartbeat failure says it did not come back / that had one. */
  readonly lateSays: number;
  readonly lateAlerted: number;
  /** ratio bound: 1 + 1/missedScans + probeMax / (missedScans x interval), as for any heartbeat failure. */
  readonly bound: number;
}

export interface RebootVerdict {
  readonly results: readonly RebootResult[];
  /** Every alert this verdict judged: the reboots' and every `agent_restarted` (soak-reconcile leaves them out). */
  readonly claimed: readonly string[];
  readonly totals: RebootTotals;
}

/**
 * The reboot's silence as an outage of the old boot, as `expectations` judges it. Not back by the
 * time its goodbye gave, its missed scans count from that time: its silence is judged from then (the
 * goodbye was received between its send and its answer).
 */
function silenceOf(reboot: Reboot, last: Beat): Outage {
  const shift = reboot.kind === 'late' ? reboot.goodbye!.backInSeconds * 1000 : 0;
  return {
    id: reboot.id,
    agentId: reboot.agentId,
    group: reboot.group,
    kind: 'silent',
    killAt: reboot.killAt,
    reviveAt: reboot.reviveAt,
    lastBefore: { send: last.send + shift, resp: last.resp + shift },
    firstAfter: reboot.firstAfter,
  };
}

export function reconcileReboots(input: RebootInput): RebootVerdict {
  const { settings } = input;
  const i = settings.scanIntervalMs;
  const m = settings.missedScans;
  const paging = new Set(settings.pagingGroups);
  const unwatched = unwatchedWindows(input.chaos, input.blind);
  const openings = (alert: AlertRow) =>
    input.notices.filter((n) => isOpening(n) && n.alertIds.includes(alert.alertId)).length;
  const recoveries = (alert: AlertRow) =>
    input.notices.filter((n) => n.kind === 'recovery' && n.alertIds.includes(alert.alertId)).length;
  const sum = (alerts: readonly AlertRow[], count: (a: AlertRow) => number) =>
    alerts.reduce((n, a) => n + count(a), 0);
  const isRestart = (a: AlertRow) => a.kind === 'agent_restarted';
  const byAgent = new Map<string, AlertRow[]>();
  for (const alert of input.alerts)
    byAgent.set(alert.agentId, [...(byAgent.get(alert.agentId) ?? []), alert]);

  const restartIds = input.alerts.filter(isRestart).map((a) => a.alertId);
  const claimed = new Set(restartIds);
  const explained = new Set<string>();
  const results: RebootResult[] = [];
  for (const reboot of input.reboots) {
    // No heartbeat of the old boot accepted: nothing to judge it from (the outages' verdict leaves such out too).
    const last = reboot.lastBefore;
    if (!last) continue;
    const until = (reboot.firstAfter?.resp ?? settings.end) + 50;
    // The restart carries the time the first heartbeat of the new boot was received.
    const restarts = (byAgent.get(reboot.agentId) ?? []).filter((a) => {
      const at = parseAlertId(a.alertId).incidentStart;
      return isRestart(a) && at >= last.send && at <= until;
    });
    for (const a of restarts) explained.add(a.alertId);
    const silence = silenceOf(reboot, last);
    const failures = alertsOf({ ...silence, lastBefore: last }, byAgent, settings.end).filter(
      (a) => !isRestart(a),
    );
    for (const a of failures) claimed.add(a.alertId);
    const judged = expectations(silence, unwatched, settings).expect.heartbeat_failure;
    const backBy = reboot.goodbye && last.send + reboot.goodbye.backInSeconds * 1000;
    let expect: Expectation;
    if (reboot.kind === 'late') expect = judged;
    else if (reboot.kind === 'planned')
      expect = (reboot.reviveAt ?? settings.end) > backBy! ? 'either' : 'forbidden';
    else expect = judged === 'forbidden' ? 'forbidden' : 'either';

    let ratio: number | undefined;
    let backByMismatch = false;
    const first = failures[0];
    if (reboot.kind === 'late' && first) {
      const recorded = parseAlertId(first.alertId).incidentStart;
      const shift = reboot.goodbye!.backInSeconds * 1000;
      backByMismatch = !(recorded >= last.send + shift - 50 && recorded <= last.resp + shift + 50);
      ratio = (first.openedAt - (backByMismatch ? backBy! : recorded)) / (m * i);
    }
    const words = reboot.goodbye && `did not come back after a planned restart: ${reboot.goodbye.reason}`;
    const result = {
      reboot,
      restarts: restarts.length,
      restartPages: sum(restarts, openings),
      restartRecoveries: sum(restarts, recoveries),
      restartMustPage:
        reboot.kind === 'quick' && reboot.group === input.pageOnRestart && paging.has(reboot.group),
      failures: failures.length,
      failurePages: sum(failures, openings),
      failureRecoveries: sum(failures, recoveries),
      expect,
      ratio,
      backByMismatch,
      saysLate: words !== undefined && first?.detail?.includes(words) === true,
      overlapsWatcherChaos: touchesWatcherChaos(last.send, until, input.chaos, input.blind, i),
    };
    results.push({ ...result, problems: problemsOf(result, paging.has(reboot.group), m * i) });
  }
  const unexplainedRestarts = restartIds.filter((id) => !explained.has(id)).length;
  return { results, claimed: [...claimed], totals: rebootTotals(results, unexplainedRestarts, input) };
}

/** What went wrong with one reboot, in words. */
function problemsOf(r: Omit<RebootResult, 'problems'>, paging: boolean, thresholdMs: number): string[] {
  const problems: string[] = [];
  if (r.restarts !== 1) problems.push(`${r.restarts} agent_restarted alerts`);
  if (r.restartMustPage && r.restartPages !== 1) problems.push(`its restart paged ${r.restartPages} times`);
  if (!r.restartMustPage && r.restartPages > 0) problems.push('its restart paged');
  if (r.restartRecoveries > 0) problems.push('a recovery sent for its restart');
  if (r.expect === 'forbidden' && r.failures > 0) problems.push(`${r.failures} heartbeat failures opened`);
  if (r.reboot.kind === 'late') {
    const pages = paging ? 1 : 0;
    if (r.expect === 'must' && r.failures === 0) problems.push('no heartbeat failure');
    if (r.failures > 1) problems.push(`${r.failures} heartbeat failures`);
    if (r.expect === 'must' && r.failures === 1 && r.failurePages !== pages)
      problems.push(`its heartbeat failure paged ${r.failurePages} times`);
    if (r.expect === 'must' && r.failures === 1 && r.failureRecoveries !== pages)
      problems.push(`its heartbeat failure recovered ${r.failureRecoveries} times`);
    if (r.ratio !== undefined && r.ratio < 1)
      problems.push(
        `opened ${((1 - r.ratio) * thresholdMs).toFixed(0)} ms before the time it gave and the threshold`,
      );
    if (r.backByMismatch) problems.push("its alert's back-by time is not the goodbye's");
    if (r.failures > 0 && !r.saysLate) problems.push('its alert does not say it did not come back');
  }
  return problems;
}

function rebootTotals(
  results: readonly RebootResult[],
  unexplainedRestarts: number,
  input: RebootInput,
): RebootTotals {
  const { settings } = input;
  const m = settings.missedScans;
  const paging = new Set(settings.pagingGroups);
  const of = (kind: RebootKind) => results.filter((r) => r.reboot.kind === kind);
  const quick = of('quick');
  const pageGroup = quick.filter((r) => r.reboot.group === input.pageOnRestart);
  const recordGroups = quick.filter((r) => r.reboot.group !== input.pageOnRestart);
  const planned = of('planned');
  const late = of('late');
  const once = (r: RebootResult) => r.restarts === 1;
  const lateOnce = (r: RebootResult) => {
    const pages = paging.has(r.reboot.group) ? 1 : 0;
    return (
      r.failures === 1 && r.failurePages === pages && r.failureRecoveries === pages && r.restartPages === 0
    );
  };
  const ratios = late.flatMap((r) => (r.ratio === undefined ? [] : [r]));
  return {
    quickPageGroup: pageGroup.length,
    quickRecordGroups: recordGroups.length,
    planned: planned.length,
    late: late.length,
    recorded: {
      quick: quick.filter(once).length,
      planned: planned.filter(once).length,
      late: late.filter(once).length,
    },
    unexplainedRestarts,
    quickRecordPaged: recordGroups.filter((r) => r.restartPages > 0).length,
    quickPagedOnce: pageGroup.filter((r) => r.restartMustPage && r.restartPages === 1).length,
    restartRecoveries: results.reduce((n, r) => n + r.restartRecoveries, 0),
    quickFailures: quick.filter((r) => r.expect === 'forbidden').reduce((n, r) => n + r.failures, 0),
    quickStretched: quick.filter((r) => r.expect !== 'forbidden').length,
    plannedPaged: planned.filter(
      (r) => r.restartPages > 0 || (r.expect === 'forbidden' && r.failurePages > 0),
    ).length,
    plannedFailures: planned.filter((r) => r.expect === 'forbidden').reduce((n, r) => n + r.failures, 0),
    plannedLate: planned.filter((r) => r.expect !== 'forbidden').length,
    lateMust: late.filter((r) => r.expect === 'must').length,
    lateOnce: late.filter((r) => r.expect === 'must' && lateOnce(r)).length,
    lateExtra: late.filter((r) => r.failures > 1 || r.failurePages > 1 || r.restartPages > 0).length,
    lateAmbiguous: late.filter((r) => r.expect !== 'must').length,
    lateRatio: distribution(ratios.map((r) => r.ratio!)),
    lateRatioMin: Math.min(...ratios.map((r) => r.ratio!)),
    lateRatioClear: distribution(ratios.filter((r) => !r.overlapsWatcherChaos).map((r) => r.ratio!)),
    lateBackByMismatches: late.filter((r) => r.backByMismatch).length,
    lateSays: late.filter((r) => r.failures > 0 && r.saysLate).length,
    lateAlerted: late.filter((r) => r.failures > 0).length,
    bound: latencyBound(settings, m),
  };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

export function rebootRows(t: RebootTotals, pageOnRestart: string): GoalRow[] {
  const clear = t.lateRatioClear;
  return [
    {
      measure: `reboots played: quick in the onRestart page group (${pageOnRestart}) / quick in groups that record / planned, back in time / planned, not back in time`,
      result: `${t.quickPageGroup} / ${t.quickRecordGroups} / ${t.planned} / ${t.late}`,
      goal: 'each at least 1',
      met: t.quickPageGroup > 0 && t.quickRecordGroups > 0 && t.planned > 0 && t.late > 0,
    },
    {
      measure: 'reboots recorded as exactly one agent_restarted alert: quick / planned / not back in time',
      result: `${t.recorded.quick} of ${t.quickPageGroup + t.quickRecordGroups} / ${t.recorded.planned} of ${t.planned} / ${t.recorded.late} of ${t.late}`,
      goal: 'all',
      met:
        t.recorded.quick === t.quickPageGroup + t.quickRecordGroups &&
        t.recorded.planned === t.planned &&
        t.recorded.late === t.late,
    },
    {
      measure: 'agent_restarted alerts no reboot explains / recoveries sent for restarts',
      result: `${t.unexplainedRestarts} / ${t.restartRecoveries}`,
      goal: '0 / 0',
      met: t.unexplainedRestarts === 0 && t.restartRecoveries === 0,
    },
    {
      measure: `quick reboots paged in groups that record / paged exactly once in ${pageOnRestart}`,
      result: `${t.quickRecordPaged} of ${t.quickRecordGroups} / ${t.quickPagedOnce} of ${t.quickPageGroup}`,
      goal: '0 / all',
      met: t.quickRecordPaged === 0 && t.quickPagedOnce === t.quickPageGroup,
    },
    {
      measure: 'heartbeat failures opened by quick reboots (silent under the threshold)',
      result: `${t.quickFailures}; ${t.quickStretched} stretched past the threshold by the watcher's chaos, allowed either way`,
      goal: '0',
      met: t.quickFailures === 0,
    },
    {
      measure: `planned reboots paged (a heartbeat failure, or the restart, in ${pageOnRestart} too) / alerts beside the restart`,
      result: `${t.plannedPaged} of ${t.planned} / ${t.plannedFailures}${t.plannedLate > 0 ? `; ${t.plannedLate} back after the time they gave, allowed to alert` : ''}`,
      goal: '0 / 0',
      met: t.plannedPaged === 0 && t.plannedFailures === 0,
    },
    {
      measure:
        'reboots not back in time: one heartbeat failure, paged and recovered once (paging groups), the restart after it unpaged / more than one, or the restart paged',
      result: `${t.lateOnce} of ${t.lateMust}; ${t.lateAmbiguous} allowed either way / ${t.lateExtra}`,
      goal: 'all / 0',
      met: t.lateOnce === t.lateMust && t.lateExtra === 0,
    },
    {
      measure:
        'their detection latency ratio from the time they gave: (opened - back-by time) / (missedScans x interval); all / clear of watcher chaos',
      result: `min ${fmt(t.lateRatioMin)} (n ${t.lateRatio.n}) / max ${fmt(clear.max)}, p50 ${fmt(clear.p50)} (n ${clear.n}); back-by time off the goodbye's ${t.lateBackByMismatches}`,
      goal: `>= 1.00 / <= ${fmt(t.bound)}; 0`,
      met:
        (t.lateRatio.n === 0 || t.lateRatioMin >= 1) &&
        (clear.n === 0 || clear.max <= t.bound) &&
        t.lateBackByMismatches === 0,
    },
    {
      measure: 'their heartbeat failures saying "did not come back after a planned restart: REASON"',
      result: `${t.lateSays} of ${t.lateAlerted}`,
      goal: 'all',
      met: t.lateSays === t.lateAlerted,
    },
  ];
}
