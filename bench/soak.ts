// The soak: `npm run soak [-- --minutes 10 --agents 1000 --seed 1 --console-poll --no-write]` (--help).
//
// Runs `hbw local` (dist/hbw.js) as a child process with fast intervals (1 s heartbeat, 1 s scan,
// 3 missed scans), registers the agents, beats for them over keep-alive HTTP through the relay batch
// route (POST /v1/heartbeats, 100 agents a request, each item with its agent's own token), and plays a
// seeded chaos schedule (bench/soak-schedule.ts): agents go silent long enough to alert or too briefly
// to, probe ports close and reopen, the watcher is SIGSTOPped and SIGCONTed, SIGTERMed and restarted on
// the same data dir and port, and its outbox is made unwritable for a while; agents reboot, quickly
// or after a goodbye (bench/soak-reboot.ts judges those). At the end it sets the
// outbox and GET /v1/alerts?status=all against the schedule (bench/soak-reconcile.ts), prints the table,
// writes it into docs/BENCHMARKS.md, and exits 1 when a goal is missed. With --console-poll it also reads
// what an open console reads and holds the watcher's memory and data dir to a growth goal
// (bench/soak-console.ts). Everything talks to 127.0.0.1 only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import {
  EXIT_TIMEOUT_MS,
  freePort,
  log,
  markdownTable,
  NUMBERS_PAGE,
  numberFlag,
  processCpuMs,
  request,
  runCommand,
  sleep,
  stringFlag,
  UsageError,
  WatcherProcess,
  writeNumbers,
} from './common';
import { describeMachine, machineLine } from './machine';
import {
  CONSOLE_READS,
  CONSOLE_STEP_CHAOS,
  type ConsolePoll,
  consolePollRows,
  GROWTH_BASELINE_SECONDS,
  GROWTH_GOAL_MIN_SECONDS,
  GROWTH_LIMIT,
  GROWTH_WINDOW_SECONDS,
  startConsolePoll,
} from './soak-console';
import {
  FLAPPING,
  PATCHING,
  POLICY_GROUPS,
  type PolicyPlan,
  planPolicy,
  policyGroupsConfig,
  policyRows,
  reconcilePolicy,
  waitForWindowMs,
} from './soak-policy';
import { type Reboot, type RebootVerdict, rebootRows, reconcileReboots } from './soak-reboot';
import {
  type AlertRow,
  type Beat,
  type BlindWindow,
  behindCounts,
  type ChaosWindow,
  distribution,
  goalRows,
  type Notice,
  noticeAlertIds,
  type Outage,
  type ParentOutage,
  type PortFlap,
  reconcile,
  renderRows,
  type SoakVerdict,
  secretsIn,
  type TopologyOutage,
} from './soak-reconcile';
import {
  type ChaosEvent,
  chaosSchedule,
  type PlannedAgent,
  planTopology,
  REBOOT,
  type TopologyPlan,
} from './soak-schedule';

const BATCH = 100;
const HEARTBEAT_SECONDS = 1;
const SCAN_SECONDS = 1;
/** The watcher's default: a switch is probed every third scan, and off its turn when one behind it fails. */
const AGENTLESS_EVERY_N_SCANS = 3;
const MISSED_SCANS = 3;
const PROBE = { attempts: 2, timeoutMs: 500, intervalMs: 200 };
const PROBE_MAX_MS = PROBE.attempts * PROBE.timeoutMs + (PROBE.attempts - 1) * PROBE.intervalMs;
const GROUPS = {
  production: { channels: ['sms', 'email'], paging: true },
  staging: { channels: ['email'], paging: true },
  test: { channels: ['console'], paging: false },
} as const;
/** The group whose `onRestart` is `page` (the others record restarts only): its quick reboots page. */
const PAGE_ON_RESTART: keyof typeof GROUPS = 'staging';
/** The storm guard's settings, written into the config: a topology block stays far below them. */
const STORM = { fraction: 0.5, minAgents: 10 };
/** A switch's port opens once the agents behind it are heard again, or after this long at most. */
const HEARD_TIMEOUT_MS = 30_000;
/** How long a heartbeat batch may wait for an answer: longer than any pause. */
const BATCH_TIMEOUT_MS = 20_000;
/**
 * How long after a restart the watcher is a cold process: in quiet runs of the CI profile its batches
 * took up to about 1 s for 2 to 3 s after it answered again (150 ms at p50 otherwise), while it had
 * read its store through, compiled its code afresh and taken the backlog of every lane at once.
 */
const RESTART_WARMUP_MS = 5_000;
/** A relay retries a batch the watcher did not answer after this long. */
const RETRY_MS = 200;
const DRAIN_TIMEOUT_MS = 45_000;
/** Seconds of the run before the schedule plays anything, and after its last event. */
const WARMUP_SECONDS = 10;
const COOLDOWN_SECONDS = 15;

interface Options {
  readonly minutes: number;
  readonly agents: number;
  readonly seed: number;
  readonly write: boolean;
  readonly keep: boolean;
  readonly hbw: string;
  /** The console step (bench/soak-console.ts), with its own chaos (CONSOLE_STEP_CHAOS). */
  readonly consolePoll: boolean;
}

/** A TCP port standing in for an agent's host: open, it accepts (the probe passes); closed, it refuses. */
class ProbePort {
  private server?: net.Server;
  port = 0;

  async open(): Promise<void> {
    if (this.server) return;
    for (let attempt = 1; ; attempt++) {
      const server = net.createServer((socket) => socket.destroy());
      try {
        await new Promise<void>((done, fail) => {
          server.once('error', fail);
          server.listen(this.port, '127.0.0.1', () => done());
        });
        this.port = (server.address() as net.AddressInfo).port;
        this.server = server;
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(100);
      }
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }
}

interface SimAgent {
  readonly agentId: string;
  readonly group: string;
  readonly probe?: ProbePort;
  token: string;
  /** Its boots so far (the first is 0), the current one's id, and when its host started. */
  boots: number;
  bootId: string;
  bootedAt: number;
  seq: number;
  lastOk?: Beat;
  /** Sends left out from now on (short outages). */
  skipSends: number;
  /** Silent until then (long outages). */
  downUntil: number;
  /** The outage under way, until its first heartbeat back is accepted (or the run ends): then `done`. */
  outage?: { record: MutableOutage; reviveSeq?: number; done: (record: MutableOutage) => void };
  /** The reboot under way, until its first heartbeat of the new boot is accepted (or the run ends). */
  reboot?: RebootUnderWay;
}

type MutableReboot = { -readonly [K in keyof Reboot]: Reboot[K] };

interface RebootUnderWay {
  readonly record: MutableReboot;
  /** Silent this long after the goodbye is answered (planned and late reboots). */
  readonly seconds: number;
  /** The goodbye is sent with each heartbeat until one is accepted. */
  goodbyeAccepted: boolean;
  /** The next heartbeat sent is the first of a new boot. */
  bootDue: boolean;
  readonly done: (record: MutableReboot) => void;
}

const bootIdOf = (agentId: string, boot: number) => `${agentId}.boot-${boot}`;

function simAgent(agentId: string, group: string, token: string, probe?: ProbePort): SimAgent {
  return {
    agentId,
    group,
    probe,
    token,
    boots: 0,
    bootId: bootIdOf(agentId, 0),
    bootedAt: Date.now(),
    seq: 0,
    skipSends: 0,
    downUntil: 0,
  };
}

/** Starts an outage of `agent`: its record, given to `done` once its first heartbeat back is accepted. */
function startOutage(
  agent: SimAgent,
  id: number,
  kind: Outage['kind'],
  done: (record: MutableOutage) => void,
): MutableOutage {
  const record: MutableOutage = { id, agentId: agent.agentId, group: agent.group, kind, killAt: 0 };
  agent.outage = { record, done };
  return record;
}

type MutableOutage = { -readonly [K in keyof Outage]: Outage[K] } & { portReopened?: boolean };

interface LaneStats {
  requests: number;
  failedRequests: number;
  itemsSent: number;
  itemsOk: number;
  itemsRefused: Record<string, number>;
  latencies: number[];
  /** When each answered batch was sent, beside its latency. */
  sentAt: number[];
  firstError?: string;
}

/**
 * One relay's worth of agents (up to 100): a batch every second, one in flight at a time; a tick that
 * finds one in flight sends as soon as it is answered, and a batch the watcher did not answer is
 * retried after RETRY_MS with the heartbeats due then, as `hbw agent relay` does.
 */
class Lane {
  private inFlight = false;
  private owed = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly agents: readonly SimAgent[],
    private readonly offsetMs: number,
    private readonly t0: number,
    private readonly port: () => number,
    private readonly http: http.Agent,
    private readonly stats: LaneStats,
  ) {}

