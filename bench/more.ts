// The benchmarks of the scanner, the stack, the agent and the console, and the cost model: run by
// bench/run.ts after the ingest ones, summarised and written to docs/BENCHMARKS.md by bench/report.ts.

import { CAPACITY_DEFAULTS } from '../lambda/domain/capacity';
import {
  type AgentResourceResult,
  agentSummaryRows,
  benchAgentResources,
  benchRelayRequests,
  DEFAULT_AGENT_RESOURCES,
  type RelayRequestResult,
} from './agent';
import { fmt, GOALS } from './common';
import { benchConsole, type ConsoleBenchResult } from './console';
import {
  agentMonth,
  billedIngestMs,
  type CostRow,
  cloudWatchPerHost,
  DYNAMODB_ROUND_TRIP_MS,
  INGEST_MEMORY_MB,
  LAMBDA_VCPU_MB,
  PRICES,
} from './cost';
import { benchDetection, type DetectionResult } from './detection';
import { benchFunctionBundles } from './function-bundles';
import { benchPolicyScan, benchScan, type PolicyScanRow, type ScanRow } from './scan';
import { benchShAgentResources, type ShAgentResourceResult } from './sh-agent';
import { benchTopology, DEFAULT_TOPOLOGY, type TopologyRow } from './topology';

export interface MoreOptions {
  readonly scanSizes: readonly number[];
  readonly detectionAgents: number;
  readonly agentSeconds: number;
  readonly imports: number;
  readonly consoleAgents: number;
}

export const DEFAULT_MORE: MoreOptions = {
  scanSizes: [10_000, 100_000],
  detectionAgents: 40,
  agentSeconds: 60,
  imports: 20,
  consoleAgents: 5_000,
};

export interface MoreResults {
  readonly scan: ScanRow[];
  readonly topology: TopologyRow[];
  readonly policyScan: PolicyScanRow;
  readonly detection: DetectionResult;
  /** The same, the agents beating through `hbw agent relay`, which coalesces their heartbeats. */
  readonly relayDetection: DetectionResult;
  readonly functions: FunctionBundles;
  readonly cost: CostRow[];
  /** The ingest function's billed duration the cost rows use, and the CPU it is modelled from. */
  readonly ingest: {
    readonly cpuMs: number;
    readonly billedMs: number;
    /** The same with twice the round trip, and the direct 30 s provisioned total it gives. */
    readonly billedMsAtSlowTrip: number;
    readonly directAtSlowTrip: number;
  };
  readonly readUnitsPerAgentScan: number;
  readonly agent: AgentResourceResult;
  readonly shAgent: ShAgentResourceResult;
  readonly relay: RelayRequestResult;
  readonly console: ConsoleBenchResult;
}

/** `hbw agent run` and the sh agent, one after the other, measured alike (`npm run bench` step 7, and `--agents`). */
export async function benchBothAgents(
  seconds: number,
): Promise<{ agent: AgentResourceResult; shAgent: ShAgentResourceResult }> {
  const agent = await benchAgentResources({ ...DEFAULT_AGENT_RESOURCES, seconds });
  const shAgent = await benchShAgentResources({
    seconds,
    intervalSeconds: DEFAULT_AGENT_RESOURCES.intervalSeconds,
    warmupSeconds: DEFAULT_AGENT_RESOURCES.warmupSeconds,
  });
  return { agent, shAgent };
}

