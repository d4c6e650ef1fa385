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
  beforeAll(async () => {
    ec2 = await ec2StandIn(new Map([[I1, { state: 'running', system: 'ok', instance: 'impaired' }]]));
    ssm = await ssmStandIn(new Map([[M1, { ping: 'Online' }]]));
    pointSdkAt({ ec2: ec2.url, ssm: ssm.url });
    ({ handler } = await import('../../lambda/handlers/aws-prober'));
  });
  afterAll(async () => {
    await Promise.all([ec2.close(), ssm.close()]);
  });

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
