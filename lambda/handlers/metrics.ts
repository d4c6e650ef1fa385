import type { ScanReport } from '../scanner';

/** Agents by state, one metric each, for the dashboard. */
export const STATE_METRICS = [
  ['healthy', 'AgentsHealthy'],
  ['late', 'AgentsLate'],
  ['failed', 'AgentsFailed'],
  ['unreachable', 'AgentsUnreachable'],
  ['maintenance', 'AgentsInMaintenance'],
  ['pending', 'AgentsPending'],
  ['new', 'AgentsNew'],
] as const;

/** The CloudWatch namespace of the watcher's own metrics. */
export const METRIC_NAMESPACE = 'HeartbeatWatcher';

/**
 * One scan's metrics as a CloudWatch Embedded Metric Format document: logged (`Logger.metrics`), turned
 * into metrics by CloudWatch, no API call on the scan's path. `ScansCompleted` is what the "scans
 * stopped" alarm watches.
 */
export function scanMetrics(report: ScanReport, stack: string): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: Date.parse(report.scanTime),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Stack']],
          Metrics: [
            { Name: 'ScansCompleted', Unit: 'Count' },
            { Name: 'ScanDuration', Unit: 'Milliseconds' },
            { Name: 'AgentsScanned', Unit: 'Count' },
            { Name: 'AlertsOpened', Unit: 'Count' },
            { Name: 'NoticesSent', Unit: 'Count' },
            { Name: 'NoticesFailed', Unit: 'Count' },
            { Name: 'MalformedAgents', Unit: 'Count' },
            ...STATE_METRICS.map(([, name]) => ({ Name: name, Unit: 'Count' })),
          ],
        },
      ],
    },
    Stack: stack,
    ScansCompleted: 1,
    ScanDuration: report.durationMs,
    AgentsScanned: report.agents,
    AlertsOpened: report.opened.length,
    NoticesSent: report.noticesSent,
    NoticesFailed: report.noticesFailed,
    MalformedAgents: report.malformed,
    ...Object.fromEntries(STATE_METRICS.map(([state, name]) => [name, report.states[state]])),
  };
}