/** The rows that say what the two agents cost, side by side. */
export function agentRows(agent: AgentResourceResult, shAgent: ShAgentResourceResult): string[][] {
  return [
    [
      'run length',
      `${agent.seconds} s at a ${agent.intervalSeconds} s interval (the goal is stated for 10 minutes: \`npm run bench -- --agent-seconds 600\`)`,
    ],
    [
      '`hbw agent run` RSS',
      `start ${agent.rssMiB.start} MiB, median ${agent.rssMiB.median} MiB, max ${agent.rssMiB.max} MiB`,
    ],
    ['an idle node process', `${agent.nodeFloorRssMiB} MiB`],
    [
      '`hbw agent run` RSS over the idle node',
      `median ${agent.rssOverFloor.median}x, max ${agent.rssOverFloor.max}x (\`hbw agent run\` runs from the agent's own bundle, dist/hbw.js)`,
    ],
    [
      '`hbw agent run` CPU',
      `${agent.cpuPercentOfCore}% of one core, ${fmt(agent.cpuMs / Math.max(1, agent.heartbeats), 1)} ms per heartbeat (${agent.heartbeats} heartbeats)`,
    ],
    [
      `sh agent (\`agent/hbw-agent.sh\` under ${shAgent.shell}) RSS while idle, the sh and its sleep summed`,
      `median ${shAgent.idleRssMiB.median} MiB, max ${shAgent.idleRssMiB.max} MiB (${shAgent.idleSamples} of ${shAgent.samples} samples idle)`,
    ],
    [
      'sh agent CPU, with curl and every child it runs',
      `${shAgent.cpuPercentOfCore}% of one core, ${shAgent.cpuMsPerHeartbeat} ms per heartbeat (${shAgent.heartbeats} heartbeats)`,
    ],
  ];
}

/**
 * `ingestCpuMs`: the ingest function's CPU per heartbeat at a whole core (bench/lambda-cpu.ts), from
 * which the cost rows model its billed duration.
 */