  start(): void {
    this.tick();
  }

  private tick = () => {
    if (this.stopped) return;
    if (this.inFlight) this.owed = true;
    else this.idle = this.send();
    const now = Date.now();
    const next = this.t0 + Math.ceil((now - this.t0 - this.offsetMs + 1) / 1000) * 1000 + this.offsetMs;
    this.timer = setTimeout(this.tick, next - now);
  };

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    await this.idle;
  }

  private async send(): Promise<void> {
    this.inFlight = true;
    const now = Date.now();
    const sent: { agent: SimAgent; seq: number; boot: number; goodbye: boolean }[] = [];
    const items: unknown[] = [];
    for (const agent of this.agents) {
      if (agent.skipSends > 0 || now < agent.downUntil) {
        agent.skipSends = Math.max(0, agent.skipSends - 1);
        if (agent.outage && agent.outage.record.killAt === 0) agent.outage.record.killAt = now;
        if (agent.reboot && agent.reboot.record.killAt === 0) agent.reboot.record.killAt = now;
        continue;
      }
      const reboot = agent.reboot;
      if (reboot?.bootDue) {
        // The host started a moment ago; the agent's first heartbeat of the boot is seq 1.
        reboot.bootDue = false;
        agent.boots += 1;
        agent.bootId = bootIdOf(agent.agentId, agent.boots);
        agent.bootedAt = now - 500;
        agent.seq = 0;
        reboot.record.reviveAt = now;
      }
      const goodbye = reboot?.record.goodbye && !reboot.goodbyeAccepted ? reboot.record.goodbye : undefined;
      agent.seq += 1;
      if (agent.outage && agent.outage.reviveSeq === undefined) {
        agent.outage.reviveSeq = agent.seq;
        agent.outage.record.reviveAt = now;
        if (agent.outage.record.kind === 'host-down' && agent.probe && !agent.outage.record.portReopened) {
          agent.outage.record.portReopened = true;
          await agent.probe.open();
        }
      }
      sent.push({ agent, seq: agent.seq, boot: agent.boots, goodbye: goodbye !== undefined });
      items.push({
        agentId: agent.agentId,
        token: agent.token,
        seq: agent.seq,
        bootId: agent.bootId,
        bootedAt: new Date(agent.bootedAt).toISOString(),
        sentAt: new Date(now).toISOString(),
        ...(goodbye ? { goodbye } : {}),
      });
    }
    let failed = false;
    if (items.length > 0) {
      this.stats.requests += 1;
      this.stats.itemsSent += items.length;
      try {
        const res = await request(this.http, this.port(), 'POST', '/v1/heartbeats', {
          body: JSON.stringify({ heartbeats: items }),
          timeoutMs: BATCH_TIMEOUT_MS,
        });
        const resp = Date.now();
        this.stats.latencies.push(resp - now);
        this.stats.sentAt.push(now);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
        const results = (JSON.parse(res.text) as { results: { agentId: string; status: string }[] }).results;
        results.forEach((result, index) => {
          const { agent, seq, boot, goodbye } = sent[index]!;
          if (result.status !== 'ok') {
            this.stats.itemsRefused[result.status] = (this.stats.itemsRefused[result.status] ?? 0) + 1;
            return;
          }
          this.stats.itemsOk += 1;
          const beat = { send: now, resp };
          const outage = agent.outage;
          if (outage?.reviveSeq !== undefined && seq >= outage.reviveSeq) {
            outage.record.lastBefore = agent.lastOk;
            outage.record.firstAfter = beat;
            agent.outage = undefined;
            outage.done(outage.record);
          }
          const reboot = agent.reboot;
          if (reboot && goodbye && !reboot.goodbyeAccepted) {
            // Said goodbye: silent from now on, then back under a new boot.
            reboot.goodbyeAccepted = true;
            reboot.record.killAt = resp;
            agent.downUntil = resp + reboot.seconds * 1000;
            reboot.bootDue = true;
          } else if (reboot?.record.reviveAt !== undefined && boot === agent.boots) {
            reboot.record.lastBefore = agent.lastOk;
            reboot.record.firstAfter = beat;
            agent.reboot = undefined;
            reboot.done(reboot.record);
          }
          agent.lastOk = beat;
        });
      } catch (error) {
        failed = true;
        this.stats.failedRequests += 1;
        this.stats.firstError ??= String((error as Error).message ?? error);
      }
    }
    this.inFlight = false;
    if (this.stopped) return;
    if (failed) {
      this.owed = true;
      this.retry = setTimeout(() => {
        if (!this.inFlight && this.owed && !this.stopped) {
          this.owed = false;
          this.idle = this.send();
        }
      }, RETRY_MS);
    } else if (this.owed) {
      this.owed = false;
      this.idle = this.send();
    }
  }
}

/** Reads the outbox as it grows; the file may be a directory for a while (the notifier failure). */
class OutboxTail {
  private offset = 0;
  private partial = '';
  readonly lines: { line: string; observedAt: number }[] = [];

  constructor(private readonly path: string) {}

  poll(): void {
    let fd: number;
    try {
      if (!statSync(this.path).isFile()) return;
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const now = Date.now();
      const buffer = Buffer.alloc(64 * 1024);
      for (let reads = 0; reads < 10_000; reads++) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const text = this.partial + buffer.subarray(0, n).toString('utf8');
        const parts = text.split('\n');
        this.partial = parts.pop() ?? '';
        for (const line of parts) if (line.trim()) this.lines.push({ line, observedAt: now });
      }
    } finally {
      closeSync(fd);
    }
  }
}

function parseOptions(argv: readonly string[]): Options {
  const minutes = numberFlag(argv, '--minutes', 10);
  const agents = Math.round(numberFlag(argv, '--agents', 1000));
  if (minutes < 1) throw new UsageError('--minutes must be at least 1');
  if (agents < 20) throw new UsageError('--agents must be at least 20');
  return {
    minutes,
    agents,
    seed: Math.round(numberFlag(argv, '--seed', 1)),
    write: !argv.includes('--no-write'),
    keep: argv.includes('--keep'),
    hbw: resolve(stringFlag(argv, '--hbw') ?? 'dist/hbw.js'),
    consolePoll: argv.includes('--console-poll'),
  };
}

/** The profile's key in docs/BENCHMARKS.md: each profile, and each seed other than 1, keeps a section of its own. */
function profileName(options: Options): string {
  return `minutes=${options.minutes} agents=${options.agents}${options.seed === 1 ? '' : ` seed=${options.seed}`}${options.consolePoll ? ' console-poll' : ''}`;
}

function planAgents(count: number): (PlannedAgent & { paging: boolean })[] {
  return Array.from({ length: count }, (_, i) => {
    const slot = i % 10;
    const group = slot < 4 ? 'production' : slot < 7 ? 'staging' : 'test';
    const agentId = `${group === 'production' ? 'prod' : group === 'staging' ? 'stg' : 'lab'}-${String(i).padStart(4, '0')}`;
    // Every tenth agent (production) and every twentieth at slot 5 (staging) has a probe.
    const probed = slot === 0 || i % 20 === 5;
    return { agentId, group, probed, paging: GROUPS[group as keyof typeof GROUPS].paging };
  });
}

/** The run's working directory and the files in it. */
interface RunFiles {
  readonly dir: string;
  readonly dataDir: string;
  readonly outboxPath: string;
  readonly logFile: string;
  readonly configFile: string;
}

/** Phase 1: a working directory, and the watcher's config (fast intervals, the fleet's groups) in it. */
function prepareFiles(): RunFiles {
  const dir = mkdtempSync(join(tmpdir(), 'hbw-soak-'));
  const dataDir = join(dir, 'data');
  const files = {
    dir,
    dataDir,
    outboxPath: join(dataDir, 'outbox.jsonl'),
    logFile: join(dir, 'watcher.log'),
    configFile: join(dir, 'heartbeat-watcher.config.json'),
  };
  mkdirSync(dataDir);
  const fleetGroups = {
    production: {
      channels: GROUPS.production.channels,
      subscriptions: { sms: ['+15555550100'], email: ['oncall@example.com'] },
    },
    staging: { channels: GROUPS.staging.channels, subscriptions: { email: ['staging@example.com'] } },
    test: { channels: GROUPS.test.channels },
  };
  writeFileSync(
    files.configFile,
    JSON.stringify(
      {
        heartbeatIntervalSeconds: HEARTBEAT_SECONDS,
        scanIntervalSeconds: SCAN_SECONDS,
        agentlessEveryNScans: AGENTLESS_EVERY_N_SCANS,
        missedScansBeforeAlert: MISSED_SCANS,
        probe: PROBE,
        stormFraction: STORM.fraction,
        stormMinAgents: STORM.minAgents,
        clusters: topologyClusters(planTopology()),
        groups: {
          ...fleetGroups,
          [PAGE_ON_RESTART]: { ...fleetGroups[PAGE_ON_RESTART], onRestart: 'page' },
          ...policyGroupsConfig(),
        },
      },
      null,
      2,
    ),
  );
  return files;
}

