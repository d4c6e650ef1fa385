import { scanTickSeconds } from '../lambda/domain/heartbeat-settings';
import type { Logger } from '../lambda/logger';
import type { Scanner, ScanReport } from '../lambda/scanner';

/** Told of each scan that completed, and of the scan boundaries that passed with no scan. */
export interface ScanObserver {
  scanned(report: ScanReport): void;
  skipped(boundaries: number): void;
}

export interface ScanLoop {
  /** Stops the loop after the scan under way, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `scanner` every scan interval, on the interval's boundaries, one scan at a time. A scan that
 * fails is logged and the next one runs as usual. A scan that outlasts its interval makes the loop
 * pass over the boundaries it ran across: `observe` is told how many.
 */
export function startScanLoop(
  scanner: Scanner,
  config: Parameters<typeof scanTickSeconds>[0],
  log: Logger,
  observe?: ScanObserver,
): ScanLoop {
  const tickMs = scanTickSeconds(config) * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  /** The boundary the next scan is due at. */
  let dueAt = 0;
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    const next = Math.ceil((now + 1) / tickMs) * tickMs;
    if (dueAt > 0 && next > dueAt + tickMs) observe?.skipped(Math.round((next - dueAt) / tickMs) - 1);
    dueAt = next;
    timer = setTimeout(run, next - now);
  };
  const run = () => {
    running = scanner
      .scan()
      .then(
        (report) => observe?.scanned(report),
        (error: unknown) => log.error('scan failed; the next one runs as usual', { error: String(error) }),
      )
      .finally(schedule);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
