import { ProbeRouter } from '../../lambda/adapters/probe-router';
import { lambdaStandIn } from '../support/lambda-stand-in';
import { scannerHarnesses } from '../support/scanner-harness';

const PROD_VPC = { subnetIds: ['subnet-0abc1234def567890'], securityGroupIds: ['sg-0123456789abcdef0'] };

describe('agents probed from a probe network', () => {
  const harness = scannerHarnesses();
  let stand: Awaited<ReturnType<typeof lambdaStandIn>> | undefined;
  afterEach(async () => {
    await stand?.close();
    stand = undefined;
  });

  it('pages a private host behind a failing prober as a heartbeat failure at the threshold, never as unreachable', async () => {
    const h = await harness({
      probeNetworks: { 'prod-vpc': PROD_VPC },
      groups: {
        production: { channels: ['sms', 'email'], probeNetwork: 'prod-vpc' },
        test: { channels: ['console'] },
      },
    });
    // The prober function fails every invocation, as a broken one would.
    stand = await lambdaStandIn(() => ({
      headers: { 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify({ errorType: 'Error', errorMessage: 'Task timed out after 30.00 seconds' }),
    }));
    const scanner = h.otherScanner({
      prober: new ProbeRouter(h.prober, { kind: 'cloud', probers: { 'prod-vpc': stand.prober() } }),
    });
    await h.addAgent('db-07', 'production', { probe: { type: 'tcp', host: '10.0.1.7', port: 5432 } });
    await h.beat('db-07');
    await scanner.scan();

    const late: string[][] = [];
    for (let scan = 1; scan <= 3; scan++) {
      h.clock.advance(h.intervalMs);
      await scanner.scan();
      late.push((await h.alerts()).map((a) => a.kind));
    }

    // Each late scan asked the network's prober, not the scanner's own.
    expect(stand.invocations.length).toBeGreaterThanOrEqual(1);
    expect(h.prober.count('10.0.1.7')).toBe(0);
    expect(late).toEqual([[], [], ['heartbeat_failure']]);
    const [alert] = await h.alerts();
    expect(alert).toMatchObject({ kind: 'heartbeat_failure', severity: 'critical', missedScans: 3 });
    expect(h.notifier.take().map((n) => n.kind)).toEqual(['heartbeat_failure']);
  });
});
