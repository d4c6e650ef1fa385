import { ProbeRouter } from '../../lambda/adapters/probe-router';
import { awsProberChain, type Ec2Instance, type StandInError } from '../support/aws-stand-ins';
import { scannerHarnesses } from '../support/scanner-harness';

// ec2 probes as the cloud runs them: the scanner's router sends them to the AWS health prober
// function (its handler's answer behind a stand-in for Lambda's Invoke API), which asks EC2 (a
// stand-in too); each client is pointed at its stand-in by the endpoint variable the SDK reads
// (test/support/aws-stand-ins.ts).

const STOPPED = 'i-00000000000000001';
const RUNNING = 'i-00000000000000002';
const IMPAIRED = 'i-00000000000000003';

describe('agents probed through AWS', () => {
  const harness = scannerHarnesses();
  let closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.map((c) => c()));
    closers = [];
  });

  /** The chain scanner → Lambda → AWS health prober → EC2, over `instances`. */
  async function throughAws(
    instances: ReadonlyMap<string, Ec2Instance>,
    ec2Fail?: () => StandInError | undefined,
  ) {
    // A gather window wide enough that a busy machine cannot split one scan's probes: the scanner
    // asks them as its segments' pages come, which on a loaded CI runner can be more than the
    // default 5 ms apart (one scan's three probes once went out in two invocations).
    const chain = await awsProberChain(instances, { ec2Fail, gatherMs: 500 });
    closers.push(chain.close);
    return chain;
  }

  const late = async (h: Awaited<ReturnType<typeof harness>>, scanner: { scan(): Promise<unknown> }) => {
    const kinds: string[][] = [];
    for (let scan = 1; scan <= 3; scan++) {
      h.clock.advance(h.intervalMs);
      await scanner.scan();
      kinds.push((await h.alerts()).map((a) => `${a.agentId} ${a.kind}`).sort());
    }
    return kinds;
  };

  it('pages a stopped or impaired instance host down at once, and gives a healthy one the full window', async () => {
    const h = await harness();
    const { ec2, lambda, aws } = await throughAws(
      new Map([
        [STOPPED, { state: 'stopped' }],
        [RUNNING, { state: 'running', system: 'ok', instance: 'ok' }],
        [IMPAIRED, { state: 'running', system: 'impaired', instance: 'ok' }],
      ]),
    );
    const scanner = h.otherScanner({
      prober: new ProbeRouter(h.prober, { kind: 'cloud', probers: {}, aws }),
    });
    for (const [agent, instanceId] of [
      ['web-01', STOPPED],
      ['web-02', RUNNING],
      ['web-03', IMPAIRED],
    ] as const)
      await h.addAgent(agent, 'production', { probe: { type: 'ec2', instanceId } });
    await h.beat('web-01', 'web-02', 'web-03');
    await scanner.scan();

    expect(await late(h, scanner)).toEqual([
      ['web-01 host_unreachable', 'web-03 host_unreachable'],
      ['web-01 host_unreachable', 'web-03 host_unreachable'],
      ['web-01 host_unreachable', 'web-02 heartbeat_failure', 'web-03 host_unreachable'],
    ]);
    const unreachable = (await h.alerts()).find((a) => a.agentId === 'web-01')!;
    expect(JSON.stringify(unreachable)).toContain(`ec2 ${STOPPED}: stopped`);
    // The three probes of a scan went in one invocation, and EC2 was asked once for them.
    expect(lambda.invocations[0]!.batch.targets).toHaveLength(3);
    expect(ec2.calls[0]!.ids).toHaveLength(3);
    expect(h.prober.calls).toEqual([]);
  });

  it('never pages host down when EC2 throttles: the usual heartbeat failure comes at the threshold', async () => {
    const h = await harness();
    const { ec2, aws } = await throughAws(new Map([[STOPPED, { state: 'stopped' }]]), () => ({
      status: 503,
      code: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
    }));
    const scanner = h.otherScanner({
      prober: new ProbeRouter(h.prober, { kind: 'cloud', probers: {}, aws }),
    });
    await h.addAgent('web-01', 'production', { probe: { type: 'ec2', instanceId: STOPPED } });
    await h.beat('web-01');
    await scanner.scan();

    expect(await late(h, scanner)).toEqual([[], [], ['web-01 heartbeat_failure']]);
    // EC2 was asked, and refused: three attempts (the SDK's retries) in each of the three late scans.
    expect(ec2.calls).toHaveLength(9);
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['heartbeat_failure']);
  });
});
