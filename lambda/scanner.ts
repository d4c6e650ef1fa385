import { groupBy, limiter } from './collections';
import { type AgentRecord, type AgentState, agentState, zeroStateCounts } from './domain/agent';
import { type AlertKind, type AlertRecord, alertId, pagingChannels, type Resolution } from './domain/alert';
import { blindWindowsAfter, findsBlindWindow, type ScannerState } from './domain/blind';
import { settingsFor, type WatcherConfig } from './domain/config';
import { type Notification, openingNotice, recoveryNotice, reminderNotice } from './domain/messages';
import {
  alertDetail,
  assess,
  decide,
  incidentStart,
  type StormStep,
  scanTickSeconds,
  severityOf,
  stormStep,
} from './domain/scan';
import {
  type AgentStore,
  type AlertStore,
  type Clock,
  MalformedItemError,
  type NoticePhase,
  type Notifier,
  NotifierError,
  type ProbeResult,
  type Prober,
  type WatcherStateStore,
} from './ports';

export interface ScannerDeps {
  readonly agents: AgentStore;
  readonly alerts: AlertStore;
  readonly state: WatcherStateStore;
  readonly notifier: Notifier;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly config: WatcherConfig;
  /** One structured log line; secrets never reach it. @default JSON on stdout */
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Parallel segments of the agents table read per scan. @default 4 */
  readonly segments?: number;
  /** Agents evaluated (and probed) at once. @default 64 */
  readonly concurrency?: number;
  /**
   * The heartbeat route runs in this process (local mode): the first scan after a start counts the
   * time since the last completed scan as blind, since no heartbeat could arrive while it was down.
   */
  readonly sharesProcessWithIngest?: boolean;
}

export interface ScanReport {
  readonly scanTime: string;
  readonly agents: number;
  readonly monitored: number;
  readonly malformed: number;
  readonly errors: number;
  readonly probed: number;
  readonly opened: readonly string[];
  readonly resolved: readonly string[];
  readonly noticesSent: number;
  readonly noticesFailed: number;
  readonly storm: StormStep | 'active';
  /** Agents by the state an operator sees, as of this scan (for the dashboard). */
  readonly states: Readonly<Record<AgentState, number>>;
  readonly blindWindowAdded: boolean;
  /** False when a later scan had already recorded itself (a racing scanner). */
  readonly recorded: boolean;
  readonly durationMs: number;
}

const byGroup = <T extends { group: string }>(items: readonly T[]) => groupBy(items, (item) => item.group);

/**
 * Notices of one group, a retry apart from new ones: alerts whose claim ran out were sent (or tried)
 * together under one lease, so they are tried again together, and the notice has the same id as the
 * first attempt. A destination that keeps ids (the outbox) then refuses the repeat of a notice that
 * went out before a crash.
 */
const byAttempt = (alerts: readonly AlertRecord[], phase: NoticePhase) =>
  groupBy(alerts, (a) => {
    const retried = (phase === 'opening' ? a.openNotice : a.recoveryNotice) === 'sending';
    return `${a.group}\n${retried ? a.noticeLeaseUntil : 'new'}`;
  }).values();

/**
 * One scan over every agent: counts missed scans, probes late hosts, opens and resolves alerts with
 * conditional writes, guards against storms, and delivers the notices still owed.
 */
export class Scanner {
  private readonly log: (entry: Record<string, unknown>) => void;
  /** A scan of this process has completed (see `sharesProcessWithIngest`). */
  private started = false;

  constructor(private readonly deps: ScannerDeps) {
    this.log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  }

