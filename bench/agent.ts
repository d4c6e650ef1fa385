// Benchmarks of the reference agent and the relay, as functions returning plain results, for the
// runner (`bench/run.ts`) to call and report. Not part of `npm test`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { postJson } from '../cli/agent/http-post';
import { startRelay } from '../cli/agent/relay';
import { startLocalWatcher } from '../cli/local-watcher';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';
import { median, sleep } from './common';

export interface AgentResourceOptions {
  /**
   * The measured run. The goal is stated for 10 minutes (600 s, the default); a shorter run gives a
   * first reading and says so in the result.
   */
  readonly seconds: number;
  /** The heartbeat interval the watcher tells the agent. @default 1 (30 times the default load) */
  readonly intervalSeconds: number;
  /** Left out of the measurement: start-up, the module loading, the first heartbeats. @default 5 */
  readonly warmupSeconds: number;
  /** The CLI bundle that `npm run build` writes. @default dist/hbw.js */
  readonly script: string;
}

export const DEFAULT_AGENT_RESOURCES: AgentResourceOptions = {
  seconds: 600,
  intervalSeconds: 1,
  warmupSeconds: 5,
  script: 'dist/hbw.js',
};

export interface AgentResourceResult {
  readonly command: string;
  readonly seconds: number;
  /** The goal's length (600 s); `seconds` below it means a shortened run. */
  readonly goalSeconds: number;
  readonly intervalSeconds: number;
  /** Heartbeats the watcher recorded during the measured window. */
  readonly heartbeats: number;
  /** Resident set size of the agent process (VmRSS), MiB: at the start and end of the window, its max and median. */
  readonly rssMiB: {
    readonly start: number;
    readonly end: number;
    readonly max: number;
    readonly median: number;
  };
  /** CPU time of the agent process (all its threads, user + system) per wall second, in % of one core. */
  readonly cpuPercentOfCore: number;
  readonly cpuMs: number;
  /** An idle `node -e setInterval(...)` on this machine, measured the same way: the floor of any Node agent. */
  readonly nodeFloorRssMiB: number;
  /** The median and the max RSS of the agent over the idle node's. */
  readonly rssOverFloor: { readonly median: number; readonly max: number };
  readonly goals: { readonly rssOverFloor: number; readonly cpuPercentOfCore: number };
  readonly met: { readonly rss: boolean; readonly cpu: boolean };
}

export interface ProcSample {
  readonly rssKiB: number;
  readonly cpuTicks: number;
  readonly at: number;
}

/** VmRSS and utime + stime of `pid`, from /proc. */
export function sample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { rssKiB, cpuTicks, at: performance.now() };
}

/** USER_HZ: the unit of utime and stime in /proc/PID/stat. 100 on every Linux build in use. */
export const CLOCK_TICKS = 100;

export const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
/** Samples the child `pid` every second for `seconds`. */
async function watch(pid: number, seconds: number): Promise<ProcSample[]> {
  const samples = [sample(pid)];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, Math.max(0, end - performance.now())));
    samples.push(sample(pid));
  }
  return samples;
}

async function nodeFloor(warmupSeconds: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(warmupSeconds * 1000);
    const samples = await watch(child.pid!, 3);
    return mib(median(samples.map((s) => s.rssKiB)));
  } finally {
    child.kill('SIGTERM');
  }
}

/** A local watcher telling agents `intervalSeconds`, counting the heartbeats it records. */
export async function countingWatcher(intervalSeconds: number) {
  const config = parseConfig({ ...DEFAULT_CONFIG, heartbeatIntervalSeconds: intervalSeconds });
  const watcher = await startLocalWatcher({ config, port: 0, scanning: false, print: () => {} });
  let recorded = 0;
  const heartbeat = watcher.service.heartbeat.bind(watcher.service);
  watcher.service.heartbeat = async (token, body) => {
    const answer = await heartbeat(token, body);
    recorded += 1;
    return answer;
  };
  return { watcher, recorded: () => recorded };
}

/**
 * Memory and CPU of `node dist/hbw.js agent run` beating every `intervalSeconds` against a local
 * watcher, read from /proc every second over `seconds` after a warm-up. Linux only (reads /proc).
 */
