import { groupBy, limiter } from './collections';
import { Delivery } from './delivery';
import { type AgentRecord, type AgentState, agentState, zeroStateCounts } from './domain/agent';
import {
  type AlertKind,
  type AlertRecord,
  alertId,
  endedByHeartbeat,
  isEvent,
  pagingChannels,
  type Resolution,
} from './domain/alert';
import { type BlindWindow, blindWindowsAfter, findsBlindWindow, type ScannerState } from './domain/blind';
import { type ClusterFinding, type ClusterMember, clusterFinding, heldAfterQuorum } from './domain/cluster';
import { type GroupSettings, settingsFor, type WatcherConfig } from './domain/config';
import { type FlappingSettings, flappingDetail, flappingStep, withOpening } from './domain/flapping';
import {
  countByGroup,
  countOpenAlerts,
  type FleetSummary,
  type OpenAlertCounts,
} from './domain/fleet-summary';
import { scanTickSeconds } from './domain/heartbeat-settings';
import { type FleetWindow, MaintenanceCalendar } from './domain/maintenance';
import {
  clusterMuter,
  flappingMuter,
  type Muter,
  maintenanceMuter,
  mute,
  parentMuter,
  stormMuter,
} from './domain/mute';
import { type RestartRecord, restartAlert, unrecordedRestart } from './domain/restart';
import {
  type AgentDecision,
  type Assessment,
  alertDetail,
  assess,
  decide,
  incidentStart,
  probeAnswered,
  type StormStep,
  severityOf,
  stormStep,
} from './domain/scan';
import { smsDay } from './domain/sms-budget';
import { healthOf, heldByAncestor, Topology, type TopologyNode } from './domain/topology';
import { createLogger, type Logger } from './logger';
import {
  type AgentStore,
  type AlertStore,
  type Clock,
  MalformedItemError,
  type Notifier,
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
  /** Where the scanner's records go (injected, so that tests can read them). @default JSON lines on stdout */
  readonly log?: Logger;
  /** Parallel segments of the agents table read per scan. @default 4 */
  readonly segments?: number;
  /** The most agents a page of the scan's read holds. @default DynamoDB's own limit, 1 MB a page */
  readonly scanPageSize?: number;
  /** Agents evaluated (and probed) at once. @default 64 */
  readonly concurrency?: number;
  /**
   * The heartbeat route runs in this process (local mode): the first scan after a start counts the
   * time since the last completed scan as blind, since no heartbeat could arrive while it was down.
   */
  readonly sharesProcessWithIngest?: boolean;
  /**
   * Local mode: the stretches since `time` in which this process, and with it the heartbeat route,
   * did not run (see `blindWindowsAfter`).
   */
  readonly pauses?: { since(time: number): readonly BlindWindow[] };
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
  /** The same by group; a state with no agent is left out. */
  readonly groups: FleetSummary['groups'];
  /** The alerts open after this scan, by group and kind. */
  readonly openAlerts: OpenAlertCounts;
  /** The SMS each group with a budget has spent today (UTC), once this scan's delivery was done. */
  readonly smsSpent: Readonly<Record<string, number>>;
  readonly blindWindowAdded: boolean;
  /** False when a later scan had already recorded itself (a racing scanner). */
  readonly recorded: boolean;
  readonly durationMs: number;
}

const byGroup = <T extends { group: string }>(items: readonly T[]) => groupBy(items, (item) => item.group);

/** What one scan found of one agent: its place in the topology, and what the scan made of it. */
interface AgentFinding extends TopologyNode {
  readonly group: string;
  readonly cluster?: string;
  readonly state: AgentState;
  /** The start of its current incident: its alert's, or the one its alert will have. */
  readonly incidentStart: number;
  /** Its incident's alerts, as they stand after this scan's decisions. */
  readonly standing: readonly AlertRecord[];
  /** Its open `flapping` alert, as it stands after this scan (the one another scanner opened too). */
  readonly flapping?: AlertRecord;
  /** A probe ran for it in this scan. */
  readonly probed: boolean;
}

