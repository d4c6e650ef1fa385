// The soak's verdict: what the chaos schedule caused, set against the alert records and the outbox.
// Pure: every time is epoch milliseconds given by the caller; nothing here reads a clock, a file or the
// network, so test/unit/soak-reconcile.test.ts can check it on hand-made schedules.
import { groupBy } from '../lambda/collections';
import { hashSecret } from '../lambda/domain/secrets';

/** A heartbeat the watcher accepted, as the soak saw it: the request went out at `send`, the answer came at `resp`. */
export interface Beat {
  readonly send: number;
  readonly resp: number;
}

/**
 * What the schedule did to one agent: `silent` stops its heartbeats (its probe port, if any, stays
 * open); `short` stops them for less than the threshold; `host-down` stops them and closes its probe port.
 */
export type OutageKind = 'silent' | 'short' | 'host-down';

export interface Outage {
  readonly id: number;
  readonly agentId: string;
  readonly group: string;
  readonly kind: OutageKind;
  /** When the agent stopped beating (its first skipped heartbeat). */
  readonly killAt: number;
  /** When it beat again (its first heartbeat sent after the outage); undefined if it never did. */
  readonly reviveAt?: number;
  /** Its last accepted heartbeat before the outage. */
  readonly lastBefore?: Beat;
  /** Its first accepted heartbeat after the outage. */
  readonly firstAfter?: Beat;
}

/** A probe port closed and reopened while its agent kept beating: nothing may alert. */
export interface PortFlap {
  readonly agentId: string;
  readonly group: string;
  readonly closedAt: number;
  readonly reopenedAt: number;
}

/** Chaos done to the watcher itself. */
export interface ChaosWindow {
  readonly kind: 'pause' | 'restart' | 'notifier';
  readonly start: number;
  readonly end: number;
}

/** A stretch the watcher said it was blind (an upper bound of the window it does not count). */
export interface BlindWindow {
  readonly start: number;
  readonly end: number;
}

/** An alert as `GET /v1/alerts?status=all` answers it, times in ms. */
export interface AlertRow {
  readonly alertId: string;
  readonly agentId: string;
  readonly group: string;
  /** The verdict at the end. */
  readonly kind: string;
  /** Every verdict the incident had, from when (the alert view's `kindHistory`); absent: `kind` from `openedAt`. */
  readonly kindHistory?: readonly { kind: string; at: number }[];
  readonly status: string;
  readonly openedAt: number;
  readonly resolvedAt?: number;
  /** Delivery state of the opening notice (paging groups only). */
  readonly opening?: string;
  /** Delivery state of the recovery notice (paging groups only). */
  readonly recovery?: string;
  readonly agentIds?: readonly string[];
  /** The cluster of a member's alert, or of a `cluster_down`. */
  readonly cluster?: string;
  /** Why its page is held, or was until it resolved unpaged (the view shows it for `held` and `suppressed`). */
  readonly suppressed?: { readonly reason: string; readonly by: string };
  /** What the scanner saw, in its words. */
  readonly detail?: string;
}

/** One line of the outbox, with the alert ids its email lists. */
export interface Notice {
  /** The notice's own `time` (the scan that sent it). */
  readonly time: number;
  readonly group: string;
  readonly kind: string;
  readonly agentIds: readonly string[];
  readonly alertIds: readonly string[];
  /** When the soak first saw the line in the file. */
  readonly observedAt?: number;
  /** How many agents silent behind it the notice gave for each agent it pages (see `behindCounts`). */
  readonly behind?: Readonly<Record<string, number>>;
}

export interface ReconcileSettings {
  readonly scanIntervalMs: number;
  readonly missedScans: number;
  /** The longest one probe can take: attempts x timeout + (attempts - 1) x interval. */
  readonly probeMaxMs: number;
  /** Room for a scan's own duration and timer jitter when deciding that an outage must alert. */
  readonly slackMs: number;
  /** Groups whose alerts are paged (appear in the outbox); the others are console-only. */
  readonly pagingGroups: readonly string[];
  /** An agent behind a parent that came back is given this long to be heard before it is paged. */
  readonly heartbeatIntervalMs: number;
  /** An agentless entry (a switch) is probed once every this many scans. */
  readonly agentlessEveryNScans: number;
  /** When the run ended (the last moment anything could have happened). */
  readonly end: number;
}

export interface ReconcileInput {
  readonly outages: readonly Outage[];
  readonly flaps: readonly PortFlap[];
  readonly chaos: readonly ChaosWindow[];
  readonly blind: readonly BlindWindow[];
  readonly alerts: readonly AlertRow[];
  readonly notices: readonly Notice[];
  /** Alert ids seen before a restart and not found after it. */
  readonly missingAfterRestart: readonly string[];
  /** Switches taken down and clusters taken below their quorum; their agents are in no `outages`. */
  readonly topology: readonly TopologyOutage[];
  /** Alerts judged apart (the reboots', bench/soak-reboot.ts): no outage claims them, none is false here. */
  readonly judgedApart: readonly string[];
  readonly settings: ReconcileSettings;
}

/**
 * A switch's outage as the soak caused it: the agents behind it fell silent, then its probe port
 * closed; the port opened again once they were heard (the straggler aside).
 */
export interface ParentOutage {
  readonly kind: 'parent';
  readonly id: number;
  /** The switch: an agentless entry whose probe port the soak closed. */
  readonly parent: string;
  readonly group: string;
  readonly closedAt: number;
  /** When its port opened again; undefined if it never did. */
  readonly reopenedAt?: number;
  /** The silences of the agents behind it, the straggler's among them. */
  readonly children: readonly Outage[];
  /** The agent behind it left silent after it came back: an outage of its own, owed its own page. */
  readonly straggler?: string;
}

/** Members of a cluster silenced together, `size - minHealthy + 1` or more: its quorum is lost. */
export interface QuorumLoss {
  readonly kind: 'quorum';
  readonly id: number;
  readonly cluster: string;
  readonly group: string;
  readonly size: number;
  readonly minHealthy: number;
  readonly members: readonly Outage[];
}

export type TopologyOutage = ParentOutage | QuorumLoss;

export type AlertKindName = 'heartbeat_failure' | 'host_unreachable';
export const AGENT_ALERT_KINDS: readonly AlertKindName[] = ['heartbeat_failure', 'host_unreachable'];

