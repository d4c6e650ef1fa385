import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsHealthProber, answerBatch } from '../adapters/aws-health-prober';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';

const prober = new AwsHealthProber({
  ec2: withoutSdkLogging(new EC2Client(SDK_CLIENT_CONFIG)),
  ssm: withoutSdkLogging(new SSMClient(SDK_CLIENT_CONFIG)),
});

/**
 * The AWS health prober: invoked by the scanner with a batch of ec2 and ssm targets, it asks EC2 and
 * Systems Manager in as few calls as their limits allow and answers a result per target, in order.
 * It runs outside any VPC (it needs AWS's endpoints, not the hosts).
 */
export const handler = (event: unknown) => answerBatch(prober, event);
