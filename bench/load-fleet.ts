// The fleet part of `npm run load`: local mode holding a fleet at its steady heartbeat rate, with the
// scanner on. 10,000 agents beat every 10 s, each on its own phase, so 1,000 heartbeats a second
// arrive evenly (an open loop: a heartbeat is sent when it is due, whatever the answers before it
// did, and its latency counts from when it was due, so a stalled watcher cannot hide its stall by
// slowing the sender). Scans run every 30 s, as MOM's defaults have them. Everything talks to
// 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalWatcher } from '../cli/local-watcher';
import { followCursors } from '../cli/pages';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { parseConfig } from '../lambda/domain/config';
import { hashSecret } from '../lambda/domain/secrets';
import { freePort, log, markdownTable, processCpuMs, request, sleep, WatcherProcess } from './common';
import { distribution } from './soak-reconcile';

export interface FleetOptions {
  readonly agents: number;
  readonly heartbeatSeconds: number;
  readonly scanSeconds: number;
  /** Measured, after one heartbeat interval in which every agent beats once. */
  readonly seconds: number;
}

export const DEFAULT_FLEET: FleetOptions = {
  agents: 10_000,
  heartbeatSeconds: 10,
  scanSeconds: 30,
  seconds: 120,
};

/** Goals: p99 of a heartbeat's answer, and how late a scan may start after its boundary. */
const P99_GOAL_MS = 50;
const SCAN_LATE_GOAL_MS = 1_000;
/** How often the status is read, to see each scan as it completes. */
const STATUS_POLL_MS = 250;
/** Heartbeats in flight at once, at most (the sockets of the sender's keep-alive agent). */
const SOCKETS = 64;

/** Agents created straight in the data dir's tables (an in-process watcher, no HTTP), fast. */
export async function seedAgents(
  dataDir: string,
  config: ReturnType<typeof parseConfig>,
  count: number,
): Promise<{ ids: string[]; tokens: string[] }> {
  const watcher = await startLocalWatcher({ config, port: 0, dataDir, scanning: false, print: () => {} });
  try {
    const { agents } = dynamoStores(watcher.dynamoClient, LOCAL_TABLE_NAMES);
    const salt = randomBytes(8).toString('hex');
    const ids = Array.from({ length: count }, (_, i) => `load-${String(i).padStart(6, '0')}`);
    const tokens = ids.map((_, i) => `hbw_load_${salt}_${i}`);
    const now = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        while (next < count) {
          const i = next++;
          const ok = await agents.create({
            agentId: ids[i]!,
            group: 'production',
            approval: 'approved',
            tokenHash: hashSecret(tokens[i]!),
            createdAt: now,
          });
          if (!ok) throw new Error(`agent ${ids[i]} exists already`);
        }
      }),
    );
    return { ids, tokens };
  } finally {
    await watcher.close();
  }
}

/** A run's folder: the watcher's data dir and log, and `raw` written as its config file. */
export interface RunFolder {
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly configFile: string;
}

export function runFolder(prefix: string, raw: object): RunFolder {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const folder = {
    dir,
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'watcher.log'),
    configFile: join(dir, 'heartbeat-watcher.config.json'),
  };
  mkdirSync(folder.dataDir);
  writeFileSync(folder.configFile, JSON.stringify(raw, null, 2));
  return folder;
}

/** `hbw local` on 127.0.0.1:`port` over a run's folder, started and read through `agent`. */
export async function startWatcherIn(
  hbw: string,
  folder: RunFolder,
  agent: http.Agent,
): Promise<WatcherProcess> {
  const port = await freePort();
  const { configFile, dataDir, logFile } = folder;
  const watcher = new WatcherProcess(
    hbw,
    ['--port', String(port), '--host', '127.0.0.1', '--config', configFile, '--data-dir', dataDir],
    logFile,
    port,
    agent,
  );
  await watcher.start();
  return watcher;
}

