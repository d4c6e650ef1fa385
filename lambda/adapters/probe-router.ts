import { type AwsProbe, isAwsProbe, type NetProbe, type Probe } from '../domain/agent';
import type { ProbeSettings } from '../domain/config';
import type { Logger } from '../logger';
import type { ProbeResult, Prober } from '../ports';

/** Where the router sends the probes that do not run from the scanner's own machine. */
export type ProbeRoutes =
  /**
   * The cloud: each probe network's prober (the function attached to its subnets), and the AWS
   * health prober, which asks EC2 and Systems Manager.
   */
  | {
      readonly kind: 'cloud';
      readonly probers: Readonly<Record<string, Prober<NetProbe>>>;
      readonly aws: Prober<AwsProbe>;
    }
  /**
   * Local mode, which has no VPC and no AWS: every network's probes run from this machine, and ec2
   * and ssm probes are unknown; the log says each once.
   */
  | { readonly kind: 'local'; readonly log: Logger };

/**
 * The prober the scanner holds: each probe goes to the prober of its kind. An ec2 or ssm probe goes
 * to AWS (a probe network does not matter to it: AWS answers without a path to the host). A TCP or
 * HTTP probe with a probe network goes to that network's prober, one without to `net`.
 */
export class ProbeRouter implements Prober {
  private readonly told = new Set<string>();

  constructor(
    private readonly net: Prober<NetProbe>,
    private readonly routes: ProbeRoutes,
  ) {}

  probe(target: Probe, settings: ProbeSettings, network?: string): Promise<ProbeResult> {
    if (isAwsProbe(target)) return this.probeAws(target, settings);
    if (network === undefined) return this.net.probe(target, settings);
    if (this.routes.kind === 'local') {
      this.tellOnce(
        `network ${network}`,
        'probe network: local mode has no VPC, so its probes run from this machine',
        {
          probeNetwork: network,
        },
      );
      return this.net.probe(target, settings);
    }
    const inside = this.routes.probers[network];
    // The stack gives the scanner a prober for every network the config defines: this is its fault.
    if (inside === undefined)
      return Promise.resolve({ outcome: 'unknown', detail: `no prober for probe network ${network}` });
    return inside.probe(target, settings);
  }

  private probeAws(target: AwsProbe, settings: ProbeSettings): Promise<ProbeResult> {
    if (this.routes.kind === 'cloud') return this.routes.aws.probe(target, settings);
    this.tellOnce(
      `type ${target.type}`,
      `${target.type} probe: local mode cannot ask AWS, so its ${target.type} probes are unknown and never page host down`,
      { probeType: target.type },
    );
    return Promise.resolve({
      outcome: 'unknown',
      detail: `${target.type} ${target.instanceId}: local mode cannot ask AWS`,
    });
  }

  private tellOnce(key: string, message: string, fields: Record<string, string>): void {
    if (this.routes.kind !== 'local' || this.told.has(key)) return;
    this.told.add(key);
    this.routes.log.info(message, fields);
  }
}
