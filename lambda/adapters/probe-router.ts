import type { Probe } from '../domain/agent';
import type { ProbeSettings } from '../domain/config';
import type { Logger } from '../logger';
import type { ProbeResult, Prober } from '../ports';

/** Where the router sends the probes of a probe network. */
export type NetworkProbers =
  /** The cloud: each network's prober (the function attached to its subnets). */
  | { readonly kind: 'cloud'; readonly probers: Readonly<Record<string, Prober>> }
  /** Local mode, which has no VPC: every network's probes run from this machine, and the log says so once. */
  | { readonly kind: 'local'; readonly log: Logger };

/**
 * The prober the scanner holds: each probe goes to the prober of its kind. A TCP or HTTP probe with a
 * probe network goes to that network's prober, one without to `net`.
 */
export class ProbeRouter implements Prober {
  private readonly told = new Set<string>();

  constructor(
    private readonly net: Prober,
    private readonly networks: NetworkProbers,
  ) {}

  probe(target: Probe, settings: ProbeSettings, network?: string): Promise<ProbeResult> {
    if (network === undefined) return this.net.probe(target, settings);
    if (this.networks.kind === 'local') {
      if (!this.told.has(network)) {
        this.told.add(network);
        this.networks.log.info('probe network: local mode has no VPC, so its probes run from this machine', {
          probeNetwork: network,
        });
      }
      return this.net.probe(target, settings);
    }
    const inside = this.networks.probers[network];
    // The stack gives the scanner a prober for every network the config defines: this is its fault.
    if (inside === undefined)
      return Promise.resolve({ outcome: 'unknown', detail: `no prober for probe network ${network}` });
    return inside.probe(target, settings);
  }
}
