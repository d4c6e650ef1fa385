// The load test: `npm run load [-- --seconds 60 --levels 8,16,32,64,128 --only ramp|fleet
// --fleet-agents 10000 --fleet-seconds 120 --no-write]`.
//
// Two parts. The ramp drives the local ingest route (POST /v1/heartbeat) of `hbw local` (dist/hbw.js,
// a child process) with autocannon at rising concurrency. At each level it runs clean heartbeats and a mix with 10% bad
// requests (oversized, malformed JSON, unauthenticated) in turns (clean, mixed, mixed, clean), so that a
// drift of the machine hits both alike. Every clean request is a distinct agent with a distinct `seq`;
// at the end the agents are read back (GET /v1/agents) and set against the 200 answers counted.
// Reports the sustained rate, the knee, and whether the bad requests were refused correctly without
// slowing the rest. The fleet (bench/load-fleet.ts) holds 10,000 agents at a 10 s heartbeat with the
// scanner on, and checks the answers' p99 and that scans stay on time. Each part writes its section of
// docs/BENCHMARKS.md. Everything talks to 127.0.0.1 only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { parseConfig } from '../lambda/domain/config';
import {
  log,
  markdownTable,
  NUMBERS_PAGE,
  numberFlag,
  runCommand,
  stringFlag,
  UsageError,
  type WatcherProcess,
  writeNumbers,
} from './common';
import {
  DEFAULT_FLEET,
  type FleetOptions,
  readAllAgents,
  renderFleet,
  runFleet,
  runFolder,
  seedAgents,
  startWatcherIn,
} from './load-fleet';
import { describeMachine, machineLine } from './machine';
import { distribution } from './soak-reconcile';

const PATH = '/v1/heartbeat';
/** Bad requests in a mixed run: one in this many. */
const BAD_EVERY = 10;
const BAD_KINDS = ['oversized', 'malformed', 'unauthenticated'] as const;
type BadKind = (typeof BAD_KINDS)[number];
const EXPECTED: Record<BadKind, number> = { oversized: 413, malformed: 400, unauthenticated: 401 };
const WARMUP_SECONDS = 3;
const WARMUP_CONNECTIONS = 16;
/**
 * The knee: the first level whose clean rate rose less than 10% over the level before (throughput
 * stopped rising), or whose p99 grew more than 1.5 times as fast as the connections (latency jumped:
 * queueing beyond what the added connections explain).
 */
const KNEE_RATE_GAIN = 1.1;
const KNEE_P99_SUPERLINEAR = 1.5;

interface Options {
  readonly seconds: number;
  readonly levels: readonly number[];
  readonly agents: number;
  readonly write: boolean;
  readonly keep: boolean;
  readonly hbw: string;
  /** Both parts, or one. */
  readonly only?: 'ramp' | 'fleet';
  readonly fleet: FleetOptions;
}

/** What one autocannon run saw, by the kind of request. */
interface RunStats {
  readonly mode: 'clean' | 'mixed';
  readonly connections: number;
  readonly seconds: number;
  clean200: number;
  cleanOther: Record<string, number>;
  cleanLatencies: number[];
  bad: Record<BadKind, { sent: number; right: number; wrong: Record<string, number> }>;
  errors: number;
  timeouts: number;
  /** autocannon's own count of 2xx, to check the bookkeeping. */
  reported2xx: number;
}

/** The load generator's state: which agent the next clean request beats for, and what came back. */
class Ledger {
  next = 0;
  wrapped = 0;
  private counter = 0;
  /** The seq of the 200 answer each agent got (0: none). */
  readonly accepted: Float64Array;
  /** The seq each agent was last sent (0: none). */
  readonly sent: Float64Array;

  constructor(
    readonly ids: readonly string[],
    readonly tokens: readonly string[],
  ) {
    this.accepted = new Float64Array(ids.length);
    this.sent = new Float64Array(ids.length);
  }

  /** The next request of a run: clean, or (mixed, one in BAD_EVERY) a bad one. */
  take(mixed: boolean): { kind: 'clean'; agent: number; seq: number } | { kind: BadKind } {
    this.counter += 1;
    if (mixed && this.counter % BAD_EVERY === 0) {
      return { kind: BAD_KINDS[(this.counter / BAD_EVERY) % BAD_KINDS.length]! };
    }
    const n = this.next++;
    if (n >= this.ids.length) this.wrapped += 1;
    const agent = n % this.ids.length;
    const seq = n + 1;
    this.sent[agent] = seq;
    return { kind: 'clean', agent, seq };
  }
}

