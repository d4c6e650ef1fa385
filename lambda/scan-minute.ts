import { scanOffsetsInMinute } from './domain/schedule';
import type { Scanner, ScanReport } from './scanner';

export interface MinuteDeps {
  readonly scanner: Pick<Scanner, 'scan'>;
  readonly tickSeconds: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called after each completed scan (the metrics line). */
  readonly completed: (report: ScanReport) => void;
}

/**
 * Runs the scans of one minute at their offsets (the cloud scanner's invocation). A scan whose moment
 * passed by more than a tick while an earlier one ran is left out: the next one counts the same
 * agents, and a late scan is better skipped than bunched. Answers the reports of the scans it ran.
 */
export async function runScanMinute(deps: MinuteDeps, invokedAt: number): Promise<ScanReport[]> {
  const minuteStart = Math.floor(invokedAt / 60_000) * 60_000;
  const reports: ScanReport[] = [];
  for (const offset of scanOffsetsInMinute(deps.tickSeconds, minuteStart)) {
    const due = minuteStart + offset;
    const wait = due - deps.now();
    if (wait < -deps.tickSeconds * 1000) continue;
    if (wait > 0) await deps.sleep(wait);
    const report = await deps.scanner.scan();
    deps.completed(report);
    reports.push(report);
  }
  return reports;
}
