import { ec2StandIn, pointSdkAt, ssmStandIn } from '../support/aws-stand-ins';

// The AWS health prober function as Lambda runs it: its clients made at start from the environment,
// here pointed at local stand-ins for EC2 and Systems Manager.

const SETTINGS = { attempts: 1, timeoutMs: 1000, intervalMs: 0 };
const I1 = 'i-0abc1234def567890';
const M1 = 'mi-0abc1234def567890';

describe('the AWS health prober function', () => {
  let ec2: Awaited<ReturnType<typeof ec2StandIn>>;
  let ssm: Awaited<ReturnType<typeof ssmStandIn>>;
  let handler: typeof import('../../lambda/handlers/aws-prober').handler;
  let ssmDenies = false;
  beforeAll(async () => {
    ec2 = await ec2StandIn(new Map([[I1, { state: 'running', system: 'ok', instance: 'impaired' }]]));
    ssm = await ssmStandIn(new Map([[M1, { ping: 'Online' }]]), {
      fail: () =>
        ssmDenies ? { status: 400, code: 'AccessDeniedException', message: 'not authorized' } : undefined,
    });
    pointSdkAt({ ec2: ec2.url, ssm: ssm.url });
    process.env.STACK_NAME = 'Watcher';
    ({ handler } = await import('../../lambda/handlers/aws-prober'));
  });
  afterAll(async () => {
    delete process.env.STACK_NAME;
    await Promise.all([ec2.close(), ssm.close()]);
  });
  afterEach(() => {
    ssmDenies = false;
    jest.restoreAllMocks();
  });

  /** The JSON records the function writes to its log (stdout and stderr) while `fn` runs. */
  async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; records: Record<string, unknown>[] }> {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr])
      jest.spyOn(stream, 'write').mockImplementation((s) => lines.push(String(s)) > 0);
    const value = await fn();
    jest.restoreAllMocks();
    return { value, records: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('answers a result per target, in the order asked', async () => {
    const answer = await handler({
      targets: [
        { probe: { type: 'ssm', instanceId: M1 }, settings: SETTINGS },
        { probe: { type: 'ec2', instanceId: I1 }, settings: SETTINGS },
      ],
    });

    expect(answer).toEqual({
      results: [
        { outcome: 'up', detail: `ssm ${M1}: SSM Agent online` },
        { outcome: 'down', detail: `ec2 ${I1}: instance status impaired` },
      ],
    });
  });

  it('says which calls failed, and counts them in its metric, while answering their targets unknown', async () => {
    ssmDenies = true;

    const { value, records } = await logged(() =>
      handler({
        targets: [
          { probe: { type: 'ssm', instanceId: M1 }, settings: SETTINGS },
          { probe: { type: 'ec2', instanceId: I1 }, settings: SETTINGS },
        ],
      }),
    );

    expect(value.results.map((r) => r.outcome)).toEqual(['unknown', 'down']);
    expect(records).toEqual([
      expect.objectContaining({
        level: 'warn',
        calls: [{ api: 'DescribeInstanceInformation', error: 'AccessDeniedException', ids: 1 }],
      }),
      expect.objectContaining({
        Stack: 'Watcher',
        AwsProbeCallsFailed: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'HeartbeatWatcher' })],
        }),
      }),
    ]);
  });

  it('writes no metric and no warning for a batch whose calls all answered', async () => {
    const { records } = await logged(() =>
      handler({ targets: [{ probe: { type: 'ec2', instanceId: I1 }, settings: SETTINGS }] }),
    );

    expect(records).toEqual([]);
  });

  it.each([
    [
      'a tcp target, which a probe network answers',
      { type: 'tcp', host: '10.0.1.7', port: 22 },
      'targets[0].probe.type',
    ],
    ['an instance id that is not one', { type: 'ec2', instanceId: 'i-xyz' }, 'targets[0].probe.instanceId'],
  ])('fails the invocation for %s, naming the field', async (_case, probe, field) => {
    await expect(handler({ targets: [{ probe, settings: SETTINGS }] })).rejects.toThrow(field);
  });
});
