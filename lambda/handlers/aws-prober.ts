import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsHealthProber, answerBatch, type FailedCall } from '../adapters/aws-health-prober';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { awsProberEnv } from './env';
import { failedAwsCallsMetrics } from './metrics';

const { stack, log } = awsProberEnv(process.env);
const prober = new AwsHealthProber({
  ec2: withoutSdkLogging(new EC2Client(SDK_CLIENT_CONFIG)),
  ssm: withoutSdkLogging(new SSMClient(SDK_CLIENT_CONFIG)),
});

/**
 * Calls that failed leave their ids unknown from an invocation that succeeds: each batch with any says
 * which in a warning, and counts them in the metric the AwsProberErrors alarm pages on.
 */
function reportFailedCalls(calls: readonly FailedCall[]): void {
  log.warn('EC2 or Systems Manager calls failed: their instances are unknown', { calls });
  log.metrics('aws probe metrics', failedAwsCallsMetrics(Date.now(), stack, calls));
}

/**
 * The AWS health prober: invoked by the scanner with a batch of ec2 and ssm targets, it asks EC2 and
 * Systems Manager in as few calls as their limits allow and answers a result per target, in order.
 * It runs outside any VPC (it needs AWS's endpoints, not the hosts).
 */
export const handler = (event: unknown) => answerBatch(prober, event, reportFailedCalls);