export async function runMore(
  options: MoreOptions,
  log: (line: string) => void,
  ingestCpuMs: number,
): Promise<MoreResults> {
  log('4/9 scanner: scan of a healthy fleet beside a bare parallel Scan, then with parents and clusters');
  const largestSize = Math.max(...options.scanSizes);
  const scan = [...(await benchScan(options.scanSizes, log)), ...(await benchScan([largestSize], log, true))];
  log('4/9 scanner: pages per topology outage');
  const topology = await benchTopology(DEFAULT_TOPOLOGY, log);
  log('4/9 scanner: the same scan with the notification policies on and off');
  const policyScan = await benchPolicyScan(largestSize, log);
  log('5/9 detection latency in local mode');
  const detection = await benchDetection(options.detectionAgents, log);
  log('5/9 detection latency through the relay, and the writes its coalescing saves');
  const relayDetection = await benchDetection(options.detectionAgents, log, true);
  log('6/9 every Lambda bundle beside the SDK-only floor');
  const functions = await benchFunctionBundles(options.imports, log);
  const largest = scan.filter((s) => !s.topology).at(-1)!;
  const readUnitsPerAgentScan = largest.scannerReadUnits / largest.agents;
  const ingestMs = billedIngestMs(ingestCpuMs);
  const slowTripMs = billedIngestMs(ingestCpuMs, INGEST_MEMORY_MB, 2 * DYNAMODB_ROUND_TRIP_MS);
  const month = (
    fleet: number,
    heartbeatSeconds: number,
    batch: number,
    provisionedAt: number | undefined,
    billedMs: number,
  ) =>
    agentMonth({
      fleet,
      heartbeatSeconds,
      scanSeconds: 30,
      writesPerHeartbeat: 1,
      readUnitsPerAgentScan,
      ingestMs: billedMs,
      ingestMemoryMb: INGEST_MEMORY_MB,
      batch,
      provisionedAt,
    });
  const cost = COST_FLEETS.flatMap((fleet) =>
    [10, 30, 60].flatMap((heartbeatSeconds) =>
      [1, 100].flatMap((batch) =>
        [undefined, CAPACITY_DEFAULTS.targetUtilization].map((provisionedAt) =>
          month(fleet, heartbeatSeconds, batch, provisionedAt, ingestMs),
        ),
      ),
    ),
  );
  log(
    `7/9 agent memory and CPU (${options.agentSeconds} s at a 1 s interval), hbw agent run then the sh agent`,
  );
  const { agent, shAgent } = await benchBothAgents(options.agentSeconds);
  log('8/9 relay: requests per 1,000 heartbeats');
  const relay = await benchRelayRequests();
  log(`9/9 console: page weight and first render with ${options.consoleAgents} agents`);
  const consoleResult = await benchConsole({ agents: options.consoleAgents });
  return {
    scan,
    topology,
    policyScan,
    detection,
    relayDetection,
    functions,
    cost,
    ingest: {
      cpuMs: ingestCpuMs,
      billedMs: ingestMs,
      billedMsAtSlowTrip: slowTripMs,
      directAtSlowTrip: month(COST_FLEETS[0], 30, 1, CAPACITY_DEFAULTS.targetUtilization, slowTripMs).total,
    },
    readUnitsPerAgentScan,
    agent,
    shAgent,
    relay,
    console: consoleResult,
  };
}

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(5) : n.toFixed(n < 1 ? 4 : 2)}`;

/**
 * How much later than an agent sent a heartbeat the watcher may date it, through the relay: a quarter
 * of the bench's 1 s scan interval. The two local hops take a few ms; the watcher dates each item of
 * a batch when its write starts, so the items after the first 16 wait for the writes before them
 * (tens of ms here), which errs late and so never opens an alert early. A relay hold not dated back
 * would show as up to half a scan interval (500 ms), beyond this.
 */
const RELAY_DATING_MS = 250;

/** The cost goals at a 30 s heartbeat with the agents table provisioned: per request and its most per agent-month. */
const PROVISIONED_COST_GOALS = [
  { batch: 1, most: 0.13, how: 'direct' },
  { batch: 100, most: 0.025, how: 'through a relay (100 per request)' },
];

/**
 * The fleets the cost is modelled for: one whose requests all fall in the HTTP API's first price
 * tier (up to about 3,470 agents at a 30 s heartbeat), and the million agents of issue 15.
 */
const COST_FLEETS = [1_000, 1_000_000] as const;

/** The cost row of the modelled case `of` (fleet, heartbeat, batch, capacity). */
function costAt(
  m: MoreResults,
  of: Pick<CostRow, 'fleet' | 'heartbeatSeconds' | 'batch' | 'provisionedAt'>,
): CostRow {
  return m.cost.find(
    (c) =>
      c.fleet === of.fleet &&
      c.heartbeatSeconds === of.heartbeatSeconds &&
      c.batch === of.batch &&
      c.provisionedAt === of.provisionedAt,
  )!;
}

export function moreSummaryRows(m: MoreResults) {
  const rows: { measurement: string; result: string; goal: string; met: boolean }[] = [];
  for (const fleet of COST_FLEETS) {
    for (const goal of PROVISIONED_COST_GOALS) {
      const at30 = { fleet, heartbeatSeconds: 30, batch: goal.batch };
      const row = costAt(m, { ...at30, provisionedAt: CAPACITY_DEFAULTS.targetUtilization });
      rows.push({
        measurement: `Cost per agent-month at a 30 s heartbeat, ${goal.how}, agents table ${row.capacity}, a fleet of ${fmt(fleet)}`,
        result: `${usd(row.total)} (on demand ${usd(costAt(m, { ...at30, provisionedAt: undefined }).total)})`,
        goal: `at most $${goal.most}`,
        met: row.total <= goal.most,
      });
    }
  }
  for (const s of m.scan) {
    const what = s.topology
      ? `${fmt(s.agents)} healthy agents, 10% with a parent, 1,000 clusters`
      : `${fmt(s.agents)} healthy agents`;
    rows.push(
      {
        measurement: `Scan of ${what}: time beside a bare parallel Scan`,
        result: `${fmt(s.scannerMs)} ms vs ${fmt(s.bareMs)} ms = ${fmt(s.ratio, 2)}x`,
        goal: 'at most 1.3x',
        met: s.ratio <= 1.3,
      },
      {
        measurement: `Scan of ${what}: read units, writes, peak memory`,
        result: `${fmt(s.scannerReadUnits, 1)} RRU vs bare ${fmt(s.bareReadUnits, 1)}; ${s.writes} write (the scan's own progress record); heap ${fmt(s.peakHeapMb)} MB`,
        goal: 'RRU equal to the bare Scan; no write for agents; under 256 MB at 100,000',
        met: s.scannerReadUnits === s.bareReadUnits && s.writes <= 1 && s.peakHeapMb < 256,
      },
    );
  }
  for (const t of m.topology.filter((row) => row.declared)) {
    const before = m.topology.find((row) => !row.declared && row.scenario === t.scenario);
    rows.push({
      measurement: `Pages when ${t.scenario}, parents and clusters declared`,
      result: `${t.pages} page${t.pages === 1 ? '' : 's'}, ${t.held} of ${t.alerts} alerts held (undeclared: ${before?.pages} pages)`,
      goal: `${t.goalPages} page`,
      met: t.pages === t.goalPages,
    });
  }
  const p = m.policyScan;
  rows.push({
    measurement: `Scan of ${fmt(p.agents)} healthy agents with the notification policies on, beside the same scan with them off`,
    result: `${fmt(p.onMs)} ms vs ${fmt(p.offMs)} ms = ${fmt(p.ratio, 3)}x`,
    goal: 'at most 1.05x',
    met: p.ratio <= 1.05,
  });
  for (const d of [m.detection, m.relayDetection]) {
    rows.push({
      measurement: `Detection latency / threshold, local mode, ${d.samples} agents stopping at random (${d.missedScansBeforeAlert} x ${d.scanIntervalSeconds} s)${d.relay ? ', through the relay, coalescing on' : ''}`,
      result: `min ${fmt(d.minRatio, 3)}, median ${fmt(d.medianRatio, 3)}, max ${fmt(d.maxRatio, 3)}; ${d.missed} not alerted`,
      goal: `never below 1.0, never above ${fmt(d.bound, 3)} (1 + 1/missedScans; no probes here)`,
      met: d.missed === 0 && d.minRatio >= 1 && d.maxRatio <= d.bound,
    });
  }
  const dated = m.relayDetection.relay;
  if (dated) {
    rows.push({
      measurement:
        "Through the relay, coalescing on: the watcher's time of each agent's last heartbeat, after the agent sent it",
      result: `at most ${fmt(dated.datedLateMaxMs)} ms later`,
      goal: `at most ${RELAY_DATING_MS} ms: the way there and the batch's writes; the relay's hold dated back`,
      met: dated.datedLateMaxMs <= RELAY_DATING_MS,
    });
  }
  const coalesced = m.relayDetection.relay;
  if (coalesced) {
    rows.push({
      measurement: `Relay coalescing: watcher writes per agent per scan interval, agents beating every ${m.relayDetection.beatMs} ms (3 a scan interval, as MOM's 10 s heartbeats and 30 s scans)`,
      result: `${fmt(coalesced.pacedWritesPerAgentScan, 2)} paced writes (${fmt(coalesced.writesPerAgentScan, 2)} with each agent's first, unpaced heartbeat and its last, sent once it stopped) for ${fmt(coalesced.sentPerAgentScan, 2)} heartbeats sent = ${fmt(coalesced.writesPerAgentScan / coalesced.sentPerAgentScan, 3)} of them`,
      goal: "at most 2 once the relay knows the agent's pace (one per half scan interval)",
      met: coalesced.pacedWritesPerAgentScan <= 2,
    });
  }
  rows.push(...functionSummaryRows(m.functions), ...agentSummaryRows(m.agent, m.relay));
  const c = m.console;
  rows.push(
    {
      measurement: 'Console page weight (every asset, gzip)',
      result: `${fmt(c.pageGzipBytes / 1024, 1)} KiB (${fmt(c.pageBytes / 1024, 1)} KiB raw)`,
      goal: 'under 150 KB',
      met: c.pageGzipBytes < 150_000,
    },
    {
      measurement: `Console first render of the overview, ${fmt(c.agents)} agents, local mode`,
      result: `median ${fmt(c.firstRenderMs)} ms, slowest ${fmt(c.firstRenderMaxMs)} ms (GET /v1/status alone ${fmt(c.statusApiMs)} ms)`,
      goal: 'under 1 s',
      met: c.firstRenderMs < 1000,
    },
  );
  return rows;
}