async function runLevel(
  port: number,
  ledger: Ledger,
  mode: 'clean' | 'mixed',
  connections: number,
  seconds: number,
): Promise<RunStats> {
  const stats: RunStats = {
    mode,
    connections,
    seconds,
    clean200: 0,
    cleanOther: {},
    cleanLatencies: [],
    bad: {
      oversized: { sent: 0, right: 0, wrong: {} },
      malformed: { sent: 0, right: 0, wrong: {} },
      unauthenticated: { sent: 0, right: 0, wrong: {} },
    },
    errors: 0,
    timeouts: 0,
    reported2xx: 0,
  };
  const oversized = JSON.stringify({ agentId: 'load-oversized', version: 'x'.repeat(9 * 1024) });
  // Set by onResponse, read by the 'response' event that autocannon emits right after it, in the same tick.
  let lastKind: 'clean' | BadKind | undefined;
  const started = Date.now();
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: PATH,
            setupRequest: (req, context) => {
              const next = ledger.take(mode === 'mixed');
              context.kind = next.kind;
              const headers: Record<string, string> = { 'content-type': 'application/json' };
              if (next.kind === 'clean') {
                context.agent = next.agent;
                context.seq = next.seq;
                headers.authorization = `Bearer ${ledger.tokens[next.agent]}`;
                const body = JSON.stringify({
                  agentId: ledger.ids[next.agent],
                  seq: next.seq,
                  sentAt: new Date().toISOString(),
                });
                return { ...req, headers, body };
              }
              if (next.kind === 'oversized') {
                headers.authorization = `Bearer ${ledger.tokens[0]}`;
                return { ...req, headers, body: oversized };
              }
              if (next.kind === 'malformed') {
                headers.authorization = `Bearer ${ledger.tokens[0]}`;
                return { ...req, headers, body: '{"agentId": "load-malformed", "seq": ' };
              }
              return { ...req, headers, body: JSON.stringify({ agentId: ledger.ids[0], seq: 1 }) };
            },
            onResponse: (status, _body, context) => {
              const kind = context.kind as 'clean' | BadKind;
              lastKind = kind;
              if (kind === 'clean') {
                if (status === 200) {
                  stats.clean200 += 1;
                  ledger.accepted[context.agent as number] = context.seq as number;
                } else stats.cleanOther[status] = (stats.cleanOther[status] ?? 0) + 1;
                return;
              }
              const bad = stats.bad[kind];
              bad.sent += 1;
              if (status === EXPECTED[kind]) bad.right += 1;
              else bad.wrong[status] = (bad.wrong[status] ?? 0) + 1;
            },
          },
        ],
      },
      (error, res) => (error ? fail(error) : done(res)),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (lastKind === 'clean' && status === 200) stats.cleanLatencies.push(ms);
      lastKind = undefined;
    });
  });
  stats.errors = result.errors;
  stats.timeouts = result.timeouts;
  stats.reported2xx = result['2xx'];
  return { ...stats, seconds: (Date.now() - started) / 1000 };
}

/** Two runs of one mode at one level, added up. */
function combine(runs: readonly RunStats[]) {
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const clean200 = runs.reduce((n, r) => n + r.clean200, 0);
  const latencies = runs.flatMap((r) => r.cleanLatencies);
  const cleanOther: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.cleanOther)) cleanOther[k] = (cleanOther[k] ?? 0) + v;
  const bad = Object.fromEntries(
    BAD_KINDS.map((kind) => {
      const wrong: Record<string, number> = {};
      for (const r of runs)
        for (const [k, v] of Object.entries(r.bad[kind].wrong)) wrong[k] = (wrong[k] ?? 0) + v;
      return [
        kind,
        {
          sent: runs.reduce((n, r) => n + r.bad[kind].sent, 0),
          right: runs.reduce((n, r) => n + r.bad[kind].right, 0),
          wrong,
        },
      ];
    }),
  ) as RunStats['bad'];
  const lat = distribution(latencies);
  return {
    seconds,
    clean200,
    rate: clean200 / seconds,
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    cleanOther,
    bad,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
    reported2xx: runs.reduce((n, r) => n + r.reported2xx, 0),
  };
}

