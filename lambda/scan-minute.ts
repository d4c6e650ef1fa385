import { scanOffsetsInMinute } from './domain/schedule';
import type { Scanner, ScanReport } from './scanner';

export interface MinuteDeps {
  readonly scanner: Pick<Scanner, 'scan'>;
  readonly tickSeconds: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called after each completed scan (the metrics line). */
  readonly completed: (report: ScanReport) => void;
  /** Called when a scan fails; the minute's other scans still run. */
  readonly failed: (error: unknown) => void;
  /** Called for each scan left out because its moment had passed. */
  readonly skipped: () => void;
}

/**
 * Runs the scans of one minute at their offsets (the cloud scanner's invocation). A scan whose moment
 * passed by more than half a tick (a slow invocation start, a slow earlier scan) is left out: the next
 * one counts the same agents, and a late scan is better skipped than bunched with the next. A scan
 * that fails is reported and the others still run. Answers the reports of the scans that completed.
 */
export async function runScanMinute(deps: MinuteDeps, invokedAt: number): Promise<ScanReport[]> {
  const minuteStart = Math.floor(invokedAt / 60_000) * 60_000;
  const reports: ScanReport[] = [];
  for (const offset of scanOffsetsInMinute(deps.tickSeconds, minuteStart)) {
    const due = minuteStart + offset;
    const wait = due - deps.now();
    if (wait < (-deps.tickSeconds * 1000) / 2) {
      deps.skipped();
      continue;
    }
    if (wait > 0) await deps.sleep(wait);
    try {
      const report = await deps.scanner.scan();
      deps.completed(report);
      reports.push(report);
    } catch (error) {
      deps.failed(error);
    }
  }
  return reports;
}
