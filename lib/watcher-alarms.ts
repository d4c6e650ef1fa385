import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNELS } from '../lambda/domain/config';
import { AWS_PROBE_CALLS_FAILED, METRIC_NAMESPACE, STATE_METRICS } from '../lambda/handlers/metrics';

export interface WatcherAlarmsProps {
  readonly stackName: string;
  readonly api: apigw.HttpApi;
  readonly ingest: lambda.IFunction;
  readonly scanner: lambda.IFunction;
  /** The functions the scanner asks to probe: each probe network's prober, by network, and the AWS health prober. */
  readonly probers: {
    readonly byNetwork: Readonly<Record<string, lambda.IFunction>>;
    readonly aws: lambda.IFunction;
  };
  readonly tables: readonly dynamodb.Table[];
  /** Where the alarms page, and say OK again: a topic of their own, apart from every group's. */
  readonly alarmTopic: sns.ITopic;
  /** The configured groups, each with a graph of its own; `smsBudget`: it has one. */
  readonly groups: readonly { readonly name: string; readonly smsBudget: boolean }[];
  /** The webhooks' dead-letter queue, when the config has webhooks: a notice in it never reached its webhook. */
  readonly webhookDeadLetters?: sqs.IQueue;
}

const DYNAMO_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.SCAN,
];

/** The watcher's own metrics of the stack `stackName`: one by name, and every one of a name by search. */
function watcherMetrics(stackName: string) {
  const watcherMetric = (name: string, statistic = 'Sum', dimensions: Record<string, string> = {}) =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { Stack: stackName, ...dimensions },
      statistic,
      period: Duration.minutes(1),
    });
  /** Every metric `name` with the dimensions `keys` of this stack, whatever their values. */
  const searched = (label: string, name: string, keys: readonly string[], statistic: string) =>
    new cloudwatch.MathExpression({
      label,
      expression: `SEARCH('{${METRIC_NAMESPACE},${['Stack', ...keys].join(',')}} MetricName="${name}" Stack="${stackName}"', '${statistic}', 60)`,
      usingMetrics: {},
      period: Duration.minutes(1),
    });
  return { watcherMetric, searched };
}

type WatcherMetrics = ReturnType<typeof watcherMetrics>;

/**
 * A prober's failed invocations a minute: its Errors and its Throttles, summed. The scanner invokes a
 * prober synchronously, and a throttled invocation is refused before the function runs: Lambda counts
 * it in Throttles, never in Errors, yet once the SDK's retries give up it leaves the batch's probes
 * unknown just as an error does (and one the retries get past still says the account's concurrency
 * ran out, as IngestThrottles pages on). So both are the one failure and page as one alarm, not two.
 * `failedCalls`, where given, is a third kind of the same failure (the AWS health prober's calls that
 * failed inside an invocation that did not). FILL: a minute with one and not the others still counts.
 */
function proberFailures(
  prober: lambda.IFunction,
  failedCalls?: cloudwatch.IMetric,
): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {
    errors: prober.metricErrors({ period: Duration.minutes(1) }),
    throttles: prober.metricThrottles({ period: Duration.minutes(1) }),
    ...(failedCalls && { calls: failedCalls }),
  };
  return new cloudwatch.MathExpression({
    label: failedCalls ? 'Errors, throttles and failed AWS calls' : 'Errors and throttles',
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    period: Duration.minutes(1),
  });
}

/** One dashboard row a group: its agents by state. */
function groupRows(
  groups: WatcherAlarmsProps['groups'],
  { watcherMetric }: Pick<WatcherMetrics, 'watcherMetric'>,
) {
  return groups.map(({ name }) => [
    new cloudwatch.GraphWidget({
      title: `Agents by state: ${name}`,
      width: 24,
      left: STATE_METRICS.map(([state, metric]) =>
        watcherMetric(metric, 'Maximum', { Group: name }).with({ label: state }),
      ),
      stacked: true,
    }),
  ]);
}

/**
 * Watching the watcher: alarms that page when the scanner errors, when scans stop, when a prober
 * fails, when ingest answers 5xx, and when DynamoDB or the ingest function throttle; and a dashboard.
 */