export async function benchAgentResources(
  options: Partial<AgentResourceOptions> = {},
): Promise<AgentResourceResult> {
  const o = { ...DEFAULT_AGENT_RESOURCES, ...options };
  const script = resolve(o.script);
  const { watcher, recorded } = await countingWatcher(o.intervalSeconds);
  const dir = mkdtempSync(join(tmpdir(), 'hbw-bench-agent-'));
  try {
    const { token } = await watcher.service.addAgent({ agentId: 'bench-agent', group: 'production' });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const args = [
      script,
      'agent',
      'run',
      '--endpoint',
      watcher.url,
      '--id',
      'bench-agent',
      '--token-file',
      tokenFile,
      '--log-format',
      'json',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await sleep(o.warmupSeconds * 1000);
      if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}: ${stderr}`);
      const before = recorded();
      const samples = await watch(child.pid!, o.seconds);
      const heartbeats = recorded() - before;
      const first = samples[0]!;
      const last = samples.at(-1)!;
      const wallSeconds = (last.at - first.at) / 1000;
      const cpuSeconds = (last.cpuTicks - first.cpuTicks) / CLOCK_TICKS;
      const rss = samples.map((s) => s.rssKiB);
      const cpuPercentOfCore = Math.round((cpuSeconds / wallSeconds) * 100 * 100) / 100;
      const rssMiB = {
        start: mib(first.rssKiB),
        end: mib(last.rssKiB),
        max: mib(Math.max(...rss)),
        median: mib(median(rss)),
      };
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the agent exited ${code} on SIGTERM: ${stderr}`);
      const goals = { rssOverFloor: 1.15, cpuPercentOfCore: 1 };
      const nodeFloorRssMiB = await nodeFloor(o.warmupSeconds);
      const ratio = (x: number) => Math.round((x / nodeFloorRssMiB) * 1000) / 1000;
      const rssOverFloor = { median: ratio(rssMiB.median), max: ratio(rssMiB.max) };
      return {
        command: `node ${o.script} agent run --endpoint URL --id bench-agent --token-file FILE --log-format json`,
        seconds: o.seconds,
        goalSeconds: 600,
        intervalSeconds: o.intervalSeconds,
        heartbeats,
        rssMiB,
        cpuPercentOfCore,
        cpuMs: Math.round(cpuSeconds * 1000),
        nodeFloorRssMiB,
        rssOverFloor,
        goals,
        met: {
          rss: rssOverFloor.median <= goals.rssOverFloor,
          cpu: cpuPercentOfCore < goals.cpuPercentOfCore,
        },
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RelayRequestOptions {
  /** Agents behind the relay, each sending one heartbeat. @default 1000 */
  readonly agents: number;
  /**
   * The heartbeats arrive evenly over this many seconds. @default 10 (100 a second: what 3,000
   * agents at the default 30 s interval send; 1,000 agents at 30 s send a third of that)
   */
  readonly spreadSeconds: number;
  /** The relay's --flush-ms. @default 1000 (the relay's default) */
  readonly flushMs: number;
}

export const DEFAULT_RELAY_REQUESTS: RelayRequestOptions = { agents: 1000, spreadSeconds: 10, flushMs: 1000 };

export interface RelayRequestResult {
  readonly agents: number;
  readonly heartbeats: number;
  readonly spreadSeconds: number;
  readonly arrivalsPerSecond: number;
  readonly flushMs: number;
  /** `POST /v1/heartbeats` requests the watcher served. */
  readonly batchRequests: number;
  /** `POST /v1/heartbeat` requests the watcher served (0: everything went through the relay). */
  readonly singleRequests: number;
  /** Requests to the watcher per 1,000 agent heartbeats. */
  readonly requestsPer1000: number;
  readonly meanBatch: number;
  readonly maxBatch: number;
  /** Every heartbeat was recorded by the watcher. */
  readonly allRecorded: boolean;
  readonly goal: number;
  readonly met: boolean;
}

/**
 * Requests the watcher serves per 1,000 agent heartbeats sent through `hbw agent relay` (the relay
 * and a local watcher in this process, the agents simulated over HTTP).
 */
export async function benchRelayRequests(
  options: Partial<RelayRequestOptions> = {},
): Promise<RelayRequestResult> {
  const o = { ...DEFAULT_RELAY_REQUESTS, ...options };
  const watcher = await startLocalWatcher({
    config: parseConfig(DEFAULT_CONFIG),
    port: 0,
    scanning: false,
    print: () => {},
  });
  const batchSizes: number[] = [];
  let singles = 0;
  const { service } = watcher;
  const heartbeats = service.heartbeats.bind(service);
  const heartbeat = service.heartbeat.bind(service);
  service.heartbeats = async (body) => {
    batchSizes.push((body as { heartbeats?: unknown[] }).heartbeats?.length ?? 0);
    return heartbeats(body);
  };
  service.heartbeat = async (token, body) => {
    singles += 1;
    return heartbeat(token, body);
  };
  const relay = await startRelay({ port: 0, endpoint: watcher.url, flushMs: o.flushMs, log: () => {} });
  // No socket limit: every real agent has its own connection, and the answer to a first heartbeat
  // waits for the watcher's (about --flush-ms), so a shared pool would hold the arrivals back.
  const keepAlive = new http.Agent({ keepAlive: true });
  try {
    const tokens: string[] = [];
    for (let i = 0; i < o.agents; i++) {
      tokens.push((await service.addAgent({ agentId: `relayed-${i}`, group: 'production' })).token!);
    }
    const started = performance.now();
    const gapMs = (o.spreadSeconds * 1000) / o.agents;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < o.agents; i++) {
      const due = started + i * gapMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sends.push(
        postJson(
          `${relay.url}/v1/heartbeat`,
          { agentId: `relayed-${i}`, sentAt: new Date().toISOString(), seq: 1 },
          { token: tokens[i], timeoutMs: 10_000, agent: keepAlive },
        ),
      );
    }
    await Promise.all(sends);
    const deadline = performance.now() + 30_000;
    while (relay.stats.accepted + relay.stats.refused < o.agents && performance.now() < deadline)
      await sleep(50);
    const batchRequests = batchSizes.length;
    const requestsPer1000 = Math.round(((batchRequests + singles) / o.agents) * 1000 * 10) / 10;
    return {
      agents: o.agents,
      heartbeats: o.agents,
      spreadSeconds: o.spreadSeconds,
      arrivalsPerSecond: Math.round(o.agents / o.spreadSeconds),
      flushMs: o.flushMs,
      batchRequests,
      singleRequests: singles,
      requestsPer1000,
      meanBatch: Math.round((batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchRequests)) * 10) / 10,
      maxBatch: Math.max(0, ...batchSizes),
      allRecorded: relay.stats.accepted === o.agents,
      goal: 11,
      met: requestsPer1000 <= 11 && relay.stats.accepted === o.agents,
    };
  } finally {
    keepAlive.destroy();
    await relay.close({ flushMs: 1000 });
    await watcher.close();
  }
}