/** The fleet as registered: the planned agents, the topology, and every agent that beats, by id. */
interface Fleet {
  readonly planned: ReturnType<typeof planAgents>;
  readonly topology: Topology;
  /** Sorted by id. */
  readonly agents: readonly SimAgent[];
  readonly byId: ReadonlyMap<string, SimAgent>;
}

/** Phase 2: the agents, each with its own token (probed ones get a port of their own, kept in `ports`). */
async function addFleet(
  keepAlive: http.Agent,
  port: number,
  count: number,
  ports: ProbePort[],
): Promise<Fleet> {
  const planned = planAgents(count);
  const agents: SimAgent[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < planned.length) {
        const plan = planned[next++]!;
        let probe: ProbePort | undefined;
        if (plan.probed) {
          probe = new ProbePort();
          await probe.open();
          ports.push(probe);
        }
        const body = {
          agentId: plan.agentId,
          group: plan.group,
          ...(probe ? { probe: { type: 'tcp', host: '127.0.0.1', port: probe.port } } : {}),
        };
        const token = await addAgent(keepAlive, port, body);
        agents.push(simAgent(plan.agentId, plan.group, token, probe));
      }
    }),
  );
  const topology = await addTopology(keepAlive, port, planTopology(), ports);
  agents.push(...topology.agents);
  agents.push(...(await addPolicyAgents(keepAlive, port)));
  agents.sort((a, b) => a.agentId.localeCompare(b.agentId));
  log(`added ${agents.length} agents (${ports.length} with a TCP probe)`);
  return { planned, topology, agents, byId: new Map(agents.map((a) => [a.agentId, a])) };
}

/** What the run records as it plays: what the reconciliation judges. */
interface RunRecords {
  readonly stats: LaneStats;
  readonly outages: MutableOutage[];
  readonly reboots: MutableReboot[];
  readonly flaps: PortFlap[];
  readonly chaos: ChaosWindow[];
  /** After each restart: the alerts recorded before it that the restarted watcher no longer lists. */
  readonly snapshots: { at: number; missing: string[] }[];
  readonly restarts: { downMs: number; exit: number | null; killed: boolean }[];
}

function emptyRecords(): RunRecords {
  return {
    stats: {
      requests: 0,
      failedRequests: 0,
      itemsSent: 0,
      itemsOk: 0,
      itemsRefused: {},
      latencies: [],
      sentAt: [],
    },
    outages: [],
    reboots: [],
    flaps: [],
    chaos: [],
    snapshots: [],
    restarts: [],
  };
}

/** One lane per BATCH agents, their sends spread over the second. */
function startLanes(
  agents: readonly SimAgent[],
  t0: number,
  port: number,
  keepAlive: http.Agent,
  stats: LaneStats,
): Lane[] {
  const laneCount = Math.ceil(agents.length / BATCH);
  const lanes = Array.from(
    { length: laneCount },
    (_, j) =>
      new Lane(
        agents.slice(j * BATCH, (j + 1) * BATCH),
        Math.floor((j * 1000) / laneCount),
        t0,
        () => port,
        keepAlive,
        stats,
      ),
  );
  for (const lane of lanes) lane.start();
  return lanes;
}

/** Plays each event of the schedule on the agents or the watcher, and records what it did. */
class ChaosPlayer {
  private outageId = 0;
  private rebootId = 0;
  readonly topologyChaos: TopologyChaos;

  constructor(
    private readonly watcher: WatcherProcess,
    private readonly keepAlive: http.Agent,
    private readonly port: number,
    private readonly fleet: Fleet,
    private readonly outboxPath: string,
    private readonly records: RunRecords,
  ) {
    this.topologyChaos = new TopologyChaos(fleet.topology, fleet.byId);
  }

  async run(event: ChaosEvent): Promise<void> {
    const at = Date.now();
    switch (event.type) {
      case 'outage':
        return this.outage(event, at);
      case 'reboot':
        return this.reboot(event, at);
      case 'flap':
        return this.flap(event, at);
      case 'pause':
        return this.pause(event.seconds, at);
      case 'restart':
        return this.restart();
      case 'notifier-fail':
        return this.notifierFail(event.seconds, at);
      case 'parent-outage':
      case 'quorum-loss':
        return this.topologyChaos.run(event);
    }
  }

  private async outage(event: Extract<ChaosEvent, { type: 'outage' }>, at: number): Promise<void> {
    const agent = this.fleet.byId.get(event.agentId)!;
    // A pause can stretch an outage past the rest the schedule left: never stack two on one agent.
    if (agent.outage || agent.reboot || agent.downUntil > at) return;
    startOutage(agent, ++this.outageId, event.kind, (record) => this.records.outages.push(record));
    if (event.kind === 'short') agent.skipSends = 1;
    else agent.downUntil = at + event.seconds * 1000;
    if (event.kind === 'host-down') await agent.probe?.close();
  }

  private reboot(event: Extract<ChaosEvent, { type: 'reboot' }>, at: number): void {
    const agent = this.fleet.byId.get(event.agentId)!;
    if (agent.outage || agent.reboot || agent.downUntil > at || agent.skipSends > 0) return;
    const planned = event.kind !== 'quick';
    agent.reboot = {
      record: {
        id: ++this.rebootId,
        agentId: agent.agentId,
        group: agent.group,
        kind: event.kind,
        killAt: 0,
        ...(planned ? { goodbye: { backInSeconds: event.backInSeconds, reason: event.reason } } : {}),
      },
      seconds: planned ? event.seconds : 0,
      goodbyeAccepted: false,
      // A quick reboot leaves out one heartbeat; the next is the new boot's first.
      bootDue: !planned,
      done: (record) => this.records.reboots.push(record),
    };
    if (!planned) agent.skipSends = 1;
  }

  private async flap(event: Extract<ChaosEvent, { type: 'flap' }>, at: number): Promise<void> {
    const agent = this.fleet.byId.get(event.agentId)!;
    await agent.probe?.close();
    await sleep(event.seconds * 1000);
    await agent.probe?.open();
    this.records.flaps.push({
      agentId: agent.agentId,
      group: agent.group,
      closedAt: at,
      reopenedAt: Date.now(),
    });
  }

  private async pause(seconds: number, at: number): Promise<void> {
    log(`chaos: SIGSTOP the watcher for ${seconds} s`);
    this.watcher.signal('SIGSTOP');
    await sleep(seconds * 1000);
    this.watcher.signal('SIGCONT');
    this.records.chaos.push({ kind: 'pause', start: at, end: Date.now() });
  }

  private async restart(): Promise<void> {
    const before = await this.alertIds();
    log(`chaos: SIGTERM the watcher (${before.size} alerts recorded), then start it again`);
    const stopAt = Date.now();
    const exit = await this.watcher.stop();
    const readyAt = await this.watcher.start();
    this.records.chaos.push({ kind: 'restart', start: stopAt, end: readyAt });
    const after = await this.alertIds();
    const missing = [...before].filter((id) => !after.has(id));
    this.records.snapshots.push({ at: readyAt, missing });
    this.records.restarts.push({ downMs: readyAt - stopAt, exit: exit.code, killed: exit.killed });
    log(
      `chaos: watcher back after ${readyAt - stopAt} ms (exit ${exit.code}); ${missing.length} alerts missing`,
    );
  }

  private async notifierFail(seconds: number, at: number): Promise<void> {
    log(`chaos: the outbox is a directory for ${seconds} s`);
    const outboxPath = this.outboxPath;
    const saved = `${outboxPath}.soak-saved`;
    const had = existsSync(outboxPath);
    if (had) renameSync(outboxPath, saved);
    mkdirSync(outboxPath);
    await sleep(seconds * 1000);
    rmdirSync(outboxPath);
    if (had) renameSync(saved, outboxPath);
    this.records.chaos.push({ kind: 'notifier', start: at, end: Date.now() });
  }

  private async alertIds(): Promise<Set<string>> {
    const res = await request(this.keepAlive, this.port, 'GET', '/v1/alerts?status=all', {
      timeoutMs: 30_000,
    });
    if (res.status !== 200) throw new Error(`GET /v1/alerts: ${res.status} ${res.text.slice(0, 200)}`);
    return new Set((JSON.parse(res.text) as { alerts: { alertId: string }[] }).alerts.map((a) => a.alertId));
  }
}

