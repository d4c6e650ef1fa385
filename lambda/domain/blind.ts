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
 * completed scan is a window of its own. When the heartbeat route was down with the scanner
 * (`restarted`: the first scan of a local watcher), the whole gap is one, however short: agents could
 * not reach the watcher in it. `pauses` are the stretches in which the process that runs both did
 * not run (stopped, or a machine asleep), as it measured them: one that ended since the last scan
 * started makes a window from its start to this scan, even when a scan that straddled it completed
 * just before this one, since the heartbeats held up meanwhile are only now being taken. One window
 * covers them all, so no stretch is left out twice.
 */
export function blindWindowsAfter(
  state: ScannerState,
  scanTime: number,
  tickSeconds: number,
  restarted = false,
  pauses: readonly BlindWindow[] = [],
): BlindWindow[] {
  const kept = state.blindWindows.filter((w) => w.end > scanTime - BLIND_MEMORY_MS);
  const lastSeen = state.lastCompletedAt ?? state.lastScanAt;
  const starts: number[] = [];
  if (lastSeen !== undefined && restarted && scanTime > lastSeen) {
    starts.push(lastSeen);
  } else if (lastSeen !== undefined && scanTime - lastSeen > 2 * tickSeconds * 1000) {
    // The interval just after the last scan is one a timely scan would still have looked at, so
    // the window starts one interval later.
    starts.push(lastSeen + tickSeconds * 1000);
  }
  if (state.lastScanAt !== undefined) {
    for (const pause of pauses) if (pause.end > state.lastScanAt) starts.push(pause.start);
  }
  const start = Math.min(...starts);
  if (start < scanTime) kept.push({ start, end: scanTime });
  return kept.slice(-MAX_BLIND_WINDOWS);
}

/** Whether the scan at `scanTime` found a blind window: the newest window ends at it. */
export function findsBlindWindow(windows: readonly BlindWindow[], scanTime: number): boolean {
  return windows.at(-1)?.end === scanTime;
}

/**
 * Whether an agent silent since an outage that held it ended (its parent's, its cluster's quorum) is
 * still given time to be heard: less than one heartbeat interval of watched time has passed since
 * `endedAt`, and it has not been heard since before then. Things that went down together come back
 * together, but a scan may read one a moment before the others; their next heartbeat is at most one
 * interval away.
 */
export function graceAfterOutage(
  lastHeartbeatAt: number | undefined,
  endedAt: number,
  heartbeatIntervalSeconds: number,
  blindWindows: readonly BlindWindow[],
  now: number,
): boolean {
  const silentBefore = lastHeartbeatAt === undefined || lastHeartbeatAt < endedAt;
  return silentBefore && watchedMs(endedAt, now, blindWindows) < heartbeatIntervalSeconds * 1000;
}

/** Milliseconds of `[from, to]` that fall outside every blind window. */
export function watchedMs(from: number, to: number, windows: readonly BlindWindow[]): number {
  let total = Math.max(0, to - from);
  for (const w of windows) total -= Math.max(0, Math.min(to, w.end) - Math.max(from, w.start));
  return Math.max(0, total);
}

/**
 * Missed scans since `last`: `floor(watched time / scanIntervalSeconds)`, where the watched time
 * leaves out every blind window. Never negative.
 */
export function missedScansWatched(
  last: number,
  now: number,
  scanIntervalSeconds: number,
  windows: readonly BlindWindow[],
): number {
  return Math.floor(watchedMs(last, now, windows) / (scanIntervalSeconds * 1000));
}