export type FunctionBundles = Awaited<ReturnType<typeof benchFunctionBundles>>;

/** Each function's bundle held to its floor: the summary rows of step 6. */
export function functionSummaryRows(functions: FunctionBundles) {
  return functions.rows.flatMap(({ handler, bytes, importMs, floor }) =>
    floor
      ? [
          {
            measurement: `${handler} Lambda bundle: size and cold import beside its floor (${floor.name})`,
            result: `${fmt(bytes / 1024, 1)} KiB = ${fmt(floor.sizeRatio, 3)}x; ${fmt(importMs, 1)} ms = ${fmt(floor.importRatio, 3)}x`,
            goal: `at most ${GOALS.bundleOverFloor}x on both`,
            met: floor.sizeRatio <= GOALS.bundleOverFloor && floor.importRatio <= GOALS.bundleOverFloor,
          },
        ]
      : [],
  );
}

/** Step 6's table of every function's bundle beside its floor, with what the floors are. */
export function functionBundlesMarkdown(
  functions: FunctionBundles,
  table: (header: string[], rows: (string | number)[][]) => string,
): string[] {
  return [
    `Each handler bundled as the stack bundles it, one minified ES module with the SDK inside; cold import is the median of ${'`import()`'} in`,
    'fresh processes. Each is held to the floor of the SDK clients it cannot do without, built the same',
    'way and timed in the same run: `dynamodb` is a DynamoDB client and one UpdateItem;',
    '`dynamodb+sns+lambda+events` adds the clients the scanner sends through, one call each: SNS to page,',
    "Lambda to invoke the probers, EventBridge to put the webhook notices; `ec2+ssm` is the AWS health prober's two.",
    `Floors: ${functions.floors.map((f) => `${f.name} ${fmt(f.bytes / 1024, 1)} KiB, ${fmt(f.importMs, 1)} ms`).join('; ')}.`,
    '',
    table(
      ['handler', 'floor', 'KiB', 'gzip KiB', 'size / floor', 'import ms', 'import / floor'],
      functions.rows.map((f) => [
        f.handler,
        f.floor?.name ?? 'none (no SDK client)',
        fmt(f.bytes / 1024, 1),
        fmt(f.gzipBytes / 1024, 1),
        f.floor ? `${fmt(f.floor.sizeRatio, 3)}x` : '-',
        fmt(f.importMs, 1),
        f.floor ? `${fmt(f.floor.importRatio, 3)}x` : '-',
      ]),
    ),
  ];
}

