import type * as v from 'valibot';
import type { AgentView } from '../api/contract';
import { AGENT_STATES, type AgentState, type Approval } from './agent-states';
import { type AlertRecord, endedByHeartbeat } from './alert';
import { type BlindWindow, missedScansWatched } from './blind';
import type { GroupSettings } from './config';
import type { OpeningHistory } from './flapping';
import { type LossCounters, lossLastHourPercent, lostHeartbeats } from './loss';
import type { MaintenanceWindow } from './maintenance';
import type { awsProbeSchema, netProbeSchema } from './requests';
import type { RestartRecord } from './restart';

export { AGENT_STATES, type AgentState, type Approval } from './agent-states';

/** A count of agents by state, every state at zero. */
export function zeroStateCounts(): Record<AgentState, number> {
  return Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentState, number>;
}

/** A probe of the host's network, run from a machine that reaches it (the scanner's, or a probe network's). */
export type NetProbe = v.InferOutput<typeof netProbeSchema>;
/** A probe AWS answers: EC2's view of the instance, or the SSM Agent's ping; it needs no network path. */
export type AwsProbe = v.InferOutput<typeof awsProbeSchema>;
export type Probe = NetProbe | AwsProbe;

/** Whether AWS, not the host's network, answers this probe. */
export function isAwsProbe(probe: Probe): probe is AwsProbe {
  return probe.type === 'ec2' || probe.type === 'ssm';
}

/** A probe in a few words, as its results begin: "tcp db-07:1433", "http https://…", "ec2 i-0abc…". */
export function describeProbe(probe: Probe): string {
  switch (probe.type) {
    case 'tcp':
      return `tcp ${probe.host}:${probe.port}`;
    case 'http':
      return `http ${probe.url}`;
    default:
      return `${probe.type} ${probe.instanceId}`;
  }
}

/** An agent as stored. Times are epoch milliseconds of the watcher's clock. */
export interface AgentRecord extends OpeningHistory, LossCounters {
  readonly agentId: string;
  readonly group: string;
  readonly cluster?: string;
  readonly approval: Approval;
  /** SHA-256 of the agent's token; absent for agentless entries. */
  readonly tokenHash?: string;
  readonly createdAt: number;
  readonly lastHeartbeatAt?: number;
  /** The agent's own `sentAt` of its last heartbeat, as it claimed it. */
  readonly lastSentAt?: number;
  readonly clockSkewSeconds?: number;
  readonly seq?: number;
  readonly bootId?: string;
  readonly endpoint?: string;
  readonly version?: string;
  readonly maintenanceUntil?: number;
  readonly maintenanceReason?: string;
  readonly agentless?: boolean;
  readonly probe?: Probe;
  /** The probe network (`probeNetworks`) its probe runs from, over its group's. */
  readonly probeNetwork?: string;
  /** The agent this one sits behind (a switch, a hypervisor): while it is down, this one is not paged. */
  readonly parent?: string;
  /** When the scanner last saw the host answer again without a heartbeat (a probe recovery). */
  readonly lastRecoveredAt?: number;
  /** When the agent's last incident ended (its alert resolved). */
  readonly outageEndedAt?: number;
  /** Until when the agent said it would be away (its goodbye), and why; any later heartbeat ends it. */
  readonly awayUntil?: number;
  readonly awayReason?: string;
  /** How many times it restarted (a new `bootId`), and the last time, as its heartbeat found it. */
  readonly restarts?: number;
  readonly lastRestart?: RestartRecord;
  /** The restart the scanner last recorded as an alert (its `lastRestart.at`). */
  readonly restartRecordedAt?: number;
}

/**
 * How far either way an agent may spread each wait between its heartbeats, as a fraction of its
 * interval: the reference agents (`hbw agent run`, the sh agent) wait 90% to 110% of it, so that a
 * fleet started together does not beat in step.
 */
export const HEARTBEAT_SPREAD = 0.1;

/** Agent and watcher clocks further apart than this are worth showing (as SCOM requires for Kerberos: five minutes). */
export const SKEW_WARNING_SECONDS = 300;

/** Seconds the agent's clock is ahead of the watcher's (negative: behind). */
export function clockSkewSeconds(sentAt: number, serverNow: number): number {
  return Math.round((sentAt - serverNow) / 1000);
}

export function hasSkewWarning(skewSeconds: number | undefined): boolean {
  return skewSeconds !== undefined && Math.abs(skewSeconds) > SKEW_WARNING_SECONDS;
}

export function inMaintenance(agent: Pick<AgentRecord, 'maintenanceUntil'>, now: number): boolean {
  return agent.maintenanceUntil !== undefined && agent.maintenanceUntil > now;
}

/**
 * What the watcher knows of an agent besides its record: where it was blind, the agent's open alerts,
 * and the maintenance window that applies to it now (its own, its group's or its cluster's, as
 * `MaintenanceCalendar.agent` finds it). Without `maintenance`, only the agent's own window counts.
 */
