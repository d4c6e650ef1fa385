import { describeProbe, type Probe } from '../../lambda/domain/agent';
import type { ProbeBatch } from '../../lambda/domain/probe-batch';
import { lambdaStandIn as standIn } from '../support/lambda-stand-in';

const SETTINGS = { attempts: 1, timeoutMs: 500, intervalMs: 0 };

const tcp = (host: string): Probe => ({ type: 'tcp', host, port: 22 });
const hostOf = (t: ProbeBatch['targets'][number]) =>
  t.probe.type === 'tcp' ? t.probe.host : describeProbe(t.probe);

describe('LambdaProber', () => {
  let stand: Awaited<ReturnType<typeof standIn>> | undefined;
  afterEach(async () => {
    await stand?.close();
    stand = undefined;
  });

  it('sends the probes asked at once in one invocation and gives each its own result', async () => {
    stand = await standIn((batch) => ({
      body: JSON.stringify({
        results: batch.targets.map((t) => ({
          outcome: hostOf(t).startsWith('up') ? 'up' : 'down',
          detail: `tcp ${hostOf(t)}:22`,
        })),
      }),
    }));
    const prober = stand.prober();

    const results = await Promise.all(
      ['up-1', 'down-1', 'up-2'].map((host) => prober.probe(tcp(host), SETTINGS)),
    );

    expect(results).toEqual([
      { outcome: 'up', detail: 'tcp up-1:22' },
      { outcome: 'down', detail: 'tcp down-1:22' },
      { outcome: 'up', detail: 'tcp up-2:22' },
    ]);
    expect(stand.invocations).toHaveLength(1);
    expect(stand.invocations[0]!.path).toBe('/2015-03-31/functions/hbw-prober-prod-vpc/invocations');
    expect(stand.invocations[0]!.batch.targets).toEqual(
      ['up-1', 'down-1', 'up-2'].map((host) => ({ probe: tcp(host), settings: SETTINGS })),
    );
  });

  it('splits more probes than a batch holds into several invocations', async () => {
    stand = await standIn((batch) => ({
      body: JSON.stringify({ results: batch.targets.map(() => ({ outcome: 'up', detail: 'answered' })) }),
    }));
    const prober = stand.prober();

    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => prober.probe(tcp(`h-${i}`), SETTINGS)),
    );

    expect(results.every((r) => r.outcome === 'up')).toBe(true);
    expect(stand.invocations.map((i) => i.batch.targets.length)).toEqual([100, 50]);
  });

  it('answers unknown for every target when the function fails (FunctionError)', async () => {
    stand = await standIn(() => ({
      headers: { 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify({
        errorType: 'Error',
        errorMessage: 'event.targets: must hold at least one target',
      }),
    }));
    const prober = stand.prober();

    const results = await Promise.all([prober.probe(tcp('a'), SETTINGS), prober.probe(tcp('b'), SETTINGS)]);

    expect(results.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
    expect(results[0]!.detail).toContain('the prober of prod-vpc failed: Unhandled');
  });

  it('answers unknown when Lambda refuses the invocation', async () => {
    stand = await standIn(() => ({
      status: 403,
      headers: { 'x-amzn-errortype': 'AccessDeniedException' },
      body: JSON.stringify({ message: 'not authorized to perform lambda:InvokeFunction' }),
    }));

    const result = await stand.prober().probe(tcp('a'), SETTINGS);

    expect(result.outcome).toBe('unknown');
    expect(result.detail).toContain('the prober of prod-vpc failed');
  });

  it('answers unknown when the function answers something other than a result per target', async () => {
    stand = await standIn(() => ({ body: JSON.stringify({ results: [] }) }));

    const result = await stand.prober().probe(tcp('a'), SETTINGS);

    expect(result).toEqual({
      outcome: 'unknown',
      detail: 'the prober of prod-vpc failed: its answer is not one result per target',
    });
  });

  it('answers unknown when the invocation does not answer in time', async () => {
    stand = await standIn(() => undefined);

    const result = await stand.prober(100).probe(tcp('a'), SETTINGS);

    expect(result).toEqual({
      outcome: 'unknown',
      detail: 'the prober of prod-vpc failed: no answer in time',
    });
  });
});
