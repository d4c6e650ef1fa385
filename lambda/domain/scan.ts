import type { AgentRecord } from './agent';
import { inMaintenance } from './agent';
import type { AlertKind, AlertRecord } from './alert';
import type { GroupSettings, WatcherConfig } from './config';

/** A stretch of time in which the watcher did not scan; it does not count as missed scans. */
export interface BlindWindow {
  readonly start: number;
  readonly end: number;
}

/** The scanner's own progress, kept between scans. */
export interface ScannerState {
  /** When the last completed scan started (its scan time). */
  readonly lastScanAt?: number;
  /** When it finished: a slow scan is not a blind watcher, so blindness is measured from here. */
  readonly lastCompletedAt?: number;
  readonly blindWindows: readonly BlindWindow[];
  /** Set while a suspected watcher-side or network event holds per-agent pages. */
  readonly stormSince?: number;
}

/** Blind windows older than this no longer matter to any incident worth counting. */
const BLIND_MEMORY_MS = 7 * 86_400_000;
const MAX_BLIND_WINDOWS = 20;

/**
 * The blind windows after a scan at `scanTime`: a gap of more than two scan intervals since the last
 * completed scan is a window of its own (DESIGN.md section 3). When the heartbeat route was down with
 * the scanner (`restarted`: the first scan of a local watcher), the whole gap is one, however short:
 * agents could not reach the watcher in it.
 */
export function blindWindowsAfter(
  state: ScannerState,
  scanTime: number,
  tickSeconds: number,
  restarted = false,
): BlindWindow[] {
  const kept = state.blindWindows.filter((w) => w.end > scanTime - BLIND_MEMORY_MS);
  const lastSeen = state.lastCompletedAt ?? state.lastScanAt;
  if (lastSeen !== undefined && restarted && scanTime > lastSeen) {
    kept.push({ start: lastSeen, end: scanTime });
  } else if (lastSeen !== undefined && scanTime - lastSeen > 2 * tickSeconds * 1000) {
    // The interval just after the last scan is one a timely scan would still have looked at, so
    // the window starts one interval later.
    kept.push({ start: lastSeen + tickSeconds * 1000, end: scanTime });
  }
  return kept.slice(-MAX_BLIND_WINDOWS);
}

/** Whether the scan at `scanTime` found a blind window: the newest window ends at it. */
export function findsBlindWindow(windows: readonly BlindWindow[], scanTime: number): boolean {
  return windows.at(-1)?.end === scanTime;
}

/** Milliseconds of `[from, to]` that fall outside every blind window. */
function watchedMs(from: number, to: number, windows: readonly BlindWindow[]): number {
  let total = Math.max(0, to - from);
  for (const w of windows) total -= Math.max(0, Math.min(to, w.end) - Math.max(from, w.start));
  return Math.max(0, total);
}

/** Missed scans since `last`, the blind windows not counted. */
export function missedScansWatched(
  last: number,
  scanTime: number,
  scanIntervalSeconds: number,
  windows: readonly BlindWindow[],
): number {
  return Math.floor(watchedMs(last, scanTime, windows) / (scanIntervalSeconds * 1000));
}