/** What a scan found of one agent, from its state and the alerts standing after the scan's decisions. */
function findingOf(
  agent: AgentRecord,
  assessment: Assessment,
  { state, missedScans }: { state: AgentState; missedScans: number },
  { standing, flapping, probe }: { standing: AlertRecord[]; flapping?: AlertRecord; probe?: ProbeResult },
  ended: { scanTime: number; resolved: boolean },
): AgentFinding {
  return {
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    parent: agent.parent,
    state,
    incidentStart: standing[0]?.incidentStart ?? incidentStart(agent),
    standing,
    flapping,
    probed: probe !== undefined,
    silent: state === 'late' || state === 'failed' || state === 'unreachable',
    lastHeartbeatAt: agent.lastHeartbeatAt,
    outageEndedAt: ended.resolved ? ended.scanTime : agent.outageEndedAt,
    health: healthOf({
      watched: assessment.kind !== 'unmonitored',
      agentless: agent.agentless === true,
      heardFrom: agent.lastHeartbeatAt !== undefined,
      missedScans,
      probeOk: probeAnswered(probe),
      // An incident a heartbeat ended, still counting fresh scans (`recoverAfterScans`), is no outage.
      standing: standing.filter((a) => !endedByHeartbeat(a, agent.lastHeartbeatAt)),
    }),
  };
}

/** What the pass over the agents hands to the stages after it. */
interface Pass {
  readonly scanTime: number;
  readonly context: Pick<ScannerState, 'lastScanAt' | 'blindWindows'>;
  readonly topology: Topology;
  readonly findings: Map<string, AgentFinding>;
  /** Agents with a probe that did not run in this scan, kept to be probed if one behind them fails. */
  readonly unprobed: Map<string, { agent: AgentRecord; assessment: Assessment }>;
  /** Every maintenance window of the fleet at this scan. */
  readonly calendar: MaintenanceCalendar;
  /** Agents inside a maintenance window, and whose window it is. */
  readonly inMaintenance: Map<string, string>;
  /** Agents with an open `flapping` alert after this scan: the alert's id by agent id. */
  readonly flapping: Map<string, string>;
  readonly opened: AlertRecord[];
  /**
   * Incidents this scan decided to open whose create a racing scanner won: opened in this round all
   * the same, so the storm guard counts them as this scanner's own (or two racing scanners, each
   * counting its half, would see no storm, and one would page every agent).
   */
  readonly racedOpenings: AlertRecord[];
  /** Event alerts (restarts) this scan recorded, to resolve after its delivery. */
  readonly events: AlertRecord[];
  readonly resolved: string[];
  readonly tally: { agents: number; monitored: number; malformed: number; errors: number; probed: number };
}

/**
 * One scan over every agent, in stages: assess each agent (count missed scans, probe late hosts,
 * open, change and resolve its incident's alert with conditional writes); probe the parents of agents
 * that failed, before blaming them; judge each cluster's quorum; guard against storms; then deliver
 * the notices owed through the mute, group and send stages.
 */
export class Scanner {
  private readonly log: Logger;
  private readonly delivery: Delivery;
  /** A scan of this process has completed (see `sharesProcessWithIngest`). */
  private started = false;

  constructor(private readonly deps: ScannerDeps) {
    this.log = deps.log ?? createLogger();
    this.delivery = new Delivery({ ...deps, log: this.log });
  }

  async scan(): Promise<ScanReport> {
    const { config, clock } = this.deps;
    const scanTime = clock.now();
    const previous = await this.deps.state.getScannerState();
    const restarted = this.deps.sharesProcessWithIngest === true && !this.started;
    const pauses =
      previous.lastScanAt === undefined ? [] : (this.deps.pauses?.since(previous.lastScanAt) ?? []);
    const blindWindows = blindWindowsAfter(previous, scanTime, scanTickSeconds(config), restarted, pauses);
    const blindWindowAdded = findsBlindWindow(blindWindows, scanTime);
    if (blindWindowAdded) {
      this.log.warn('watcher was blind; the gap is not counted as missed scans', {
        from: previous.lastScanAt,
        to: scanTime,
      });
    }
    const open = await this.deps.alerts.listQueue('open');
    // The one-off windows of the groups and clusters, read once per scan.
    const windows = await this.deps.state.fleetWindows({
      groups: Object.keys(config.groups),
      clusters: Object.keys(config.clusters),
    });
    const calendar = new MaintenanceCalendar(config, windows, scanTime);
    const pass = await this.assessAll(
      scanTime,
      { lastScanAt: previous.lastScanAt, blindWindows },
      open,
      calendar,
    );
    const { muters, storm } = await this.muteStages(pass, open, { previous, calendar, blindWindows });
    const delivery = await this.delivery.run({
      now: scanTime,
      muters,
      context: { silentBehind: (agentId) => pass.topology.silentBehind(agentId) },
    });
    await this.settleEvents(pass, open);

    const { fleet, openNow } = await this.fleetSummary(pass, windows);
    const recorded = await this.deps.state.completeScan({
      lastScanAt: scanTime,
      lastCompletedAt: clock.now(),
      blindWindows,
      fleet,
    });
    this.started = true;
    const states = zeroStateCounts();
    for (const finding of pass.findings.values()) states[finding.state] += 1;
    const report: ScanReport = {
      scanTime: new Date(scanTime).toISOString(),
      ...pass.tally,
      opened: pass.opened.map((a) => a.alertId),
      resolved: pass.resolved,
      noticesSent: delivery.sent,
      noticesFailed: delivery.failed,
      storm: storm.step === 'none' && storm.active ? 'active' : storm.step,
      states,
      groups: fleet.groups,
      openAlerts: countOpenAlerts(openNow),
      smsSpent: Object.fromEntries(Object.entries(fleet.sms).map(([group, { spent }]) => [group, spent])),
      blindWindowAdded,
      recorded,
      durationMs: clock.now() - scanTime,
    };
    if (
      pass.opened.length ||
      pass.resolved.length ||
      pass.tally.malformed ||
      pass.tally.errors ||
      delivery.failed
    ) {
      this.log.info('scan', report);
    }
    return report;
  }

