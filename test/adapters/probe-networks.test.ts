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
      prober: new ProbeRouter(h.prober, {
        kind: 'cloud',
        probers: { 'prod-vpc': stand.prober() },
        aws: h.prober,
      }),
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

  it('refuses an agent that names a probe network the config does not define, at add and at change, naming the field', async () => {
    const h = await harness({ probeNetworks: { 'prod-vpc': PROD_VPC } });
    const added = await h.http('POST', '/v1/agents', {
      agentId: 'db-07',
      group: 'production',
      probeNetwork: 'prod',
    });
    await h.addAgent('db-08', 'production');
    const changed = await h.http('PATCH', '/v1/agents/db-08', { probeNetwork: 'lab' });

    for (const [answer, name] of [
      [added, 'prod'],
      [changed, 'lab'],
    ] as const) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error: {
          field: 'probeNetwork',
          message: `probeNetwork: unknown probe network "${name}" (configured: prod-vpc)`,
        },
      });
    }
    expect((await h.http('GET', '/v1/agents/db-07')).status).toBe(404);
  });

  it("probes an agent from its own probe network over its group's, until the change that clears it", async () => {
    const h = await harness({ probeNetworks: { 'prod-vpc': PROD_VPC } });
    stand = await lambdaStandIn((batch) => ({
      body: JSON.stringify({ results: batch.targets.map(() => ({ outcome: 'up', detail: 'tcp answered' })) }),
    }));
    const scanner = h.otherScanner({
      prober: new ProbeRouter(h.prober, {
        kind: 'cloud',
        probers: { 'prod-vpc': stand.prober() },
        aws: h.prober,
      }),
    });
    h.prober.set('10.0.1.7', true);
    const added = await h.http('POST', '/v1/agents', {
      agentId: 'db-07',
      group: 'production',
      agentless: true,
      probe: { type: 'tcp', host: '10.0.1.7', port: 5432 },
      probeNetwork: 'prod-vpc',
    });
    expect(added.status).toBe(201);
    expect((await h.http('GET', '/v1/agents/db-07')).body).toMatchObject({ probeNetwork: 'prod-vpc' });
    await scanner.scan();
    expect(stand.invocations).toHaveLength(1);
    expect(h.prober.count('10.0.1.7')).toBe(0);

    const cleared = await h.http('PATCH', '/v1/agents/db-07', { probeNetwork: null });
    expect(cleared.body).not.toHaveProperty('probeNetwork');
    h.clock.advance(h.intervalMs * 3);
    await scanner.scan();
    expect(stand.invocations).toHaveLength(1);
    expect(h.prober.count('10.0.1.7')).toBe(1);
  });
});
