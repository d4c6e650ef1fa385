import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsHealthProber } from '../adapters/aws-health-prober';
import { SDK_CLIENT_CONFIG } from '../adapters/sdk-config';
import { withoutSdkLogging } from '../adapters/sdk-logging';
import { awsProbeBatchSchema, type ProbeBatchAnswer } from '../domain/probe-batch';
import { checkInput, describeProblems } from '../domain/validation';

const prober = new AwsHealthProber({
  ec2: withoutSdkLogging(new EC2Client(SDK_CLIENT_CONFIG)),
  ssm: withoutSdkLogging(new SSMClient(SDK_CLIENT_CONFIG)),
});

/**
 * The AWS health prober: invoked by the scanner with a batch of ec2 and ssm targets, it asks EC2 and
 * Systems Manager in as few calls as their limits allow and answers a result per target, in order.
 * It runs outside any VPC (it needs AWS's endpoints, not the hosts). A bad event fails the
 * invocation, naming the field: the scanner then knows nothing of those targets (unknown).
 */
export async function handler(event: unknown): Promise<ProbeBatchAnswer> {
  const checked = checkInput(awsProbeBatchSchema, event, { subject: 'event' });
  if (!checked.ok) throw new Error(describeProblems(checked.problems));
  return { results: await prober.probeAll(checked.output.targets.map((t) => t.probe)) };
}
