import type { FailedCall } from '../adapters/aws-health-prober';
import type { NoticeCounter } from '../adapters/counted-notifier';
import { CHANNELS, type Channel } from '../domain/channels';
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

/** A metric's name, its CloudWatch unit, and its value in one document. */
type MetricValue = readonly [name: string, unit: 'Count' | 'Milliseconds', value: number];

/** An Embedded Metric Format document, as `Logger.metrics` writes it. */
export type MetricDocument = Record<string, unknown>;

/**
 * One CloudWatch Embedded Metric Format document: `values` under one set of dimension values. EMF
 * puts each dimension's value at the top level, so figures by group (or by channel, or status) take
 * a document each. CloudWatch turns the logged line into metrics; no API call is made.
 */
export function metricDocument(
  timestamp: number,
  dimensions: Readonly<Record<string, string>>,
  values: readonly MetricValue[],
): MetricDocument {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: values.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(values.map(([name, , value]) => [name, value])),
  };
}

/** Notices by channel and outcome since the last scan's metrics: what `countedNotifier` is told. */
export class NoticeTally {
  private counts = new Map<Channel, { sent: number; failed: number }>();

  readonly count: NoticeCounter = (channels, outcome) => {
    for (const channel of channels) {
      const counts = this.counts.get(channel) ?? { sent: 0, failed: 0 };
      counts[outcome] += 1;
      this.counts.set(channel, counts);
    }
  };

  /** The counts so far, every channel present (zero where none), and starts again from zero. */
  take(): Readonly<Record<Channel, { readonly sent: number; readonly failed: number }>> {
    const taken = Object.fromEntries(
      CHANNELS.map((channel) => [channel, this.counts.get(channel) ?? { sent: 0, failed: 0 }]),
    ) as Record<Channel, { sent: number; failed: number }>;
    this.counts = new Map();
    return taken;
  }
}

/**
 * One scan's metrics, as EMF documents:
 * - by stack: the scan (`ScansCompleted`, which the "scans stopped" alarm watches, its duration, the
 *   agents, alerts opened, notices, blind windows) and the agents by state;
 * - by group (every configured one, and any other the scan found): the agents by state, the open
 *   alerts, and the SMS spent today where the group has a budget;
 * - by group and kind: the open alerts, for each kind with one open (a kind with none is left out,
 *   so that a fleet pays only for the metrics it uses);
 * - by channel: the notices sent and failed since the scan before.
 */
export function scanMetrics(
  report: ScanReport,
  stack: string,
  groups: readonly string[],
  notices: ReturnType<NoticeTally['take']>,
): MetricDocument[] {
  const at = Date.parse(report.scanTime);
  const documents = [
    metricDocument(at, { Stack: stack }, [
      ['ScansCompleted', 'Count', 1],
      ['ScanDuration', 'Milliseconds', report.durationMs],
      ['AgentsScanned', 'Count', report.agents],
      ['AlertsOpened', 'Count', report.opened.length],
      ['NoticesSent', 'Count', report.noticesSent],
      ['NoticesFailed', 'Count', report.noticesFailed],
      ['MalformedAgents', 'Count', report.malformed],
      ['BlindWindows', 'Count', report.blindWindowAdded ? 1 : 0],
      ...STATE_METRICS.map(([state, name]): MetricValue => [name, 'Count', report.states[state]]),
    ]),
  ];
  for (const group of new Set([...groups, ...Object.keys(report.groups)])) {
    const states = report.groups[group] ?? {};
    const open = Object.values(report.openAlerts[group] ?? {}).reduce((sum, n) => sum + (n ?? 0), 0);
    const spent = report.smsSpent[group];
    documents.push(
      metricDocument(at, { Stack: stack, Group: group }, [
        ...STATE_METRICS.map(([state, name]): MetricValue => [name, 'Count', states[state] ?? 0]),
        ['OpenAlerts', 'Count', open],
        ...(spent === undefined ? [] : [['SmsSpentToday', 'Count', spent] as const]),
      ]),
    );
    for (const [kind, count] of Object.entries(report.openAlerts[group] ?? {})) {
      documents.push(
        metricDocument(at, { Stack: stack, Group: group, Kind: kind }, [['OpenAlerts', 'Count', count]]),
      );
    }
  }
  for (const [channel, { sent, failed }] of Object.entries(notices)) {
    documents.push(
      metricDocument(at, { Stack: stack, Channel: channel }, [
        ['NoticesSent', 'Count', sent],
        ['NoticesFailed', 'Count', failed],
      ]),
    );
  }
  return documents;
}

/** A scanner invocation's scans left out, as their moment had passed (one document a minute). */
export function skippedScansMetrics(at: number, stack: string, skipped: number): MetricDocument {
  return metricDocument(at, { Stack: stack }, [['ScansSkipped', 'Count', skipped]]);
}

/** The metric of the AWS health prober's calls that failed (after the SDK's retries); the AwsProberErrors alarm counts it. */
export const AWS_PROBE_CALLS_FAILED = 'AwsProbeCallsFailed';

/** An AWS health prober invocation's failed calls to EC2 and Systems Manager, one document by stack. */
export function failedAwsCallsMetrics(
  at: number,
  stack: string,
  calls: readonly FailedCall[],
): MetricDocument {
  return metricDocument(at, { Stack: stack }, [[AWS_PROBE_CALLS_FAILED, 'Count', calls.length]]);
}

/** How often an ingest function instance writes its heartbeat counts. */
export const HEARTBEAT_METRICS_EVERY_MS = 60_000;

/**
 * Heartbeats by the status they were answered with, counted in one ingest function instance and
 * written as one EMF document per status at most once a minute (at the first heartbeat after the
 * minute is up), not one log line per heartbeat: a line per heartbeat would cost more in CloudWatch
 * Logs than the heartbeat's own write. The counts of an instance's last minute are lost when Lambda
 * retires the instance; the API's own request count (on the dashboard beside them) is exact.
 */
export class HeartbeatCounts {
  private counts = new Map<number, number>();
  private since: number;

  constructor(
    private readonly stack: string,
    private readonly write: (document: MetricDocument) => void,
    private readonly now: () => number,
  ) {
    this.since = now();
  }

  /** A heartbeat answered with `status` (a `HeartbeatObserver`). */
  readonly observe = (status: number): void => {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    const now = this.now();
    if (now - this.since < HEARTBEAT_METRICS_EVERY_MS) return;
    for (const [code, count] of this.counts) {
      this.write(
        metricDocument(now, { Stack: this.stack, Status: String(code) }, [['Heartbeats', 'Count', count]]),
      );
    }
    this.counts = new Map();
    this.since = now;
  };
}
