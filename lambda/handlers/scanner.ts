import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeNotifier } from '../adapters/eventbridge-notifier';
import { FanOutNotifier } from '../adapters/fan-out-notifier';
import { NetProber } from '../adapters/net-prober';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { SnsNotifier } from '../adapters/sns-notifier';
import { cronProblems } from '../domain/maintenance';
import { scanTickSeconds } from '../domain/scan';
import { runScanMinute } from '../scan-minute';
import { Scanner } from '../scanner';
import { scannerEnv } from './env';
import { scanMetrics } from './metrics';
import { LAMBDA_CLIENT_CONFIG } from './sdk-config';
import { wiredStores } from './wiring';

const { tables, config, stack, topics, webhookBus, log } = scannerEnv(process.env, cronProblems);
const sns = new SnsNotifier(withoutSdkLogging(new SNSClient(LAMBDA_CLIENT_CONFIG)), topics);
const scanner = new Scanner({
  ...wiredStores(tables, withoutSdkLogging(new DynamoDBClient(LAMBDA_CLIENT_CONFIG)), log),
  // The webhooks' notices go on the event bus, whose rules and API destinations deliver them.
  notifier:
    webhookBus === undefined
      ? sns
      : new FanOutNotifier([
          sns,
          new EventBridgeNotifier(
            withoutSdkLogging(new EventBridgeClient(LAMBDA_CLIENT_CONFIG)),
            webhookBus,
            config,
          ),
        ]),
  prober: new NetProber(),
  clock: { now: () => Date.now() },
  config,
  log,
});

/** The scanner Lambda: invoked each minute by EventBridge; runs that minute's scans at their offsets. */
export async function handler(event: { time?: string }): Promise<{ scans: number }> {
  const invokedAt = event.time ? Date.parse(event.time) : Date.now();
  let failures = 0;
  const reports = await runScanMinute(
    {
      scanner,
      tickSeconds: scanTickSeconds(config),
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      completed: (report) => log.metrics('scan metrics', scanMetrics(report, stack)),
      failed: (error) => {
        failures += 1;
        log.error('scan failed; the next one runs as usual', { error: String(error) });
      },
    },
    Number.isFinite(invokedAt) ? invokedAt : Date.now(),
  );
  // Every scan of the minute failed: fail the invocation, so the scanner-errors alarm sees it.
  if (failures > 0 && reports.length === 0) {
    throw new Error('every scan of this minute failed; see the log lines above');
  }
  return { scans: reports.length };
}
