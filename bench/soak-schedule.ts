// The soak's chaos schedule: when which agent goes silent (and for how long), which probe ports close,
// when a switch goes down with the agents behind it and a cluster loses its quorum, when the watcher is
// paused, restarted, and its notifier made to fail, and when an agent reboots (quickly, or after a
// goodbye). Pure and seeded, so a run can be repeated with the same --seed.

export interface PlannedAgent {
  readonly agentId: string;
  readonly group: string;
  /** Has a TCP probe against a port the soak opens. */
  readonly probed: boolean;
}

/**
 * The soak's topology, beside its fleet: switches (agentless entries probed on a port the soak opens)
 * with agents behind them, and a cluster with a quorum. None of them is given a fleet event.
 */
export interface TopologyPlan {
  /** The group of every topology agent, and the one the cluster pages. */
  readonly group: string;
  readonly switches: readonly { readonly agentId: string; readonly children: readonly string[] }[];
  readonly cluster: {
    readonly name: string;
    readonly minHealthy: number;
    readonly members: readonly string[];
  };
}

/** Two switches with 20 agents behind each, and a cluster of 5 that needs 3 up. */
export function planTopology(): TopologyPlan {
  const rack = (n: number) => Array.from({ length: 20 }, (_, i) => `rack${n}-${String(i).padStart(2, '0')}`);
  return {
    group: 'production',
    switches: [
      { agentId: 'switch-1', children: rack(1) },
      { agentId: 'switch-2', children: rack(2) },
    ],
    // db-* sorts before every other id: the members share the first heartbeat batch, so that the
    // ones silenced together miss their scans together.
    cluster: { name: 'db', minHealthy: 3, members: ['db-1', 'db-2', 'db-3', 'db-4', 'db-5'] },
  };
}

export type ChaosEvent =
  /** Stops the agent's heartbeats for `seconds`; a `host-down` also closes its probe port for as long. */
  | {
      readonly at: number;
      readonly type: 'outage';
      readonly agentId: string;
      readonly kind: 'silent' | 'host-down';
      readonly seconds: number;
    }
  /** Leaves out the agent's next heartbeat only: a silence under the threshold. */
  | {
      readonly at: number;
      readonly type: 'outage';
      readonly agentId: string;
      readonly kind: 'short';
      readonly seconds: 0;
    }
  /** Closes the probe port of an agent that keeps beating, for `seconds`. */
  | { readonly at: number; readonly type: 'flap'; readonly agentId: string; readonly seconds: number }
  /** SIGSTOP, then SIGCONT after `seconds`. */
  | { readonly at: number; readonly type: 'pause'; readonly seconds: number }
  /** SIGTERM, wait for the exit, start again on the same data dir and port. */
  | { readonly at: number; readonly type: 'restart' }
  /** A directory where the outbox file was, for `seconds`: every append fails with EISDIR. */
  | { readonly at: number; readonly type: 'notifier-fail'; readonly seconds: number }
  /**
   * A switch goes down: the agents behind it fall silent one after another over `spreadSeconds` (as
   * its ports drop), then its probe port closes. Each beats again `seconds` after it stopped, and the
   * port opens once they are heard; the `straggler`, if any, stays silent `seconds` longer after that.
   */
  | {
      readonly at: number;
      readonly type: 'parent-outage';
      readonly parent: string;
      readonly children: readonly string[];
      readonly spreadSeconds: number;
      readonly seconds: number;
      readonly straggler?: { readonly agentId: string; readonly seconds: number };
    }
  /** `agentIds`, members of `cluster`, fall silent together for `seconds`: enough to lose its quorum. */
  | {
      readonly at: number;
      readonly type: 'quorum-loss';
      readonly cluster: string;
      readonly agentIds: readonly string[];
      readonly seconds: number;
    }
  /**
   * A quick reboot: the agent leaves out its next heartbeat (a silence under the threshold) and
   * comes back under a new `bootId`, `seq` from 1, sending `bootedAt`.
   */
  | { readonly at: number; readonly type: 'reboot'; readonly agentId: string; readonly kind: 'quick' }
  /**
   * A planned reboot: the agent's next heartbeat says goodbye (back in `backInSeconds`, for `reason`),
   * then it is silent for `seconds` and comes back under a new boot. `planned`: `seconds` is past the
   * threshold and short of `backInSeconds`; `late`: it is well past `backInSeconds` and the threshold.
   */
  | {
      readonly at: number;
      readonly type: 'reboot';
      readonly agentId: string;
      readonly kind: 'planned' | 'late';
      readonly backInSeconds: number;
      readonly seconds: number;
      readonly reason: string;
    };

