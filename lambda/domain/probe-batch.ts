import * as v from 'valibot';
import type { Probe } from './agent';
import type { ProbeSettings } from './config';
import { awsProbeSchema, netProbeSchema } from './requests';
import { wholeNumber } from './validation';

// What the scanner sends a prober function, and what it answers: a batch of targets, a result per
// target, in the same order. A probe network's prober takes TCP and HTTP targets; the AWS health
// prober takes EC2 and SSM ones.

/** The most targets one invocation carries (the scanner's coalesced probes of one moment). */
export const MAX_PROBE_BATCH = 100;

/** A batch whose targets' probes are of `probe`'s kinds. */
function probeBatchOf<P extends typeof netProbeSchema | typeof awsProbeSchema>(probe: P) {
  return v.strictObject({
    targets: v.pipe(
      v.array(
        v.strictObject({
          probe,
          settings: v.strictObject({
            attempts: wholeNumber(1, 10, ''),
            timeoutMs: wholeNumber(50, 30_000, ' ms'),
            intervalMs: wholeNumber(0, 30_000, ' ms'),
          }),
        }),
        'must be a list of targets',
      ),
      v.minLength(1, 'must hold at least one target'),
      v.maxLength(MAX_PROBE_BATCH, `must hold at most ${MAX_PROBE_BATCH} targets`),
    ),
  });
}

/** What a probe network's prober is sent. */
export const netProbeBatchSchema = probeBatchOf(netProbeSchema);
/** What the AWS health prober is sent. */
export const awsProbeBatchSchema = probeBatchOf(awsProbeSchema);

/** A batch as the scanner sends it, of either prober's probes. */
export interface ProbeBatch<P extends Probe = Probe> {
  readonly targets: readonly { readonly probe: P; readonly settings: ProbeSettings }[];
}

/**
 * A prober's answer. A probe network's prober says only whether each host answered (up or down); the
 * AWS health prober also says unknown, for a target AWS would not describe (a failed or throttled
 * call, an instance it does not know). The scanner adds unknown for an invocation that failed.
 */
export const probeBatchAnswerSchema = v.strictObject({
  results: v.array(
    v.strictObject({
      outcome: v.picklist(['up', 'down', 'unknown'], 'must be up, down or unknown'),
      detail: v.pipe(v.string('must be a string'), v.maxLength(1_000, 'must be at most 1000 characters')),
    }),
    'must be a list of results',
  ),
});
export type ProbeBatchAnswer = v.InferOutput<typeof probeBatchAnswerSchema>;
