import { type AgentRecord, agentState, type Findings, HEARTBEAT_SPREAD, lastSignOfLife } from './agent';
import type { AlertKind, AlertRecord, Severity } from './alert';
import { type BlindWindow, findsBlindWindow, type ScannerState, watchedMs } from './blind';
import type { GroupSettings, WatcherConfig } from './config';
import { type RecoveryRule, recoveryStep } from './flapping';

/** In a module of its own, so that the browser's console imports it without the rest of the scan. */
export { type ScanLag, scanLag } from './scan-lag';

/**
 * The start of an agent's current incident: its last sign of life the scanner knows of (after a
 * goodbye, the time it said it would be back).
 */
export function incidentStart(
  agent: Pick<AgentRecord, 'lastHeartbeatAt' | 'createdAt' | 'awayUntil'> & { lastRecoveredAt?: number },
) {
  return Math.max(lastSignOfLife(agent) ?? agent.createdAt, agent.lastRecoveredAt ?? 0, agent.createdAt);
}

/** What the scanner decides about one agent before any probe. */
export type Assessment =
  /** Not watched now: pending, rejected, or approved and never heard from. Open alerts resolve. */
  | { readonly kind: 'unmonitored' }
  /** In maintenance: nothing opens, open alerts stay open, silently. */
  | { readonly kind: 'maintenance' }
  /** Agentless, and not its turn to be probed: nothing changes. */
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'watched';
      readonly missedScans: number;
      /** Probe the host now (the agent is late, or an agentless entry's turn). */
      readonly probe: boolean;
      /** The agent has missed enough scans for a heartbeat failure. */
      readonly heartbeatFailed: boolean;
    };

/**
 * Whether an agentless entry is probed at `scanTime`: on the first scan of each stretch of
 * `agentlessEveryNScans` of its group's own scan intervals, however often the scanner ticks for other
 * groups. The previous scan at `lastScanAt` tells whether this scan is the first of its stretch.
 */
function agentlessTurn(
  settings: Pick<GroupSettings, 'agentlessEveryNScans' | 'scanIntervalSeconds'>,
  scanTime: number,
  lastScanAt: number | undefined,
): boolean {
  const stretch = settings.agentlessEveryNScans * settings.scanIntervalSeconds * 1000;
  return lastScanAt === undefined || Math.floor(scanTime / stretch) !== Math.floor(lastScanAt / stretch);
}

/**
 * Whether an agent has been silent, in watched time, longer than a beating agent may wait between
 * two heartbeats: its interval spread by `HEARTBEAT_SPREAD`. A late agent's host is probed only then.
 * With the heartbeat as long as the scan interval (the defaults: 30 s each), a beating agent is found
 * one scan late on its spread alone in about one scan in forty, and a probe that failed at that
 * moment (a port that flaps, a probe the host's firewall drops) would page host_unreachable for a
 * host whose agent is beating. Where the scan interval is the longer (a 10 s heartbeat and 30 s
 * scans, say), a missed scan already means a longer silence, and this changes nothing.
 */
function silentPastItsWait(
  agent: AgentRecord,
  settings: Pick<GroupSettings, 'heartbeatIntervalSeconds'>,
  scanTime: number,
  blindWindows: readonly BlindWindow[],
): boolean {
  const since = lastSignOfLife(agent);
  if (since === undefined) return true;
  const longestWaitMs = settings.heartbeatIntervalSeconds * 1000 * (1 + HEARTBEAT_SPREAD);
  return watchedMs(since, scanTime, blindWindows) > longestWaitMs;
}

/**
 * What the scanner makes of one agent before any probe: the agent's state by the one rule every view
 * uses (`agentState`, with no alert counted: the scan decides those), and what to do about it.
 * `state.maintenance` is the window that applies to the agent now, when the scanner found one.
 */