/** For one kind of alert of one outage: it must open, it must not, or either is right. */
export type Expectation = 'must' | 'either' | 'forbidden';

/** How one alert of an outage went. */
export type AlertOutcome =
  /** Recorded once and paged once (or recorded once in a console-only group). */
  | 'once'
  /** Recorded once; its page was held by the storm guard (still recorded). */
  | 'held'
  /** More than one alert for the outage, whatever their kinds, or more than one opening page. */
  | 'twice'
  /** Recorded, but its page was never sent. */
  | 'unsent';

export interface KindVerdict {
  readonly kind: AlertKindName;
  readonly expect: Expectation;
  /** Alerts of the outage that were found to be of this kind at some point. */
  readonly records: number;
  /** Opening pages of the outage (all kinds: one incident, one page). */
  readonly pages: number;
  /** How the outage's alerting went, when an alert of this kind was recorded. */
  readonly outcome?: AlertOutcome;
}

export type OutageVerdict =
  /** Every alert it had to cause opened exactly once, and nothing it must not cause. */
  | 'alerted-once'
  | 'alerted-twice'
  | 'missed'
  /** Its page was owed across a restart and never went out, or its alert vanished in a restart. */
  | 'lost'
  /** It opened an alert it must not have. */
  | 'false-alert'
  /** Nothing had to open and nothing did. */
  | 'quiet'
  /** Something was allowed either way and all is in order. */
  | 'ok-either'
  /** The schedule could not be judged (no heartbeat before it). */
  | 'unjudged';

export interface OutageResult {
  readonly outage: Outage;
  readonly verdict: OutageVerdict;
  readonly kinds: readonly KindVerdict[];
  /** Some `either` came from a blind window or a pause/restart overlapping the outage. */
  readonly overlapsWatcherChaos: boolean;
  /** The agent's own silence (ms between the heartbeats it sent before and after). */
  readonly sentGap: number;
  /** The silence the watcher surely saw, and the part of it outside every blind window (ms). */
  readonly silenceLo: number;
  readonly watchedLo: number;
  readonly recoveries: number;
  readonly recoveriesExpected: number;
}

export interface FalseAlert {
  readonly alertId: string;
  readonly agentId: string;
  readonly kind: string;
  readonly openedAt: number;
  readonly reason: string;
}

/** An alert that should not have opened, and why. */
const falseAlert = (a: AlertRow, reason: string, kind: string = a.kind): FalseAlert => ({
  alertId: a.alertId,
  agentId: a.agentId,
  kind,
  openedAt: a.openedAt,
  reason,
});

export interface LatencySample {
  readonly outageId: number;
  readonly agentId: string;
  readonly kind: AlertKindName;
  /** (openedAt - last heartbeat) / (scans it takes x interval). */
  readonly ratio: number;
  readonly ms: number;
  /** From the last heartbeat to the page seen in the outbox, when it was. */
  readonly deliveredMs?: number;
  /** The outage overlapped a pause, a restart or a blind window: not held to the bound. */
  readonly excluded: boolean;
}

