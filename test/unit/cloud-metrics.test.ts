import { countedNotifier } from '../../lambda/adapters/counted-notifier';
import type { Notification } from '../../lambda/domain/messages';
import {
  HEARTBEAT_METRICS_EVERY_MS,
  HeartbeatCounts,
  METRIC_NAMESPACE,
  type MetricDocument,
  NoticeTally,
  STATE_METRICS,
  scanMetrics,
  skippedScansMetrics,
} from '../../lambda/handlers/metrics';
import { createLogger } from '../../lambda/logger';
import { NotifierError } from '../../lambda/ports';
import { scanReport } from '../support/scan-report';

const AT = Date.parse('2026-11-23T12:00:30.000Z');

/** The units CloudWatch accepts (StandardUnit). */
const UNITS = new Set([
  ...['Seconds', 'Microseconds', 'Milliseconds', 'Percent', 'Count', 'Count/Second', 'None'],
  ...['Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes'].flatMap((u) => [u, `${u}/Second`]),
  ...['Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits'].flatMap((u) => [u, `${u}/Second`]),
]);

/** The lines the scanner function writes for `documents`, through a logger at its quietest level. */
function logged(documents: readonly MetricDocument[]): Record<string, unknown>[] {
  const lines: string[] = [];
  const log = createLogger({ level: 'error', sink: (record) => lines.push(JSON.stringify(record)) });
  for (const document of documents) log.metrics('scan metrics', document);
  expect(lines).toHaveLength(documents.length);
  for (const line of lines) expect(line).not.toContain('\n');
  return lines.map((line) => JSON.parse(line));
}

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}
const directiveOf = (emf: Record<string, unknown>) =>
  (emf._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0]!;
const dimensionsOf = (emf: Record<string, unknown>) => directiveOf(emf).Dimensions[0]!.join('+');

/** Checks what CloudWatch requires of a document, and answers it. */
function valid(emf: Record<string, unknown>): Record<string, unknown> {
  const { CloudWatchMetrics, Timestamp } = emf._aws as { CloudWatchMetrics: Directive[]; Timestamp: number };
  expect(CloudWatchMetrics).toHaveLength(1);
  expect(typeof Timestamp).toBe('number');
  const [directive] = CloudWatchMetrics;
  expect(directive!.Namespace).toBe(METRIC_NAMESPACE);
  const declared = directive!.Metrics.map((m) => m.Name);
  const numeric = Object.keys(emf).filter((k) => k !== '_aws' && typeof emf[k] === 'number');
  expect(new Set(declared).size).toBe(declared.length);
  expect([...declared].sort()).toEqual([...numeric].sort());
  for (const metric of directive!.Metrics) expect(UNITS.has(metric.Unit)).toBe(true);
  // CloudWatch allows up to 30 dimensions a set; each one's value is a string at the top level.
  for (const dimension of directive!.Dimensions.flat()) expect(typeof emf[dimension]).toBe('string');
  return emf;
}