export function moreMarkdown(
  m: MoreResults,
  table: (header: string[], rows: (string | number)[][]) => string,
): string[] {
  const cw = cloudWatchPerHost();
  return [
    '### 4. Scanner: a scan beside a bare Scan',
    '',
    'A fleet of healthy agents in in-memory dynalite (the items carry the reported fields a real agent',
    'writes), one warm-up scan, then the best of two rounds of: a bare 4-segment parallel Scan with the',
    "scanner's projection, and a full `Scanner.scan()` (nothing changes, so it writes only its progress",
    'record). Read units come from `ReturnConsumedCapacity` on every Scan of the agents table; the heap',
    'is the scanning thread (dynalite runs in a thread of its own).',
    '',
    table(
      [
        'agents',
        'parents and clusters',
        'scanner ms',
        'bare Scan ms',
        'ratio',
        'scanner RRU',
        'bare RRU',
        'writes',
        'peak heap MB',
        'peak RSS MB',
      ],
      m.scan.map((s) => [
        fmt(s.agents),
        s.topology ? '10% with a parent, 1,000 clusters' : 'none',
        fmt(s.scannerMs),
        fmt(s.bareMs),
        `${fmt(s.ratio, 2)}x`,
        fmt(s.scannerReadUnits, 1),
        fmt(s.bareReadUnits, 1),
        s.writes,
        fmt(s.peakHeapMb),
        fmt(s.peakRssMb),
      ]),
    ),
    '',
    '### 4b. Pages per topology outage',
    '',
    'On the manual clock over in-memory dynalite: 1 s scans and heartbeats, an alert after 3 missed',
    'scans. A switch (an agentless entry with a probe) dies, and the agents behind it go silent with it,',
    'their last heartbeats spread over 2.5 s as its ports drop, so they cross the threshold in different',
    'scans; a 10-node cluster that needs 5 members up loses 6 at once. Each runs twice in the same run:',
    'with the topology declared (`parent` on each agent behind the switch; `clusters` in the config) and',
    'without (each agent judged alone, as before parents and clusters existed).',
    '',
    table(
      ['scenario', 'topology declared', 'agents', 'pages', 'alerts', 'held', 'goal'],
      m.topology.map((t) => [
        t.scenario,
        t.declared ? 'yes' : 'no',
        fmt(t.agents),
        t.pages,
        t.alerts,
        t.held,
        t.declared ? `${t.goalPages} page` : '-',
      ]),
    ),
    '',
    '### 4c. Notification policies: the scan with them on and off',
    '',
    `One fleet of ${fmt(m.policyScan.agents)} healthy agents in in-memory dynalite (50 clusters), two scanners over it in`,
    `alternating rounds (the best of ${m.policyScan.rounds} each): one with every policy configured on the paging and`,
    'console groups and every cluster (a daily maintenance window in Europe/Berlin that is not open now,',
    'flapping, `recoverAfterScans` 2, two escalation steps, an SMS budget), one with the same groups and',
    'clusters without them. Nothing fires: this is what the policies cost a scan that finds nothing.',
    '',
    table(
      ['agents', 'policies on, ms', 'policies off, ms', 'ratio', 'goal'],
      [
        [
          fmt(m.policyScan.agents),
          fmt(m.policyScan.onMs),
          fmt(m.policyScan.offMs),
          `${fmt(m.policyScan.ratio, 3)}x`,
          'at most 1.05x',
        ],
      ],
    ),
    '',
    '### 5. Detection latency',
    '',
    `Local mode, ${m.detection.scanIntervalSeconds} s scans, ${m.detection.missedScansBeforeAlert} missed scans, agents beating and stopping`,
    "at random moments; the latency is the time from an agent's last heartbeat to the scan time of its",
    'alert in the outbox, divided by missedScans x interval. Direct, agents beat every 250 ms and their',
    "last heartbeat is the watcher's time of it, through the relay too. Through the relay (`hbw agent relay`, in this process),",
    `agents beat every ${m.relayDetection.beatMs} ms, 3 times a scan interval as with MOM's defaults (10 s heartbeats, 30 s scans); the`,
    'relay forwards at most one heartbeat per agent per half scan interval and waits at most',
    `${m.relayDetection.relay?.flushMs ?? '-'} ms for a fuller batch (its 1 s default, scaled as the scans are). The relay dates each`,
    'heartbeat back by the time it held it (`heldMs`), so the watcher counts from when the relay got it:',
    "how much later than the agent sent it the watcher's time of each last heartbeat came is measured",
    'beside the ratio (the way from agent to relay to watcher, and the wait of an item of a batch for the',
    'writes before it; a hold not dated back would show as up to half a scan interval). Writes are the',
    'heartbeats the watcher took, per agent per scan interval of',
    "that agent's life; paced writes leave out each agent's first heartbeat, which goes at once because the",
    "relay learns the agent's pace from the watcher's answer to it, and its last, which the relay held and",
    'sent once the agent had stopped (these agents live 1 to 5 scan intervals, so the two weigh here as',
    'they never do in a fleet of agents that run for months).',
    '',
    table(
      [
        'door',
        'samples',
        'not alerted',
        'min',
        'median',
        'max',
        'bound',
        'heartbeats sent',
        'writes',
        'paced writes',
        'last heartbeat dated late by, max',
      ],
      [m.detection, m.relayDetection].map((d) => [
        d.relay ? 'relay, coalescing' : 'direct',
        d.samples,
        d.missed,
        fmt(d.minRatio, 3),
        fmt(d.medianRatio, 3),
        fmt(d.maxRatio, 3),
        fmt(d.bound, 3),
        d.relay ? `${fmt(d.relay.sentPerAgentScan, 2)} per agent-scan` : '-',
        d.relay ? `${fmt(d.relay.writesPerAgentScan, 2)} per agent-scan` : '-',
        d.relay ? `${fmt(d.relay.pacedWritesPerAgentScan, 2)} per agent-scan` : '-',
        d.relay ? `${fmt(d.relay.datedLateMaxMs)} ms` : '-',
      ]),
    ),
    '',
    '### 6. Every Lambda bundle',
    '',
    ...functionBundlesMarkdown(m.functions, table),
    '',
    'The ingest and register functions are wired on their own (the heartbeat use cases, the register use',
    'case, each with its own settings and the one door of lambda/http/lambda-door.ts); the admin and scanner',
    'functions carry the whole service, the config and its policies: they run for an operator or once a',
    'minute, so their cold start costs nothing per heartbeat or per enrollment.',
    '',
    '### 7. Cost per agent-month',
    '',
    `Thirty days, us-east-1 list prices: HTTP API $1.00 per million requests for a fleet of ${fmt(COST_FLEETS[0])} (the first 300 million of a month), $0.90 past them, Lambda $0.20 per million`,
    `requests and $${PRICES.lambdaArmGbSecond} per GB-second on arm64, DynamoDB $0.625 per million write units and`,
    '$0.125 per million read units on demand, or $0.00065 per write unit-hour and $0.00013 per read',
    'unit-hour provisioned, paid for at 1 / target of the units used (the AWS pricing pages). Counted: one write',
    `unit per heartbeat and no read (section 1), ${m.readUnitsPerAgentScan.toFixed(4)} read units per agent per scan (section 4, 30 s`,
    `scans). Modelled: ${m.ingest.billedMs} ms billed per ingest invocation at ${INGEST_MEMORY_MB} MB, the function's CPU per heartbeat`,
    `(section 3b, ${fmt(m.ingest.cpuMs, 3)} ms at a whole core of this machine) stretched to ${INGEST_MEMORY_MB} MB's share of a vCPU (${fmt(LAMBDA_VCPU_MB)} MB`,
    `is one vCPU, the Lambda developer guide) plus an assumed ${DYNAMODB_ROUND_TRIP_MS} ms UpdateItem round trip, rounded up to the ms;`,
    `with a ${2 * DYNAMODB_ROUND_TRIP_MS} ms round trip it would be ${m.ingest.billedMsAtSlowTrip} ms, and the direct 30 s provisioned row ${usd(m.ingest.directAtSlowTrip)}.`,
    'A relay batch of 100 lasts ceil(100/16) writes.',
    '',
    table(
      [
        'heartbeat',
        'per request',
        'capacity',
        'heartbeats/month',
        'API',
        'Lambda',
        'DynamoDB writes',
        'DynamoDB reads',
        `total, ${fmt(COST_FLEETS[0])} agents`,
        `total, ${fmt(COST_FLEETS[1])} agents`,
      ],
      m.cost
        .filter((c) => c.fleet === COST_FLEETS[0])
        .map((c) => [
          `${c.heartbeatSeconds} s`,
          c.batch,
          c.capacity,
          fmt(c.heartbeatsPerMonth),
          usd(c.api),
          usd(c.lambda),
          usd(c.dynamoWrites),
          usd(c.dynamoReads),
          usd(c.total),
          usd(costAt(m, { ...c, fleet: COST_FLEETS[1] }).total),
        ]),
    ),
    '',
    `The columns API to DynamoDB reads are those of the fleet of ${fmt(COST_FLEETS[0])}; at a million agents only the API's share changes (its second tier).`,
    '',
    `Beside it: a CloudWatch custom metric put once a minute plus an alarm, $${PRICES.cloudWatchCustomMetricMonth} + $${PRICES.cloudWatchAlarmMonth} +`,
    `43,200 PutMetricData calls at $0.01 per 1,000 = ${usd(cw)} per host-month; a Route 53 health check $${PRICES.route53HealthCheckAwsMonth}`,
    `(AWS endpoint) or $${PRICES.route53HealthCheckOtherMonth} (other) per host-month before options (HTTPS, fast interval).`,
    '',
    '### 8. The agent and the relay',
    '',
    table(
      ['measurement', 'result'],
      [
        ...agentRows(m.agent, m.shAgent),
        [
          'relay',
          `${m.relay.requestsPer1000} requests per 1,000 heartbeats (${m.relay.arrivalsPerSecond}/s arriving, flush ${m.relay.flushMs} ms)`,
        ],
      ],
    ),
    '',
    '### 9. The console',
    '',
    table(
      ['measurement', 'result'],
      [
        [
          'assets',
          `${fmt(m.console.pageBytes / 1024, 1)} KiB, ${fmt(m.console.pageGzipBytes / 1024, 1)} KiB gzip`,
        ],
        [
          'first render of the overview',
          `median ${fmt(m.console.firstRenderMs)} ms, slowest ${fmt(m.console.firstRenderMaxMs)} ms`,
        ],
        ['GET /v1/status alone', `${fmt(m.console.statusApiMs)} ms`],
        ['agents view, first rows', `${fmt(m.console.agentsViewMs)} ms`],
      ],
    ),
    '',
  ];
}