/**
 * Phase 3, the timeline: each event at its time, and the policy groups' own play beside them. The
 * watcher's own events run one after another (a restart never overlaps a pause); agent events keep
 * their times whatever the watcher is going through. Ends at the end of the run's seconds.
 */
async function playTimeline(
  schedule: readonly ChaosEvent[],
  t0: number,
  seconds: number,
  player: ChaosPlayer,
  policy: () => Promise<void>,
  progress: () => string,
): Promise<void> {
  const end = t0 + seconds * 1000;
  const isWatcherEvent = (e: ChaosEvent) =>
    e.type === 'pause' || e.type === 'restart' || e.type === 'notifier-fail';
  const failed = (error: unknown) => {
    log(`chaos event failed: ${String(error)}`);
  };
  const background: Promise<void>[] = [];
  const watcherChain = (async () => {
    for (const event of schedule.filter(isWatcherEvent)) {
      const due = t0 + event.at * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      await player.run(event).catch(failed);
    }
  })();
  const policyPlay = policy().catch(failed);
  let last = Date.now();
  for (const event of schedule.filter((e) => !isWatcherEvent(e))) {
    const due = t0 + event.at * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    background.push(player.run(event).catch(failed));
    if (Date.now() - last > 15_000) {
      last = Date.now();
      log(`t+${Math.round((Date.now() - t0) / 1000)} s: ${progress()}`);
    }
  }
  background.push(watcherChain, policyPlay);
  await Promise.all(background);
  if (end > Date.now()) await sleep(end - Date.now());
}

/**
 * Phase 4, the drain: every agent beats, so every alert must resolve and every notice go out. Answers
 * every alert as it stands when none is owed (or at DRAIN_TIMEOUT_MS).
 */
async function drain(
  keepAlive: http.Agent,
  port: number,
  byId: ReadonlyMap<string, SimAgent>,
): Promise<AlertRow[]> {
  log('cool-down over; waiting for every alert to resolve and every notice to go out');
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const allAlerts = await fetchAlerts(keepAlive, port);
    const owed = allAlerts.filter(
      (a) =>
        a.status === 'open' ||
        ['pending', 'sending'].includes(a.opening ?? '') ||
        ['pending', 'sending'].includes(a.recovery ?? ''),
    );
    const waiting = [...byId.values()].filter((a) => a.outage || a.reboot).length;
    if ((owed.length === 0 && waiting === 0) || Date.now() > drainDeadline) return allAlerts;
    await sleep(1000);
  }
}

/** Outages and reboots still open at the end (an agent whose first heartbeat back never landed). */
function closeOpenRecords(byId: ReadonlyMap<string, SimAgent>): void {
  for (const agent of byId.values()) {
    if (agent.outage) agent.outage.done({ ...agent.outage.record, lastBefore: agent.lastOk });
    if (agent.reboot) agent.reboot.done({ ...agent.reboot.record, lastBefore: agent.lastOk });
  }
}

/** What the run saw, once it is over: the reconciliation's input. */
interface RunOutcome {
  readonly records: RunRecords;
  readonly policyPlan: PolicyPlan;
  readonly allAlerts: readonly AlertRow[];
  readonly allNotices: readonly Notice[];
  readonly blind: readonly BlindWindow[];
  /** What the topology's events did. */
  readonly topologyOutages: TopologyOutage[];
  readonly heartbeatEnd: number;
}

/** Phase 5, the reconciliation: the outbox and the alerts set against the schedule, group by group. */
function reconcileRun(run: RunOutcome) {
  const { records, blind } = run;
  const chaos = records.chaos;
  // The policy groups are judged apart (bench/soak-policy.ts): their silences are no outages of the schedule.
  const isPolicy = (x: { group: string }) => (POLICY_GROUPS as readonly string[]).includes(x.group);
  const policy = reconcilePolicy(
    run.policyPlan,
    run.allAlerts.filter(isPolicy),
    run.allNotices.filter(isPolicy),
    [...blind, ...chaos],
  );
  const alerts = run.allAlerts.filter((a) => !isPolicy(a));
  const notices = run.allNotices.filter((n) => !isPolicy(n));
  const settings = {
    scanIntervalMs: SCAN_SECONDS * 1000,
    heartbeatIntervalMs: HEARTBEAT_SECONDS * 1000,
    agentlessEveryNScans: AGENTLESS_EVERY_N_SCANS,
    missedScans: MISSED_SCANS,
    probeMaxMs: PROBE_MAX_MS,
    slackMs: 1500,
    pagingGroups: Object.entries(GROUPS)
      .filter(([, g]) => g.paging)
      .map(([name]) => name),
    end: run.heartbeatEnd,
  };
  const reboots = reconcileReboots({
    reboots: records.reboots,
    alerts,
    notices,
    chaos,
    blind,
    pageOnRestart: PAGE_ON_RESTART,
    settings,
  });
  const verdict = reconcile({
    outages: records.outages,
    flaps: records.flaps,
    chaos,
    blind,
    alerts,
    notices,
    missingAfterRestart: records.snapshots.flatMap((s) => s.missing),
    topology: run.topologyOutages,
    judgedApart: reboots.claimed,
    settings,
  });
  return { policy, notices, reboots, verdict };
}

/** What the watcher's log and the outbox say: notices not sent, errors, failed items, leaked tokens. */
function logFigures(logFile: string, outboxLines: readonly string[], agents: readonly SimAgent[]) {
  const watcherLog = readFileSync(logFile, 'utf8');
  return {
    noticeFailures: (watcherLog.match(/"msg":"notice not sent"/g) ?? []).length,
    unhandled: (watcherLog.match(/"msg":"(unhandled error|agent scan failed[^"]*|scan failed[^"]*)"/g) ?? [])
      .length,
    // Items whose write failed: under overload (a store timeout), or cut off by a SIGTERM mid-batch.
    batchItemFailures: (watcherLog.match(/"msg":"batch item failed"/g) ?? []).length,
    // Tokens never reach a log or a page: every agent's token, and its hash, looked for in both.
    leakedTokens: secretsIn(
      `${watcherLog}\n${outboxLines.join('\n')}`,
      agents.map((a) => a.token),
    ),
  };
}

/**
 * The heartbeat batches, set apart by the watcher's own chaos. Clear of it, answered within one
 * heartbeat interval means ingest keeps up; a restarted watcher is a cold process, so the batches of
 * its first seconds are reported apart.
 */
function batchRows(stats: LaneStats, chaos: readonly ChaosWindow[]): ReturnType<typeof goalRows> {
  const down = chaos
    .filter((c) => c.kind !== 'notifier')
    .map((c) => ({
      start: c.start - BATCH_TIMEOUT_MS,
      end: c.end + (c.kind === 'restart' ? RESTART_WARMUP_MS : 2000),
    }));
  const batches = stats.sentAt.map((at, k) => ({ at, ms: stats.latencies[k]! }));
  const clear = batches.filter((b) => !down.some((w) => b.at >= w.start && b.at <= w.end));
  const warming = batches.filter((b) =>
    chaos.some((c) => c.kind === 'restart' && b.at > c.end && b.at <= c.end + RESTART_WARMUP_MS),
  );
  const inTime = clear.filter((b) => b.ms <= 1000).length;
  return [
    {
      measure: `heartbeat batches answered within the 1 s interval (clear of pauses, and of restarts and the ${RESTART_WARMUP_MS / 1000} s after each)`,
      result: `${clear.length === 0 ? '-' : ((100 * inTime) / clear.length).toFixed(1)}% of ${clear.length}; p99 ${Math.round(distribution(clear.map((b) => b.ms)).p99)} ms`,
      goal: '>= 99%',
      met: clear.length > 0 && inTime >= 0.99 * clear.length,
    },
    {
      measure: `heartbeat batches in the ${RESTART_WARMUP_MS / 1000} s after a restart (a cold process: it read its store through, compiles afresh, takes every lane's backlog)`,
      result:
        warming.length === 0
          ? '-'
          : `${warming.filter((b) => b.ms <= 1000).length} of ${warming.length} within 1 s; max ${Math.round(Math.max(...warming.map((b) => b.ms)))} ms`,
      goal: '-',
    },
  ];
}

