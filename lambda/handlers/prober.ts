import { NetProber } from '../adapters/net-prober';
import { netProbeBatchSchema, type ProbeBatchAnswer } from '../domain/probe-batch';
import { checkInput, describeProblems } from '../domain/validation';

const net = new NetProber();

/**
 * A probe network's prober: attached to that network's subnets, invoked by the scanner with a batch
 * of TCP and HTTP targets, it probes them all at once and answers a result per target, in order. It
 * calls no AWS API. A bad event fails the invocation, naming the field: the scanner then knows
 * nothing of those targets (unknown), which is the truth.
 */
export async function handler(event: unknown): Promise<ProbeBatchAnswer> {
  const checked = checkInput(netProbeBatchSchema, event, { subject: 'event' });
  if (!checked.ok) throw new Error(describeProblems(checked.problems));
  const results = await Promise.all(
    checked.output.targets.map(async ({ probe, settings }) => {
      const { outcome, detail } = await net.probe(probe, settings);
      return { outcome: outcome === 'up' ? ('up' as const) : ('down' as const), detail };
    }),
  );
  return { results };
}