/** A line of the BENCHMARKS.md summary table (the shape `bench/report.ts` uses). */
export interface AgentSummaryRow {
  readonly measurement: string;
  readonly result: string;
  readonly goal: string;
  readonly met: boolean;
}

/** The summary rows of the two agent benchmarks, for the report. */
export function agentSummaryRows(
  resources: AgentResourceResult,
  relay: RelayRequestResult,
): AgentSummaryRow[] {
  const shortened =
    resources.seconds < resources.goalSeconds
      ? ` (a ${resources.seconds} s run, goal stated for ${resources.goalSeconds / 60} min)`
      : '';
  return [
    {
      measurement: `Agent memory, \`hbw agent run\` at a ${resources.intervalSeconds} s interval${shortened}`,
      result: `RSS median ${resources.rssMiB.median} MiB = ${resources.rssOverFloor.median}x an idle node (${resources.nodeFloorRssMiB} MiB); max ${resources.rssMiB.max} MiB = ${resources.rssOverFloor.max}x`,
      goal: `median at most ${resources.goals.rssOverFloor}x an idle node, in the same run`,
      met: resources.met.rss,
    },
    {
      measurement: `Agent CPU, \`hbw agent run\` at a ${resources.intervalSeconds} s interval${shortened}`,
      result: `${resources.cpuPercentOfCore}% of one core (${resources.cpuMs} ms CPU, ${resources.heartbeats} heartbeats)`,
      goal: `under ${resources.goals.cpuPercentOfCore}% of one core`,
      met: resources.met.cpu,
    },
    {
      measurement: `Relay: requests to the watcher per 1,000 agent heartbeats (${relay.arrivalsPerSecond}/s arriving, --flush-ms ${relay.flushMs})`,
      result: `${relay.requestsPer1000} (${relay.batchRequests} batches of ${relay.meanBatch} on average, ${relay.singleRequests} single; all recorded: ${relay.allRecorded ? 'yes' : 'no'})`,
      goal: `at most ${relay.goal}`,
      met: relay.met,
    },
  ];
}