/** The watcher's own goals: nothing refused, no errors, no token leaked, every SIGTERM a clean exit. */
function watcherRows(
  refusedItems: number,
  figures: ReturnType<typeof logFigures>,
  agentCount: number,
  cleanExit: boolean,
): ReturnType<typeof goalRows> {
  return [
    {
      measure: 'heartbeat items the watcher refused (unavailable, unauthorized...)',
      result: String(refusedItems),
      goal: '0',
      met: refusedItems === 0,
    },
    {
      measure: 'failed scans and unhandled errors in the watcher log',
      result: String(figures.unhandled),
      goal: '0',
      met: figures.unhandled === 0,
    },
    {
      measure: `agent tokens, or their hashes, in the watcher log or the outbox (of ${agentCount})`,
      result: String(figures.leakedTokens),
      goal: '0',
      met: figures.leakedTokens === 0,
    },
    {
      measure: `every SIGTERM ends the watcher with exit 0 within ${EXIT_TIMEOUT_MS / 1000} s`,
      result: cleanExit ? 'yes' : 'no',
      goal: 'yes',
      met: cleanExit,
    },
  ];
}

/** The runner's own figures, printed beside the goals and kept in verdict.json. */
function runnerFigures(input: {
  readonly records: RunRecords;
  readonly delay: IntervalHistogram;
  readonly watcherCores: number;
  readonly blind: readonly BlindWindow[];
  readonly figures: ReturnType<typeof logFigures>;
  readonly finalExit: number | null;
  readonly noticeLines: number;
  readonly schedule: readonly ChaosEvent[];
  readonly fleet: Fleet;
}) {
  const { stats, chaos, restarts } = input.records;
  const { delay, figures, fleet } = input;
  const lat = distribution(stats.latencies);
  return {
    requests: stats.requests,
    failedRequests: stats.failedRequests,
    itemsSent: stats.itemsSent,
    itemsOk: stats.itemsOk,
    refused: stats.itemsRefused,
    batchP50: lat.p50,
    batchP99: lat.p99,
    batchMax: lat.max,
    firstError: stats.firstError,
    watcherCores: input.watcherCores,
    runnerDelayMaxMs: delay.max / 1e6,
    runnerDelayP99Ms: delay.percentile(99) / 1e6,
    blindWindows: input.blind.length,
    noticeFailures: figures.noticeFailures,
    watcherErrors: figures.unhandled,
    batchItemFailures: figures.batchItemFailures,
    restarts,
    pauses: chaos.filter((c) => c.kind === 'pause').map((c) => c.end - c.start),
    notifierFailures: chaos.filter((c) => c.kind === 'notifier').map((c) => c.end - c.start),
    finalExit: input.finalExit,
    noticeLines: input.noticeLines,
    scheduled: scheduledCounts(input.schedule),
    storm: stormFigures(fleet.agents.length + fleet.topology.plan.switches.length, fleet.topology.plan),
  };
}

/**
 * The end of the heartbeats: the console poll and the lanes stop, the outbox is read to its end, and
 * the watcher is stopped (its CPU time taken first).
 */
async function stopRun(run: {
  readonly watcher: WatcherProcess;
  readonly lanes: readonly Lane[];
  readonly poll: ConsolePoll | undefined;
  readonly delay: IntervalHistogram;
  readonly tail: OutboxTail;
  readonly tailTimer: NodeJS.Timeout;
}) {
  const heartbeatEnd = Date.now();
  const polled = await run.poll?.stop();
  for (const lane of run.lanes) await lane.stop();
  run.delay.disable();
  await sleep(300);
  run.tail.poll();
  clearInterval(run.tailTimer);
  const watcherCpuMs = run.watcher.cpuMs + processCpuMs(run.watcher.child?.pid);
  const finalExit = await run.watcher.stop();
  run.tail.poll();
  return { heartbeatEnd, polled, watcherCpuMs, finalExit };
}

/** Phase 5 and 6: the run reconciled against the schedule, its table printed and kept; answers whether every goal was met. */
function judgeAndReport(run: {
  readonly argv: readonly string[];
  readonly options: Options;
  readonly machine: ReturnType<typeof describeMachine>;
  readonly started: number;
  readonly seconds: number;
  readonly files: RunFiles;
  readonly fleet: Fleet;
  readonly schedule: readonly ChaosEvent[];
  readonly policyPlan: PolicyPlan;
  readonly records: RunRecords;
  readonly allAlerts: readonly AlertRow[];
  readonly tail: OutboxTail;
  readonly topologyOutages: TopologyOutage[];
  readonly polled: Awaited<ReturnType<ConsolePoll['stop']>> | undefined;
  readonly delay: IntervalHistogram;
  readonly watcherCores: number;
  readonly finalExit: number | null;
  readonly heartbeatEnd: number;
}): boolean {
  const { files, fleet, records, tail } = run;
  const blind = blindWindows(files.logFile, SCAN_SECONDS * 1000);
  const { policy, notices, reboots, verdict } = reconcileRun({
    records,
    policyPlan: run.policyPlan,
    allAlerts: run.allAlerts,
    allNotices: tail.lines.map(({ line, observedAt }) => toNotice(line, observedAt)),
    blind,
    topologyOutages: run.topologyOutages,
    heartbeatEnd: run.heartbeatEnd,
  });
  const figures = logFigures(
    files.logFile,
    tail.lines.map((l) => l.line),
    fleet.agents,
  );
  const runner = runnerFigures({
    records,
    delay: run.delay,
    watcherCores: run.watcherCores,
    blind,
    figures,
    finalExit: run.finalExit,
    noticeLines: notices.length,
    schedule: run.schedule,
    fleet,
  });
  const cleanExit = records.restarts.every((r) => r.exit === 0 && !r.killed) && run.finalExit === 0;
  const refusedItems = Object.values(records.stats.itemsRefused).reduce((n, v) => n + v, 0);
  const rows = [
    ...goalRows(verdict.totals),
    ...rebootRows(reboots.totals, PAGE_ON_RESTART),
    ...policyRows(policy),
    ...(run.polled ? consolePollRows(run.polled, run.seconds) : []),
    ...batchRows(records.stats, records.chaos),
    ...watcherRows(refusedItems, figures, fleet.agents.length, cleanExit),
  ];
  const allMet = rows.every((r) => r.met !== false);
  const section = renderSection({
    command: ['npm run soak --', ...run.argv].join(' ').replace(/ --$/, ''),
    machine: run.machine,
    options: run.options,
    seconds: run.seconds,
    wallSeconds: (Date.now() - run.started) / 1000,
    rows,
    runner,
    verdict,
    reboots,
    allMet,
  });
  process.stdout.write(`${section}\n`);
  const kept = {
    runner,
    verdict,
    reboots,
    policy,
    policyPlan: run.policyPlan,
    chaos: records.chaos,
    blind,
    polled: run.polled,
  };
  writeFileSync(join(files.dir, 'verdict.json'), JSON.stringify(kept, null, 2));
  if (run.options.write) {
    writeNumbers(`soak ${profileName(run.options)}`, section);
    log(`wrote its section of ${NUMBERS_PAGE}`);
  }
  log(allMet ? 'soak: every goal met' : 'soak: a goal was missed (see the table)');
  return allMet;
}

/** The soak, phase by phase: set up, register, play the schedule, drain, reconcile, report. */
async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!existsSync(options.hbw)) throw new Error(`${options.hbw} is missing: run npm run build first`);
  const seconds = Math.round(options.minutes * 60);
  const started = Date.now();
  const machine = describeMachine();
  const files = prepareFiles();
  log(`soak: ${options.agents} agents, ${seconds} s, seed ${options.seed}; working in ${files.dir}`);

  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const port = await freePort();
  const watcher = new WatcherProcess(
    options.hbw,
    [
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--config',
      files.configFile,
      '--data-dir',
      files.dataDir,
    ],
    files.logFile,
    port,
    keepAlive,
  );
  const delay = monitorEventLoopDelay({ resolution: 20 });
  let lanes: Lane[] = [];
  let poll: ConsolePoll | undefined;
  const ports: ProbePort[] = [];
  let exitCode = 1;
  try {
    await watcher.start();
    log(`watcher up on 127.0.0.1:${port} (pid ${watcher.child?.pid})`);
    const fleet = await addFleet(keepAlive, port, options.agents, ports);
    const schedule = chaosSchedule({
      seconds,
      warmupSeconds: WARMUP_SECONDS,
      cooldownSeconds: COOLDOWN_SECONDS,
      agents: fleet.planned,
      topology: fleet.topology.plan,
      seed: options.seed,
      pageOnRestart: PAGE_ON_RESTART,
      ...(options.consolePoll ? CONSOLE_STEP_CHAOS : {}),
    });
    const records = emptyRecords();
    const tail = new OutboxTail(files.outboxPath);

    // A maintenance window (each minute, on the minute) opens two seconds after the warm-up.
    await sleep(waitForWindowMs(Date.now(), WARMUP_SECONDS + 2));
    const t0 = Date.now();
    const policyPlan = planPolicy(t0 + WARMUP_SECONDS * 1000, t0 + (seconds + COOLDOWN_SECONDS) * 1000);
    delay.enable();
    lanes = startLanes(fleet.agents, t0, port, keepAlive, records.stats);
    if (options.consolePoll) poll = startConsolePoll(watcher, keepAlive, files.dataDir);
    const tailTimer = setInterval(() => tail.poll(), 250);
    const player = new ChaosPlayer(watcher, keepAlive, port, fleet, files.outboxPath, records);
    await playTimeline(
      schedule,
      t0,
      seconds,
      player,
      () => playPolicy(policyPlan, fleet.byId),
      () =>
        `${records.stats.itemsOk} heartbeats accepted, ${records.outages.length} outages closed, ${tail.lines.length} outbox lines`,
    );

    const allAlerts = await drain(keepAlive, port, fleet.byId);
    const stopped = await stopRun({ watcher, lanes, poll, delay, tail, tailTimer });
    closeOpenRecords(fleet.byId);

    const allMet = judgeAndReport({
      argv,
      options,
      machine,
      started,
      seconds,
      files,
      fleet,
      schedule,
      policyPlan,
      records,
      allAlerts,
      tail,
      topologyOutages: player.topologyChaos.outages(),
      polled: stopped.polled,
      delay,
      watcherCores: stopped.watcherCpuMs / (stopped.heartbeatEnd - t0),
      finalExit: stopped.finalExit.code,
      heartbeatEnd: stopped.heartbeatEnd,
    });
    exitCode = allMet ? 0 : 1;
    return exitCode;
  } finally {
    await poll?.stop();
    for (const lane of lanes) await lane.stop();
    await watcher.stop();
    for (const p of ports) await p.close();
    keepAlive.destroy();
    if (options.keep || exitCode !== 0)
      log(`kept ${files.dir} (watcher.log, data/outbox.jsonl, verdict.json)`);
    else rmSync(files.dir, { recursive: true, force: true });
  }
}

