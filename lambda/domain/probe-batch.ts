import * as v from 'valibot';
import { probeSchema } from './requests';
import { wholeNumber } from './validation';

// What the scanner sends a probe network's prober function, and what it answers: a batch of targets,
// a result per target, in the same order.

/** The most targets one invocation carries (the scanner's coalesced probes of one moment). */
export const MAX_PROBE_BATCH = 100;

export const probeBatchSchema = v.strictObject({
  targets: v.pipe(
    v.array(
      v.strictObject({
        probe: probeSchema,
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
export type ProbeBatch = v.InferOutput<typeof probeBatchSchema>;

/** The prober's answer: whether each target's host answered; it never says unknown, the scanner does. */
export const probeBatchAnswerSchema = v.strictObject({
  results: v.array(
    v.strictObject({
      outcome: v.picklist(['up', 'down'], 'must be up or down'),
      detail: v.pipe(v.string('must be a string'), v.maxLength(1_000, 'must be at most 1000 characters')),
    }),
    'must be a list of results',
  ),
});
export type ProbeBatchAnswer = v.InferOutput<typeof probeBatchAnswerSchema>;
