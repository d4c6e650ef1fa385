import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { countedNotifier } from '../adapters/counted-notifier';
import { EventBridgeNotifier } from '../adapters/eventbridge-notifier';
import { FanOutNotifier } from '../adapters/fan-out-notifier';
import { LambdaProber } from '../adapters/lambda-prober';
import { NetProber } from '../adapters/net-prober';
import { ProbeRouter } from '../adapters/probe-router';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { SnsNotifier } from '../adapters/sns-notifier';
import { scanTickSeconds } from '../domain/heartbeat-settings';
import { cronProblems } from '../domain/maintenance';
import { runScanMinute } from '../scan-minute';
import { Scanner } from '../scanner';
import { type MetricDocument, NoticeTally, scanMetrics, skippedScansMetrics } from './metrics';
import { scannerEnv } from './service-env';
import { wiredStores } from './wiring';

const { tables, config, stack, topics, webhookBus, probers, awsProber, log } = scannerEnv(
  process.env,
  cronProblems,
);
// The probes of a probe network go to its prober function, attached to the network's subnets; the
// ec2 and ssm probes go to the AWS health prober, which asks EC2 and Systems Manager.
const lambda = withoutSdkLogging(new LambdaClient(SDK_CLIENT_CONFIG));
const networkProbers = Object.fromEntries(
  Object.entries(probers).map(([network, functionName]) => [
    network,
    new LambdaProber(lambda, { name: `the prober of ${network}`, functionName }),
  ]),
);
const notices = new NoticeTally();
const groups = Object.keys(config.groups);
const writeMetrics = (document: MetricDocument) => log.metrics('scan metrics', document);
const sns = new SnsNotifier(withoutSdkLogging(new SNSClient(SDK_CLIENT_CONFIG)), topics);
const scanner = new Scanner({
  ...wiredStores(tables, withoutSdkLogging(new DynamoDBClient(SDK_CLIENT_CONFIG)), log),
  // The webhooks' notices go on the event bus, whose rules and API destinations deliver them.
  notifier: countedNotifier(
    webhookBus === undefined
      ? sns
      : new FanOutNotifier([
          { channels: ['sms', 'email'], notifier: sns },
          {
            channels: ['webhook'],
            notifier: new EventBridgeNotifier(
              withoutSdkLogging(new EventBridgeClient(SDK_CLIENT_CONFIG)),
              webhookBus,
              config,
            ),
          },
        ]),
    notices.count,
  ),
  prober: new ProbeRouter(new NetProber(), {
    kind: 'cloud',
    probers: networkProbers,
    aws: new LambdaProber(lambda, { name: 'the AWS health prober', functionName: awsProber }),
  }),
  clock: { now: () => Date.now() },
  config,
  log,
});

/** The scanner Lambda: invoked each minute by EventBridge; runs that minute's scans at their offsets. */
export async function handler(event: { time?: string }): Promise<{ scans: number }> {
  const invokedAt = event.time ? Date.parse(event.time) : Date.now();
  let failures = 0;
  let skipped = 0;
  const reports = await runScanMinute(
    {
      scanner,
      tickSeconds: scanTickSeconds(config),
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      completed: (report) => scanMetrics(report, stack, groups, notices.take()).forEach(writeMetrics),
      skipped: () => {
        skipped += 1;
      },
      failed: (error) => {
        failures += 1;
        log.error('scan failed; the next one runs as usual', { error: String(error) });
      },
    },
    Number.isFinite(invokedAt) ? invokedAt : Date.now(),
  );
  writeMetrics(skippedScansMetrics(Date.now(), stack, skipped));
  // Every scan of the minute failed: fail the invocation, so the scanner-errors alarm sees it.
  if (failures > 0 && reports.length === 0) {
    throw new Error('every scan of this minute failed; see the log lines above');
  }
  return { scans: reports.length };
}
