import { scanTickSeconds } from '../lambda/domain/scan';
import type { Logger } from '../lambda/logger';
import type { Scanner } from '../lambda/scanner';

export interface ScanLoop {
  /** Stops the loop after the scan under way, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `scanner` every scan interval, on the interval's boundaries, one scan at a time. A scan that
 * fails is logged and the next one runs as usual.
 */
export function startScanLoop(
  scanner: Scanner,
  config: Parameters<typeof scanTickSeconds>[0],
  log: Logger,
): ScanLoop {
  const tickMs = scanTickSeconds(config) * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    timer = setTimeout(run, Math.ceil((now + 1) / tickMs) * tickMs - now);
  };
  const run = () => {
    running = scanner
      .scan()
      .then(
        () => undefined,
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