export function assess(
  agent: AgentRecord,
  settings: GroupSettings,
  scanTime: number,
  state: Pick<ScannerState, 'lastScanAt' | 'blindWindows'> & Pick<Findings, 'maintenance'>,
): Assessment {
  const seen = agentState(agent, settings, scanTime, {
    blindWindows: state.blindWindows,
    openAlerts: [],
    maintenance: state.maintenance,
  });
  if (seen.state === 'pending' || seen.state === 'rejected' || seen.state === 'new')
    return { kind: 'unmonitored' };
  if (seen.state === 'maintenance') return { kind: 'maintenance' };
  if (agent.agentless) {
    if (!agent.probe) return { kind: 'unmonitored' };
    if (!agentlessTurn(settings, scanTime, state.lastScanAt)) return { kind: 'idle' };
    return { kind: 'watched', missedScans: 0, probe: true, heartbeatFailed: false };
  }
  // The scan that finds a blind window judges nobody: heartbeats sent while the watcher was blind
  // (paused, restarting, not invoked) may still be on their way in. The next scan judges.
  const waking = findsBlindWindow(state.blindWindows, scanTime);
  return {
    kind: 'watched',
    missedScans: seen.missedScans,
    probe:
      !waking &&
      seen.missedScans >= 1 &&
      agent.probe !== undefined &&
      silentPastItsWait(agent, settings, scanTime, state.blindWindows),
    heartbeatFailed: !waking && seen.state === 'failed',
  };
}

export interface AgentDecision {
  /** The kind the incident's alert opens with, when none is open for it. */
  readonly open?: AlertKind;
  /**
   * Open alerts whose verdict changes within the same incident: the host stopped answering, or it
   * answers again while the agent stays silent. The alert changes; no second one opens.
   */
  readonly change: readonly { alert: AlertRecord; kind: AlertKind }[];
  /** Open alerts to resolve, and why. */
  readonly resolve: readonly { alert: AlertRecord; resolution: 'heartbeat' | 'probe' | 'unmonitored' }[];
  /** Open alerts whose fresh scans begin or start over (`recoverAfterScans` above 1); absent: none. */
  readonly freshSince?: readonly { alert: AlertRecord; since: number | null }[];
}

const NOTHING: AgentDecision = { change: [], resolve: [] };

/** Without a rule: the first scan after a heartbeat resolves (`recoverAfterScans` 1). */
const AT_ONCE = { rule: { recoverAfterScans: 1, scanIntervalSeconds: 1 }, now: 0 };

/**
 * The scanner's verdict on a watched agent now: a probe that fails says the host is down, whatever
 * the count; enough missed scans say the agent failed; otherwise there is nothing to alert.
 */
function verdict(assessment: Assessment & { kind: 'watched' }, probeOk: boolean | undefined) {
  if (probeOk === false) return 'host_unreachable' as const;
  if (assessment.heartbeatFailed) return 'heartbeat_failure' as const;
  return undefined;
}

/**
 * What happens to one agent's incident, from the assessment, the probe's answer (when it was probed)
 * and its open alerts. An incident is one alert whatever it is found to be: a heartbeat after it
 * started resolves it; a new verdict changes it; a host that answers again resolves an unreachable
 * alert unless the agent has meanwhile missed enough scans to have failed. With `recoverAfterScans`
 * above 1, a heartbeat resolves it only after that many fresh scans (see `recoveryStep`); until then
 * it stands, and a new failure is the same incident.
 */