describe('scanMetrics: a scan as CloudWatch Embedded Metric Format lines', () => {
  const scan = scanReport(AT, {
    agents: 120,
    malformed: 2,
    opened: ['alert-1', 'alert-2', 'alert-3'],
    noticesSent: 4,
    noticesFailed: 1,
    durationMs: 840,
    blindWindowAdded: true,
    states: {
      new: 1,
      healthy: 100,
      late: 7,
      failed: 3,
      unreachable: 2,
      away: 0,
      maintenance: 4,
      pending: 5,
      rejected: 6,
    },
    groups: { production: { healthy: 60, failed: 3 }, staging: { healthy: 40, late: 7 }, strays: { new: 1 } },
    openAlerts: { production: { heartbeat_failure: 2, host_unreachable: 1 } },
    smsSpent: { production: 9 },
  });
  const tally = new NoticeTally();
  tally.count(['sms', 'email'], 'sent');
  tally.count(['email'], 'failed');
  const documents = logged(scanMetrics(scan, 'hbw-prod', ['production', 'staging', 'test'], tally.take()));
  const find = (dimensions: Record<string, string>) =>
    documents.filter(
      (d) =>
        Object.entries({ Stack: 'hbw-prod', ...dimensions }).every(([k, value]) => d[k] === value) &&
        dimensionsOf(d) === ['Stack', ...Object.keys(dimensions)].join('+'),
    );

  it('writes only documents CloudWatch accepts: every metric declared, with a unit it knows', () => {
    for (const document of documents) valid(document);
    expect(documents.every((d) => d.Stack === 'hbw-prod')).toBe(true);
  });

  it('reports the scan by stack: one scan completed, its duration, agents, alerts opened, notices, blind windows', () => {
    const [stack] = find({});
    expect(stack).toMatchObject({
      ScansCompleted: 1,
      ScanDuration: 840,
      AgentsScanned: 120,
      AlertsOpened: 3,
      NoticesSent: 4,
      NoticesFailed: 1,
      MalformedAgents: 2,
      BlindWindows: 1,
    });
    expect(Object.fromEntries(directiveOf(stack!).Metrics.map((m) => [m.Name, m.Unit]))).toMatchObject({
      ScansCompleted: 'Count',
      ScanDuration: 'Milliseconds',
    });
    for (const [state, name] of STATE_METRICS) expect(stack![name]).toBe(scan.states[state]);
  });

  it('reports every configured group, and any other the scan found, with its agents by state (zero where none)', () => {
    const groups = documents.filter((d) => dimensionsOf(d) === 'Stack+Group').map((d) => d.Group);
    expect(groups.sort()).toEqual(['production', 'staging', 'strays', 'test']);
    expect(find({ Group: 'production' })[0]).toMatchObject({
      AgentsHealthy: 60,
      AgentsFailed: 3,
      AgentsLate: 0,
    });
    expect(find({ Group: 'test' })[0]).toMatchObject({ AgentsHealthy: 0, OpenAlerts: 0 });
  });

  it('reports open alerts by group, and by group and kind for each kind with one open', () => {
    expect(find({ Group: 'production' })[0]).toMatchObject({ OpenAlerts: 3 });
    expect(find({ Group: 'staging' })[0]).toMatchObject({ OpenAlerts: 0 });
    const kinds = documents.filter((d) => dimensionsOf(d) === 'Stack+Group+Kind');
    expect(kinds.map((d) => [d.Group, d.Kind, d.OpenAlerts])).toEqual([
      ['production', 'heartbeat_failure', 2],
      ['production', 'host_unreachable', 1],
    ]);
  });

  it('reports the SMS spent today only for a group with a budget', () => {
    expect(find({ Group: 'production' })[0]).toMatchObject({ SmsSpentToday: 9 });
    expect(find({ Group: 'staging' })[0]).not.toHaveProperty('SmsSpentToday');
  });

  it('reports notices by channel, every channel present', () => {
    const channels = Object.fromEntries(
      documents
        .filter((d) => dimensionsOf(d) === 'Stack+Channel')
        .map((d) => [d.Channel, [d.NoticesSent, d.NoticesFailed]]),
    );
    expect(channels).toEqual({ sms: [1, 0], email: [1, 1], webhook: [0, 0], console: [0, 0] });
  });
});

describe('NoticeTally, fed by countedNotifier', () => {
  it('counts each notice by its channels and outcome, and starts again from zero once taken', async () => {
    const tally = new NoticeTally();
    let fail = false;
    const notifier = countedNotifier(
      {
        publish: async () => {
          if (fail) throw new NotifierError('the topic refused it', true);
        },
      },
      tally.count,
    );
    const notice = { channels: ['sms', 'email'] } as unknown as Notification;
    await notifier.publish(notice);
    fail = true;
    await expect(notifier.publish(notice)).rejects.toThrow('the topic refused it');

    expect(tally.take()).toEqual({
      sms: { sent: 1, failed: 1 },
      email: { sent: 1, failed: 1 },
      webhook: { sent: 0, failed: 0 },
      console: { sent: 0, failed: 0 },
    });
    expect(tally.take().sms).toEqual({ sent: 0, failed: 0 });
  });
});

describe('skippedScansMetrics', () => {
  it('writes the scans an invocation left out, by stack', () => {
    const [emf] = logged([skippedScansMetrics(AT, 'hbw-prod', 2)]);
    expect(valid(emf!)).toMatchObject({ Stack: 'hbw-prod', ScansSkipped: 2 });
  });
});

describe('HeartbeatCounts: heartbeats by status, from one ingest function instance', () => {
  /** Counts on a clock of the test's own (`advance`), with what they wrote. */
  function counted() {
    let now = AT;
    const written: MetricDocument[] = [];
    const counts = new HeartbeatCounts(
      'hbw-prod',
      (d) => written.push(d),
      () => now,
    );
    return {
      observe: counts.observe,
      written,
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('writes nothing within the minute, then one document per status with the counts of the minute', () => {
    const { observe, written, now, advance } = counted();
    for (const status of [200, 200, 401, 200]) observe(status);
    advance(HEARTBEAT_METRICS_EVERY_MS - 1);
    observe(400);
    expect(written).toHaveLength(0);

    advance(1);
    observe(200);

    const lines = logged(written).map(valid);
    expect(lines.map((d) => [d.Status, d.Heartbeats])).toEqual([
      ['200', 4],
      ['401', 1],
      ['400', 1],
    ]);
    expect(lines.every((d) => dimensionsOf(d) === 'Stack+Status' && d.Stack === 'hbw-prod')).toBe(true);
    expect((lines[0]!._aws as { Timestamp: number }).Timestamp).toBe(now());
  });

  it('counts afresh after each write', () => {
    const { observe, written, advance } = counted();
    advance(HEARTBEAT_METRICS_EVERY_MS);
    observe(200);
    advance(HEARTBEAT_METRICS_EVERY_MS);
    observe(200);

    expect(written.map((d) => d.Heartbeats)).toEqual([1, 1]);
  });
});