/**
 * Adds one agent through `POST /v1/agents` and answers its token; an agentless entry
 * (`beats` false) gets none.
 */
async function addAgent(
  keepAlive: http.Agent,
  port: number,
  body: Record<string, unknown>,
  beats = true,
): Promise<string> {
  const res = await request(keepAlive, port, 'POST', '/v1/agents', { body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`adding ${String(body.agentId)}: ${res.status} ${res.text}`);
  const token = (JSON.parse(res.text) as { token?: string }).token;
  if (beats && token === undefined) throw new Error(`adding ${String(body.agentId)}: no token in the answer`);
  return token ?? '';
}

/** The topology as registered: its plan, each switch's probe port, and the agents that beat. */
interface Topology {
  readonly plan: TopologyPlan;
  readonly switchPorts: ReadonlyMap<string, ProbePort>;
  readonly agents: readonly SimAgent[];
}

/** The config's `clusters` for the topology's cluster. */
function topologyClusters(plan: TopologyPlan) {
  return { [plan.cluster.name]: { group: plan.group, minHealthy: plan.cluster.minHealthy } };
}

/**
 * Registers the topology (see `planTopology`): each switch as an agentless entry probed on a port of
 * its own (kept in `ports`), the agents behind it with the switch as their `parent`, the cluster's
 * members with their `cluster`.
 */
async function addTopology(
  keepAlive: http.Agent,
  port: number,
  plan: TopologyPlan,
  ports: ProbePort[],
): Promise<Topology> {
  const agents: SimAgent[] = [];
  const beating = async (agentId: string, link: Record<string, string>) => {
    const token = await addAgent(keepAlive, port, { agentId, group: plan.group, ...link });
    agents.push(simAgent(agentId, plan.group, token));
  };
  const switchPorts = new Map<string, ProbePort>();
  for (const sw of plan.switches) {
    const probe = new ProbePort();
    await probe.open();
    ports.push(probe);
    switchPorts.set(sw.agentId, probe);
    const tcp = { type: 'tcp', host: '127.0.0.1', port: probe.port };
    await addAgent(
      keepAlive,
      port,
      { agentId: sw.agentId, group: plan.group, agentless: true, probe: tcp },
      false,
    );
    for (const child of sw.children) await beating(child, { parent: sw.agentId });
  }
  for (const member of plan.cluster.members) await beating(member, { cluster: plan.cluster.name });
  log(
    `added the topology: ${plan.switches.length} switches with ${agents.length - plan.cluster.members.length} agents behind them, cluster ${plan.cluster.name} of ${plan.cluster.members.length}`,
  );
  return { plan, switchPorts, agents };
}

/** Registers the agents of the policy groups (bench/soak-policy.ts). */
async function addPolicyAgents(keepAlive: http.Agent, port: number): Promise<SimAgent[]> {
  const agents: SimAgent[] = [];
  const planned = [
    ...PATCHING.agents.map((agentId) => ({ agentId, group: PATCHING.group })),
    ...FLAPPING.agents.map((agentId) => ({ agentId, group: FLAPPING.group })),
  ];
  for (const { agentId, group } of planned)
    agents.push(simAgent(agentId, group, await addAgent(keepAlive, port, { agentId, group })));
  log(
    `added the policy agents: ${PATCHING.agents.length} in ${PATCHING.group}, ${FLAPPING.agents.length} in ${FLAPPING.group}`,
  );
  return agents;
}

/**
 * Plays the policy plan: inside each maintenance window every patching agent falls silent and is
 * heard again before it ends, the last one only after it; each flapping episode silences its agent
 * over and over, long enough to alert each time.
 */
async function playPolicy(plan: PolicyPlan, byId: ReadonlyMap<string, SimAgent>): Promise<void> {
  const at = async (time: number, act: () => void) => {
    if (time > Date.now()) await sleep(time - Date.now());
    act();
  };
  const cycleMs = (FLAPPING.silentSeconds + FLAPPING.heardSeconds) * 1000;
  const acts: { time: number; act: () => void }[] = [];
  for (const w of plan.windows) {
    acts.push({
      time: w.start + PATCHING.silentFromSeconds * 1000,
      act: () => {
        for (const [k, agentId] of PATCHING.agents.entries()) {
          const outlasts = k === PATCHING.agents.length - 1;
          byId.get(agentId)!.downUntil = outlasts
            ? w.end + PATCHING.outlastSeconds * 1000
            : w.start + PATCHING.backAtSeconds * 1000;
        }
      },
    });
  }
  for (const e of plan.episodes) {
    for (let k = 0; k < FLAPPING.cycles; k++) {
      const time = e.start + k * cycleMs;
      acts.push({ time, act: () => (byId.get(e.agentId)!.downUntil = time + FLAPPING.silentSeconds * 1000) });
    }
  }
  acts.sort((a, b) => a.time - b.time);
  for (const { time, act } of acts) await at(time, act);
}

/** Waits for `promise`, or `ms` at most. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

type TopologyEvent = Extract<ChaosEvent, { type: 'parent-outage' | 'quorum-loss' }>;

/** Plays the topology's events on its agents and keeps what each did, for the reconciliation. */
class TopologyChaos {
  private readonly played: (() => TopologyOutage)[] = [];
  private silences = 0;

  constructor(
    private readonly topology: Topology,
    private readonly byId: ReadonlyMap<string, SimAgent>,
  ) {}

  /** What the events did, their agents' outages as they stand. */
  outages(): TopologyOutage[] {
    return this.played.map((outage) => outage());
  }

  async run(event: TopologyEvent): Promise<void> {
    if (event.type === 'quorum-loss') this.quorumLoss(event);
    else await this.parentOutage(event);
  }

  /** Silences `agentId` until `until`: its outage as it stands, and a promise kept once it is heard again. */
  private silence(agentId: string, until: number) {
    const agent = this.byId.get(agentId)!;
    let heard!: () => void;
    const back = new Promise<void>((done) => (heard = done));
    let ended: Outage | undefined;
    const live = startOutage(agent, ++this.silences, 'silent', (record) => {
      ended = record;
      heard();
    });
    agent.downUntil = until;
    return { agent, back, outage: () => ended ?? live };
  }

  private quorumLoss(event: Extract<TopologyEvent, { type: 'quorum-loss' }>): void {
    const { plan } = this.topology;
    const until = Date.now() + event.seconds * 1000;
    const members = event.agentIds.map((agentId) => this.silence(agentId, until));
    const id = this.played.length + 1;
    this.played.push(() => ({
      kind: 'quorum',
      id,
      cluster: event.cluster,
      group: plan.group,
      size: plan.cluster.members.length,
      minHealthy: plan.cluster.minHealthy,
      members: members.map((m) => m.outage()),
    }));
  }

  private async parentOutage(event: Extract<TopologyEvent, { type: 'parent-outage' }>): Promise<void> {
    const port = this.topology.switchPorts.get(event.parent)!;
    const start = Date.now();
    const children: ReturnType<TopologyChaos['silence']>[] = [];
    for (const [k, agentId] of event.children.entries()) {
      // The switch's ports drop one after another.
      const due = start + (k * event.spreadSeconds * 1000) / Math.max(1, event.children.length - 1);
      if (due > Date.now()) await sleep(due - Date.now());
      const stays = agentId === event.straggler?.agentId;
      children.push(
        this.silence(agentId, stays ? Number.POSITIVE_INFINITY : Date.now() + event.seconds * 1000),
      );
    }
    // The listener stops at once; the close resolves when the last connection has gone.
    const closedAt = Date.now();
    await port.close();
    const record: { -readonly [K in keyof ParentOutage]: ParentOutage[K] } = {
      kind: 'parent',
      id: this.played.length + 1,
      parent: event.parent,
      group: this.topology.plan.group,
      closedAt,
      children: [],
      straggler: event.straggler?.agentId,
    };
    this.played.push(() => ({ ...record, children: children.map((c) => c.outage()) }));
    // The port opens once the agents behind it are heard again, the straggler aside.
    const returning = children.filter((c) => c.agent.agentId !== event.straggler?.agentId);
    await within(Promise.all(returning.map((c) => c.back)), HEARD_TIMEOUT_MS);
    await port.open();
    record.reopenedAt = Date.now();
    const straggler = children.find((c) => c.agent.agentId === event.straggler?.agentId);
    if (straggler && event.straggler) straggler.agent.downUntil = Date.now() + event.straggler.seconds * 1000;
  }
}

function describeTopology(plan: TopologyPlan): string {
  const { cluster } = plan;
  return `${plan.switches.map((s) => `${s.agentId} (agentless, a TCP probe) with ${s.children.length} agents behind it`).join(', ')}; cluster ${cluster.name} of ${cluster.members.length}, minHealthy ${cluster.minHealthy}; all in ${plan.group}`;
}

function scheduledCounts(schedule: readonly ChaosEvent[]) {
  const count = (test: (e: ChaosEvent) => boolean) => schedule.filter(test).length;
  return {
    silent: count((e) => e.type === 'outage' && e.kind === 'silent'),
    short: count((e) => e.type === 'outage' && e.kind === 'short'),
    hostDown: count((e) => e.type === 'outage' && e.kind === 'host-down'),
    flaps: count((e) => e.type === 'flap'),
    parentOutages: count((e) => e.type === 'parent-outage'),
    stragglers: count((e) => e.type === 'parent-outage' && e.straggler !== undefined),
    quorumLosses: count((e) => e.type === 'quorum-loss'),
    quickReboots: count((e) => e.type === 'reboot' && e.kind === 'quick'),
    plannedReboots: count((e) => e.type === 'reboot' && e.kind === 'planned'),
    lateReboots: count((e) => e.type === 'reboot' && e.kind === 'late'),
  };
}

/**
 * The storm guard against the fleet: it fires when at least `minAgents`, and more than `fraction` of
 * the agents watched, fall silent in one scan. A topology block silences every agent behind its
 * switches (the guard leaves them out: a down parent explains them), the switches and the members.
 */
function stormFigures(watched: number, plan: TopologyPlan) {
  const threshold = Math.max(STORM.minAgents, Math.floor(STORM.fraction * watched) + 1);
  const behind = plan.switches.reduce((n, s) => n + s.children.length, 0);
  const counted = plan.switches.length + plan.cluster.members.length - plan.cluster.minHealthy + 1;
  return { threshold, watched, behind, counted };
}

async function fetchAlerts(agent: http.Agent, port: number): Promise<AlertRow[]> {
  const res = await request(agent, port, 'GET', '/v1/alerts?status=all', { timeoutMs: 30_000 });
  if (res.status !== 200) throw new Error(`GET /v1/alerts: ${res.status} ${res.text.slice(0, 200)}`);
  type View = {
    alertId: string;
    agentId: string;
    group: string;
    kind: string;
    kindHistory?: { kind: string; at: string }[];
    status: string;
    openedAt: string;
    resolvedAt?: string;
    delivery?: { opening: string; recovery: string };
    agentIds?: string[];
    cluster?: string;
    suppressed?: { reason: string; by: string };
    detail?: string;
  };
  return (JSON.parse(res.text) as { alerts: View[] }).alerts.map((a) => ({
    alertId: a.alertId,
    agentId: a.agentId,
    group: a.group,
    kind: a.kind,
    kindHistory: a.kindHistory?.map((k) => ({ kind: k.kind, at: Date.parse(k.at) })),
    status: a.status,
    openedAt: Date.parse(a.openedAt),
    resolvedAt: a.resolvedAt === undefined ? undefined : Date.parse(a.resolvedAt),
    opening: a.delivery?.opening,
    recovery: a.delivery?.recovery,
    agentIds: a.agentIds,
    cluster: a.cluster,
    suppressed: a.suppressed && { reason: a.suppressed.reason, by: a.suppressed.by },
    detail: a.detail,
  }));
}

function toNotice(line: string, observedAt: number): Notice {
  const n = JSON.parse(line) as {
    time: string;
    group: string;
    kind: string;
    agentIds: string[];
    messages: { email: string };
  };
  return {
    time: Date.parse(n.time),
    group: n.group,
    kind: n.kind,
    agentIds: n.agentIds,
    alertIds: noticeAlertIds(n.messages.email),
    observedAt,
    behind: behindCounts(n.messages.email),
  };
}

/**
 * The blind windows the watcher logged. It logs the start of the last scan before the gap (`from`)
 * and the scan that ended it (`to`); the window it discounts starts one interval after the last scan
 * *completed*, so [from + interval, to] holds it: an upper bound, as the reconciliation wants.
 */
function blindWindows(logFile: string, intervalMs: number): BlindWindow[] {
  const out: BlindWindow[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('watcher was blind')) continue;
    try {
      const entry = JSON.parse(line) as { from?: number; to?: number };
      if (typeof entry.from === 'number' && typeof entry.to === 'number')
        out.push({ start: entry.from + intervalMs, end: entry.to });
    } catch {
      // not a JSON line
    }
  }
  return out;
}

