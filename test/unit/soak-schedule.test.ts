import {
  type ChaosEvent,
  chaosSchedule,
  type PlannedAgent,
  planTopology,
  TOPOLOGY_BLOCK_SECONDS,
} from '../../bench/soak-schedule';

const fleet: PlannedAgent[] = Array.from({ length: 200 }, (_, i) => ({
  agentId: `prod-${String(i).padStart(4, '0')}`,
  group: 'production',
  probed: i % 10 === 0,
}));
const topology = planTopology();
const SHORT = { seconds: 60, warmupSeconds: 10, cooldownSeconds: 15, agents: fleet, seed: 1 };
const LONG = { ...SHORT, seconds: 600 };

const of = <T extends ChaosEvent['type']>(events: readonly ChaosEvent[], type: T) =>
  events.filter((e): e is Extract<ChaosEvent, { type: T }> => e.type === type);

describe('the soak chaos schedule with a topology', () => {
  it('fits each topology event in the short profile, clear of the pause and the restart', () => {
    const events = chaosSchedule({ ...SHORT, topology });

    const outages = of(events, 'parent-outage');
    expect(outages.filter((e) => e.straggler === undefined)).toHaveLength(1);
    expect(outages.filter((e) => e.straggler !== undefined)).toHaveLength(1);
    expect(of(events, 'quorum-loss')).toHaveLength(1);
    const blockEnd = Math.min(...outages.map((e) => e.at)) + TOPOLOGY_BLOCK_SECONDS;
    expect(of(events, 'pause')[0]!.at).toBeGreaterThanOrEqual(blockEnd);
    expect(of(events, 'restart')[0]!.at).toBeGreaterThanOrEqual(blockEnd);
    expect(blockEnd).toBeLessThanOrEqual(SHORT.seconds - SHORT.cooldownSeconds);
  });

  it('takes the cluster below its quorum and leaves one agent behind a switch silent after it', () => {
    const events = chaosSchedule({ ...SHORT, topology });

    const [loss] = of(events, 'quorum-loss');
    expect(topology.cluster.members.length - loss!.agentIds.length).toBeLessThan(topology.cluster.minHealthy);
    const straggling = of(events, 'parent-outage').find((e) => e.straggler);
    expect(straggling!.children).toContain(straggling!.straggler!.agentId);
  });

  it('has two blocks a cycle in the 10-minute profile, the second during the notifier failure', () => {
    const events = chaosSchedule({ ...LONG, topology });

    expect(of(events, 'quorum-loss')).toHaveLength(6);
    const failures = of(events, 'notifier-fail');
    const during = of(events, 'quorum-loss').filter((q) =>
      failures.some((f) => q.at >= f.at && q.at <= f.at + f.seconds),
    );
    expect(during).toHaveLength(3);
  });

  it('gives no fleet event to a topology agent, and the fleet the same events with or without a topology', () => {
    const fleetEvents = (events: readonly ChaosEvent[]) =>
      events.filter((e) => e.type === 'outage' || e.type === 'flap');
    const topologyIds = new Set([
      ...topology.switches.flatMap((s) => [s.agentId, ...s.children]),
      ...topology.cluster.members,
    ]);

    const withTopology = fleetEvents(chaosSchedule({ ...LONG, topology }));

    expect(withTopology.some((e) => topologyIds.has(e.agentId))).toBe(false);
    expect(withTopology).toEqual(fleetEvents(chaosSchedule(LONG)));
  });
});