/** The start of an agent's current incident: its last sign of life the scanner knows of. */
export function incidentStart(
  agent: Pick<AgentRecord, 'lastHeartbeatAt' | 'createdAt'> & { lastRecoveredAt?: number },
) {
  return Math.max(agent.lastHeartbeatAt ?? agent.createdAt, agent.lastRecoveredAt ?? 0, agent.createdAt);
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

export function assess(
  agent: AgentRecord,
  settings: GroupSettings,
  scanTime: number,
  state: Pick<ScannerState, 'lastScanAt' | 'blindWindows'>,
): Assessment {
  if (agent.approval !== 'approved') return { kind: 'unmonitored' };
  if (inMaintenance(agent, scanTime)) return { kind: 'maintenance' };
  if (agent.agentless) {
    if (!agent.probe) return { kind: 'unmonitored' };
    if (!agentlessTurn(settings, scanTime, state.lastScanAt)) return { kind: 'idle' };
    return { kind: 'watched', missedScans: 0, probe: true, heartbeatFailed: false };
  }
  if (agent.lastHeartbeatAt === undefined) return { kind: 'unmonitored' };
  // The scan that finds a blind window judges nobody: heartbeats sent while the watcher was blind
  // (paused, restarting, not invoked) may still be on their way in. The next scan judges.
  const waking = findsBlindWindow(state.blindWindows, scanTime);
  const missed = missedScansWatched(
    agent.lastHeartbeatAt,
    scanTime,
    settings.scanIntervalSeconds,
    state.blindWindows,
  );
  return {
    kind: 'watched',
    missedScans: missed,
    probe: !waking && missed >= 1 && agent.probe !== undefined,
    heartbeatFailed: !waking && missed >= settings.missedScansBeforeAlert,
  };
}

export interface AgentDecision {
  /** Alert kinds to open now (none of that kind is open). */
  readonly open: readonly AlertKind[];
  /** Open alerts to resolve, and why. */
  readonly resolve: readonly { alert: AlertRecord; resolution: 'heartbeat' | 'probe' | 'unmonitored' }[];
}

/**
 * Which alerts of one agent open and which resolve, from the assessment, the probe's answer (when it
 * was probed) and the alerts open for it. A heartbeat after an incident started resolves its alerts;
 * a probe that answers resolves `host_unreachable`; a probe that fails opens it at once.
 */
export function decide(
  agent: AgentRecord,
  assessment: Assessment,
  probeOk: boolean | undefined,
  open: readonly AlertRecord[],
): AgentDecision {
  if (assessment.kind === 'maintenance' || assessment.kind === 'idle') return { open: [], resolve: [] };
  if (assessment.kind === 'unmonitored') {
    return { open: [], resolve: open.map((alert) => ({ alert, resolution: 'unmonitored' as const })) };
  }
  const resolve: AgentDecision['resolve'][number][] = [];
  const stillOpen = new Set<AlertKind>();
  for (const alert of open) {
    if (agent.lastHeartbeatAt !== undefined && agent.lastHeartbeatAt > alert.incidentStart) {
      resolve.push({ alert, resolution: 'heartbeat' });
    } else if (alert.kind === 'host_unreachable' && probeOk === true) {
      resolve.push({ alert, resolution: 'probe' });
    } else {
      stillOpen.add(alert.kind);
    }
  }
  const wanted: AlertKind[] = [];
  if (probeOk === false) wanted.push('host_unreachable');
  if (assessment.heartbeatFailed) wanted.push('heartbeat_failure');
  return { open: wanted.filter((k) => !stillOpen.has(k)), resolve };
}

/** The words an alert carries about what the scanner saw. */
export function alertDetail(
  kind: AlertKind,
  agent: AgentRecord,
  missedScans: number,
  settings: GroupSettings,
  probe: { ok: boolean; detail: string } | undefined,
): string {
  const last = agent.lastHeartbeatAt === undefined ? 'never' : new Date(agent.lastHeartbeatAt).toISOString();
  if (kind === 'host_unreachable') {
    return agent.agentless
      ? `Agentless host does not answer its probe (${probe?.detail ?? 'no answer'}).`
      : `No heartbeat for ${missedScans} scan(s) (last ${last}) and the host does not answer its probe (${probe?.detail ?? 'no answer'}): it may be down.`;
  }
  const window = `${settings.missedScansBeforeAlert} x ${settings.scanIntervalSeconds} s`;
  if (probe?.ok) {
    return `No heartbeat for ${missedScans} scans (threshold ${window}; last ${last}). The host answers its probe (${probe.detail}), so the machine is up but the agent is silent: check the agent service.`;
  }
  return `No heartbeat for ${missedScans} scans (threshold ${window}; last ${last}).`;
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

/** The scanner runs at the shortest scan interval of any group; each group counts in its own. */
export function scanTickSeconds(config: Pick<WatcherConfig, 'scanIntervalSeconds' | 'groups'>): number {
  return Math.min(
    config.scanIntervalSeconds,
    ...Object.values(config.groups).map((g) => g.scanIntervalSeconds),
  );
}

/** How far behind the scanner looks from one reading of it, and whether that is behind. */
export interface ScanLag {
  /** The age of the last scan as it is shown: tenths of a second below 10 s, whole seconds above. */
  readonly ageMs: number;
  /** The age beyond which the scanner is behind. */
  readonly limitMs: number;
  readonly behind: boolean;
}

/**
 * Whether the scanner is behind, read at `now` (the watcher's clock) from the start of the last
 * completed scan. A scanner keeping up shows an age of up to one interval plus the scan under way,
 * which is recorded only when it completes; and the cloud leaves out a scan whose moment passed by
 * more than half an interval. So it is behind only past three intervals: two, and one more for a
 * scan under way or left out. The age is judged as it is shown, so the words never claim an age
 * beyond a limit that it does not exceed.
 *
 * The console page inlines this function's source: it must stay self-contained.
 */
export function scanLag(lastScanAt: number, now: number, tickSeconds: number): ScanLag {
  const age = Math.max(0, now - lastScanAt);
  const ageMs = age < 10_000 ? Math.floor(age / 100) * 100 : Math.floor(age / 1000) * 1000;
  const limitMs = 3 * tickSeconds * 1000;
  return { ageMs, limitMs, behind: ageMs > limitMs };
}