export interface Findings {
  readonly blindWindows: readonly BlindWindow[];
  readonly openAlerts: readonly Pick<AlertRecord, 'kind' | 'incidentStart'>[];
  readonly maintenance?: Pick<MaintenanceWindow, 'until' | 'reason'>;
}

/** The maintenance window an agent is inside at `now`, or `undefined`. */
function windowOf(agent: AgentRecord, now: number, findings: Findings) {
  if (findings.maintenance) return findings.maintenance;
  return inMaintenance(agent, now)
    ? { until: agent.maintenanceUntil!, reason: agent.maintenanceReason }
    : undefined;
}

export const NO_FINDINGS: Findings = { blindWindows: [], openAlerts: [] };

/** Whether the agent is away at `now`: it said goodbye, and the time it gave has not passed. */
export function isAway(agent: Pick<AgentRecord, 'awayUntil'>, now: number): boolean {
  return agent.awayUntil !== undefined && agent.awayUntil > now;
}

/**
 * The agent's last sign of life its missed scans count from: its last heartbeat, or, after a
 * goodbye, the time it said it would be back (a later heartbeat ends the goodbye).
 */
export function lastSignOfLife(
  agent: Pick<AgentRecord, 'lastHeartbeatAt' | 'awayUntil'>,
): number | undefined {
  if (agent.lastHeartbeatAt === undefined) return undefined;
  return Math.max(agent.lastHeartbeatAt, agent.awayUntil ?? -Infinity);
}

/**
 * The one rule for an agent's state at `now`, which the scanner counts and every view shows. Missed
 * scans leave out the watcher's blind windows; an open alert stands until a heartbeat after its
 * incident started, which the scanner resolves on its next pass and every view counts at once. An
 * agent that said goodbye is `away` until the time it gave, and misses no scan meanwhile; if it is
 * not back by then, its missed scans count from that time.
 */
export function agentState(
  agent: AgentRecord,
  settings: Pick<GroupSettings, 'scanIntervalSeconds' | 'missedScansBeforeAlert'>,
  now: number,
  findings: Findings = NO_FINDINGS,
): { state: AgentState; missedScans: number } {
  const since = lastSignOfLife(agent);
  const missed =
    since === undefined || since >= now
      ? 0
      : missedScansWatched(since, now, settings.scanIntervalSeconds, findings.blindWindows);
  if (agent.approval !== 'approved') return { state: agent.approval, missedScans: missed };
  if (windowOf(agent, now, findings)) return { state: 'maintenance', missedScans: missed };
  if (!agent.agentless && isAway(agent, now)) return { state: 'away', missedScans: 0 };
  const standing = findings.openAlerts.filter((a) => !endedByHeartbeat(a, agent.lastHeartbeatAt));
  if (standing.some((a) => a.kind === 'host_unreachable'))
    return { state: 'unreachable', missedScans: missed };
  if (standing.some((a) => a.kind === 'heartbeat_failure')) return { state: 'failed', missedScans: missed };
  if (agent.agentless) return { state: 'healthy', missedScans: 0 };
  if (agent.lastHeartbeatAt === undefined) return { state: 'new', missedScans: 0 };
  if (missed === 0) return { state: 'healthy', missedScans: 0 };
  return { state: missed < settings.missedScansBeforeAlert ? 'late' : 'failed', missedScans: missed };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The agent as the API shows it: RFC 3339 times, no token hash. */
export function agentView(
  agent: AgentRecord,
  settings: GroupSettings,
  now: number,
  findings: Findings = NO_FINDINGS,
): AgentView {
  const { state, missedScans } = agentState(agent, settings, now, findings);
  const window = windowOf(agent, now, findings);
  return {
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    approval: agent.approval,
    state,
    lastHeartbeatAt: iso(agent.lastHeartbeatAt),
    missedScans,
    clockSkewSeconds: agent.clockSkewSeconds,
    clockSkewWarning: hasSkewWarning(agent.clockSkewSeconds),
    endpoint: agent.endpoint,
    maintenanceUntil: iso(window?.until),
    maintenanceReason: window?.reason,
    createdAt: new Date(agent.createdAt).toISOString(),
    lastSentAt: iso(agent.lastSentAt),
    seq: agent.seq,
    bootId: agent.bootId,
    version: agent.version,
    agentless: agent.agentless === true ? true : undefined,
    probe: agent.probe,
    probeNetwork: agent.probeNetwork,
    parent: agent.parent,
    /** An open `flapping` alert stands for it: its own pages and recoveries are held. */
    flapping: findings.openAlerts.some((a) => a.kind === 'flapping') ? true : undefined,
    awayUntil: iso(agent.awayUntil),
    awayReason: agent.awayUntil === undefined ? undefined : agent.awayReason,
    restarts: agent.restarts ?? 0,
    lastRestartAt: iso(agent.lastRestart?.at),
    lostHeartbeats: lostHeartbeats(agent),
    lossLastHourPercent: lossLastHourPercent(agent.lossBuckets, now),
    heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
  };
}
