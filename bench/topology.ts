// Pages per topology outage: a dead switch with agents behind it, and a cluster losing its quorum,
// run on the manual clock over the real stores (in-memory dynalite), once with the topology declared
// (parents, a cluster in the config) and once without, in the same run.
import { startEmbeddedDynamo } from '../cli/embedded-dynamo';
import type { RawConfig } from '../lambda/domain/config';
import { createScannerHarness, type ScannerHarness } from '../test/support/scanner-harness';
import { embeddedClients } from '../test/support/test-store';

export interface TopologyRow {
  readonly scenario: string;
  /** The topology was declared (parents, the cluster) or not: the watcher judged each agent alone. */
  readonly declared: boolean;
  readonly agents: number;
  /** Opening pages sent during the outage (recoveries and reminders not counted). */
  readonly pages: number;
  /** Alerts recorded whose page is held. */
  readonly held: number;
  /** Alerts recorded in all. */
  readonly alerts: number;
  readonly goalPages: number;
}

export interface TopologyOptions {
  /** Agents of the fleet besides the ones the outage takes. */
  readonly fleet: number;
  /** Agents behind the switch. */
  readonly behind: number;
}

export const DEFAULT_TOPOLOGY: TopologyOptions = { fleet: 500, behind: 50 };

/** One-second scans and heartbeats, an alert after 3 missed scans: the switch is probed every 3 scans. */
const BASE: RawConfig = {
  heartbeatIntervalSeconds: 1,
  scanIntervalSeconds: 1,
  missedScansBeforeAlert: 3,
  groups: { production: { channels: ['sms', 'email'] } },
};

const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(4, '0')}`;

/** Scans until nothing more opens, the outage staying on; answers the pages and alerts of the outage. */
async function countOutage(h: ScannerHarness, fleet: readonly string[], scans: number) {
  for (let i = 0; i < scans; i++) await h.step(...fleet);
  const pages = h.notifier.sent.filter((n) => n.kind !== 'recovery' && n.kind !== 'reminder').length;
  const alerts = await h.alerts({ status: 'open' });
  return { pages, alerts: alerts.length, held: alerts.filter((a) => a.delivery?.opening === 'held').length };
}

/**
 * A switch with `behind` agents behind it stops answering, and its agents go silent with it, their
 * last heartbeats spread over 2.5 s as a switch's ports drop: so they cross the threshold in
 * different scans, as the trial saw.
 */
async function deadSwitch(options: TopologyOptions, declared: boolean): Promise<TopologyRow> {
  const dynamo = await startEmbeddedDynamo();
  const h = await createScannerHarness(embeddedClients(dynamo), { config: BASE });
  try {
    const fleet = Array.from({ length: options.fleet }, (_, i) => name('fleet', i));
    const behind = Array.from({ length: options.behind }, (_, i) => name('web', i));
    h.prober.set('sw-01', true);
    await h.addAgent('sw-01', 'production', {
      agentless: true,
      probe: { type: 'tcp', host: 'sw-01', port: 22 },
    });
    for (const id of fleet) await h.addAgent(id);
    for (const id of behind) await h.addAgent(id, 'production', declared ? { parent: 'sw-01' } : {});
    await h.beat(...fleet, ...behind);
    await h.scan();
    await h.step(...fleet, ...behind);
    // The switch dies; its agents' last heartbeats land over the next 2.5 s, the scans going on.
    h.prober.set('sw-01', false);
    for (let k = 0; k < 5; k++) {
      h.clock.advance(500);
      await h.beat(...behind.filter((_, i) => i % 5 > k));
      if (k % 2 === 1) {
        await h.beat(...fleet);
        await h.scan();
      }
    }
    const counted = await countOutage(h, fleet, 8);
    return {
      scenario: `a switch with ${options.behind} agents behind it dies, in a fleet of ${options.fleet}`,
      declared,
      agents: options.fleet + options.behind + 1,
      ...counted,
      goalPages: 1,
    };
  } finally {
    h.close();
    await dynamo.close();
  }
}

/** A 10-node cluster that needs 5 up loses 6 nodes at once. */
async function clusterLoss(options: TopologyOptions, declared: boolean): Promise<TopologyRow> {
  const dynamo = await startEmbeddedDynamo();
  const config: RawConfig = declared
    ? { ...BASE, clusters: { db: { group: 'production', minHealthy: 5 } } }
    : BASE;
  const h = await createScannerHarness(embeddedClients(dynamo), { config });
  try {
    const fleet = Array.from({ length: options.fleet }, (_, i) => name('fleet', i));
    const nodes = Array.from({ length: 10 }, (_, i) => name('db', i));
    for (const id of fleet) await h.addAgent(id);
    for (const id of nodes) await h.addAgent(id, 'production', { cluster: 'db' });
    await h.beat(...fleet, ...nodes);
    await h.scan();
    const counted = await countOutage(h, [...fleet, ...nodes.slice(6)], 6);
    return {
      scenario: `a 10-node cluster needing 5 up loses 6, in a fleet of ${options.fleet}`,
      declared,
      agents: options.fleet + 10,
      ...counted,
      goalPages: 1,
    };
  } finally {
    h.close();
    await dynamo.close();
  }
}

export async function benchTopology(
  options: TopologyOptions,
  log: (line: string) => void,
): Promise<TopologyRow[]> {
  const rows: TopologyRow[] = [];
  for (const declared of [false, true]) {
    rows.push(await deadSwitch(options, declared));
    rows.push(await clusterLoss(options, declared));
    log(
      `  topology ${declared ? 'declared' : 'not declared'}: ${rows
        .slice(-2)
        .map((r) => `${r.pages} pages`)
        .join(', ')}`,
    );
  }
  return rows;
}