export type RebootKind = Extract<ChaosEvent, { type: 'reboot' }>['kind'];

export interface ScheduleOptions {
  /** The whole heartbeat run, in seconds: warm-up, chaos, cool-down. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly cooldownSeconds: number;
  readonly agents: readonly PlannedAgent[];
  /** Switches and a cluster to take down in each cycle; none without it. */
  readonly topology?: TopologyPlan;
  readonly seed: number;
  /** The group whose `onRestart` is `page`: every kind of reboot is played in it and in the others. */
  readonly pageOnRestart: string;
  /** Agent events started per second of chaos. @default 1.2 */
  readonly eventsPerSecond?: number;
  /**
   * Whether each cycle ends in a restart of the watcher. Without, one watcher process lives through the
   * whole run, so that its growth shows (a restart frees what it holds). @default true
   */
  readonly restarts?: boolean;
}

/** mulberry32: a small, good-enough PRNG, so that a seed gives the same schedule everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An agent is left alone this long after its event ends, so that no two of its events blur together. */
const REST_SECONDS = 6;

/**
 * The topology's timings, as short as the short profile needs and long enough to judge (1 s scans,
 * 3 missed scans): a silence of 7 s surely alerts, with room for slow answers on a busy machine; the
 * straggler's 7 s after its switch's port opens cover the switch's next probe (every 3 scans), one
 * heartbeat interval of grace, and a scan to page.
 */
const TOPOLOGY = { spreadSeconds: 1.5, silentSeconds: 7, straggleSeconds: 7 };
/** A block of topology events, from the first to the last heartbeat back, with room for the recoveries. */
export const TOPOLOGY_BLOCK_SECONDS =
  1 + TOPOLOGY.spreadSeconds + TOPOLOGY.silentSeconds + 2 + TOPOLOGY.straggleSeconds + 2;

/**
 * The reboots' timings, for 1 s heartbeats and scans and 3 missed scans. A quick reboot leaves out one
 * heartbeat: silent 2 s, under the threshold of 3 s. A planned one is silent 6-9 s, past the
 * threshold with room for slow answers, and says it is back in 30-60 s, long after (a pause of the
 * watcher delays its first heartbeat back by 8 s at most). A late one says 2-4 s, then stays silent
 * for that, the threshold, and 6-9 s more: enough to alert surely, a short blind window or not.
 */
export const REBOOT = {
  /** Reboot events started per second of chaos, beside the agent events. */
  perSecond: 0.25,
  planned: { silentSeconds: [6, 9], backInSeconds: [30, 60], reason: 'kernel update' },
  late: { backInSeconds: [2, 4], thresholdSeconds: 3, pastSeconds: [6, 9], reason: 'firmware update' },
} as const;

/**
 * The reboots in turn: each kind in the group that pages restarts and in the others; the longest
 * first, so that the short profile has room for every kind.
 */
const REBOOT_TURNS: readonly { readonly kind: RebootKind; readonly pageGroup: boolean }[] = [
  { kind: 'late', pageGroup: true },
  { kind: 'quick', pageGroup: false },
  { kind: 'planned', pageGroup: true },
  { kind: 'quick', pageGroup: true },
  { kind: 'planned', pageGroup: false },
  { kind: 'quick', pageGroup: false },
  { kind: 'late', pageGroup: false },
  { kind: 'quick', pageGroup: true },
];

/**
 * One block of topology events from `at`: a switch down with every agent behind it back, its cluster
 * below quorum, and a switch down with one agent behind it still silent after it is back.
 */