  async scan(): Promise<ScanReport> {
    const { config, clock } = this.deps;
    const startedAt = clock.now();
    const scanTime = startedAt;
    const tick = scanTickSeconds(config);
    const previous = await this.deps.state.getScannerState();
    const restarted = this.deps.sharesProcessWithIngest === true && !this.started;
    const blindWindows = blindWindowsAfter(previous, scanTime, tick, restarted);
    const blindWindowAdded = findsBlindWindow(blindWindows, scanTime);
    if (blindWindowAdded) {
      this.log({
        msg: 'watcher was blind; the gap is not counted as missed scans',
        from: previous.lastScanAt,
        to: scanTime,
      });
    }
    const context = { lastScanAt: previous.lastScanAt, blindWindows };

    const openByAgent = groupBy(
      (await this.deps.alerts.listQueue('open')).filter((alert) => alert.kind !== 'network_event'),
      (alert) => alert.agentId,
    );

    const tally = { agents: 0, monitored: 0, malformed: 0, errors: 0, probed: 0 };
    const states = zeroStateCounts();
    const opened: AlertRecord[] = [];
    const resolved: string[] = [];
    const seen = new Set<string>();
    const inMaintenance = new Set<string>();
    const pool = limiter(this.deps.concurrency ?? 64);

    for await (const item of this.deps.agents.scanAll(this.deps.segments ?? 4)) {
      tally.agents += 1;
      if (item instanceof MalformedItemError) {
        tally.malformed += 1;
        if (item.key) seen.add(item.key);
        this.log({ msg: 'malformed agent item skipped', key: item.key, error: item.message });
        continue;
      }
      seen.add(item.agentId);
      await pool.run(async () => {
        try {
          const outcome = await this.scanAgent(item, scanTime, context, openByAgent.get(item.agentId) ?? []);
          if (outcome.monitored) tally.monitored += 1;
          if (outcome.maintenance) inMaintenance.add(item.agentId);
          if (outcome.probed) tally.probed += 1;
          states[outcome.state] += 1;
          opened.push(...outcome.opened);
          resolved.push(...outcome.resolved);
        } catch (error) {
          tally.errors += 1;
          this.log({
            msg: 'agent scan failed; the next scan tries again',
            agentId: item.agentId,
            error: String(error),
          });
        }
      });
    }
    await pool.drain();

    // Alerts of agents that are gone resolve: nobody is left to recover.
    for (const [agentId, alerts] of openByAgent) {
      if (seen.has(agentId)) continue;
      for (const alert of alerts) {
        if (await this.resolveAlert(alert, scanTime, 'removed')) resolved.push(alert.alertId);
      }
    }

    const storm = await this.guardStorm(previous, scanTime, tally.monitored, opened);
    const delivery = await this.deliver(scanTime, storm, inMaintenance);

    const recorded = await this.deps.state.completeScan({
      lastScanAt: scanTime,
      lastCompletedAt: clock.now(),
      blindWindows,
    });
    this.started = true;
    const report: ScanReport = {
      scanTime: new Date(scanTime).toISOString(),
      ...tally,
      opened: opened.map((a) => a.alertId),
      resolved,
      noticesSent: delivery.sent,
      noticesFailed: delivery.failed,
      storm: storm.step === 'none' && storm.active ? 'active' : storm.step,
      states,
      blindWindowAdded,
      recorded,
      durationMs: clock.now() - startedAt,
    };
    if (
      report.opened.length ||
      report.resolved.length ||
      report.malformed ||
      report.errors ||
      delivery.failed
    ) {
      this.log({ msg: 'scan', ...report });
    }
    return report;
  }