  /**
   * The stages that hold a notice, each with its named reason: maintenance, a storm, a cluster below
   * quorum, a down ancestor, flapping. Probes the parents and judges the clusters and the storm first,
   * since the last three need them.
   */
  private async muteStages(
    pass: Pass,
    open: readonly AlertRecord[],
    at: { previous: ScannerState; calendar: MaintenanceCalendar; blindWindows: readonly BlindWindow[] },
  ): Promise<{ muters: Muter[]; storm: Awaited<ReturnType<Scanner['guardStorm']>> }> {
    const { config } = this.deps;
    const { previous, calendar, blindWindows } = at;
    const scanTime = pass.scanTime;
    await this.probeParents(pass);
    const clusters = await this.judgeClusters(pass, open);
    const heldBy = (agentId: string) => {
      const finding = pass.findings.get(agentId);
      if (!finding) return undefined;
      const settings = settingsFor(config, finding.group);
      return heldByAncestor(finding, pass.topology, settings, blindWindows, scanTime);
    };
    const parents = parentMuter(heldBy, clusters);
    const afterQuorum = (agentId: string, finding: ClusterFinding) => {
      const member = pass.findings.get(agentId);
      if (!member) return false;
      const settings = settingsFor(config, member.group);
      return heldAfterQuorum(finding, member, settings, blindWindows, scanTime);
    };
    const storm = await this.guardStorm(previous, pass, parents);
    const clustersInMaintenance = new Map<string, string>();
    for (const name of Object.keys(config.clusters)) {
      const window = calendar.cluster(name);
      if (window) clustersInMaintenance.set(name, window.by);
    }
    const muters: Muter[] = [
      maintenanceMuter(pass.inMaintenance, clustersInMaintenance),
      stormMuter(storm.active),
      clusterMuter(clusters, afterQuorum),
      parents,
      flappingMuter(pass.flapping),
    ];
    return { muters, storm };
  }

  /**
   * What this scan found of the fleet, for `GET /v1/status` to read with the scanner's progress: the
   * counts of its findings, and, read once the scan's writes are done, the open alerts (one Query of
   * the small open queue) and the SMS each budgeted group spent today (one GetItem each; only a scan
   * spends them).
   */
  private async fleetSummary(
    pass: Pass,
    windows: readonly FleetWindow[],
  ): Promise<{ fleet: FleetSummary; openNow: readonly AlertRecord[] }> {
    const day = smsDay(pass.scanTime);
    const sms: Record<string, FleetSummary['sms'][string]> = {};
    for (const g of Object.values(this.deps.config.groups)) {
      if (!g.smsBudget) continue;
      const { spent, reachedAt } = await this.deps.state.smsSpent(g.name, day);
      sms[g.name] = reachedAt === undefined ? { day, spent } : { day, spent, reachedAt };
    }
    const openNow = await this.deps.alerts.listQueue('open');
    return {
      fleet: { groups: countByGroup(pass.findings.values()), openAlerts: openNow.length, windows, sms },
      openNow,
    };
  }