function topologyBlock(plan: TopologyPlan, at: number, random: () => number): ChaosEvent[] {
  const { spreadSeconds, silentSeconds: seconds } = TOPOLOGY;
  const [first, second] = plan.switches;
  const members = [...plan.cluster.members];
  const lost: string[] = [];
  // Enough members to take it below its quorum, picked at random.
  while (members.length - lost.length >= plan.cluster.minHealthy) {
    const left = members.filter((m) => !lost.includes(m));
    lost.push(left[Math.floor(random() * left.length)]!);
  }
  const events: ChaosEvent[] = [
    { at, type: 'quorum-loss', cluster: plan.cluster.name, agentIds: lost.sort(), seconds },
  ];
  if (first) {
    events.push({
      at,
      type: 'parent-outage',
      parent: first.agentId,
      children: first.children,
      spreadSeconds,
      seconds,
    });
  }
  if (second) {
    const straggler = second.children[Math.floor(random() * second.children.length)]!;
    events.push({
      at: at + 1,
      type: 'parent-outage',
      parent: second.agentId,
      children: second.children,
      spreadSeconds,
      seconds,
      straggler: { agentId: straggler, seconds: TOPOLOGY.straggleSeconds },
    });
  }
  return events;
}

/**
 * The schedule, sorted by time (seconds from the start of the heartbeat run). The watcher's own chaos
 * comes in cycles of about three minutes (at least one), after a first 30% left to the agents alone (so
 * that some outages are clear of it): a pause of 5-8 s at 30%, a notifier failure of 8-15 s at 50%, a
 * restart at 80% (unless `restarts` is false). Agent events are spread evenly (about
 * `eventsPerSecond`), so that no scan sees many agents go silent at once (the storm guard would hold
 * their pages): 40% silent for 6-12 s, 40% short (one heartbeat left out), 10% host down (probed
 * agents, 6-10 s), 10% probe-port flaps.
 * With a topology, each cycle opens with a block of its events (see `topologyBlock`), clear of the
 * pause (which waits for the block's end in a short cycle) and of the restart; a cycle long enough
 * has a second block at the notifier failure, whose pages are then retried. Reboots come about
 * every 4 s (`REBOOT.perSecond`), their kinds in turn (`REBOOT_TURNS`), each on an agent that has no
 * other event then; they draw from a stream of their own, so a seed's other events are the same as
 * before they were played. Every event ends before the cool-down starts.
 */
export function chaosSchedule(options: ScheduleOptions): ChaosEvent[] {
  const random = prng(options.seed);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const start = options.warmupSeconds;
  const end = options.seconds - options.cooldownSeconds;
  const span = end - start;
  if (span <= 10) throw new Error(`no room for chaos: ${options.seconds} s less warm-up and cool-down`);
  const events: ChaosEvent[] = [];

  const cycles = Math.max(1, Math.round(span / 180));
  const length = span / cycles;
  const block = options.topology ? TOPOLOGY_BLOCK_SECONDS : 0;
  // A stream of its own, so that a seed gives the fleet the same events with or without a topology.
  const topologyRandom = prng(options.seed ^ 0x7090);
  for (let c = 0; c < cycles; c++) {
    const c0 = start + c * length;
    if (options.topology) {
      events.push(...topologyBlock(options.topology, c0, topologyRandom));
      // At the notifier failure, when the block ends before the restart.
      if (0.5 * length + block < 0.8 * length) {
        events.push(...topologyBlock(options.topology, c0 + 0.5 * length, topologyRandom));
      }
    }
    events.push({
      at: c0 + Math.max(0.3 * length, block),
      type: 'pause',
      seconds: Math.round(between(5, 8) * 10) / 10,
    });
    events.push({
      at: c0 + 0.5 * length,
      type: 'notifier-fail',
      seconds: Math.round(between(8, Math.min(15, 0.25 * length)) * 10) / 10,
    });
    if (options.restarts ?? true) events.push({ at: c0 + 0.8 * length, type: 'restart' });
  }

  const busyUntil = new Map<string, number>();
  /** What each agent's events take of the run, its rest after them included. */
  const taken = new Map<string, { start: number; end: number }[]>();
  const occupy = (agentId: string, at: number, until: number) => {
    busyUntil.set(agentId, until);
    taken.set(agentId, [...(taken.get(agentId) ?? []), { start: at, end: until }]);
  };
  const free = (agentId: string, at: number) => (busyUntil.get(agentId) ?? 0) <= at;
  const pick = (candidates: readonly PlannedAgent[], at: number): PlannedAgent | undefined => {
    for (let tries = 0; tries < 20 && candidates.length > 0; tries++) {
      const agent = candidates[Math.floor(random() * candidates.length)]!;
      if (free(agent.agentId, at)) return agent;
    }
    return undefined;
  };
  const probed = options.agents.filter((a) => a.probed);
  const rate = options.eventsPerSecond ?? 1.2;
  const count = Math.floor(span * rate);
  for (let n = 0; n < count; n++) {
    const at = start + ((n + random()) / count) * span;
    const roll = random();
    if (roll < 0.4) {
      const seconds = Math.round(between(6, 12));
      const agent = pick(options.agents, at);
      if (!agent || at + seconds + 2 > end) continue;
      events.push({ at, type: 'outage', agentId: agent.agentId, kind: 'silent', seconds });
      occupy(agent.agentId, at, at + seconds + REST_SECONDS);
    } else if (roll < 0.8) {
      const agent = pick(options.agents, at);
      if (!agent || at + 4 > end) continue;
      events.push({ at, type: 'outage', agentId: agent.agentId, kind: 'short', seconds: 0 });
      occupy(agent.agentId, at, at + 2 + REST_SECONDS);
    } else if (roll < 0.9) {
      const seconds = Math.round(between(6, 10));
      const agent = pick(probed, at);
      if (!agent || at + seconds + 2 > end) continue;
      events.push({ at, type: 'outage', agentId: agent.agentId, kind: 'host-down', seconds });
      occupy(agent.agentId, at, at + seconds + REST_SECONDS);
    } else {
      const seconds = Math.round(between(3, 8));
      const agent = pick(probed, at);
      if (!agent || at + seconds + 2 > end) continue;
      events.push({ at, type: 'flap', agentId: agent.agentId, seconds });
      occupy(agent.agentId, at, at + seconds + REST_SECONDS);
    }
  }
  events.push(...reboots(options, taken));
  return events.sort((a, b) => a.at - b.at);
}

