import { zeroStateCounts } from '../../lambda/domain/agent';
import type { ScanReport } from '../../lambda/scanner';

/** A scan's report at `scanTime` that found nothing, with `overrides`. */
export function scanReport(scanTime: number, overrides: Partial<ScanReport> = {}): ScanReport {
  return {
    scanTime: new Date(scanTime).toISOString(),
    agents: 0,
    monitored: 0,
    malformed: 0,
    errors: 0,
    probed: 0,
    opened: [],
    resolved: [],
    noticesSent: 0,
    noticesFailed: 0,
    storm: 'none',
    states: zeroStateCounts(),
    groups: {},
    openAlerts: {},
    smsSpent: {},
    blindWindowAdded: false,
    recorded: true,
    durationMs: 0,
    ...overrides,
  };
}
