import { ProbeRouter } from '../../lambda/adapters/probe-router';
import type { Probe } from '../../lambda/domain/agent';
import { createLogger } from '../../lambda/logger';
import type { Prober } from '../../lambda/ports';

const SETTINGS = { attempts: 1, timeoutMs: 100, intervalMs: 0 };
const TARGET: Probe = { type: 'tcp', host: 'db-07.internal', port: 1433 };
const EC2: Probe = { type: 'ec2', instanceId: 'i-0abc1234def567890' };
const SSM: Probe = { type: 'ssm', instanceId: 'mi-0abc1234def567890' };

/** A prober that answers `up` with its own name, and counts its probes. */
function named(name: string): Prober & { calls: number } {
  return {
    calls: 0,
    async probe() {
      this.calls += 1;
      return { outcome: 'up', detail: name };
    },
  };
}

describe('ProbeRouter', () => {
  it("sends a probe with a network to that network's prober, one without to the net prober", async () => {
    const router = new ProbeRouter(named('net'), {
      kind: 'cloud',
      probers: { 'prod-vpc': named('prod-vpc'), lab: named('lab') },
      aws: named('aws'),
    });

    expect((await router.probe(TARGET, SETTINGS, 'prod-vpc')).detail).toBe('prod-vpc');
    expect((await router.probe(TARGET, SETTINGS)).detail).toBe('net');
  });

  it('answers unknown, not down, for a network it has no prober for', async () => {
    const router = new ProbeRouter(named('net'), { kind: 'cloud', probers: {}, aws: named('aws') });

    expect(await router.probe(TARGET, SETTINGS, 'prod-vpc')).toEqual({
      outcome: 'unknown',
      detail: 'no prober for probe network prod-vpc',
    });
  });

  it("probes a network's targets from this machine in local mode, and says so once per network", async () => {
    const lines: string[] = [];
    const sink = (record: object) => lines.push(JSON.stringify(record));
    const net = named('net');
    const router = new ProbeRouter(net, {
      kind: 'local',
      log: createLogger({ sink }),
    });

    await router.probe(TARGET, SETTINGS, 'prod-vpc');
    await router.probe(TARGET, SETTINGS, 'prod-vpc');

    expect(net.calls).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('local mode has no VPC');
    expect(lines[0]).toContain('prod-vpc');
  });

  it('sends ec2 and ssm probes to the AWS health prober, whatever probe network is named', async () => {
    const net = named('net');
    const vpc = named('prod-vpc');
    const router = new ProbeRouter(net, { kind: 'cloud', probers: { 'prod-vpc': vpc }, aws: named('aws') });

    expect((await router.probe(EC2, SETTINGS)).detail).toBe('aws');
    expect((await router.probe(SSM, SETTINGS, 'prod-vpc')).detail).toBe('aws');
    expect(net.calls + vpc.calls).toBe(0);
  });

  it('answers unknown for ec2 and ssm probes in local mode, and says why once per type', async () => {
    const lines: string[] = [];
    const net = named('net');
    const router = new ProbeRouter(net, {
      kind: 'local',
      log: createLogger({ sink: (record: object) => lines.push(JSON.stringify(record)) }),
    });

    expect(await router.probe(EC2, SETTINGS)).toEqual({
      outcome: 'unknown',
      detail: 'ec2 i-0abc1234def567890: local mode cannot ask AWS',
    });
    await router.probe(EC2, SETTINGS);
    expect((await router.probe(SSM, SETTINGS)).outcome).toBe('unknown');

    expect(net.calls).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('local mode cannot ask AWS, so its ec2 probes are unknown');
    expect(lines[1]).toContain('its ssm probes are unknown');
  });
});