/** Every agent of the watcher, read page by page as the CLI reads them. */
export async function readAllAgents<T>(agent: http.Agent, port: number): Promise<T[]> {
  return followCursors('agents', async (cursor) => {
    const query = `limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await request(agent, port, 'GET', `/v1/agents?${query}`, { timeoutMs: 60_000 });
    if (res.status !== 200) throw new Error(`GET /v1/agents: ${res.status} ${res.text.slice(0, 200)}`);
    return JSON.parse(res.text) as { agents: T[]; cursor?: string };
  });
}

/** One heartbeat: its answer's status (0: no answer) and when it came, both on the sender's clock. */
function beat(
  agent: http.Agent,
  port: number,
  agentId: string,
  token: string,
  seq: number,
): Promise<{ status: number; error?: string }> {
  const body = JSON.stringify({ agentId, seq, sentAt: new Date().toISOString() });
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/heartbeat',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (error) => resolve({ status: 0, error: error.message }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, error: error.message }));
    req.end(body);
  });
}

interface ScanSeen {
  /** Its scan time (when it started), from `lastScanAt`. */
  readonly at: number;
  /** The first status read that showed it: when it had completed, at the latest. */
  readonly seenAt: number;
  readonly healthy: number | undefined;
  readonly openAlerts: number | undefined;
}

export interface FleetResult {
  readonly options: FleetOptions;
  readonly scheduled: number;
  readonly answered: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly latency: ReturnType<typeof distribution>;
  /** Latencies of heartbeats due while a scan ran, and the others. */
  readonly duringScans: ReturnType<typeof distribution>;
  readonly betweenScans: ReturnType<typeof distribution>;
  readonly measuredSeconds: number;
  /** Each scan boundary in the measured window, and the scan that started for it (if any). */
  readonly boundaries: readonly { boundary: number; scan?: ScanSeen }[];
  readonly lastScan?: ScanSeen;
  readonly storedHealthy: number;
  readonly outboxLines: number;
  readonly watcherCores: number;
  readonly senderCores: number;
  readonly exit: number | null;
}

/** Runs the fleet part: seeds the agents, starts `hbw local`, beats, watches the scans. */
export async function runFleet(options: FleetOptions, hbw: string): Promise<FleetResult> {
  const raw = {
    heartbeatIntervalSeconds: options.heartbeatSeconds,
    scanIntervalSeconds: options.scanSeconds,
    missedScansBeforeAlert: 3,
    groups: { production: { channels: ['sms', 'email'] } },
  };
  const folder = runFolder('hbw-load-fleet-', raw);
  const { dir, dataDir } = folder;
  const control = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const sender = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  let watcher: WatcherProcess | undefined;
  let kept = false;
  try {
    log(`fleet: creating ${options.agents} agents in ${dataDir}`);
    const { ids, tokens } = await seedAgents(dataDir, parseConfig(raw), options.agents);
    watcher = await startWatcherIn(hbw, folder, control);
    const port = watcher.port;
    const intervalMs = options.heartbeatSeconds * 1000;
    const scanMs = options.scanSeconds * 1000;
    const started = Date.now();
    // One heartbeat interval in which every agent beats once (its first heartbeat makes it watched),
    // then the measured window.
    const measureFrom = started + intervalMs;
    const endAt = measureFrom + options.seconds * 1000;
    log(
      `fleet: ${options.agents} agents beating every ${options.heartbeatSeconds} s (${Math.round(options.agents / options.heartbeatSeconds)}/s), scans every ${options.scanSeconds} s; ${options.seconds} s measured after ${options.heartbeatSeconds} s`,
    );
    const watcherCpuAt = processCpuMs(watcher.child?.pid);
    const senderCpuAt = process.cpuUsage();

    const latencies: number[] = [];
    const dueTimes: number[] = [];
    const answered: Record<string, number> = {};
    const errors: Record<string, number> = {};
    const seq = new Float64Array(options.agents);
    let scheduled = 0;
    const inFlight = new Set<Promise<void>>();
    const send = (i: number, due: number) => {
      seq[i]! += 1;
      const measured = due >= measureFrom;
      if (measured) scheduled += 1;
      const going = beat(sender, port, ids[i]!, tokens[i]!, seq[i]!).then((answer) => {
        if (!measured) return;
        answered[answer.status] = (answered[answer.status] ?? 0) + 1;
        if (answer.error) errors[answer.error] = (errors[answer.error] ?? 0) + 1;
        if (answer.status === 200) {
          latencies.push(Date.now() - due);
          dueTimes.push(due);
        }
      });
      inFlight.add(going);
      void going.finally(() => inFlight.delete(going));
    };

    // The status, read every STATUS_POLL_MS: each scan shows there once it has completed.
    const scans: ScanSeen[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const res = await request(control, port, 'GET', '/v1/status', { timeoutMs: 5_000 });
          if (res.status === 200) {
            const status = JSON.parse(res.text) as {
              lastScanAt: string | null;
              countsAt: string | null;
              groups: Record<string, Record<string, number>>;
              openAlerts: number | null;
            };
            const at = status.lastScanAt ? Date.parse(status.lastScanAt) : undefined;
            if (at !== undefined && scans.at(-1)?.at !== at)
              scans.push({
                at,
                seenAt: Date.now(),
                healthy: status.countsAt ? status.groups.production?.healthy : undefined,
                openAlerts: status.openAlerts ?? undefined,
              });
          }
        } catch {
          // a slow answer: the next read tells
        }
        await sleep(STATUS_POLL_MS);
      }
    })();

    // Agent i is due at started + phase(i) + k * interval: its phases spread evenly over the interval.
    let next = 0;
    let round = 0;
    const dueOf = (i: number, k: number) => started + (i / options.agents) * intervalMs + k * intervalMs;
    while (Date.now() < endAt) {
      const now = Date.now();
      while (dueOf(next, round) <= now && dueOf(next, round) < endAt) {
        send(next, dueOf(next, round));
        next += 1;
        if (next === options.agents) {
          next = 0;
          round += 1;
        }
      }
      await sleep(Math.max(1, Math.min(10, dueOf(next, round) - Date.now())));
    }
    await Promise.all(inFlight);
    const watcherCores = (processCpuMs(watcher.child?.pid) - watcherCpuAt) / (Date.now() - started);
    const cpu = process.cpuUsage(senderCpuAt);
    const senderCores = (cpu.user + cpu.system) / 1000 / (Date.now() - started);
    // The scan of the last boundary in the window completes after it: wait for it, then stop reading.
    const lastBoundary = Math.floor(endAt / scanMs) * scanMs;
    const waitUntil = Date.now() + scanMs;
    while (Date.now() < waitUntil && (scans.at(-1)?.at ?? 0) < lastBoundary) await sleep(STATUS_POLL_MS);
    polling = false;
    await poller;

    const stored = await readAllAgents<{ agentId: string; state?: string }>(control, port);
    const storedHealthy = stored.filter((a) => a.state === 'healthy').length;
    const exit = (await watcher.stop()).code;
    const outboxPath = join(dataDir, 'outbox.jsonl');
    const outboxLines = existsSync(outboxPath)
      ? readFileSync(outboxPath, 'utf8').split('\n').filter(Boolean).length
      : 0;

    // A heartbeat was due during a scan when a scan had started and not yet shown as completed.
    const scanning = (t: number) => scans.some((s) => t >= s.at && t < s.seenAt);
    const during: number[] = [];
    const between: number[] = [];
    latencies.forEach((ms, k) => {
      (scanning(dueTimes[k]!) ? during : between).push(ms);
    });
    const boundaries: { boundary: number; scan?: ScanSeen }[] = [];
    for (let b = Math.ceil(measureFrom / scanMs) * scanMs; b <= lastBoundary; b += scanMs)
      boundaries.push({ boundary: b, scan: scans.find((s) => s.at >= b && s.at < b + scanMs) });
    const result: FleetResult = {
      options,
      scheduled,
      answered,
      errors,
      latency: distribution(latencies),
      duringScans: distribution(during),
      betweenScans: distribution(between),
      measuredSeconds: options.seconds,
      boundaries,
      lastScan: scans.at(-1),
      storedHealthy,
      outboxLines,
      watcherCores,
      senderCores,
      exit,
    };
    kept = !fleetVerdict(result).allMet;
    return result;
  } finally {
    await watcher?.stop();
    control.destroy();
    sender.destroy();
    if (kept) log(`fleet: kept ${dir} (watcher.log, data)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The fleet part's goals, each met or not. */
export function fleetVerdict(r: FleetResult) {
  const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const ok = r.answered['200'] ?? 0;
  const other = Object.entries(r.answered)
    .filter(([status]) => status !== '200')
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}: ${n}`)
    .join(', ');
  const late = r.boundaries.map((b) => (b.scan ? b.scan.at - b.boundary : Number.POSITIVE_INFINITY));
  const took = r.boundaries.flatMap((b) => (b.scan ? [b.scan.seenAt - b.scan.at] : []));
  const missing = r.boundaries.filter((b) => !b.scan).length;
  const scanMs = r.options.scanSeconds * 1000;
  const rate = r.scheduled / r.measuredSeconds;
  const goals = [
    {
      measure: `heartbeats answered 200, of those due in the ${r.measuredSeconds} s measured`,
      result: `${f0(ok)} of ${f0(r.scheduled)} (${f0(rate)}/s)${other ? `; ${other}` : ''}`,
      goal: 'all',
      met: r.scheduled > 0 && ok === r.scheduled,
    },
    {
      measure: 'heartbeat latency, from when it was due to its answer (ms)',
      result: `p50 ${f1(r.latency.p50)}, p99 ${f1(r.latency.p99)}, max ${f1(r.latency.max)}`,
      goal: `p99 < ${P99_GOAL_MS}`,
      met: r.latency.p99 < P99_GOAL_MS,
    },
    {
      measure: 'the same, due while a scan ran / between scans (ms)',
      result: `p99 ${f1(r.duringScans.p99)} (n ${f0(r.duringScans.n)}) / p99 ${f1(r.betweenScans.p99)} (n ${f0(r.betweenScans.n)})`,
      goal: '-',
    },
    {
      measure: `scans: one started for each ${r.options.scanSeconds} s boundary in the window, late by (ms)`,
      result: `${r.boundaries.length - missing} of ${r.boundaries.length}; late max ${f0(Math.max(...late))}`,
      goal: `all, each < ${f0(SCAN_LATE_GOAL_MS)} late`,
      met: r.boundaries.length > 0 && missing === 0 && late.every((ms) => ms < SCAN_LATE_GOAL_MS),
    },
    {
      measure: 'scan duration, from its start to the status read that showed it (ms)',
      result: `max ${f0(Math.max(...took))} (reads every ${STATUS_POLL_MS} ms)`,
      goal: `< ${f0(scanMs)} (its interval)`,
      met: took.length > 0 && took.every((ms) => ms < scanMs),
    },
    {
      measure: "the last scan's counts: healthy agents / open alerts",
      result: `${f0(r.lastScan?.healthy ?? Number.NaN)} / ${f0(r.lastScan?.openAlerts ?? Number.NaN)}`,
      goal: `${f0(r.options.agents)} / 0`,
      met: r.lastScan?.healthy === r.options.agents && r.lastScan.openAlerts === 0,
    },
    {
      measure: 'agents healthy when read back (GET /v1/agents, page by page) / outbox lines (false pages)',
      result: `${f0(r.storedHealthy)} / ${f0(r.outboxLines)}`,
      goal: `${f0(r.options.agents)} / 0`,
      met: r.storedHealthy === r.options.agents && r.outboxLines === 0,
    },
    {
      measure: 'CPU: the watcher (both threads) / the sender, cores',
      result: `${r.watcherCores.toFixed(2)} / ${r.senderCores.toFixed(2)}`,
      goal: '-',
    },
    {
      measure: 'watcher exit on SIGTERM after the run',
      result: String(r.exit),
      goal: '0',
      met: r.exit === 0,
    },
  ];
  return { goals, allMet: goals.every((g) => g.met !== false) };
}

/** The fleet part's section; `about` are the lines on the command, date and machine. */
export function renderFleet(r: FleetResult, about: readonly string[]): { text: string; allMet: boolean } {
  const { goals, allMet } = fleetVerdict(r);
  const o = r.options;
  const text = [
    `## npm run load, fleet: ${o.agents.toLocaleString('en-US')} agents every ${o.heartbeatSeconds} s, scans on`,
    '',
    ...about,
    `- Load: ${o.agents.toLocaleString('en-US')} agents, each beating every ${o.heartbeatSeconds} s on its own phase (${Math.round(o.agents / o.heartbeatSeconds).toLocaleString('en-US')} heartbeats a second, evenly spread), one \`POST /v1/heartbeat\` each, at most ${SOCKETS} in flight; an open loop, so latency counts from when a heartbeat was due; ${o.seconds} s measured after ${o.heartbeatSeconds} s in which every agent beat once`,
    `- Watcher: \`node dist/hbw.js local\` as a child process, scans every ${o.scanSeconds} s, alert after 3 missed scans; the sender in the parent process on the same 2 cores`,
    `- Verdict: ${allMet ? '**every goal met**' : '**a goal was missed**'}`,
    '',
    markdownTable(
      ['measure', 'result', 'goal', 'met'],
      goals.map((g) => [g.measure, g.result, g.goal, g.met === undefined ? '-' : g.met ? 'yes' : '**no**']),
    ),
    ...(Object.keys(r.errors).length > 0
      ? [
          '',
          `Errors: ${Object.entries(r.errors)
            .map(([e, n]) => `${e} (${n})`)
            .join(', ')}`,
        ]
      : []),
  ].join('\n');
  return { text, allMet };
}