export class WatcherAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: WatcherAlarmsProps) {
    super(scope, id);
    const metrics = watcherMetrics(props.stackName);
    this.alarmOnFailures(props, metrics);
    this.dashboard(props, metrics);
  }

  /** The alarms, each sent to the alarm topic when it fires and when it clears. */
  private alarmOnFailures(props: WatcherAlarmsProps, { watcherMetric }: WatcherMetrics): void {
    this.alarm('ScannerErrors', 'The scanner Lambda failed: scans may be missing', {
      metric: props.scanner.metricErrors({ period: Duration.minutes(1) }),
      threshold: 1,
    });
    this.alarmOnProbers(props.probers, watcherMetric(AWS_PROBE_CALLS_FAILED));
    this.alarm('ScansStopped', 'No scan completed for 3 minutes: the watcher is blind', {
      metric: watcherMetric('ScansCompleted').with({ period: Duration.minutes(3) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm('Ingest5xx', 'The heartbeat API answered 5xx: agents may be refused', {
      metric: props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
    });
    this.alarm('IngestThrottles', 'The ingest function was throttled: heartbeats were refused', {
      metric: props.ingest.metricThrottles({ period: Duration.minutes(5) }),
      threshold: 1,
    });
    props.tables.forEach((table, i) => {
      this.alarm(`DynamoThrottles${i}`, `DynamoDB throttled requests on ${table.node.id}`, {
        metric: table.metricThrottledRequestsForOperations({
          operations: DYNAMO_OPERATIONS,
          period: Duration.minutes(5),
        }),
        threshold: 1,
      });
    });
    if (props.webhookDeadLetters)
      this.alarm(
        'WebhookDeadLetters',
        'A webhook notice failed every retry and is in the dead-letter queue',
        {
          metric: props.webhookDeadLetters.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
          }),
          threshold: 1,
        },
      );
    const action = new SnsAction(props.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /**
   * An alarm per prober, for the failures of {@link proberFailures}: a failed prober leaves the probes
   * of silent hosts unknown, so no host_unreachable alert can open. As ScannerErrors: one failure in a
   * minute pages. A prober is invoked only while a host with a probe is silent, so a minute without
   * data is the usual idle one, not breaching. The AWS health prober answers a failed EC2 or SSM call
   * as unknown from an invocation that succeeds, so its alarm also counts `awsCallsFailed`, the metric
   * it writes of them.
   */
  private alarmOnProbers(probers: WatcherAlarmsProps['probers'], awsCallsFailed: cloudwatch.IMetric): void {
    for (const [network, prober] of Object.entries(probers.byNetwork)) {
      this.alarm(
        `ProberErrors-${network}`,
        `The prober of probe network ${network} failed or was throttled: its probes are unknown, no host_unreachable alert can open`,
        { metric: proberFailures(prober), threshold: 1 },
      );
    }
    this.alarm(
      'AwsProberErrors',
      'The AWS health prober failed, was throttled, or had EC2 or Systems Manager calls fail: ec2 and ssm probes are unknown, no host_unreachable alert can open',
      { metric: proberFailures(probers.aws, awsCallsFailed), threshold: 1 },
    );
  }

  /** The dashboard: the fleet, the scans, the alerts and notices, and each group's agents by state. */
  private dashboard(props: WatcherAlarmsProps, { watcherMetric, searched }: WatcherMetrics): void {
    const budgeted = props.groups.filter((g) => g.smsBudget);
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.stackName}-watcher`.replace(/[^A-Za-z0-9_-]/g, '-'),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Heartbeat requests per minute',
            left: [props.ingest.metricInvocations({ period: Duration.minutes(1) })],
          }),
          new cloudwatch.GraphWidget({
            title: 'Agents by state',
            left: STATE_METRICS.map(([, name]) => watcherMetric(name, 'Maximum')),
            stacked: true,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Scan duration (ms)',
            left: [watcherMetric('ScanDuration', 'Maximum'), watcherMetric('ScanDuration', 'Average')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Alerts opened and notices sent',
            left: [
              watcherMetric('AlertsOpened'),
              watcherMetric('NoticesSent'),
              watcherMetric('NoticesFailed'),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Heartbeats by status',
            left: [searched('Heartbeats', 'Heartbeats', ['Status'], 'Sum')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Notices by channel',
            left: CHANNELS.flatMap((channel) => [
              watcherMetric('NoticesSent', 'Sum', { Channel: channel }).with({ label: `${channel} sent` }),
              watcherMetric('NoticesFailed', 'Sum', { Channel: channel }).with({
                label: `${channel} failed`,
              }),
            ]),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Open alerts by group',
            left: props.groups.map(({ name }) =>
              watcherMetric('OpenAlerts', 'Maximum', { Group: name }).with({ label: name }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Open alerts by group and kind',
            left: [searched('Open alerts', 'OpenAlerts', ['Group', 'Kind'], 'Maximum')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Scans skipped and blind windows',
            left: [watcherMetric('ScansSkipped'), watcherMetric('BlindWindows')],
          }),
          // A graph needs a metric: a fleet with no SMS budget has no such graph.
          ...(budgeted.length === 0
            ? []
            : [
                new cloudwatch.GraphWidget({
                  title: 'SMS spent today',
                  left: budgeted.map(({ name }) =>
                    watcherMetric('SmsSpentToday', 'Maximum', { Group: name }).with({ label: name }),
                  ),
                }),
              ]),
        ],
        ...groupRows(props.groups, { watcherMetric }),
      ],
    });
  }

  private alarm(
    id: string,
    description: string,
    props: Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'comparisonOperator' | 'treatMissingData'>,
  ) {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    this.alarms.push(alarm);
  }
}
