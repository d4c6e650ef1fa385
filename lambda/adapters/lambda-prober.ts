import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as v from 'valibot';
import type { Probe } from '../domain/agent';
import type { ProbeSettings } from '../domain/config';
import { MAX_PROBE_BATCH, type ProbeBatch, probeBatchAnswerSchema } from '../domain/probe-batch';
import type { ProbeResult, Prober } from '../ports';

export interface LambdaProberOptions {
  /** What the prober is called in the details of its results: "the prober of prod-vpc". */
  readonly name: string;
  /** The prober function's name or ARN. */
  readonly functionName: string;
  /** How long probes wait for others to join their invocation. @default 5 ms */
  readonly gatherMs?: number;
  /** The most targets an invocation carries. @default {@link MAX_PROBE_BATCH} */
  readonly maxBatch?: number;
  /** How long an invocation may take before its targets are unknown. @default 35 seconds (the function's 30, and its start) */
  readonly timeoutMs?: number;
}

interface Waiting<P extends Probe> {
  readonly target: ProbeBatch<P>['targets'][number];
  readonly resolve: (result: ProbeResult) => void;
}

/**
 * A probe network's prober, as the scanner sees it: the probes asked of it within `gatherMs` of each
 * other (the scanner probes many agents at once) go to the network's prober function in one
 * synchronous invocation, a batch of up to `maxBatch` targets, which answers a result per target. An
 * invocation that fails (an error, a timeout, a function error, an answer that is not one result per
 * target) makes every target in it `unknown`, never `down`: a broken prober says nothing of the hosts.
 */
export class LambdaProber<P extends Probe = Probe> implements Prober<P> {
  private waiting: Waiting<P>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LambdaClient,
    private readonly options: LambdaProberOptions,
  ) {}

  probe(target: P, settings: ProbeSettings): Promise<ProbeResult> {
    return new Promise((resolve) => {
      this.waiting.push({ target: { probe: target, settings: { ...settings } }, resolve });
      if (this.waiting.length >= (this.options.maxBatch ?? MAX_PROBE_BATCH)) this.send();
      else this.timer ??= setTimeout(() => this.send(), this.options.gatherMs ?? 5);
    });
  }

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    void this.invoke(batch.map((w) => w.target)).then((results) => {
      for (const [i, w] of batch.entries()) w.resolve(results[i]!);
    });
  }

  private async invoke(targets: ProbeBatch<P>['targets']): Promise<ProbeResult[]> {
    const unknown = (why: string): ProbeResult[] =>
      targets.map(() => ({ outcome: 'unknown', detail: `${this.options.name} failed: ${why}` }));
    let payload: unknown;
    try {
      const answer = await this.client.send(
        new InvokeCommand({
          FunctionName: this.options.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify({ targets } satisfies ProbeBatch<P>)),
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 35_000) },
      );
      const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
      if (answer.FunctionError) return unknown(`${answer.FunctionError} ${text}`.slice(0, 300));
      payload = JSON.parse(text);
    } catch (error) {
      return unknown(
        (error as Error).name === 'AbortError' ? 'no answer in time' : String(error).slice(0, 300),
      );
    }
    const parsed = v.safeParse(probeBatchAnswerSchema, payload);
    if (!parsed.success || parsed.output.results.length !== targets.length)
      return unknown('its answer is not one result per target');
    return parsed.output.results;
  }
}