  private async scanAgent(
    agent: AgentRecord,
    scanTime: number,
    context: Pick<ScannerState, 'lastScanAt' | 'blindWindows'>,
    open: readonly AlertRecord[],
  ) {
    const settings = settingsFor(this.deps.config, agent.group);
    const assessment = assess(agent, settings, scanTime, context);
    let probe: ProbeResult | undefined;
    if (assessment.kind === 'watched' && assessment.probe && agent.probe) {
      probe = await this.deps.prober.probe(agent.probe, settings.probe);
    }
    const decision = decide(agent, assessment, probe?.ok, open);
    const resolved: string[] = [];
    for (const { alert, resolution } of decision.resolve) {
      if (await this.resolveAlert(alert, scanTime, resolution)) {
        resolved.push(alert.alertId);
        if (resolution === 'probe') await this.deps.agents.markRecovered(agent.agentId, scanTime);
      }
    }
    const missed = assessment.kind === 'watched' ? assessment.missedScans : 0;
    const changed = new Map<string, AlertRecord>();
    for (const { alert, kind } of decision.change) {
      const after = await this.deps.alerts.changeKind(alert, {
        kind,
        severity: severityOf(kind, probe?.ok),
        detail: alertDetail(kind, agent, missed, settings, probe),
        missedScans: missed,
        at: scanTime,
      });
      if (after) changed.set(alert.alertId, after);
    }
    const opened: AlertRecord[] = [];
    if (decision.open) {
      const alert = await this.openAlert(agent, decision.open, scanTime, missed, probe);
      if (alert) opened.push(alert);
    }
    const standing = open
      .filter((a) => !resolved.includes(a.alertId))
      .map((a) => changed.get(a.alertId) ?? a);
    const findings = { blindWindows: context.blindWindows, openAlerts: [...standing, ...opened] };
    return {
      state: agentState(agent, settings, scanTime, findings).state,
      monitored: assessment.kind === 'watched' || assessment.kind === 'idle',
      maintenance: assessment.kind === 'maintenance',
      probed: probe !== undefined,
      opened,
      resolved,
    };
  }

  /** Opens the alert of this incident unless another scanner did; answers it when this call opened it. */
  private async openAlert(
    agent: AgentRecord,
    kind: AlertKind,
    scanTime: number,
    missedScans: number,
    probe: ProbeResult | undefined,
  ): Promise<AlertRecord | undefined> {
    const settings = settingsFor(this.deps.config, agent.group);
    const start = incidentStart(agent);
    const alert: AlertRecord = {
      alertId: alertId('agent', agent.agentId, start),
      agentId: agent.agentId,
      group: agent.group,
      cluster: agent.cluster,
      kind,
      severity: severityOf(kind, probe?.ok),
      status: 'open',
      openedAt: scanTime,
      kindHistory: [{ kind, at: scanTime }],
      incidentStart: start,
      missedScans,
      detail: alertDetail(kind, agent, missedScans, settings, probe),
      channels: settings.channels,
      openNotice: pagingChannels(settings.channels).length > 0 ? 'pending' : 'none',
      recoveryNotice: 'none',
    };
    if (await this.deps.alerts.create(alert)) return alert;
    // Taken: another scanner opened it (fine), or an earlier incident with the same start was
    // resolved without a heartbeat and the recovery mark was never written. Mark it and go on; the
    // next scan opens the new incident under a new id.
    const existing = await this.deps.alerts.get(alert.alertId);
    if (existing?.status === 'resolved' && existing.resolvedAt !== undefined) {
      await this.deps.agents.markRecovered(agent.agentId, existing.resolvedAt);
    }
    return undefined;
  }

  private async resolveAlert(alert: AlertRecord, at: number, resolution: Resolution): Promise<boolean> {
    const retentionMs = this.deps.config.resolvedAlertRetentionDays * 86_400_000;
    const change = { at, resolution, expiresAt: at + retentionMs };
    if (await this.deps.alerts.resolve(alert, change)) return true;
    // Its notice moved meanwhile (sent by a delivery), or another scanner resolved it: read and retry once.
    const current = await this.deps.alerts.get(alert.alertId);
    return current?.status === 'open'
      ? (await this.deps.alerts.resolve(current, change)) !== undefined
      : false;
  }