export interface Distribution {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface SoakTotals {
  /** Outages that had to alert. */
  readonly mustAlert: number;
  readonly mustAlertByKind: Readonly<Record<OutageKind, number>>;
  readonly alertedOnce: number;
  /** Of those, how many only because a held (storm) alert counts as alerted. */
  readonly alertedHeld: number;
  readonly alertedTwice: number;
  readonly missed: number;
  readonly lost: number;
  /** Outages that must not alert (short ones) and port flaps. */
  readonly mustNotAlert: number;
  readonly flaps: number;
  readonly falseAlerts: number;
  /** Outbox lines for alerts that are false, unknown, or of a console-only group. */
  readonly falsePages: number;
  /** Alerts (any, false ones too) whose opening went out in more than one outbox line. */
  readonly duplicatePages: number;
  /** Alerts whose recovery went out in more than one outbox line. */
  readonly duplicateRecoveries: number;
  /** Outages allowed either way (a blind window ate part of them). */
  readonly ambiguous: number;
  readonly ambiguousAlerted: number;
  readonly recoveriesExpected: number;
  readonly recoveriesSent: number;
  readonly recoveriesDuplicated: number;
  /** Alerts still open at the end, though every agent beats again. */
  readonly stillOpen: number;
  /** Paging alerts whose opening or recovery notice is still owed at the end. */
  readonly owed: number;
  readonly stormEvents: number;
  /** The most agent alerts one scan opened, and how many of them a down parent held (not counted by the storm guard). */
  readonly busiestScan: { readonly opened: number; readonly behindParent: number };
  readonly heartbeatMismatches: number;
  readonly latencyHeartbeat: Distribution;
  readonly latencyHeartbeatExcluded: Distribution;
  readonly latencyUnreachable: Distribution;
  readonly deliveredMs: Distribution;
  /** ratio bound for heartbeat_failure: 1 + 1/missedScans + probeMax / (missedScans x interval). */
  readonly boundHeartbeat: number;
  /** ratio bound for host_unreachable (one scan): 2 + probeMax / interval. */
  readonly boundUnreachable: number;
  readonly topology: TopologyTotals;
}

/** How the one page a topology outage owes went. */
export type TopologyVerdict =
  | 'paged-once'
  /** More than one alert of its own, or more than one opening page (its own, or one of those it holds). */
  | 'paged-twice'
  /** It had to page and did not, or something else paged in its place. */
  | 'missed'
  /** The straggler was paged before its switch was back and its grace had passed. */
  | 'early'
  /** The `cluster_down` named other members than the ones silenced. */
  | 'wrong-members'
  /** A `cluster_down` though the members left up kept the quorum. */
  | 'false-alert'
  | 'ok-either';

/** One page a topology outage owes: the switch's, the cluster's `cluster_down`, or the straggler's own. */
export interface TopologyPageResult {
  readonly outage: TopologyOutage;
  readonly role: 'parent' | 'quorum' | 'straggler';
  /** The switch, the cluster, or the straggler. */
  readonly subject: string;
  readonly expect: Expectation;
  /** Its own alerts: the switch's, the `cluster_down`, the straggler's. */
  readonly records: number;
  /** Opening notices that list its own alert, or one of the alerts it holds. */
  readonly pages: number;
  readonly recoveries: number;
  readonly recoveriesExpected: number;
  readonly verdict: TopologyVerdict;
  /** The count the switch's page gave of the agents silent behind it. */
  readonly silentBehind?: number;
}

/** An alert a topology outage must hold: of an agent behind a down switch, or a member of a cluster below quorum. */
export interface HeldResult {
  readonly outage: Outage;
  readonly reason: 'parent' | 'cluster';
  /** The switch or the cluster that holds it. */
  readonly by: string;
  /** Whether its alert must be recorded (its silence was long enough to alert). */
  readonly expect: Expectation;
  readonly records: number;
  readonly pages: number;
  /** Recorded once, its opening `held` (or `suppressed` once resolved) for `reason` by `by`, never paged. */
  readonly held: boolean;
}

export interface TopologyVerdictSet {
  readonly pages: readonly TopologyPageResult[];
  readonly held: readonly HeldResult[];
}

export interface TopologyTotals {
  readonly parentOutages: number;
  readonly quorumLosses: number;
  readonly stragglers: number;
  /** Pages owed for certain (the outage was long enough, clear of the watcher's own chaos). */
  readonly mustPage: number;
  readonly pagedOnce: number;
  readonly missed: number;
  readonly pagedTwice: number;
  /** Early, naming the wrong members, or a `cluster_down` with no cause. */
  readonly pagedWrong: number;
  readonly mustHold: number;
  /** Of those, recorded exactly once. */
  readonly recorded: number;
  /** Of those, held and never paged. */
  readonly held: number;
  /** Alerts that had to be held and were paged (any, not only the ones that had to be recorded). */
  readonly heldPaged: number;
  readonly recoveriesExpected: number;
  readonly recoveriesSent: number;
  readonly recoveriesDuplicated: number;
  /** The counts the switches' pages gave of the agents silent behind them, in order. */
  readonly silentBehind: readonly number[];
}

export interface SoakVerdict {
  readonly outages: readonly OutageResult[];
  readonly topology: TopologyVerdictSet;
  readonly falseAlerts: readonly FalseAlert[];
  readonly latencies: readonly LatencySample[];
  readonly totals: SoakTotals;
}

/** `agent.1795422524408.web-01` -> its subject kind, incident start and subject (agent or group). */
export function parseAlertId(alertId: string): { kind: string; incidentStart: number; subject: string } {
  const first = alertId.indexOf('.');
  const second = alertId.indexOf('.', first + 1);
  if (first < 0 || second < 0) return { kind: alertId, incidentStart: Number.NaN, subject: '' };
  return {
    kind: alertId.slice(0, first),
    incidentStart: Number(alertId.slice(first + 1, second)),
    subject: alertId.slice(second + 1),
  };
}

/** The verdicts of an alert row, oldest first. */
function historyOf(alert: AlertRow): readonly { kind: string; at: number }[] {
  return alert.kindHistory ?? [{ kind: alert.kind, at: alert.openedAt }];
}

/** The alert ids a notice's email lists on its `Alert ids:` line. */
export function noticeAlertIds(email: string): string[] {
  const line = /^Alert ids: (.*)$/m.exec(email)?.[1];
  return line ? line.split(', ').filter((s) => s !== '') : [];
}

/** Milliseconds of [from, to] covered by `windows` (which may overlap one another). */
export function overlapMs(
  from: number,
  to: number,
  windows: readonly { start: number; end: number }[],
): number {
  const clipped = windows
    .map((w) => ({ start: Math.max(from, w.start), end: Math.min(to, w.end) }))
    .filter((w) => w.end > w.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let reach = from;
  for (const w of clipped) {
    const start = Math.max(reach, w.start);
    if (w.end > start) total += w.end - start;
    reach = Math.max(reach, w.end);
  }
  return total;
}

/**
 * The most a detection over `scans` scans may take, as a ratio of `scans` intervals: the scans, one
 * more interval (the silence starts between two scans), and the longest probe.
 */
export function latencyBound(settings: ReconcileSettings, scans: number): number {
  return 1 + 1 / scans + settings.probeMaxMs / (scans * settings.scanIntervalMs);
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/**
 * What `outage` must, may or must not open. The agent's own silence (first heartbeat sent after, less
 * the last one sent before) under `scans` intervals forbids an alert: the agent did its part, so an
 * alert would come from the watcher's side (a slow ingest, a pause it did not discount). The silence
 * the watcher surely saw (first heartbeat after sent, less the last before answered), less every
 * window it did not watch (a blind window it logged, a pause, a restart) that may overlap it, of at
 * least `scans` + 1 intervals and the slack demands one. Between the two, either is right.
 */
export function expectations(
  outage: Outage,
  unwatched: readonly { start: number; end: number }[],
  settings: ReconcileSettings,
): {
  sentGap: number;
  silenceLo: number;
  watchedLo: number;
  expect: Record<AlertKindName, Expectation>;
} {
  const i = settings.scanIntervalMs;
  const m = settings.missedScans;
  const last = outage.lastBefore!;
  const backAt = outage.firstAfter?.send ?? outage.reviveAt ?? settings.end;
  const sentGap = backAt - last.send;
  const silenceLo = backAt - last.resp;
  const watchedLo = silenceLo - overlapMs(last.send, outage.firstAfter?.resp ?? settings.end, unwatched);
  const judge = (scans: number): Expectation => {
    if (sentGap < scans * i) return 'forbidden';
    // A scan must fall after `scans` intervals of watched silence: one more interval, and slack.
    if (watchedLo >= (scans + 1) * i + settings.slackMs) return 'must';
    return 'either';
  };
  return {
    sentGap,
    silenceLo,
    watchedLo,
    expect: {
      // A dead host is one incident: its alert says host_unreachable, and may or may not also have
      // been a heartbeat failure first (a probe answering once more), so only a short silence forbids it.
      heartbeat_failure:
        outage.kind === 'host-down' ? (judge(m) === 'forbidden' ? 'forbidden' : 'either') : judge(m),
      host_unreachable: outage.kind === 'host-down' ? judge(1) : 'forbidden',
    },
  };
}

export const isOpening = (n: Notice) => n.kind !== 'recovery' && n.kind !== 'reminder';

/**
 * The stretches the watcher did not watch: the blind windows it logged, and its pauses and restarts
 * (a paused or restarting watcher watches nothing, whether or not it logged a blind window after).
 */
export function unwatchedWindows(chaos: readonly ChaosWindow[], blind: readonly BlindWindow[]) {
  return [...blind, ...chaos.filter((w) => w.kind === 'pause' || w.kind === 'restart')];
}

/** Whether [from, to] overlaps a blind window, or a pause or restart and the two scans after it. */
export function touchesWatcherChaos(
  from: number,
  to: number,
  chaos: readonly ChaosWindow[],
  blind: readonly BlindWindow[],
  scanIntervalMs: number,
): boolean {
  const down = chaos
    .filter((w) => w.kind === 'pause' || w.kind === 'restart')
    .map((w) => ({ start: w.start, end: w.end + 2 * scanIntervalMs }));
  return overlapMs(from, to, blind) > 0 || overlapMs(from, to, down) > 0;
}

/** The alerts of `outage`'s agent opened between its last heartbeat before and its first one back. */
export function alertsOf(
  outage: Outage,
  byAgent: ReadonlyMap<string, readonly AlertRow[]>,
  end: number,
): AlertRow[] {
  const from = outage.lastBefore?.send ?? outage.killAt;
  // A scan that started after the first heartbeat back had landed cannot open this incident.
  const to = (outage.firstAfter?.resp ?? end) + 100;
  return (byAgent.get(outage.agentId) ?? []).filter((a) => a.openedAt >= from && a.openedAt <= to);
}

/**
 * How many agents silent behind each agent a notice pages, as its email gives them: on the headline
 * of a notice for one agent, on the agent's line of a summary.
 */
export function behindCounts(email: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of email.split('\n')) {
    const count = /(\d+) agents? behind it silent too/.exec(line)?.[1];
    const agentId = /^(?:- (\S+?):|[A-Z]+ [^:]*: (\S+) \()/.exec(line);
    const id = agentId?.[1] ?? agentId?.[2];
    if (count !== undefined && id !== undefined) out[id] ??= Number(count);
  }
  return out;
}

/** What the topology reconciliation is given, beside the input: the alerts and notices, indexed. */
interface TopologyLookup {
  readonly byAgent: ReadonlyMap<string, readonly AlertRow[]>;
  readonly clusterAlerts: readonly AlertRow[];
  readonly openings: ReadonlyMap<string, readonly Notice[]>;
  readonly recoveries: ReadonlyMap<string, number>;
  readonly unwatched: readonly { start: number; end: number }[];
}

/** One outage, one page: `pages` counts its own notices and those of the alerts it holds. */
function pageVerdict(
  expect: Expectation,
  records: number,
  ownPages: number,
  pages: number,
  wrong?: TopologyVerdict,
): TopologyVerdict {
  if (records > 1 || pages > 1) return 'paged-twice';
  if (expect === 'forbidden' && records > 0) return 'false-alert';
  if (records === 1 && ownPages === 1 && pages === 1) return wrong ?? 'paged-once';
  return expect === 'must' ? 'missed' : 'ok-either';
}

/**
 * The topology's outages against the records: each owes one page (the switch's, the cluster's
 * `cluster_down`, the straggler's own once its switch is back and its grace of one heartbeat
 * interval has passed), and recovers once what it paged; every alert it holds (an agent behind the
 * down switch, a member of the cluster below quorum) is recorded once, held for the right reason and
 * never paged. Answers the verdicts, the alerts it explains, and the false ones among them.
 */
function reconcileTopology(
  input: ReconcileInput,
  look: TopologyLookup,
): { verdicts: TopologyVerdictSet; claimed: Set<string>; falseAlerts: FalseAlert[] } {
  const { settings } = input;
  const i = settings.scanIntervalMs;
  const pages: TopologyPageResult[] = [];
  const held: HeldResult[] = [];
  const claimed = new Set<string>();
  const falseAlerts: FalseAlert[] = [];
  const claim = (alerts: readonly AlertRow[]) => {
    for (const a of alerts) claimed.add(a.alertId);
  };
  const noticesOf = (alerts: readonly AlertRow[]) =>
    new Set(alerts.flatMap((a) => look.openings.get(a.alertId) ?? []));
  const recoveriesOf = (alerts: readonly AlertRow[]) =>
    alerts.reduce((n, a) => n + (look.recoveries.get(a.alertId) ?? 0), 0);
  const watched = (from: number, to: number) => to - from - overlapMs(from, to, look.unwatched);

  /** An agent's own alerts in the outage, and whether its silence had to open one. */
  const recorded = (outage: Outage, context: string) => {
    const mine = alertsOf(outage, look.byAgent, settings.end);
    claim(mine);
    const expect = expectations(outage, look.unwatched, settings).expect.heartbeat_failure;
    if (expect === 'forbidden') {
      for (const a of mine) {
        falseAlerts.push(
          falseAlert(a, `${context} #${outage.id}: the agent was silent too briefly to alert`),
        );
      }
    }
    return { mine, expect };
  };
  const hold = (outage: Outage, reason: HeldResult['reason'], by: string): AlertRow[] => {
    if (!outage.lastBefore) return [];
    const { mine, expect } = recorded(outage, `${reason === 'parent' ? 'behind' : 'in'} ${by}`);
    const paged = noticesOf(mine).size + recoveriesOf(mine);
    const alert = mine[0];
    const isHeld =
      mine.length === 1 &&
      paged === 0 &&
      (alert?.opening === 'held' || alert?.opening === 'suppressed') &&
      alert.suppressed?.reason === reason &&
      alert.suppressed.by === by;
    held.push({ outage, reason, by, expect, records: mine.length, pages: paged, held: isHeld });
    return mine;
  };
  const recoveryCounts = (own: readonly AlertRow[]) => ({
    recoveries: recoveriesOf(own),
    recoveriesExpected: own.filter((a) => (look.openings.get(a.alertId)?.length ?? 0) > 0).length,
  });

  for (const outage of input.topology) {
    if (outage.kind === 'parent') {
      // The switch: probed once every few scans, and when an agent behind it fails. An alert carries
      // the time its scan started: one that started before the port closed may have probed after.
      const closedUntil = outage.reopenedAt ?? settings.end;
      const head = (look.byAgent.get(outage.parent) ?? []).filter(
        (a) =>
          a.openedAt >= outage.closedAt - i - settings.slackMs &&
          a.openedAt <= closedUntil + settings.probeMaxMs + i,
      );
      claim(head);
      const expect: Expectation =
        watched(outage.closedAt, closedUntil) >=
        settings.agentlessEveryNScans * i + settings.probeMaxMs + settings.slackMs
          ? 'must'
          : 'either';
      const behind = outage.children
        .filter((c) => c.agentId !== outage.straggler)
        .flatMap((c) => hold(c, 'parent', outage.parent));
      const own = [...noticesOf(head)];
      const all = noticesOf([...head, ...behind]);
      pages.push({
        outage,
        role: 'parent',
        subject: outage.parent,
        expect,
        records: head.length,
        pages: all.size,
        ...recoveryCounts(head),
        verdict: pageVerdict(expect, head.length, own.length, all.size),
        silentBehind: own[0]?.behind?.[outage.parent],
      });

      const straggler = outage.children.find((c) => c.agentId === outage.straggler);
      if (!straggler?.lastBefore) continue;
      const { mine, expect: record } = recorded(straggler, `straggler behind ${outage.parent}`);
      // Once the switch's alert resolved, the straggler is given one heartbeat interval, then paged.
      const back = head.find((a) => a.resolvedAt !== undefined)?.resolvedAt;
      const revive = straggler.firstAfter?.send ?? straggler.reviveAt ?? settings.end;
      const given = back === undefined ? 0 : watched(back, revive);
      const owed: Expectation =
        record === 'must' && given >= settings.heartbeatIntervalMs + i + settings.slackMs ? 'must' : 'either';
      const notices = [...noticesOf(mine)];
      const early = notices.some((n) => back === undefined || n.time < back + settings.heartbeatIntervalMs);
      pages.push({
        outage,
        role: 'straggler',
        subject: straggler.agentId,
        expect: owed,
        records: mine.length,
        pages: notices.length,
        ...recoveryCounts(mine),
        verdict: pageVerdict(owed, mine.length, notices.length, notices.length, early ? 'early' : undefined),
      });
    } else {
      const members = outage.members.filter((m) => m.lastBefore);
      if (members.length === 0) continue;
      const behind = members.flatMap((m) => hold(m, 'cluster', outage.cluster));
      const from = Math.min(...members.map((m) => m.lastBefore!.send));
      const to = Math.max(...members.map((m) => m.firstAfter?.resp ?? settings.end)) + i;
      const head = look.clusterAlerts.filter(
        (a) => a.cluster === outage.cluster && a.openedAt >= from && a.openedAt <= to,
      );
      claim(head);
      // The quorum is lost once enough of the members have failed; short silences fail no one.
      const expects = members.map((m) => expectations(m, look.unwatched, settings).expect.heartbeat_failure);
      const failing = (e: Expectation[]) => outage.size - e.length < outage.minHealthy;
      const expect: Expectation = !failing(expects.filter((e) => e !== 'forbidden'))
        ? 'forbidden'
        : failing(expects.filter((e) => e === 'must'))
          ? 'must'
          : 'either';
      if (expect === 'forbidden') {
        for (const a of head) {
          falseAlerts.push(
            falseAlert(
              a,
              `quorum loss #${outage.id}: the members left up kept the quorum of ${outage.cluster}`,
            ),
          );
        }
      }
      const down = members.map((m) => m.agentId).sort();
      const named = [...(head[0]?.agentIds ?? [])].sort();
      const own = noticesOf(head);
      const all = noticesOf([...head, ...behind]);
      pages.push({
        outage,
        role: 'quorum',
        subject: outage.cluster,
        expect,
        records: head.length,
        pages: all.size,
        ...recoveryCounts(head),
        verdict: pageVerdict(
          expect,
          head.length,
          own.size,
          all.size,
          named.join() === down.join() ? undefined : 'wrong-members',
        ),
      });
    }
  }
  return { verdicts: { pages, held }, claimed, falseAlerts };
}

/** The scan that opened the most agent alerts (those of one scan share its time), and how many a parent held. */
function busiestScan(alerts: readonly AlertRow[]): SoakTotals['busiestScan'] {
  let busiest = { opened: 0, behindParent: 0 };
  for (const list of groupBy(alerts, (a) => String(a.openedAt)).values()) {
    if (list.length <= busiest.opened) continue;
    busiest = {
      opened: list.length,
      behindParent: list.filter((a) => a.suppressed?.reason === 'parent').length,
    };
  }
  return busiest;
}

function topologyTotals(input: ReconcileInput, v: TopologyVerdictSet): TopologyTotals {
  const must = v.pages.filter((p) => p.expect === 'must');
  const verdicts = (...names: TopologyVerdict[]) => v.pages.filter((p) => names.includes(p.verdict)).length;
  const mustHold = v.held.filter((h) => h.expect === 'must');
  return {
    parentOutages: input.topology.filter((o) => o.kind === 'parent').length,
    quorumLosses: input.topology.filter((o) => o.kind === 'quorum').length,
    stragglers: v.pages.filter((p) => p.role === 'straggler').length,
    mustPage: must.length,
    pagedOnce: must.filter((p) => p.verdict === 'paged-once').length,
    missed: verdicts('missed'),
    pagedTwice: verdicts('paged-twice'),
    pagedWrong: verdicts('early', 'wrong-members', 'false-alert'),
    mustHold: mustHold.length,
    recorded: mustHold.filter((h) => h.records === 1).length,
    held: mustHold.filter((h) => h.held).length,
    heldPaged: v.held.filter((h) => h.pages > 0).length,
    recoveriesExpected: v.pages.reduce((n, p) => n + p.recoveriesExpected, 0),
    recoveriesSent: v.pages.reduce((n, p) => n + Math.min(p.recoveries, p.recoveriesExpected), 0),
    recoveriesDuplicated: v.pages.reduce((n, p) => n + Math.max(0, p.recoveries - p.recoveriesExpected), 0),
    silentBehind: v.pages.flatMap((p) => (p.silentBehind === undefined ? [] : [p.silentBehind])),
  };
}

export function reconcile(input: ReconcileInput): SoakVerdict {
  const { settings } = input;
  const i = settings.scanIntervalMs;
  const m = settings.missedScans;
  const paging = new Set(settings.pagingGroups);

  const openings = new Map<string, Notice[]>();
  const recoveries = new Map<string, number>();
  for (const notice of input.notices) {
    for (const id of notice.alertIds) {
      if (isOpening(notice)) openings.set(id, [...(openings.get(id) ?? []), notice]);
      else if (notice.kind === 'recovery') recoveries.set(id, (recoveries.get(id) ?? 0) + 1);
    }
  }
  const networkNotices = input.notices.filter((n) => n.kind === 'network_event' && isOpening(n));
  const apart = new Set(input.judgedApart);
  const agentAlerts = input.alerts.filter((a) => a.kind !== 'network_event' && !apart.has(a.alertId));
  const restarts = input.chaos.filter((w) => w.kind === 'restart');
  const watcherDown = input.chaos.filter((w) => w.kind === 'pause' || w.kind === 'restart');
  const missingAfterRestart = new Set(input.missingAfterRestart);

  const byAgent = new Map<string, AlertRow[]>();
  for (const alert of agentAlerts) byAgent.set(alert.agentId, [...(byAgent.get(alert.agentId) ?? []), alert]);
  const unwatched = unwatchedWindows(input.chaos, input.blind);
  const topology = reconcileTopology(input, {
    byAgent,
    clusterAlerts: agentAlerts.filter((a) => a.kind === 'cluster_down'),
    openings,
    recoveries,
    unwatched,
  });
  const matched = new Set(topology.claimed);
  const results: OutageResult[] = [];
  const falseAlerts: FalseAlert[] = [...topology.falseAlerts];
  const latencies: LatencySample[] = [];
  let heartbeatMismatches = 0;

  for (const outage of input.outages) {
    const blank = {
      outage,
      kinds: [],
      overlapsWatcherChaos: false,
      sentGap: 0,
      silenceLo: 0,
      watchedLo: 0,
      recoveries: 0,
      recoveriesExpected: 0,
    };
    if (!outage.lastBefore) {
      results.push({ ...blank, verdict: 'unjudged' });
      continue;
    }
    const { sentGap, silenceLo, watchedLo, expect } = expectations(outage, unwatched, settings);
    const from = outage.lastBefore.send;
    const to = (outage.firstAfter?.resp ?? settings.end) + 100;
    const mine = alertsOf(outage, byAgent, settings.end);
    for (const a of mine) matched.add(a.alertId);
    const overlapsWatcherChaos = touchesWatcherChaos(from, to, input.chaos, input.blind, i);

    const kinds: KindVerdict[] = [];
    let recoveriesSeen = 0;
    let recoveriesExpected = 0;
    let lost = false;
    // One outage, one incident: a second alert or a second opening page is twice, whatever the kinds.
    const pages = mine.reduce((n, a) => n + (openings.get(a.alertId)?.length ?? 0), 0);
    let outcome: AlertOutcome | undefined;
    if (mine.length > 1 || pages > 1) outcome = 'twice';
    else if (mine.length === 1) {
      const alert = mine[0]!;
      if (!paging.has(outage.group) || pages === 1) outcome = 'once';
      else if (
        alert.opening === 'held' ||
        alert.opening === 'suppressed' ||
        networkNotices.some(
          (n) => n.group === alert.group && n.agentIds.includes(alert.agentId) && n.time >= alert.openedAt,
        )
      )
        outcome = 'held';
      else {
        outcome = 'unsent';
        if (restarts.some((r) => r.start > alert.openedAt)) lost = true;
      }
    }
    for (const alert of mine) {
      if (missingAfterRestart.has(alert.alertId)) lost = true;
      if (!paging.has(outage.group) || (openings.get(alert.alertId)?.length ?? 0) === 0) continue;
      recoveriesExpected += 1;
      recoveriesSeen += recoveries.get(alert.alertId) ?? 0;
    }
    // The incident start the alert recorded should be the last heartbeat the soak had accepted.
    let lastBeat = outage.lastBefore.send;
    if (mine[0]) {
      const recorded = parseAlertId(mine[0].alertId).incidentStart;
      const consistent =
        Number.isFinite(recorded) &&
        recorded >= outage.lastBefore.send - 50 &&
        recorded <= outage.lastBefore.resp + 50;
      if (consistent) lastBeat = recorded;
      else heartbeatMismatches += 1;
    }
    for (const kind of AGENT_ALERT_KINDS) {
      const seen = mine.flatMap((a) => {
        const at = historyOf(a).find((k) => k.kind === kind)?.at;
        return at === undefined ? [] : [{ alert: a, at }];
      });
      if (expect[kind] === 'forbidden') {
        for (const { alert: a } of seen) {
          falseAlerts.push(
            falseAlert(
              a,
              `${outage.kind} outage #${outage.id}: the agent was silent only ${(sentGap / 1000).toFixed(1)} s`,
              kind,
            ),
          );
        }
      }
      kinds.push({
        kind,
        expect: expect[kind],
        records: seen.length,
        pages,
        outcome: seen.length > 0 ? outcome : undefined,
      });

      const first = seen[0];
      // A heartbeat failure after host_unreachable is the host answering again (a probe can straddle
      // its port opening) while the agent is still silent: no detection to time.
      const answeredAgain =
        kind === 'heartbeat_failure' &&
        first !== undefined &&
        historyOf(first.alert).some((h) => h.kind === 'host_unreachable' && h.at < first.at);
      if (first && !answeredAgain) {
        const scans = kind === 'heartbeat_failure' ? m : 1;
        const page = openings.get(first.alert.alertId)?.[0];
        latencies.push({
          outageId: outage.id,
          agentId: outage.agentId,
          kind,
          ms: first.at - lastBeat,
          ratio: (first.at - lastBeat) / (scans * i),
          deliveredMs: page?.observedAt === undefined ? undefined : page.observedAt - lastBeat,
          excluded: overlapsWatcherChaos,
        });
      }
    }

    const must = kinds.filter((k) => k.expect === 'must');
    let verdict: OutageVerdict;
    if (lost) verdict = 'lost';
    else if (kinds.some((k) => k.outcome === 'twice')) verdict = 'alerted-twice';
    else if (kinds.some((k) => k.expect === 'forbidden' && k.records > 0)) verdict = 'false-alert';
    else if (must.some((k) => k.records === 0 || k.outcome === 'unsent')) verdict = 'missed';
    else if (must.length > 0) verdict = 'alerted-once';
    else if (kinds.some((k) => k.expect === 'either')) verdict = 'ok-either';
    else verdict = 'quiet';
    results.push({
      outage,
      verdict,
      kinds,
      overlapsWatcherChaos,
      sentGap,
      silenceLo,
      watchedLo,
      recoveries: recoveriesSeen,
      recoveriesExpected,
    });
  }

  // Every alert no outage explains is false: say what was going on for that agent.
  for (const alert of agentAlerts) {
    if (matched.has(alert.alertId)) continue;
    const flap = input.flaps.find(
      (f) =>
        f.agentId === alert.agentId && alert.openedAt >= f.closedAt && alert.openedAt <= f.reopenedAt + i,
    );
    const down = watcherDown.find((w) => alert.openedAt >= w.start - i && alert.openedAt <= w.end + 4 * i);
    falseAlerts.push(
      falseAlert(
        alert,
        [
          flap ? 'during a probe-port flap of a beating agent' : 'no outage of this agent',
          ...(down
            ? [`${((alert.openedAt - down.end) / 1000).toFixed(1)} s after the end of a watcher ${down.kind}`]
            : []),
        ].join('; '),
      ),
    );
  }

  // Pages that speak of false alerts, of alerts nobody recorded, or of a console-only group.
  const known = new Map(input.alerts.map((a) => [a.alertId, a]));
  const falseIds = new Set(falseAlerts.map((f) => f.alertId));
  let falsePages = 0;
  for (const notice of input.notices) {
    if (!paging.has(notice.group)) {
      falsePages += 1;
      continue;
    }
    if (!isOpening(notice) || notice.kind === 'network_event') continue;
    if (notice.alertIds.some((id) => falseIds.has(id) || !known.has(id))) falsePages += 1;
  }

  const count = (v: OutageVerdict) => results.filter((r) => r.verdict === v).length;
  const mustResults = results.filter((r) => r.kinds.some((k) => k.expect === 'must'));
  const mustNot = results.filter(
    (r) => r.kinds.length > 0 && r.kinds.every((k) => k.expect === 'forbidden'),
  ).length;
  const ambiguous = results.filter(
    (r) => r.kinds.some((k) => k.expect === 'either') && !r.kinds.some((k) => k.expect === 'must'),
  );
  const pagingAlerts = input.alerts.filter((a) => paging.has(a.group));
  const ratios = (kind: AlertKindName, excluded: boolean) =>
    latencies.filter((l) => l.kind === kind && l.excluded === excluded).map((l) => l.ratio);

  const totals: SoakTotals = {
    mustAlert: mustResults.length,
    mustAlertByKind: {
      silent: mustResults.filter((r) => r.outage.kind === 'silent').length,
      short: mustResults.filter((r) => r.outage.kind === 'short').length,
      'host-down': mustResults.filter((r) => r.outage.kind === 'host-down').length,
    },
    alertedOnce: mustResults.filter((r) => r.verdict === 'alerted-once').length,
    alertedHeld: mustResults.filter(
      (r) => r.verdict === 'alerted-once' && r.kinds.some((k) => k.outcome === 'held'),
    ).length,
    alertedTwice: count('alerted-twice'),
    missed: count('missed'),
    lost: count('lost') + input.missingAfterRestart.length,
    mustNotAlert: mustNot,
    flaps: input.flaps.length,
    falseAlerts: falseAlerts.length,
    falsePages,
    duplicatePages: [...openings.values()].filter((list) => list.length > 1).length,
    duplicateRecoveries: [...recoveries.values()].filter((n) => n > 1).length,
    ambiguous: ambiguous.length,
    ambiguousAlerted: ambiguous.filter((r) => r.kinds.some((k) => k.records > 0)).length,
    recoveriesExpected: results.reduce((n, r) => n + r.recoveriesExpected, 0),
    recoveriesSent: results.reduce((n, r) => n + Math.min(r.recoveries, r.recoveriesExpected), 0),
    recoveriesDuplicated: results.reduce((n, r) => n + Math.max(0, r.recoveries - r.recoveriesExpected), 0),
    stillOpen: input.alerts.filter((a) => a.status === 'open').length,
    owed: pagingAlerts.filter(
      (a) =>
        a.opening === 'pending' ||
        a.opening === 'sending' ||
        a.recovery === 'pending' ||
        a.recovery === 'sending',
    ).length,
    stormEvents: input.alerts.filter((a) => a.kind === 'network_event').length,
    busiestScan: busiestScan(agentAlerts.filter((a) => a.kind !== 'cluster_down')),
    heartbeatMismatches,
    latencyHeartbeat: distribution(ratios('heartbeat_failure', false)),
    latencyHeartbeatExcluded: distribution(ratios('heartbeat_failure', true)),
    latencyUnreachable: distribution(ratios('host_unreachable', false)),
    deliveredMs: distribution(
      latencies.filter((l) => !l.excluded && l.deliveredMs !== undefined).map((l) => l.deliveredMs!),
    ),
    boundHeartbeat: latencyBound(settings, m),
    boundUnreachable: latencyBound(settings, 1),
    topology: topologyTotals(input, topology.verdicts),
  };
  return { outages: results, topology: topology.verdicts, falseAlerts, latencies, totals };
}

/** One row of the result table: the figure, the goal beside it, and whether it is met. */
export interface GoalRow {
  readonly measure: string;
  readonly result: string;
  readonly goal: string;
  /** undefined: information, no goal. */
  readonly met?: boolean;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function goalRows(totals: SoakTotals): GoalRow[] {
  const t = totals;
  const kinds = `silent ${t.mustAlertByKind.silent}, host down ${t.mustAlertByKind['host-down']}`;
  const held = t.alertedHeld > 0 ? ` (${t.alertedHeld} held by the storm guard, recorded)` : '';
  const lat = t.latencyHeartbeat;
  const latU = t.latencyUnreachable;
  const latX = t.latencyHeartbeatExcluded;
  return [
    { measure: 'outages caused that must alert', result: `${t.mustAlert} (${kinds})`, goal: '-' },
    {
      measure: 'alerted exactly once',
      result: `${t.alertedOnce} of ${t.mustAlert}${held}`,
      goal: 'all',
      met: t.alertedOnce === t.mustAlert,
    },
    { measure: 'alerted twice', result: String(t.alertedTwice), goal: '0', met: t.alertedTwice === 0 },
    { measure: 'missed', result: String(t.missed), goal: '0', met: t.missed === 0 },
    {
      measure: 'false alerts (alert records no outage explains)',
      result: `${t.falseAlerts} (short outages ${t.mustNotAlert} and port flaps ${t.flaps} must not alert)`,
      goal: '0',
      met: t.falseAlerts === 0,
    },
    {
      measure: 'false pages (outbox lines of false or unknown alerts, or of the console group)',
      result: String(t.falsePages),
      goal: '0',
      met: t.falsePages === 0,
    },
    {
      measure: 'alerts paged more than once (any alert, false ones too) / recoveries sent more than once',
      result: `${t.duplicatePages} / ${t.duplicateRecoveries}`,
      goal: '0 / 0',
      met: t.duplicatePages === 0 && t.duplicateRecoveries === 0,
    },
    {
      measure: 'recoveries sent',
      result: `${t.recoveriesSent} of ${t.recoveriesExpected}; ${t.recoveriesDuplicated} duplicated`,
      goal: 'all, none twice',
      met: t.recoveriesSent === t.recoveriesExpected && t.recoveriesDuplicated === 0,
    },
    { measure: 'alerts lost across restarts', result: String(t.lost), goal: '0', met: t.lost === 0 },
    {
      measure: 'notices still owed at the end / alerts still open',
      result: `${t.owed} / ${t.stillOpen}`,
      goal: '0 / 0',
      met: t.owed === 0 && t.stillOpen === 0,
    },
    {
      measure: 'outages a blind window made ambiguous (alert allowed either way)',
      result: `${t.ambiguous}, of which alerted ${t.ambiguousAlerted}`,
      goal: '-',
    },
    {
      measure:
        'detection latency ratio, heartbeat failure: (opened - last heartbeat) / (missedScans x interval)',
      result: `max ${fmt(lat.max)}, p99 ${fmt(lat.p99)}, p50 ${fmt(lat.p50)} (n ${lat.n})`,
      goal: `<= ${fmt(t.boundHeartbeat)}`,
      met: lat.n === 0 || lat.max <= t.boundHeartbeat,
    },
    {
      measure: 'detection latency ratio, host unreachable (over 1 scan)',
      result: `max ${fmt(latU.max)}, p50 ${fmt(latU.p50)} (n ${latU.n})`,
      goal: `<= ${fmt(t.boundUnreachable)}`,
      met: latU.n === 0 || latU.max <= t.boundUnreachable,
    },
    {
      measure:
        'detection latency ratio of outages overlapping a pause, restart or blind window (reported apart)',
      result: `max ${fmt(latX.max)}, p50 ${fmt(latX.p50)} (n ${latX.n})`,
      goal: '-',
    },
    {
      measure: 'last heartbeat to page in the outbox (ms, outages clear of watcher chaos)',
      result: `max ${fmt(t.deliveredMs.max, 0)}, p50 ${fmt(t.deliveredMs.p50, 0)} (n ${t.deliveredMs.n})`,
      goal: '-',
    },
    {
      measure: 'alerts whose incident start is not the last heartbeat the soak had accepted',
      result: String(t.heartbeatMismatches),
      goal: '0',
      met: t.heartbeatMismatches === 0,
    },
    {
      measure: 'storm events (network_event alerts); the most agent alerts one scan opened',
      result: `${t.stormEvents}; ${t.busiestScan.opened}, ${t.busiestScan.behindParent} of them behind a down switch (the storm guard leaves those out)`,
      goal: '0',
      met: t.stormEvents === 0,
    },
    ...topologyRows(t.topology),
  ];
}

function topologyRows(t: TopologyTotals): GoalRow[] {
  const happened = t.parentOutages > 0 && t.quorumLosses > 0 && t.stragglers > 0;
  return [
    {
      measure:
        'topology outages caused: a switch down with 20 agents behind it / a cluster below quorum / an agent still silent after its switch is back',
      result: `${t.parentOutages} / ${t.quorumLosses} / ${t.stragglers}`,
      goal: 'each at least 1',
      met: happened,
    },
    {
      measure:
        'topology outages paged exactly once (by the switch, the cluster_down, the agent still silent)',
      result: `${t.pagedOnce} of ${t.mustPage}`,
      goal: 'all',
      met: t.pagedOnce === t.mustPage,
    },
    {
      measure:
        'topology outages missed / paged more than once / paged wrong (too early, or other members named)',
      result: `${t.missed} / ${t.pagedTwice} / ${t.pagedWrong}`,
      goal: '0 / 0 / 0',
      met: t.missed === 0 && t.pagedTwice === 0 && t.pagedWrong === 0,
    },
    {
      measure:
        'alerts behind a down switch or of members of a cluster below quorum: recorded once / held and never paged',
      result: `${t.recorded} of ${t.mustHold} / ${t.held} of ${t.mustHold}; ${t.heldPaged} paged`,
      goal: 'all / all; 0 paged',
      met: t.recorded === t.mustHold && t.held === t.mustHold && t.heldPaged === 0,
    },
    {
      measure: 'topology recoveries sent (for what was paged)',
      result: `${t.recoveriesSent} of ${t.recoveriesExpected}; ${t.recoveriesDuplicated} duplicated`,
      goal: 'all, none twice',
      met: t.recoveriesSent === t.recoveriesExpected && t.recoveriesDuplicated === 0,
    },
    {
      measure: "agents silent behind a switch, as the switch's page counted them",
      result: t.silentBehind.join(', ') || '-',
      goal: '-',
    },
  ];
}

export function renderRows(rows: readonly GoalRow[]): string {
  const cells = rows.map((r) => [
    r.measure,
    r.result,
    r.goal,
    r.met === undefined ? '-' : r.met ? 'yes' : '**no**',
  ]);
  const header = ['measure', 'result', 'goal', 'met'];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}

/** How many of `secrets` appear in `text`, as themselves or as the SHA-256 hash the watcher stores. */
export function secretsIn(text: string, secrets: readonly string[]): number {
  return secrets.filter((secret) => text.includes(secret) || text.includes(hashSecret(secret))).length;
}