type Level = { connections: number; clean: ReturnType<typeof combine>; mixed: ReturnType<typeof combine> };

function parseOptions(argv: readonly string[]): Options {
  const seconds = numberFlag(argv, '--seconds', 60);
  const levelText = stringFlag(argv, '--levels') ?? '8,16,32,64,128';
  const levels = levelText.split(',').map((s) => Number(s.trim()));
  if (levels.some((n) => !Number.isInteger(n) || n < 1 || n > 1024))
    throw new UsageError('--levels takes connection counts such as 8,16,32,64,128');
  // Four runs per level (clean, mixed, mixed, clean), at least a second each.
  if (seconds / (4 * levels.length) < 1)
    throw new UsageError(`--seconds ${seconds} is too short for ${levels.length} levels`);
  const only = stringFlag(argv, '--only');
  if (only !== undefined && only !== 'ramp' && only !== 'fleet')
    throw new UsageError(`--only takes ramp or fleet, not ${only}`);
  return {
    seconds,
    levels,
    agents: Math.round(numberFlag(argv, '--agents', 80_000)),
    write: !argv.includes('--no-write'),
    keep: argv.includes('--keep'),
    hbw: resolve(stringFlag(argv, '--hbw') ?? 'dist/hbw.js'),
    only,
    fleet: {
      ...DEFAULT_FLEET,
      agents: Math.round(numberFlag(argv, '--fleet-agents', DEFAULT_FLEET.agents)),
      seconds: numberFlag(argv, '--fleet-seconds', DEFAULT_FLEET.seconds),
    },
  };
}

/** The last level before the knee (see KNEE_RATE_GAIN), and the level where it showed. */
function findKnee(levels: readonly { connections: number; rate: number; p99: number }[]) {
  for (let k = 1; k < levels.length; k++) {
    const before = levels[k - 1]!;
    const now = levels[k]!;
    const grown = now.connections / before.connections;
    if (now.rate < KNEE_RATE_GAIN * before.rate || now.p99 > KNEE_P99_SUPERLINEAR * grown * before.p99) {
      return { index: k - 1, next: k };
    }
  }
  return { index: levels.length - 1, next: undefined };
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!existsSync(options.hbw)) throw new Error(`${options.hbw} is missing: run npm run build first`);
  const command = ['npm run load --', ...argv].join(' ').replace(/ --$/, '');
  const ramp = options.only === 'fleet' ? true : await runRamp(options, command);
  const fleet = options.only === 'ramp' ? true : await fleetPart(options, command);
  return ramp && fleet ? 0 : 1;
}

/** The fleet part, with its own section: see bench/load-fleet.ts. */
async function fleetPart(options: Options, command: string): Promise<boolean> {
  const started = Date.now();
  const machine = describeMachine();
  const result = await runFleet(options.fleet, options.hbw);
  const { text: section, allMet } = renderFleet(result, [
    `- Command: \`${command}\` (the fleet part: ${Math.round((Date.now() - started) / 1000)} s, agents created first)`,
    `- Date: ${machine.date}`,
    machineLine(machine),
  ]);
  process.stdout.write(`${section}\n`);
  if (options.write) {
    writeNumbers('load fleet', section);
    log(`wrote its section of ${NUMBERS_PAGE}`);
  }
  log(allMet ? 'load, fleet: every goal met' : 'load, fleet: a goal was missed (see the table)');
  return allMet;
}