  /** The pass over every agent, a bounded number at once; one bad agent never stops it. */
  private async assessAll(
    scanTime: number,
    context: Pass['context'],
    open: readonly AlertRecord[],
    calendar: MaintenanceCalendar,
  ): Promise<Pass> {
    const openByAgent = groupBy(
      open.filter((alert) => alert.kind !== 'network_event' && alert.kind !== 'cluster_down'),
      (alert) => alert.agentId,
    );
    const pass: Pass = {
      scanTime,
      context,
      topology: new Topology(),
      findings: new Map(),
      unprobed: new Map(),
      calendar,
      inMaintenance: new Map(),
      flapping: new Map(),
      opened: [],
      racedOpenings: [],
      events: [],
      resolved: [],
      tally: { agents: 0, monitored: 0, malformed: 0, errors: 0, probed: 0 },
    };
    const seen = new Set<string>();
    const pool = limiter(this.deps.concurrency ?? 64);
    for await (const item of this.deps.agents.scanAll(this.deps.segments ?? 4, this.deps.scanPageSize)) {
      pass.tally.agents += 1;
      if (item instanceof MalformedItemError) {
        pass.tally.malformed += 1;
        if (item.key) seen.add(item.key);
        this.log.warn('malformed agent item skipped', { item: item.key, error: item.message });
        continue;
      }
      seen.add(item.agentId);
      await pool.run(async () => {
        try {
          const settings = settingsFor(this.deps.config, item.group);
          const window = calendar.agent(item);
          const assessment = assess(item, settings, scanTime, { ...context, maintenance: window });
          if (assessment.kind === 'watched' || assessment.kind === 'idle') pass.tally.monitored += 1;
          if (assessment.kind === 'maintenance' && window) pass.inMaintenance.set(item.agentId, window.by);
          await this.scanAgent(pass, item, assessment, openByAgent.get(item.agentId) ?? []);
          // Once per agent and scan (scanAgent may judge an agent again, as a parent probed late).
          const restart = unrecordedRestart(item);
          if (restart) await this.recordRestart(pass, item, restart, assessment.kind !== 'unmonitored');
        } catch (error) {
          pass.tally.errors += 1;
          this.log.error('agent scan failed; the next scan tries again', {
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
        if (await this.resolveAlert(alert, scanTime, 'removed')) pass.resolved.push(alert.alertId);
      }
    }
    return pass;
  }

  /**
   * Decides one agent's incident and records what the scan found of it. `forcedProbe` is a probe
   * run for those behind it (see `probeParents`), in place of the assessment's own choice.
   */
  private async scanAgent(
    pass: Pass,
    agent: AgentRecord,
    assessment: Assessment,
    open: readonly AlertRecord[],
    forcedProbe?: ProbeResult,
  ): Promise<void> {
    const { scanTime, context } = pass;
    const settings = settingsFor(this.deps.config, agent.group);
    const probe = forcedProbe ?? (await this.probeAsked(pass, agent, assessment, settings));
    const episode = open.find((a) => a.kind === 'flapping');
    const incidents = open.filter((a) => a.kind !== 'flapping' && !isEvent(a));
    const decision = decide(agent, assessment, probeAnswered(probe), incidents, {
      rule: settings,
      now: scanTime,
    });
    const missed = assessment.kind === 'watched' ? assessment.missedScans : 0;
    const { resolved, changed } = await this.writeDecision(agent, decision, {
      scanTime,
      missed,
      settings,
      probe,
    });
    const opened: AlertRecord[] = [];
    let taken: AlertRecord | undefined;
    let history: AgentRecord = agent;
    if (decision.open) {
      const outcome = await this.openAlert(agent, decision.open, scanTime, missed, probe);
      if (outcome?.created) opened.push(outcome.alert);
      else taken = outcome?.alert;
      if (outcome && settings.flapping) {
        // The scanner that lost the create counts the opening as the winner records it (when its
        // alert opened), without writing: both then judge flapping alike and hold the same pages,
        // whichever wrote first.
        history = outcome.created
          ? await this.recordOpening(agent, scanTime, settings.flapping)
          : { ...agent, recentOpenings: withOpening(agent, outcome.alert.openedAt, settings.flapping) };
      }
    }
    const standing = [
      ...incidents.filter((a) => !resolved.includes(a.alertId)).map((a) => changed.get(a.alertId) ?? a),
      ...opened,
      ...(taken ? [taken] : []),
    ];
    // Most agents of a scan have no flapping rule and no episode: nothing to judge, nothing to await.
    const flapping =
      settings.flapping || episode
        ? await this.judgeFlapping(pass, history, assessment, settings, standing, episode)
        : undefined;
    if (flapping) pass.flapping.set(agent.agentId, flapping.alertId);
    const { state, missedScans } = agentState(agent, settings, scanTime, {
      blindWindows: context.blindWindows,
      openAlerts: standing,
      maintenance: pass.calendar.agent(agent),
    });
    const finding = findingOf(
      agent,
      assessment,
      { state, missedScans },
      { standing, flapping, probe },
      {
        scanTime,
        resolved: resolved.length > 0,
      },
    );
    pass.findings.set(agent.agentId, finding);
    pass.topology.add(finding);
    if (agent.probe && !probe) pass.unprobed.set(agent.agentId, { agent, assessment });
    else pass.unprobed.delete(agent.agentId);
    pass.opened.push(...opened);
    if (taken) pass.racedOpenings.push(taken);
    pass.resolved.push(...resolved);
  }

  /** The probe the assessment asks of a late agent that has one, counted in the tally; none otherwise. */
  private async probeAsked(
    pass: Pass,
    agent: AgentRecord,
    assessment: Assessment,
    settings: GroupSettings,
  ): Promise<ProbeResult | undefined> {
    if (assessment.kind !== 'watched' || !assessment.probe || !agent.probe) return undefined;
    const probe = await this.deps.prober.probe(
      agent.probe,
      settings.probe,
      agent.probeNetwork ?? settings.probeNetwork,
    );
    pass.tally.probed += 1;
    return probe;
  }

  /**
   * The writes a decision asks for, in order: its alerts resolved (each ending the agent's incident),
   * then marked fresh, then changed in kind. Answers the alerts it resolved and those it changed.
   */
  private async writeDecision(
    agent: AgentRecord,
    decision: AgentDecision,
    at: { scanTime: number; missed: number; settings: GroupSettings; probe: ProbeResult | undefined },
  ): Promise<{ resolved: string[]; changed: Map<string, AlertRecord> }> {
    const { scanTime, missed, settings, probe } = at;
    const resolved: string[] = [];
    for (const { alert, resolution } of decision.resolve) {
      if (await this.resolveAlert(alert, scanTime, resolution)) {
        resolved.push(alert.alertId);
        await this.deps.agents.endIncident(agent.agentId, scanTime, resolution === 'probe');
      }
    }
    const changed = new Map<string, AlertRecord>();
    for (const { alert, since } of decision.freshSince ?? []) {
      const after = await this.deps.alerts.mark(alert, 'freshSince', since ?? undefined);
      if (after) changed.set(alert.alertId, after);
    }
    for (const { alert, kind } of decision.change) {
      const after = await this.deps.alerts.changeKind(changed.get(alert.alertId) ?? alert, {
        kind,
        severity: severityOf(kind, probeAnswered(probe)),
        detail: alertDetail(kind, agent, missed, settings, probe),
        missedScans: missed,
        at: scanTime,
      });
      if (after) changed.set(alert.alertId, after);
    }
    return { resolved, changed };
  }

  /**
   * Ping before blaming: an agent that failed, whose page has not gone out, is judged against its
   * ancestors in the same scan. An ancestor with a probe that did not run in this scan (an agentless
   * switch off its turn, a host in maintenance) is probed first, once per scan; when it does not
   * answer, its own incident is decided now, so the ancestor pages and those behind it are held,
   * whichever of them was noticed first.
   */
  private async probeParents(pass: Pass): Promise<void> {
    const asked = new Set<string>();
    const failedBehind = [...pass.findings.values()].filter(
      (f) =>
        f.parent !== undefined &&
        (f.state === 'failed' || f.state === 'unreachable') &&
        f.standing.some((a) => a.openNotice !== 'sent' && a.openNotice !== 'none'),
    );
    for (const child of failedBehind) {
      for (const ancestor of pass.topology.ancestors(child.agentId)) {
        if (ancestor.health === 'down') break;
        const kept = pass.unprobed.get(ancestor.agentId);
        if (!kept || asked.has(ancestor.agentId)) continue;
        asked.add(ancestor.agentId);
        const settings = settingsFor(this.deps.config, kept.agent.group);
        const probe = await this.deps.prober.probe(
          kept.agent.probe!,
          settings.probe,
          kept.agent.probeNetwork ?? settings.probeNetwork,
        );
        pass.tally.probed += 1;
        const found = pass.findings.get(ancestor.agentId);
        const open = [...(found?.standing ?? []), ...(found?.flapping ? [found.flapping] : [])];
        await this.scanAgent(pass, kept.agent, probedNow(kept.assessment), open, probe);
        if (probe.outcome !== 'up') break;
      }
    }
  }

  /**
   * Each configured cluster against its quorum: one `cluster_down` alert while fewer than
   * `minHealthy` members are up, created with a conditional write under an id every scanner derives
   * alike; it resolves (with a recovery) when the quorum is back. A cluster inside its own maintenance
   * window is left as it stands. Answers the findings by cluster.
   */
  private async judgeClusters(
    pass: Pass,
    open: readonly AlertRecord[],
  ): Promise<Map<string, ClusterFinding>> {
    const { config } = this.deps;
    const members = new Map<string, ClusterMember[]>();
    for (const f of pass.findings.values()) {
      if (f.cluster === undefined || !Object.hasOwn(config.clusters, f.cluster)) continue;
      const list = members.get(f.cluster) ?? [];
      list.push({
        agentId: f.agentId,
        state: f.state,
        incidentStart: f.incidentStart,
        outageEndedAt: f.outageEndedAt,
      });
      members.set(f.cluster, list);
    }
    const findings = new Map<string, ClusterFinding>();
    const openByCluster = groupBy(
      open.filter((a) => a.kind === 'cluster_down'),
      (a) => a.cluster ?? '',
    );
    for (const cluster of Object.values(config.clusters)) {
      const finding = clusterFinding(cluster, members.get(cluster.name) ?? []);
      findings.set(cluster.name, finding);
      const current = openByCluster.get(cluster.name) ?? [];
      // Inside the cluster's own maintenance window, as for an agent: nothing opens, nothing resolves.
      if (pass.calendar.cluster(cluster.name)) continue;
      if (finding.quorumLost && current.length === 0) {
        const alert = this.clusterAlert(finding, pass.scanTime);
        if (await this.deps.alerts.create(alert)) pass.opened.push(alert);
      } else if (!finding.quorumLost) {
        for (const alert of current) {
          if (await this.resolveAlert(alert, pass.scanTime, 'quorum')) pass.resolved.push(alert.alertId);
        }
      }
    }
    // The alert of a cluster no longer in the config closes: nothing watches its quorum now.
    for (const [name, alerts] of openByCluster) {
      if (Object.hasOwn(config.clusters, name)) continue;
      for (const alert of alerts) {
        if (await this.resolveAlert(alert, pass.scanTime, 'unmonitored')) pass.resolved.push(alert.alertId);
      }
    }
    return findings;
  }

  private clusterAlert(finding: ClusterFinding, scanTime: number): AlertRecord {
    const { cluster } = finding;
    const channels = settingsFor(this.deps.config, cluster.group).channels;
    const start = finding.since ?? scanTime;
    return {
      alertId: alertId('cluster_down', cluster.name, start),
      agentId: '*',
      group: cluster.group,
      cluster: cluster.name,
      kind: 'cluster_down',
      severity: 'critical',
      status: 'open',
      openedAt: scanTime,
      kindHistory: [{ kind: 'cluster_down', at: scanTime }],
      incidentStart: start,
      detail: `${finding.up} of ${finding.total} members of cluster ${cluster.name} are up; at least ${cluster.minHealthy} must be. Down: ${finding.down.join(', ')}.`,
      channels,
      agentIds: finding.down,
      openNotice: pagingChannels(channels).length > 0 ? 'pending' : 'none',
      recoveryNotice: 'none',
    };
  }

  /** Opens the alert of this incident unless another scanner did; answers it when this call opened it. */
  private async openAlert(
    agent: AgentRecord,
    kind: AlertKind,
    scanTime: number,
    missedScans: number,
    probe: ProbeResult | undefined,
  ): Promise<{ alert: AlertRecord; created: boolean } | undefined> {
    const settings = settingsFor(this.deps.config, agent.group);
    const start = incidentStart(agent);
    const alert: AlertRecord = {
      alertId: alertId('agent', agent.agentId, start),
      agentId: agent.agentId,
      group: agent.group,
      cluster: agent.cluster,
      kind,
      severity: severityOf(kind, probeAnswered(probe)),
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
    if (await this.deps.alerts.create(alert)) return { alert, created: true };
    // Taken: another scanner opened it (it stands all the same), or an earlier incident with the same
    // start was resolved without a heartbeat and the recovery mark was never written. Mark it and go
    // on; the next scan opens the new incident under a new id.
    const existing = await this.deps.alerts.get(alert.alertId);
    if (existing?.status === 'open') return { alert: existing, created: false };
    if (existing?.status === 'resolved' && existing.resolvedAt !== undefined) {
      await this.deps.agents.endIncident(agent.agentId, existing.resolvedAt, true);
    }
    return undefined;
  }

  /**
   * Keeps the opening at `at` among the agent's recent openings: a conditional write on the agent
   * item, tried once more from the list as stored when another scanner wrote it meanwhile. Only the
   * scanner whose conditional create opened the alert records it; an opening already listed is not
   * listed twice, so each counts once.
   * Answers the agent with the openings as they now stand.
   */
  private async recordOpening(agent: AgentRecord, at: number, settings: FlappingSettings) {
    let seen: AgentRecord | undefined = agent;
    for (let attempt = 0; attempt < 2 && seen; attempt++) {
      const next = withOpening(seen, at, settings);
      const outcome = await this.deps.agents.recordOpenings(agent.agentId, seen.recentOpenings, next);
      if ('written' in outcome) return { ...agent, recentOpenings: next };
      seen = outcome.current;
    }
    this.log.warn('alert opening not recorded for flapping', { agentId: agent.agentId, at });
    return agent;
  }

  /**
   * The flapping rule for one agent (see `flappingStep`): opens the episode's one alert under an id
   * every scanner derives alike (a conditional create), records since when the agent is stable on it,
   * and resolves it (its recovery the only one the episode sends) after `stableFor`. Answers the
   * agent's open flapping alert after this scan, if any.
   */
  private async judgeFlapping(
    pass: Pass,
    agent: AgentRecord,
    assessment: Assessment,
    settings: GroupSettings,
    standing: readonly AlertRecord[],
    episode: AlertRecord | undefined,
  ): Promise<AlertRecord | undefined> {
    const { scanTime } = pass;
    if (assessment.kind === 'maintenance' || assessment.kind === 'idle') return episode;
    if (assessment.kind === 'unmonitored') {
      if (episode) await this.endEpisode(pass, agent, episode, 'unmonitored');
      return undefined;
    }
    const healthy = standing.length === 0 && assessment.missedScans === 0;
    const rule = settings.flapping;
    const step = flappingStep(rule, agent, episode, healthy, scanTime);
    if (step.kind === 'none') return episode;
    if (step.kind === 'open' && rule) {
      const alert = flappingAlert(agent, settings.channels, rule, step.since, scanTime);
      if (await this.deps.alerts.create(alert)) {
        pass.opened.push(alert);
        return alert;
      }
      // Taken: another scanner opened it (it is open all the same), or this episode resolved and the
      // end was never written on the agent: write it now, and its openings count no more.
      const existing = await this.deps.alerts.get(alert.alertId);
      if (existing?.status !== 'resolved') return existing ?? alert;
      await this.deps.agents.endFlapping(agent.agentId, existing.resolvedAt ?? scanTime);
      return undefined;
    }
    if (!episode) return undefined;
    if (step.kind === 'stable')
      return (await this.deps.alerts.mark(episode, 'stableSince', step.since)) ?? episode;
    if (step.kind === 'resolve') await this.endEpisode(pass, agent, episode, step.resolution);
    return undefined;
  }

  /**
   * Records an agent's restart as an `agent_restarted` alert (see `restartAlert`), created under an
   * id every scanner derives alike from the restart, then notes it on the agent, so that the next
   * scans leave it. An agent not watched (pending) has its restart noted, with no alert.
   */
  private async recordRestart(pass: Pass, agent: AgentRecord, restart: RestartRecord, watched: boolean) {
    if (watched) {
      const settings = settingsFor(this.deps.config, agent.group);
      const paging = pagingChannels(settings.channels).length > 0;
      const alert = restartAlert(agent, restart, settings, paging, pass.scanTime);
      if (await this.deps.alerts.create(alert)) {
        pass.opened.push(alert);
        pass.events.push(alert);
      }
    }
    await this.deps.agents.markRestartRecorded(agent.agentId, restart.at);
  }

  /**
   * Events (restarts) resolve once their page is settled: at once in the scan that records them
   * when they do not page, after its delivery when they do (sent, held by a muter, or failed for
   * good). One whose page is still owed waits for the next delivery. `open` brings those an earlier
   * scan left open.
   */
  private async settleEvents(pass: Pass, open: readonly AlertRecord[]) {
    const events = new Map([...open.filter(isEvent), ...pass.events].map((a) => [a.alertId, a]));
    for (const event of events.values()) {
      const current = event.openNotice === 'none' ? event : await this.deps.alerts.get(event.alertId);
      if (current?.status !== 'open' || current.openNotice === 'pending' || current.openNotice === 'sending')
        continue;
      if (await this.resolveAlert(current, pass.scanTime, 'event')) pass.resolved.push(current.alertId);
    }
  }

  /** Resolves a flapping alert; the openings of its episode count no more. */
  private async endEpisode(pass: Pass, agent: AgentRecord, episode: AlertRecord, resolution: Resolution) {
    if (!(await this.resolveAlert(episode, pass.scanTime, resolution))) return;
    pass.resolved.push(episode.alertId);
    await this.deps.agents.endFlapping(agent.agentId, pass.scanTime);
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
   * held (still recorded); one `network_event` alert per paging group says so instead. Agents whose
   * silence a down parent explains are not counted: a dead switch is not the watcher's network.
   */
  private async guardStorm(previous: ScannerState, pass: Pass, parents: Muter) {
    const { scanTime } = pass;
    const unexplained = (alert: AlertRecord) => alert.kind !== 'cluster_down' && !mute(alert, [parents]);
    const wasActive = previous.stormSince !== undefined;
    const failingAgents = new Set<string>();
    // Incidents a scan opened but never judged: it died between its creates and this guard, so no
    // scan has yet asked whether they are a storm. They count as opened in this round, or the next
    // scan would page each of them.
    const unjudged: AlertRecord[] = [];
    const lastJudged = previous.lastScanAt ?? Number.NEGATIVE_INFINITY;
    for (const alert of await this.deps.alerts.listQueue('open')) {
      // A flapping alert stands while its agent is healthy again: only incidents count as failing.
      if (
        alert.kind !== 'network_event' &&
        alert.kind !== 'flapping' &&
        !isEvent(alert) &&
        unexplained(alert)
      ) {
        failingAgents.add(alert.agentId);
        const undelivered = alert.openNotice === 'pending' || alert.openNotice === 'none';
        if (!wasActive && alert.openedAt > lastJudged && undelivered) unjudged.push(alert);
      }
    }
    // A flapping alert may open for an agent that beats again (the scan after its opening), and a
    // restart is recorded for an agent that beats: neither is silence.
    const opened = [...pass.opened, ...pass.racedOpenings, ...unjudged].filter(
      (a) => a.kind !== 'flapping' && !isEvent(a) && unexplained(a),
    );
    const monitored = pass.tally.monitored;
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
      this.log.warn('storm: per-agent pages held', { newlySilent, monitored });
      return { step, active: true };
    }
    if (
      step === 'clear' &&
      previous.stormSince !== undefined &&
      (await this.deps.state.setStorm(previous.stormSince, undefined))
    ) {
      for (const alert of await this.deps.alerts.listQueue('open')) {
        if (alert.kind === 'network_event') await this.resolveAlert(alert, scanTime, 'cleared');
      }
      this.log.info('storm cleared: held pages released', { failing: failingAgents.size, monitored });
      return { step, active: false };
    }
    // Nothing to do, or another scanner started or cleared it meanwhile: the stored mark is the truth.
    const active = (await this.deps.state.getScannerState()).stormSince !== undefined;
    return { step: 'none' as const, active };
  }
}

/** The one alert of a flapping episode that began at `since`. */
function flappingAlert(
  agent: AgentRecord,
  channels: GroupSettings['channels'],
  rule: FlappingSettings,
  since: number,
  scanTime: number,
): AlertRecord {
  return {
    alertId: alertId('flapping', agent.agentId, since),
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    kind: 'flapping',
    severity: 'warning',
    status: 'open',
    openedAt: scanTime,
    kindHistory: [{ kind: 'flapping', at: scanTime }],
    incidentStart: since,
    detail: flappingDetail(rule, since),
    channels,
    openNotice: pagingChannels(channels).length > 0 ? 'pending' : 'none',
    recoveryNotice: 'none',
  };
}

/** The assessment of an agent probed for those behind it: an agentless one off its turn is judged now. */
function probedNow(assessment: Assessment): Assessment {
  if (assessment.kind === 'idle')
    return { kind: 'watched', missedScans: 0, probe: true, heartbeatFailed: false };
  if (assessment.kind === 'watched') return { ...assessment, probe: true };
  return assessment;
}
