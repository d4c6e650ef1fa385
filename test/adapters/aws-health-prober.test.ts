import type { FailedCall } from '../../lambda/adapters/aws-health-prober';
import type { AwsProbe } from '../../lambda/domain/agent';
import {
  awsHealthOverStandIns,
  type Ec2Instance,
  type SsmNode,
  type StandInOptions,
} from '../support/aws-stand-ins';

// The AWS health prober through the real EC2 and SSM clients, pointed at local stand-ins by the
// endpoint variables the SDK reads (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_SSM), as a deployed
// function's are pointed at AWS by its region.

const ec2 = (instanceId: string): AwsProbe => ({ type: 'ec2', instanceId });
const ssm = (instanceId: string): AwsProbe => ({ type: 'ssm', instanceId });
/** A 17-digit instance id from a number. */
const id = (n: number, prefix = 'i-') => `${prefix}${n.toString(16).padStart(17, '0')}`;

const OK: Ec2Instance = { state: 'running', system: 'ok', instance: 'ok' };
const THROTTLED = { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' };

let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function prober(
  instances: ReadonlyMap<string, Ec2Instance>,
  nodes: ReadonlyMap<string, SsmNode>,
  options: Omit<StandInOptions, 'nodes'> = {},
) {
  const stands = await awsHealthOverStandIns(instances, { ...options, nodes });
  closers.push(stands.close);
  return { health: stands.health, ec2Calls: stands.ec2.calls, ssmCalls: stands.ssm.calls };
}

describe('AwsHealthProber over EC2', () => {
  it('calls a host up only when it runs with both status checks ok, and says what EC2 said', async () => {
    const { health, ec2Calls } = await prober(
      new Map([
        [id(1), OK],
        [id(2), { state: 'stopped' }],
        [id(3), { state: 'running', system: 'impaired', instance: 'ok' }],
        [id(4), { state: 'running', system: 'impaired', instance: 'impaired' }],
        [id(5), { state: 'running', system: 'initializing', instance: 'initializing' }],
      ]),
      new Map(),
    );

    const results = await health.probeAll([1, 2, 3, 4, 5].map((n) => ec2(id(n))));

    expect(results).toEqual([
      { outcome: 'up', detail: `ec2 ${id(1)}: running, status checks ok` },
      { outcome: 'down', detail: `ec2 ${id(2)}: stopped` },
      { outcome: 'down', detail: `ec2 ${id(3)}: system status impaired` },
      { outcome: 'down', detail: `ec2 ${id(4)}: system and instance status impaired` },
      {
        outcome: 'unknown',
        detail: `ec2 ${id(5)}: running, system status initializing, instance status initializing`,
      },
    ]);
    // One call for the batch, asking for every state: without IncludeAllInstances a stopped instance is left out.
    expect(ec2Calls).toEqual([{ ids: [1, 2, 3, 4, 5].map((n) => id(n)), includeAll: true }]);
  });

  it('asks at most 100 ids a call, each id once, and follows the pages of an answer', async () => {
    const ids = Array.from({ length: 150 }, (_, n) => id(n + 1));
    const { health, ec2Calls } = await prober(new Map(ids.map((i) => [i, OK])), new Map(), {
      ec2PageSize: 40,
    });

    const results = await health.probeAll([...ids, ids[0]!].map(ec2));

    expect(results.every((r) => r.outcome === 'up')).toBe(true);
    expect(results).toHaveLength(151);
    const firstCalls = ec2Calls.filter((c) => c.nextToken === undefined);
    expect(firstCalls.map((c) => c.ids.length).sort()).toEqual([100, 50].sort());
    // 100 ids in pages of 40 and 50 in pages of 40: 3 + 2 pages.
    expect(ec2Calls).toHaveLength(5);
  });

  it('answers unknown for an id EC2 does not know, and judges the rest of its call, which did not fail', async () => {
    const { health, ec2Calls } = await prober(new Map([[id(1), OK]]), new Map());
    const failed: FailedCall[] = [];

    const results = await health.probeAll([ec2(id(1)), ec2(id(9)), ec2('i-0000abcd')], (call) =>
      failed.push(call),
    );

    expect(results).toEqual([
      { outcome: 'up', detail: `ec2 ${id(1)}: running, status checks ok` },
      {
        outcome: 'unknown',
        detail: `ec2 ${id(9)}: EC2 knows no such instance (a wrong id, or terminated long ago)`,
      },
      {
        outcome: 'unknown',
        detail: 'ec2 i-0000abcd: EC2 knows no such instance (a wrong id, or terminated long ago)',
      },
    ]);
    expect(ec2Calls.map((c) => c.ids)).toEqual([[id(1), id(9), 'i-0000abcd'], [id(1)]]);
    expect(failed).toEqual([]);
  });

  it('answers unknown, never down, when EC2 throttles past the SDK retries', async () => {
    const { health, ec2Calls } = await prober(new Map([[id(1), { state: 'stopped' }]]), new Map(), {
      ec2Fail: () => THROTTLED,
    });

    const failed: FailedCall[] = [];
    expect(await health.probeAll([ec2(id(1)), ec2(id(2))], (call) => failed.push(call))).toEqual([
      { outcome: 'unknown', detail: `ec2 ${id(1)}: DescribeInstanceStatus failed (RequestLimitExceeded)` },
      { outcome: 'unknown', detail: `ec2 ${id(2)}: DescribeInstanceStatus failed (RequestLimitExceeded)` },
    ]);
    // The SDK's standard retries: three attempts in all, and one failed call told of.
    expect(ec2Calls).toHaveLength(3);
    expect(failed).toEqual([{ api: 'DescribeInstanceStatus', error: 'RequestLimitExceeded', ids: 2 }]);
  });

  it('judges the instance once EC2 answers again after a throttled attempt', async () => {
    let throttles = 1;
    const { health } = await prober(new Map([[id(1), OK]]), new Map(), {
      ec2Fail: () => (throttles-- > 0 ? THROTTLED : undefined),
    });

    expect((await health.probeAll([ec2(id(1))]))[0]!.outcome).toBe('up');
  });
});

describe('AwsHealthProber over Systems Manager', () => {
  it("calls a node up when its SSM Agent's ping is Online, down otherwise, unknown when SSM does not know it", async () => {
    const lost = Date.UTC(2026, 11, 3, 6, 0, 0) / 1000;
    const { health, ssmCalls } = await prober(
      new Map(),
      new Map([
        [id(1), { ping: 'Online' }],
        [id(2, 'mi-'), { ping: 'Online' }],
        [id(3), { ping: 'ConnectionLost', lastPing: lost }],
      ]),
    );

    const results = await health.probeAll([ssm(id(1)), ssm(id(2, 'mi-')), ssm(id(3)), ssm(id(4))]);

    expect(results).toEqual([
      { outcome: 'up', detail: `ssm ${id(1)}: SSM Agent online` },
      { outcome: 'up', detail: `ssm ${id(2, 'mi-')}: SSM Agent online` },
      {
        outcome: 'down',
        detail: `ssm ${id(3)}: SSM Agent ConnectionLost, last ping 2026-12-03T06:00:00.000Z`,
      },
      { outcome: 'unknown', detail: `ssm ${id(4)}: Systems Manager knows no such managed node` },
    ]);
    expect(ssmCalls).toEqual([
      {
        target: 'AmazonSSM.DescribeInstanceInformation',
        ids: [id(1), id(2, 'mi-'), id(3), id(4)],
        maxResults: 50,
        nextToken: undefined,
      },
    ]);
  });

  it('follows the pages of 50 an InstanceIds filter of 100 answers in', async () => {
    const ids = Array.from({ length: 100 }, (_, n) => id(n + 1));
    const { health, ssmCalls } = await prober(new Map(), new Map(ids.map((i) => [i, { ping: 'Online' }])));

    const results = await health.probeAll(ids.map(ssm));

    expect(results.every((r) => r.outcome === 'up')).toBe(true);
    expect(ssmCalls.map((c) => c.nextToken)).toEqual([undefined, '50']);
  });

  it('answers unknown when Systems Manager throttles past the SDK retries', async () => {
    const { health } = await prober(new Map(), new Map([[id(1), { ping: 'ConnectionLost' }]]), {
      ssmFail: () => ({ status: 400, code: 'ThrottlingException', message: 'Rate exceeded' }),
    });

    const failed: FailedCall[] = [];
    expect(await health.probeAll([ssm(id(1))], (call) => failed.push(call))).toEqual([
      {
        outcome: 'unknown',
        detail: `ssm ${id(1)}: DescribeInstanceInformation failed (ThrottlingException)`,
      },
    ]);
    expect(failed).toEqual([{ api: 'DescribeInstanceInformation', error: 'ThrottlingException', ids: 1 }]);
  });

  it('asks EC2 and Systems Manager for their own targets of one batch, in its order', async () => {
    const { health, ec2Calls, ssmCalls } = await prober(
      new Map([[id(1), { state: 'stopping' }]]),
      new Map([[id(1), { ping: 'Online' }]]),
    );

    expect(await health.probeAll([ssm(id(1)), ec2(id(1))])).toEqual([
      { outcome: 'up', detail: `ssm ${id(1)}: SSM Agent online` },
      { outcome: 'down', detail: `ec2 ${id(1)}: stopping` },
    ]);
    expect([ec2Calls.length, ssmCalls.length]).toEqual([1, 1]);
  });
});