  /**
   * Starts or clears a suspected watcher-side or network event. While one lasts, per-agent pages are
   * held (still recorded); one `network_event` alert per paging group says so instead.
   */
  private async guardStorm(
    previous: ScannerState,
    scanTime: number,
    monitored: number,
    opened: readonly AlertRecord[],
  ) {
    const wasActive = previous.stormSince !== undefined;
    const failingAgents = new Set<string>();
    for (const alert of await this.deps.alerts.listQueue('open')) {
      if (alert.kind !== 'network_event') failingAgents.add(alert.agentId);
    }
    const newlySilent = new Set(opened.map((a) => a.agentId)).size;
    const step = stormStep(
      this.deps.config,
      { monitored, newlySilent, failing: failingAgents.size },
      wasActive,
    );
    if (step === 'start' && (await this.deps.state.setStorm(undefined, scanTime))) {
      for (const [group, alerts] of byGroup(opened)) {
        const channels = alerts[0]!.channels;
        if (pagingChannels(channels).length === 0) continue;
        const agentIds = [...new Set(alerts.map((a) => a.agentId))];
        await this.deps.alerts.create({
          alertId: alertId('network_event', group, scanTime),
          agentId: '*',
          group,
          kind: 'network_event',
          severity: 'critical',
          status: 'open',
          openedAt: scanTime,
          incidentStart: scanTime,
          detail: `${newlySilent} of ${monitored} monitored agents went silent in the same scan (${agentIds.length} in ${group}); that looks like the watcher's own network or the watcher itself rather than ${newlySilent} separate failures.`,
          channels,
          agentIds,
          openNotice: 'pending',
          recoveryNotice: 'none',
        });
      }
      this.log({ msg: 'storm: per-agent pages held', newlySilent, monitored });
      return { step, active: true };
    }
    if (
      step === 'clear' &&
      previous.stormSince !== undefined &&
      (await this.deps.state.setStorm(previous.stormSince, undefined))
    ) {
      for (const alert of await this.deps.alerts.listQueue('open')) {
        if (alert.kind === 'network_event') await this.resolveAlert(alert, scanTime, 'cleared');
        else if (alert.openNotice === 'held')
          await this.deps.alerts.moveOpeningNotice(alert.alertId, 'held', 'pending');
      }
      this.log({ msg: 'storm cleared: held pages released', failing: failingAgents.size, monitored });
      return { step, active: false };
    }
    // Nothing to do, or another scanner started or cleared it meanwhile: the stored mark is the truth.
    const active = (await this.deps.state.getScannerState()).stormSince !== undefined;
    return { step: 'none' as const, active };
  }

