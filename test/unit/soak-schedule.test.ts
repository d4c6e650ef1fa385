import { createHash } from 'node:crypto';
import {
  type ChaosEvent,
  chaosSchedule,
  type PlannedAgent,
  planTopology,
  REBOOT,
  TOPOLOGY_BLOCK_SECONDS,
} from '../../bench/soak-schedule';

const fleet: PlannedAgent[] = Array.from({ length: 200 }, (_, i) => ({
  agentId: `prod-${String(i).padStart(4, '0')}`,
  group: 'production',
  probed: i % 10 === 0,
}));
const topology = planTopology();
const SHORT = {
  seconds: 60,
  warmupSeconds: 10,
  cooldownSeconds: 15,
  agents: fleet,
  seed: 1,
  pageOnRestart: 'staging',
};
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

describe('the soak chaos schedule of reboots', () => {
  // The soak's fleet: 40% production, 30% staging (its onRestart pages), 30% test.
  const groups = ['production', 'production', 'production', 'production', 'staging', 'staging', 'staging'];
  const mixed: PlannedAgent[] = fleet.map((a, i) => ({ ...a, group: groups[i % 10] ?? 'test' }));
  const reboots = (events: readonly ChaosEvent[]) => of(events, 'reboot');
  const groupOf = new Map(mixed.map((a) => [a.agentId, a.group]));

  it('plays every kind in the short profile, the quick ones in the page group and in the others', () => {
    for (const seed of [1, 2, 3]) {
      const played = reboots(chaosSchedule({ ...SHORT, agents: mixed, seed, topology }));

      const quick = played.filter((e) => e.kind === 'quick');
      expect(quick.filter((e) => groupOf.get(e.agentId) === 'staging').length).toBeGreaterThan(0);
      expect(quick.filter((e) => groupOf.get(e.agentId) !== 'staging').length).toBeGreaterThan(0);
      expect(played.filter((e) => e.kind === 'planned').length).toBeGreaterThan(0);
      expect(played.filter((e) => e.kind === 'late').length).toBeGreaterThan(0);
    }
  });

  it('keeps a planned silence past the threshold and short of the time it gives, and a late one well past both', () => {
    const played = reboots(chaosSchedule({ ...LONG, agents: mixed, topology }));

    const planned = played.flatMap((e) => (e.kind === 'planned' ? [e] : []));
    const late = played.flatMap((e) => (e.kind === 'late' ? [e] : []));
    expect(planned.length).toBeGreaterThan(10);
    expect(late.length).toBeGreaterThan(10);
    for (const e of planned) {
      expect(e.seconds).toBeGreaterThan(REBOOT.late.thresholdSeconds + 2);
      expect(e.backInSeconds).toBeGreaterThanOrEqual(e.seconds + 20);
    }
    for (const e of late)
      expect(e.seconds).toBeGreaterThanOrEqual(e.backInSeconds + REBOOT.late.thresholdSeconds + 6);
    expect(
      Math.max(...played.map((e) => e.at + (e.kind === 'quick' ? 2 : e.seconds + 2))),
    ).toBeLessThanOrEqual(LONG.seconds - LONG.cooldownSeconds);
  });

  it('gives a reboot only to an agent with no other event then, nor in the rest after one', () => {
    const events = chaosSchedule({ ...LONG, agents: mixed, topology });
    const span = (e: ChaosEvent): [number, number] => {
      if (e.type === 'reboot') return [e.at, e.at + (e.kind === 'quick' ? 2 : e.seconds + 2)];
      if (e.type === 'outage') return [e.at, e.at + (e.kind === 'short' ? 2 : e.seconds)];
      if (e.type === 'flap') return [e.at, e.at + e.seconds];
      return [e.at, e.at];
    };

    for (const reboot of reboots(events)) {
      const [from, to] = span(reboot);
      const others = events.filter((e) => e !== reboot && 'agentId' in e && e.agentId === reboot.agentId);
      for (const other of others) {
        const [start, end] = span(other);
        expect(start >= to + 6 || end + 6 <= from).toBe(true);
      }
    }
  });

  it("leaves each seed's other events as they were before reboots were played", () => {
    // Digests of the schedules as they stood before reboots were added (same fleet, same options).
    const before: Record<string, string> = {
      '1/60': '2413602b43408fb6 37',
      '1/600': 'abe2604e5ff4730d 706',
      '2/60': '3d18436b989752de 40',
      '2/600': '6267a7fca98052b1 706',
      '3/60': '847cba226273dca6 37',
      '3/600': '417b999e2bab5cf1 709',
    };
    const now: Record<string, string> = {};
    for (const seed of [1, 2, 3]) {
      for (const seconds of [60, 600]) {
        const others = chaosSchedule({ ...SHORT, seconds, seed, topology }).filter(
          (e) => e.type !== 'reboot',
        );
        const digest = createHash('sha256').update(JSON.stringify(others)).digest('hex').slice(0, 16);
        now[`${seed}/${seconds}`] = `${digest} ${others.length}`;
      }
    }

    expect(now).toEqual(before);
  });
});