/**
 * The reboot events (see `chaosSchedule`), on agents free for all of each one's span and its rest:
 * `taken` holds what the other events take, and gains the reboots'.
 */
function reboots(
  options: ScheduleOptions,
  taken: Map<string, { start: number; end: number }[]>,
): ChaosEvent[] {
  const random = prng(options.seed ^ 0xb007);
  const whole = (range: readonly [number, number]) => Math.round(range[0] + random() * (range[1] - range[0]));
  const start = options.warmupSeconds;
  const end = options.seconds - options.cooldownSeconds;
  const span = end - start;
  const events: ChaosEvent[] = [];
  const count = Math.floor(span * REBOOT.perSecond);
  for (let n = 0; n < count; n++) {
    const at = start + ((n + random()) / count) * span;
    const turn = REBOOT_TURNS[n % REBOOT_TURNS.length]!;
    const candidates = options.agents.filter((a) => (a.group === options.pageOnRestart) === turn.pageGroup);
    const plan = rebootPlan(turn.kind, whole);
    if (at + plan.length + 2 > end) continue;
    const until = at + plan.length + REST_SECONDS;
    let agent: PlannedAgent | undefined;
    for (let tries = 0; tries < 20 && candidates.length > 0 && !agent; tries++) {
      const pick = candidates[Math.floor(random() * candidates.length)]!;
      if (!(taken.get(pick.agentId) ?? []).some((t) => t.start < until && at < t.end)) agent = pick;
    }
    if (!agent) continue;
    taken.set(agent.agentId, [...(taken.get(agent.agentId) ?? []), { start: at, end: until }]);
    events.push({ at, type: 'reboot', agentId: agent.agentId, ...plan.event });
  }
  return events;
}

/** A reboot's own fields, its timings drawn by `whole`, and how long it takes from its start. */
function rebootPlan(kind: RebootKind, whole: (range: readonly [number, number]) => number) {
  if (kind === 'quick') return { event: { kind }, length: 2 } as const;
  const { reason } = REBOOT[kind];
  let backInSeconds: number;
  let seconds: number;
  if (kind === 'planned') {
    seconds = whole(REBOOT.planned.silentSeconds);
    backInSeconds = whole(REBOOT.planned.backInSeconds);
  } else {
    backInSeconds = whole(REBOOT.late.backInSeconds);
    seconds = backInSeconds + REBOOT.late.thresholdSeconds + whole(REBOOT.late.pastSeconds);
  }
  // The heartbeat that says goodbye comes within an interval, the first one back within another.
  return { event: { kind, backInSeconds, seconds, reason }, length: 1 + seconds + 1 };
}