export function decide(
  agent: AgentRecord,
  assessment: Assessment,
  probeOk: boolean | undefined,
  open: readonly AlertRecord[],
  recovery: { rule: RecoveryRule; now: number } = AT_ONCE,
): AgentDecision {
  if (assessment.kind === 'maintenance' || assessment.kind === 'idle') return NOTHING;
  if (assessment.kind === 'unmonitored') {
    return { change: [], resolve: open.map((alert) => ({ alert, resolution: 'unmonitored' as const })) };
  }
  const resolve: AgentDecision['resolve'][number][] = [];
  const change: AgentDecision['change'][number][] = [];
  const marks: { alert: AlertRecord; since: number | null }[] = [];
  const now = verdict(assessment, probeOk);
  const standing = open.filter((alert) => {
    const { rule, now: at } = recovery;
    const step = recoveryStep(alert, agent.lastHeartbeatAt, assessment.missedScans, rule, at);
    if (step.freshSince !== undefined) marks.push({ alert, since: step.freshSince });
    if (!step.resolve) return true;
    resolve.push({ alert, resolution: 'heartbeat' });
    return false;
  });
  const freshSince = marks.length > 0 ? marks : undefined;
  if (standing.length === 0) return { open: now, change, resolve, freshSince };
  // Alerts stored before an incident kept one alert (one per kind) are each judged alike.
  for (const alert of standing) {
    if (now === undefined && alert.kind === 'host_unreachable' && probeOk === true) {
      resolve.push({ alert, resolution: 'probe' });
    } else if (now !== undefined && now !== alert.kind) {
      change.push({ alert, kind: now });
    }
  }
  return { change, resolve, freshSince };
}

/** A silent agent whose host still answers is a warning: the machine is up. Anything else is critical. */
export function severityOf(kind: AlertKind, probeOk: boolean | undefined): Severity {
  return kind === 'heartbeat_failure' && probeOk === true ? 'warning' : 'critical';
}

/**
 * The words an alert carries about what the scanner saw; an agent that said goodbye and is not back
 * by the time it gave says so, whatever its probe answers.
 */
export function alertDetail(
  kind: AlertKind,
  agent: AgentRecord,
  missedScans: number,
  settings: GroupSettings,
  probe: { outcome: string; detail: string } | undefined,
): string {
  const last = agent.lastHeartbeatAt === undefined ? 'never' : new Date(agent.lastHeartbeatAt).toISOString();
  if (kind === 'host_unreachable' && agent.agentless)
    return `Agentless host does not answer its probe (${probe?.detail ?? 'no answer'}).`;
  const away =
    agent.awayUntil === undefined
      ? ''
      : ` It did not come back after a planned restart${agent.awayReason ? `: ${agent.awayReason}` : ''} (it said it would be back by ${new Date(agent.awayUntil).toISOString()}).`;
  if (kind === 'host_unreachable') {
    return `No heartbeat for ${missedScans} scan(s) (last ${last}) and the host does not answer its probe (${probe?.detail ?? 'no answer'}): it may be down.${away}`;
  }
  const window = `${settings.missedScansBeforeAlert} x ${settings.scanIntervalSeconds} s`;
  if (probe?.outcome === 'up') {
    return `No heartbeat for ${missedScans} scans (threshold ${window}; last ${last}). The host answers its probe (${probe.detail}), so the machine is up but the agent is silent: check the agent service.${away}`;
  }
  return `No heartbeat for ${missedScans} scans (threshold ${window}; last ${last}).${away}`;
}

/** What the storm guard does after a scan. */
export type StormStep = 'start' | 'clear' | 'none';

/**
 * The storm guard: when more than `stormFraction` of the monitored agents, and at least
 * `stormMinAgents`, went silent in one scan, the watcher suspects itself or its network. The event
 * clears once the agents still failing are no longer that many.
 */
export function stormStep(
  config: Pick<WatcherConfig, 'stormFraction' | 'stormMinAgents'>,
  counts: { monitored: number; newlySilent: number; failing: number },
  active: boolean,
): StormStep {
  const isStorm = (n: number) => n >= config.stormMinAgents && n > config.stormFraction * counts.monitored;
  if (!active) return isStorm(counts.newlySilent) ? 'start' : 'none';
  return isStorm(counts.failing) ? 'none' : 'clear';
}

/**
 * What a probe says of its host for the rules: answered (true), did not (false), or nothing
 * (`undefined`): no probe ran, or it could not tell, which the rules judge alike.
 */
export function probeAnswered(probe: { outcome: string } | undefined): boolean | undefined {
  if (probe?.outcome === 'up') return true;
  return probe?.outcome === 'down' ? false : undefined;
}