/** The ramp part: autocannon at rising concurrency, clean and mixed, with its own section. */
async function runRamp(options: Options, command: string): Promise<boolean> {
  const started = Date.now();
  const machine = describeMachine();
  // Ingest alone: the scanner's interval is a day, so no scan lands in the run.
  const raw = {
    heartbeatIntervalSeconds: 30,
    scanIntervalSeconds: 86_400,
    missedScansBeforeAlert: 3,
    groups: { production: { channels: ['sms', 'email'] } },
  };
  const folder = runFolder('hbw-load-', raw);
  const { dir, dataDir } = folder;
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let watcher: WatcherProcess | undefined;
  let exitCode = 1;
  try {
    log(`load: creating ${options.agents} agents in ${dataDir}`);
    const seeded = await seedAgents(dataDir, parseConfig(raw), options.agents);
    const ledger = new Ledger(seeded.ids, seeded.tokens);
    log(`created ${options.agents} agents in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    watcher = await startWatcherIn(options.hbw, folder, keepAlive);
    const port = watcher.port;
    log(`watcher up on 127.0.0.1:${port} (pid ${watcher.child?.pid}); warming up ${WARMUP_SECONDS} s`);
    const warmup = await runLevel(port, ledger, 'clean', WARMUP_CONNECTIONS, WARMUP_SECONDS);
    const runSeconds = options.seconds / (4 * options.levels.length);
    const levels: Level[] = [];
    const runs: RunStats[] = [warmup];
    for (const connections of options.levels) {
      const clean: RunStats[] = [];
      const mixed: RunStats[] = [];
      for (const mode of ['clean', 'mixed', 'mixed', 'clean'] as const) {
        const run = await runLevel(port, ledger, mode, connections, runSeconds);
        (mode === 'clean' ? clean : mixed).push(run);
        runs.push(run);
      }
      const level = { connections, clean: combine(clean), mixed: combine(mixed) };
      levels.push(level);
      log(
        `${connections} connections: clean ${level.clean.rate.toFixed(0)}/s p99 ${level.clean.p99.toFixed(1)} ms; mixed (clean part) ${level.mixed.rate.toFixed(0)}/s p99 ${level.mixed.p99.toFixed(1)} ms`,
      );
    }

    // Read every agent back and set it against the 200 answers.
    const stored = new Map(
      (await readAllAgents<{ agentId: string; seq?: number; lastHeartbeatAt?: string }>(keepAlive, port)).map(
        (a) => [a.agentId, a],
      ),
    );
    const exit = (await watcher.stop()).code;
    let acceptedCount = 0;
    let reflected = 0;
    const notReflected: string[] = [];
    let writtenUnanswered = 0;
    let supersededCount = 0;
    for (let i = 0; i < ledger.ids.length; i++) {
      const agent = stored.get(ledger.ids[i]!);
      if (ledger.accepted[i]! > 0) {
        acceptedCount += 1;
        const seq = agent?.seq ?? 0;
        // When the pool wrapped, a later heartbeat of the same agent may have been written without an
        // answer (in flight when a run ended): it supersedes the answered one.
        const superseded = seq > ledger.accepted[i]! && seq <= ledger.sent[i]!;
        if (agent?.lastHeartbeatAt !== undefined && (seq === ledger.accepted[i] || superseded)) {
          reflected += 1;
          if (superseded) supersededCount += 1;
        } else
          notReflected.push(`${ledger.ids[i]} (answered seq ${ledger.accepted[i]}, stored ${agent?.seq})`);
      } else if (agent?.lastHeartbeatAt !== undefined) {
        writtenUnanswered += 1;
      }
    }
    const total200 = runs.reduce((n, r) => n + r.clean200, 0);
    const reported2xx = runs.reduce((n, r) => n + r.reported2xx, 0);
    // Requests in flight when a run ended (autocannon does not wait for them), or timed out: they may be written.
    const unansweredBound = runs.reduce(
      (n, r) =>
        n + r.connections + r.timeouts + r.errors + Object.values(r.cleanOther).reduce((a, b) => a + b, 0),
      0,
    );

    const section = render({
      command,
      machine,
      options,
      runSeconds,
      levels,
      ledger,
      acceptedCount,
      reflected,
      notReflected,
      supersededCount,
      writtenUnanswered,
      unansweredBound,
      total200,
      reported2xx,
      exit,
      wallSeconds: (Date.now() - started) / 1000,
    });
    process.stdout.write(`${section.text}\n`);
    if (options.write) {
      writeNumbers('load', section.text);
      log(`wrote its section of ${NUMBERS_PAGE}`);
    }
    log(section.allMet ? 'load: every goal met' : 'load: a goal was missed (see the table)');
    exitCode = section.allMet ? 0 : 1;
    return section.allMet;
  } finally {
    await watcher?.stop();
    keepAlive.destroy();
    if (options.keep || exitCode !== 0) log(`kept ${dir} (watcher.log, data)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

interface RenderInput {
  readonly command: string;
  readonly machine: ReturnType<typeof describeMachine>;
  readonly options: Options;
  readonly runSeconds: number;
  readonly levels: readonly Level[];
  readonly ledger: Ledger;
  readonly acceptedCount: number;
  readonly reflected: number;
  readonly notReflected: readonly string[];
  readonly supersededCount: number;
  readonly writtenUnanswered: number;
  readonly unansweredBound: number;
  readonly total200: number;
  readonly reported2xx: number;
  readonly exit: number | null;
  readonly wallSeconds: number;
}

function render(r: RenderInput): { text: string; allMet: boolean } {
  const m = r.machine;
  const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const pct = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(0)}%` : '-');
  const pct1 = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(1)}%` : '-');
  const other = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '0';
  const clean = r.levels.map((l) => ({ connections: l.connections, rate: l.clean.rate, p99: l.clean.p99 }));
  const knee = findKnee(clean);
  const kneeLevel = r.levels[knee.index]!;
  const peak = r.levels.reduce((best, l) => (l.clean.rate > best.clean.rate ? l : best), r.levels[0]!);
  const beyond = knee.next === undefined ? undefined : r.levels[knee.next]!;

  const rampTable = markdownTable(
    [
      'connections',
      'clean: heartbeats/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'non-200 / errors / timeouts',
      'mixed, clean part: heartbeats/s',
      'p50 ms',
      'p99 ms',
      'rate mixed / clean',
      'p99 mixed / clean',
    ],
    r.levels.map((l) => [
      String(l.connections),
      f0(l.clean.rate),
      f1(l.clean.p50),
      f1(l.clean.p99),
      f1(l.clean.max),
      `${other(l.clean.cleanOther)} / ${l.clean.errors} / ${l.clean.timeouts}`,
      f0(l.mixed.rate),
      f1(l.mixed.p50),
      f1(l.mixed.p99),
      pct(l.mixed.rate / l.clean.rate),
      pct(l.mixed.p99 / l.clean.p99),
    ]),
  );
  const badRows = BAD_KINDS.map((kind) => {
    const sent = r.levels.reduce((n, l) => n + l.mixed.bad[kind].sent, 0);
    const right = r.levels.reduce((n, l) => n + l.mixed.bad[kind].right, 0);
    const wrong: Record<string, number> = {};
    for (const l of r.levels)
      for (const [k, v] of Object.entries(l.mixed.bad[kind].wrong)) wrong[k] = (wrong[k] ?? 0) + v;
    return { kind, sent, right, wrong };
  });
  const badTable = markdownTable(
    ['bad request (10% of a mixed run, in turns)', 'sent', 'answered as expected', 'other answers'],
    badRows.map((b) => [`${b.kind} (expect ${EXPECTED[b.kind]})`, f0(b.sent), f0(b.right), other(b.wrong)]),
  );
  const badSent = badRows.reduce((n, b) => n + b.sent, 0);
  const badRight = badRows.reduce((n, b) => n + b.right, 0);
  // The mix must not slow clean requests by more than 10%, at every level up to the knee.
  const compared = r.levels.slice(0, knee.index + 1);
  const slowdown = compared.map((l) => ({
    connections: l.connections,
    rate: l.mixed.rate / l.clean.rate,
    p99: l.mixed.p99 / l.clean.p99,
  }));
  const slowOk = slowdown.every((s) => s.rate >= 0.9 && s.p99 <= 1.1);
  const worstRate = Math.min(...slowdown.map((s) => s.rate));
  const worstP99 = Math.max(...slowdown.map((s) => s.p99));
  const storeOk = r.reflected === r.acceptedCount && r.notReflected.length === 0;
  const countOk = r.total200 === r.reported2xx;
  const goals = [
    {
      measure: 'sustained rate: clean heartbeats/s at the knee',
      result: `${f0(kneeLevel.clean.rate)}/s at ${kneeLevel.connections} connections (p50 ${f1(kneeLevel.clean.p50)} ms, p99 ${f1(kneeLevel.clean.p99)} ms); peak ${f0(peak.clean.rate)}/s at ${peak.connections}`,
      goal: '-',
    },
    {
      measure: 'the knee (next level: rate up < 10%, or p99 up > 1.5x the connections)',
      result: beyond
        ? `after ${kneeLevel.connections} connections: at ${beyond.connections}, rate ${pct(beyond.clean.rate / kneeLevel.clean.rate)} of it, p99 x${(beyond.clean.p99 / kneeLevel.clean.p99).toFixed(1)} (${f1(beyond.clean.p99)} ms)`
        : `not reached up to ${kneeLevel.connections} connections`,
      goal: '-',
    },
    {
      measure: 'accepted heartbeats (200) reflected in the store (seq and lastHeartbeatAt read back)',
      result: `${f0(r.reflected)} of ${f0(r.acceptedCount)}${r.supersededCount > 0 ? ` (${f0(r.supersededCount)} superseded by a later heartbeat of the same agent, the pool having wrapped)` : ''}`,
      goal: 'all',
      met: storeOk,
    },
    {
      measure: '200 answers counted per request = autocannon 2xx',
      result: `${f0(r.total200)} = ${f0(r.reported2xx)}`,
      goal: 'equal',
      met: countOk,
    },
    {
      measure: 'heartbeats stored without a 200 answer (in flight at a run end, timed out, or failed)',
      result: `${f0(r.writtenUnanswered)} (bound ${f0(r.unansweredBound)})`,
      goal: '<= bound',
      met: r.writtenUnanswered <= r.unansweredBound,
    },
    {
      measure: 'bad requests refused with the right status (413 / 400 / 401)',
      result: `${f0(badRight)} of ${f0(badSent)}`,
      goal: 'all',
      met: badSent > 0 && badRight === badSent,
    },
    {
      measure: 'clean heartbeats with the mix, up to the knee: rate / p99 vs clean alone (worst level)',
      result: `rate ${pct1(worstRate)}, p99 ${pct1(worstP99)} (${slowdown.map((s) => `${s.connections}: ${pct1(s.rate)} / ${pct1(s.p99)}`).join('; ')})`,
      goal: 'rate >= 90%, p99 <= 110%',
      met: slowOk,
    },
    {
      measure: 'watcher exit on SIGTERM after the run',
      result: String(r.exit),
      goal: '0',
      met: r.exit === 0,
    },
  ];
  const goalTable = markdownTable(
    ['measure', 'result', 'goal', 'met'],
    goals.map((g) => [g.measure, g.result, g.goal, g.met === undefined ? '-' : g.met ? 'yes' : '**no**']),
  );
  const allMet = goals.every((g) => g.met !== false);
  const text = [
    '## npm run load: POST /v1/heartbeat under autocannon',
    '',
    `- Command: \`${r.command}\` (whole run ${Math.round(r.wallSeconds)} s, agents created first)`,
    `- Date: ${m.date}`,
    machineLine(m),
    `- Watcher: \`node dist/hbw.js local\` (a child process; dynalite on disk in a temp --data-dir, in its own thread); the scanner's interval set to a day so that no scan lands in the run; autocannon in the parent process on the same 2 cores`,
    `- Load: ${r.options.seconds} s measured in all, levels ${r.options.levels.join(', ')} connections, each as four ${r.runSeconds.toFixed(1)} s runs (clean, mixed, mixed, clean) after a ${WARMUP_SECONDS} s warm-up at ${WARMUP_CONNECTIONS}; every clean request a distinct agent (of ${f0(r.ledger.ids.length)} created) with a distinct seq${r.ledger.wrapped > 0 ? `; the pool wrapped ${r.ledger.wrapped} times (those agents are checked for their last heartbeat only)` : ''}`,
    `- Verdict: ${allMet ? '**every goal met**' : '**a goal was missed**'}`,
    '',
    goalTable,
    '',
    rampTable,
    '',
    badTable,
    ...(r.notReflected.length > 0
      ? [
          '',
          'Accepted but not found in the store (first 10):',
          '',
          ...r.notReflected.slice(0, 10).map((s) => `- ${s}`),
        ]
      : []),
  ].join('\n');
  return { text, allMet };
}

const USAGE = `Usage: npm run load -- [options]

Two parts, each writing its section of docs/BENCHMARKS.md: the ramp drives the ingest route of hbw local
with autocannon at rising concurrency, clean and with 10% bad requests; the fleet holds agents at a
10 s heartbeat with the scanner on, against a p99 and scans on time.

Options:
  --only PART           ramp or fleet (default: both)
  --seconds N           length of the ramp (default 60), four runs per level
  --levels LIST         the ramp's connection counts (default 8,16,32,64,128)
  --agents N            distinct agents of the ramp (default 80000)
  --fleet-agents N      agents of the fleet (default ${DEFAULT_FLEET.agents})
  --fleet-seconds N     length of the fleet's run (default ${DEFAULT_FLEET.seconds})
  --no-write            print the tables only
  --keep                keep the working directories
  --hbw FILE            the CLI to run (default dist/hbw.js)
  --help                this text
`;

runCommand('load', USAGE, main);