  /** Sends every notice owed: openings (held during a storm), recoveries, reminders; one per group each. */
  private async deliver(now: number, storm: { active: boolean }, inMaintenance: ReadonlySet<string>) {
    const [open, recovering] = await Promise.all([
      this.deps.alerts.listQueue('open'),
      this.deps.alerts.listQueue('recovery'),
    ]);
    const all = [...open, ...recovering];
    const due = (state: AlertRecord['openNotice'], lease: number | undefined) =>
      state === 'pending' || (state === 'sending' && (lease ?? 0) < now);

    const openings: AlertRecord[] = [];
    // An open alert of an agent in maintenance stays open silently: its opening waits for the end.
    const silenced = (alert: AlertRecord) => alert.status === 'open' && inMaintenance.has(alert.agentId);
    for (const alert of all) {
      // With no storm on, nothing stays held, whoever held it (a scanner that lost the race to clear).
      if (!storm.active && alert.openNotice === 'held' && alert.status === 'open') {
        const released = await this.deps.alerts.moveOpeningNotice(alert.alertId, 'held', 'pending');
        if (released && !silenced(alert)) openings.push({ ...alert, openNotice: 'pending' });
        continue;
      }
      if (!due(alert.openNotice, alert.noticeLeaseUntil) || silenced(alert)) continue;
      if (storm.active && alert.kind !== 'network_event' && alert.status === 'open') {
        await this.deps.alerts.moveOpeningNotice(alert.alertId, 'pending', 'held');
        continue;
      }
      openings.push(alert);
    }
    let sent = 0;
    let failed = 0;
    const count = (ok: boolean) => {
      if (ok) sent += 1;
      else failed += 1;
    };
    // A storm notice travels alone; agent alerts of one group travel together.
    const agentOpenings = openings.filter((a) => a.kind !== 'network_event');
    for (const alert of openings.filter((a) => a.kind === 'network_event')) {
      count(await this.sendClaimed([alert], 'opening', now, (list) => openingNotice(list, iso(now))));
    }
    for (const alerts of byAttempt(agentOpenings, 'opening')) {
      count(await this.sendClaimed(alerts, 'opening', now, (list) => openingNotice(list, iso(now))));
    }

    // Recoveries follow openings that went out (possibly just now).
    const recoveries: AlertRecord[] = [];
    for (const alert of recovering) {
      if (!due(alert.recoveryNotice, alert.noticeLeaseUntil)) continue;
      const current = openings.some((o) => o.alertId === alert.alertId)
        ? await this.deps.alerts.get(alert.alertId)
        : alert;
      if (current?.openNotice === 'sent') recoveries.push(current);
    }
    for (const alerts of byAttempt(recoveries, 'recovery')) {
      count(await this.sendClaimed(alerts, 'recovery', now, (list) => recoveryNotice(list, iso(now))));
    }

    // Reminders of unacknowledged open pages, per group's renotifyMinutes; none during maintenance.
    const reminders: { alert: AlertRecord; previous: number }[] = [];
    for (const alert of open) {
      const minutes = settingsFor(this.deps.config, alert.group).renotifyMinutes;
      const previous = alert.notifiedAt;
      if (
        minutes === 0 ||
        previous === undefined ||
        alert.openNotice !== 'sent' ||
        alert.acknowledgedAt !== undefined
      )
        continue;
      if (inMaintenance.has(alert.agentId) || now - previous < minutes * 60_000) continue;
      if (await this.deps.alerts.claimReminder(alert.alertId, previous, now))
        reminders.push({ alert, previous });
    }
    for (const list of byGroup(reminders.map((r) => ({ ...r, group: r.alert.group }))).values()) {
      const notice = reminderNotice(
        list.map((r) => r.alert),
        iso(now),
      );
      const error = await this.publish(notice);
      count(error === undefined);
      if (error) for (const r of list) await this.deps.alerts.claimReminder(r.alert.alertId, now, r.previous);
    }
    return { sent, failed };
  }

  /** Claims each alert's notice, sends one notice for the claimed ones, and records the outcome. */
  private async sendClaimed(
    alerts: readonly AlertRecord[],
    phase: NoticePhase,
    now: number,
    compose: (alerts: readonly AlertRecord[]) => Notification,
  ): Promise<boolean> {
    const leaseMs = Math.max(10_000, 2 * scanTickSeconds(this.deps.config) * 1000);
    const claimed: AlertRecord[] = [];
    for (const alert of alerts) {
      if (await this.deps.alerts.claimNotice(alert.alertId, phase, now, leaseMs)) claimed.push(alert);
    }
    if (claimed.length === 0) return true;
    const error = await this.publish(compose(claimed));
    for (const alert of claimed) {
      await this.deps.alerts.finishNotice(
        alert.alertId,
        phase,
        error === undefined ? { sentAt: now } : { error: error.message, retryable: error.retryable },
      );
    }
    return error === undefined;
  }

  private async publish(notice: Notification): Promise<NotifierError | undefined> {
    try {
      await this.deps.notifier.publish(notice);
      return undefined;
    } catch (error) {
      const failure =
        error instanceof NotifierError
          ? error
          : new NotifierError(String((error as Error)?.message ?? error), true, { cause: error });
      this.log({
        msg: 'notice not sent',
        group: notice.group,
        kind: notice.kind,
        retryable: failure.retryable,
        error: failure.message,
      });
      return failure;
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