interface SectionInput {
  readonly command: string;
  readonly machine: ReturnType<typeof describeMachine>;
  readonly options: Options;
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly rows: ReturnType<typeof goalRows>;
  // biome-ignore lint/suspicious/noExplicitAny: the runner's own figures, printed as they are
  readonly runner: Record<string, any>;
  readonly verdict: SoakVerdict;
  readonly reboots: RebootVerdict;
  readonly allMet: boolean;
}

function renderSection(s: SectionInput): string {
  const r = s.runner;
  const m = s.machine;
  const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}` : '-');
  const refused = Object.entries(r.refused as Record<string, number>)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const falseGroups = new Map<string, { n: number; first: string }>();
  for (const f of s.verdict.falseAlerts) {
    const key = `${new Date(f.openedAt).toISOString()} ${f.kind}: ${f.reason}`;
    const group = falseGroups.get(key) ?? { n: 0, first: f.alertId };
    group.n += 1;
    falseGroups.set(key, group);
  }
  const falseList = [...falseGroups.entries()]
    .slice(0, 15)
    .map(([key, g]) => `- ${g.n} opened at ${key} (e.g. ${g.first})`)
    .join('\n');
  const bad = s.verdict.outages
    .filter((o) => ['missed', 'alerted-twice', 'lost'].includes(o.verdict))
    .slice(0, 15)
    .map(
      (o) =>
        `- #${o.outage.id} ${o.outage.agentId} (${o.outage.kind}, silent ${(o.sentGap / 1000).toFixed(1)} s, watched at least ${(o.watchedLo / 1000).toFixed(1)} s): ${o.verdict}; ${o.kinds
          .filter((k) => k.expect !== 'forbidden' || k.records > 0)
          .map(
            (k) =>
              `${k.kind} ${k.expect}: ${k.records} recorded, ${k.pages} paged${k.outcome ? ` (${k.outcome})` : ''}`,
          )
          .join('; ')}`,
    )
    .join('\n');
  const topologyBad = s.verdict.topology.pages
    .filter((p) => p.verdict !== 'paged-once' && p.verdict !== 'ok-either')
    .slice(0, 15)
    .map(
      (p) =>
        `- #${p.outage.id} ${p.role} ${p.subject} (${p.expect}): ${p.verdict}; ${p.records} recorded, ${p.pages} opening pages, ${p.recoveries} recoveries`,
    );
  const heldBad = s.verdict.topology.held
    .filter((h) => (h.expect === 'must' && !h.held) || h.pages > 0)
    .slice(0, 15)
    .map((h) => {
      const back = h.outage.firstAfter?.send ?? h.outage.reviveAt;
      const silent =
        back === undefined || !h.outage.lastBefore
          ? 'not heard again'
          : `silent ${((back - h.outage.lastBefore.send) / 1000).toFixed(1)} s`;
      return `- ${h.outage.agentId} (${h.reason} ${h.by}, ${silent}, ${h.expect}): ${h.records} recorded, ${h.pages} pages, ${h.held ? 'held' : 'not held'}`;
    });
  const rebootsBad = s.reboots.results
    .filter((r) => r.problems.length > 0)
    .slice(0, 15)
    .map(({ reboot: b, ...r }) => {
      const back = b.firstAfter?.send ?? b.reviveAt;
      const silent =
        back === undefined || !b.lastBefore
          ? 'not heard again'
          : `silent ${((back - b.lastBefore.send) / 1000).toFixed(1)} s`;
      const goodbye = b.goodbye ? `, back in ${b.goodbye.backInSeconds} s` : '';
      return `- #${b.id} ${b.agentId} in ${b.group} (${b.kind}${goodbye}, ${silent}): ${r.problems.join('; ')}`;
    });
  const goalsTable = renderRows(s.rows);
  const runTable = markdownTable(
    ['run', 'figure'],
    [
      [
        'scheduled agent events',
        `silent ${r.scheduled.silent}, short ${r.scheduled.short}, host down ${r.scheduled.hostDown}, port flaps ${r.scheduled.flaps}`,
      ],
      [
        'scheduled topology events',
        `switch down ${r.scheduled.parentOutages} (${r.scheduled.stragglers} with an agent left silent after), cluster below quorum ${r.scheduled.quorumLosses}`,
      ],
      [
        'scheduled reboots',
        `quick ${r.scheduled.quickReboots}, planned ${r.scheduled.plannedReboots}, planned and not back in time ${r.scheduled.lateReboots}`,
      ],
      [
        'storm guard: agents silent in one scan to fire / of agents watched; a topology block silences',
        `${r.storm.threshold} / ${r.storm.watched}; ${r.storm.counted} it counts, and ${r.storm.behind} behind down switches it leaves out`,
      ],
      ['watcher pauses (SIGSTOP/SIGCONT), ms', (r.pauses as number[]).map(ms).join(', ') || '-'],
      [
        'watcher restarts (SIGTERM, start again): down ms / exit code',
        (r.restarts as { downMs: number; exit: number | null; killed: boolean }[])
          .map((x) => `${x.downMs} / ${x.exit}${x.killed ? ' (SIGKILLed)' : ''}`)
          .join(', ') || '-',
      ],
      [
        'notifier failures (outbox a directory), ms',
        (r.notifierFailures as number[]).map(ms).join(', ') || '-',
      ],
      ['blind windows the watcher logged', String(r.blindWindows)],
      ['publishes that failed and were retried (watcher log)', String(r.noticeFailures)],
      [
        'batch items whose write failed (watcher log: store timeouts, or cut off by a SIGTERM)',
        String(r.batchItemFailures),
      ],
      ['heartbeats: sent / accepted / refused', `${r.itemsSent} / ${r.itemsOk} / ${refused || '0'}`],
      [
        'batch requests (100 agents each): sent / no answer',
        `${r.requests} / ${r.failedRequests}${r.firstError ? ` (first: ${r.firstError})` : ''}`,
      ],
      ['batch latency ms: p50 / p99 / max', `${ms(r.batchP50)} / ${ms(r.batchP99)} / ${ms(r.batchMax)}`],
      ['watcher CPU (both threads), cores', (r.watcherCores as number).toFixed(2)],
      [
        "soak runner's event-loop delay ms: p99 / max",
        `${ms(r.runnerDelayP99Ms)} / ${ms(r.runnerDelayMaxMs)}`,
      ],
      ['outbox lines', String(r.noticeLines)],
    ],
  );
  return [
    `## npm run soak: ${s.options.agents} agents, ${s.options.minutes} minute${s.options.minutes === 1 ? '' : 's'}${s.options.seed === 1 ? '' : `, seed ${s.options.seed}`}${s.options.consolePoll ? ', console polling' : ''}`,
    '',
    `- Command: \`${s.command}\` (seed ${s.options.seed}; whole run ${Math.round(s.wallSeconds)} s)`,
    `- Date: ${m.date}`,
    machineLine(m),
    `- Watcher: \`node dist/hbw.js local\` as a child process; heartbeat 1 s, scan 1 s, alert after ${MISSED_SCANS} missed scans; probe ${PROBE.attempts} x ${PROBE.timeoutMs} ms, ${PROBE.intervalMs} ms apart`,
    `- Agents: production (sms+email) 40%, staging (email) 30%, test (console) 30%; beating through \`POST /v1/heartbeats\` in batches of ${BATCH}`,
    ...(s.options.consolePoll
      ? [
          `- Console step (\`--console-poll\`): ${CONSOLE_READS.map((p) => `\`GET ${p}\``).join(', ')} once a second; the watcher's RSS and data dir sampled every 10 s, each figure taken as the median of ${GROWTH_WINDOW_SECONDS / 60} minutes; chaos without restarts (one watcher process lives through the run) and at ${CONSOLE_STEP_CHAOS.eventsPerSecond} agent events a second`,
        ]
      : []),
    `- Topology: ${describeTopology(planTopology())}`,
    `- Policies: ${PATCHING.group} (email) has a window \`${PATCHING.cron}\` for ${PATCHING.durationSeconds} s, its ${PATCHING.agents.length} agents silent inside it from ${PATCHING.silentFromSeconds} s to ${PATCHING.backAtSeconds} s, the last one until ${PATCHING.outlastSeconds} s after it; ${FLAPPING.group} (email) judges flapping (${FLAPPING.changes} openings within ${FLAPPING.windowSeconds} s, stable for ${FLAPPING.stableForSeconds} s) and its agent is silenced ${FLAPPING.cycles} times ${FLAPPING.silentSeconds} s, ${FLAPPING.heardSeconds} s apart, every ${FLAPPING.everySeconds} s`,
    `- Reboots: ${REBOOT.perSecond} a second of chaos, on fleet agents: quick (one heartbeat left out, then a new \`bootId\`, \`seq\` from 1, \`bootedAt\`); planned (a \`goodbye\` back in ${REBOOT.planned.backInSeconds.join('-')} s, silent ${REBOOT.planned.silentSeconds.join('-')} s, then a new boot); not back in time (a \`goodbye\` back in ${REBOOT.late.backInSeconds.join('-')} s, silent past that and the threshold by ${REBOOT.late.pastSeconds.join('-')} s, then a new boot); ${PAGE_ON_RESTART} has \`onRestart: "page"\`, the other groups the default \`record\``,
    `- Verdict: ${s.allMet ? '**every goal met**' : '**a goal was missed**'}`,
    '',
    goalsTable,
    '',
    runTable,
    ...(falseList ? ['', 'False alerts, by the scan that opened them (first 15 scans):', '', falseList] : []),
    ...(bad ? ['', 'Outages not alerted exactly once (first 15):', '', bad] : []),
    ...(topologyBad.length > 0
      ? ['', 'Topology outages not paged exactly once (first 15):', '', ...topologyBad]
      : []),
    ...(heldBad.length > 0 ? ['', 'Alerts a topology outage did not hold (first 15):', '', ...heldBad] : []),
    ...(rebootsBad.length > 0
      ? ['', 'Reboots not recorded or paged as they should be (first 15):', '', ...rebootsBad]
      : []),
  ].join('\n');
}

const USAGE = `Usage: npm run soak -- [options]

Runs hbw local (dist/hbw.js) under agents that beat every second and a seeded chaos schedule, sets what
it recorded and paged against the schedule, prints the table and writes it into ${NUMBERS_PAGE}.
Exits 1 when a goal is missed.

Options:
  --minutes N       length of the heartbeat run (default 10)
  --agents N        agents, at least 20 (default 1000)
  --seed N          seed of the chaos schedule (default 1; another seed writes a section of its own)
  --console-poll    read what an open console reads, once a second, and hold the watcher's RSS and
                    its LevelDB store to at most ${GROWTH_LIMIT}x their value at ${GROWTH_BASELINE_SECONDS / 60} minutes, in runs of
                    ${GROWTH_GOAL_MIN_SECONDS / 60} minutes or more; the chaos leaves out the restarts and
                    runs at ${CONSOLE_STEP_CHAOS.eventsPerSecond} agent events a second (bench/soak-console.ts says why)
  --no-write        print the table only
  --keep            keep the working directory (watcher.log, data/, verdict.json)
  --hbw FILE        the CLI to run (default dist/hbw.js)
  --help            this text
`;

runCommand('soak', USAGE, main);
