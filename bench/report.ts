import type { AgentResourceResult } from './agent';
import { fmt, GOALS } from './common';
import type { IngestResult, PhaseStats } from './http-ingest';
import { type BundleResult, type BundleStats, type BundleVariant, ISSUE_DAY } from './ingest-bundle';
import type { LambdaCpuResult } from './lambda-cpu';
import { type Machine, machineLine } from './machine';
import {
  agentRows,
  type FunctionBundles,
  functionBundlesMarkdown,
  functionSummaryRows,
  type MoreResults,
  moreMarkdown,
  moreSummaryRows,
} from './more';
import type { RequestsResult } from './requests-per-heartbeat';
import type { ShAgentResourceResult } from './sh-agent';

export interface BenchResults {
  readonly command: string;
  readonly machine: Machine;
  readonly elapsedSeconds: number;
  readonly requests: RequestsResult;
  readonly http: IngestResult;
  readonly bundle: BundleResult;
  readonly lambdaCpu: LambdaCpuResult;
  readonly more: MoreResults;
}

interface SummaryRow {
  readonly measurement: string;
  readonly result: string;
  readonly goal: string;
  /** Absent: a figure kept for comparison, with no goal. */
  readonly met?: boolean;
}

const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const pct = (x: number) => `${fmt(x * 100)}%`;
const ratio = (x: number) => `${fmt(x, 3)}x`;
const yes = (met: boolean | undefined) => (met === undefined ? '-' : met ? 'yes' : '**no**');

function summary(r: BenchResults): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const row of r.requests.rows) {
    if (row.met === undefined) continue;
    rows.push({
      measurement: `DynamoDB requests per ${row.path}`,
      result: `${operations(row.perHeartbeat)}; ${fmt(row.readsPerHeartbeat)} reads (${row.heartbeats} heartbeats, ${row.deviations} off)`,
      goal: 'exactly 1 write (UpdateItem), 0 reads',
      met: row.met,
    });
  }
  const { ours, raw, options } = r.http;
  rows.push({
    measurement: `Local ingest, POST /v1/heartbeat over HTTP, ${options.concurrency} loops, ${fmt(options.agents)} agents`,
    result: `${fmt(ours.perSecond)} heartbeats/s (p50 ${fmt(ours.p50Ms, 1)} ms, p99 ${fmt(ours.p99Ms, 1)} ms) = ${pct(r.http.ratio)} of raw dynalite ${fmt(raw.perSecond)} UpdateItem/s${busyNote(ours, raw)}`,
    // No longer a goal (issue 15): the fleet load of `npm run load` holds local mode to its p99.
    goal: 'none: the fleet load holds local mode (`npm run load`)',
  });
  rows.push(...ingestBundleRows(r.bundle));
  rows.push(...moreSummaryRows(r.more));
  return rows;
}

/** The ingest bundle's summary rows (step 3): its size, and its cold import beside the build before. */
export function ingestBundleRows(bundle: BundleResult): SummaryRow[] {
  const primary = bundle.variants[0]!;
  const before = bundle.variants[1]!;
  return [
    {
      measurement: `Ingest bundle size (${primary.name})`,
      result: `${fmt(primary.ingest.bytes / 1000, 1)} KB (${kib(primary.ingest.bytes)}); built the way before: ${fmt(before.ingest.bytes / 1000, 1)} KB`,
      goal: `at most ${fmt(GOALS.ingestBundleBytes / 1000)} KB`,
      met: primary.ingest.bytes <= GOALS.ingestBundleBytes,
    },
    issueDayRow(bundle),
    {
      measurement: `Ingest bundle cold import as deployed, beside the same sources built the way before (${before.name}), same run`,
      result: `${fmt(primary.ingest.importMs, 1)} ms vs ${fmt(before.ingest.importMs, 1)} ms = ${ratio(bundle.importVsBefore)} (pairs: ${ratio(bundle.importPairVsBefore)})`,
      goal: "none: the build's share of the change, without the wiring's",
    },
    {
      // What the same change of build does to the SDK alone, which most of the ingest bundle is.
      measurement: `The floor (the DynamoDB client and one UpdateItem) built both ways: cold import as deployed beside the build before, same run`,
      result: `${fmt(primary.floor.importMs, 1)} ms vs ${fmt(before.floor.importMs, 1)} ms = ${ratio(bundle.floorImportVsBefore)}`,
      goal: 'none: what the ratio above tends to as the code beside the SDK shrinks',
    },
  ];
}

/** The goal row of issue 15's cold import: as deployed beside the ingest build of the day it was filed. */
function issueDayRow(bundle: BundleResult): SummaryRow {
  const measurement = `Ingest bundle cold import as deployed, beside the ingest build of the day issue 15 was filed (the sources of ${ISSUE_DAY.rev}, cjs, esbuild defaults, node22), same run`;
  const goal = `at most ${ratio(GOALS.ingestImportVsBefore)}`;
  const day = bundle.issueDay;
  if (!day) return { measurement, result: `not measured: ${ISSUE_DAY.rev} is not in this clone`, goal };
  return {
    measurement,
    result: `${fmt(bundle.variants[0]!.ingest.importMs, 1)} ms vs ${fmt(day.stats.importMs, 1)} ms (${fmt(day.stats.bytes / 1000, 1)} KB) = ${ratio(day.importVsDeployed)}`,
    goal,
    met: day.importVsDeployed <= GOALS.ingestImportVsBefore,
  };
}

/** Says so when other jobs took a noticeable share of the machine while a phase was measured. */
function busyNote(...phases: PhaseStats[]): string {
  const other = Math.max(...phases.map((p) => p.otherCores ?? 0));
  return other >= BUSY_CORES ? ` (busy machine: other jobs used up to ${fmt(other, 2)} cores meanwhile)` : '';
}

/** Other load above this many cores is worth a warning beside the numbers. */
const BUSY_CORES = 0.25;

function operations(perHeartbeat: Record<string, number>): string {
  const entries = Object.entries(perHeartbeat);
  if (entries.length === 0) return 'no requests';
  return entries.map(([op, n]) => `${fmt(n, n % 1 === 0 ? 0 : 2)} ${op}`).join(' + ');
}

/** The plain-text table printed at the end of a run. */
export function renderTable(r: BenchResults): string {
  const rows = summary(r);
  const lines = [
    '',
    `${r.machine.date}  ${r.machine.nproc} cores ${r.machine.cpuModel}  ${r.machine.memoryGiB} GiB  node ${r.machine.node}  (${fmt(r.elapsedSeconds)} s)`,
    '',
  ];
  for (const row of rows) {
    lines.push(`${row.met === undefined ? '    ' : row.met ? 'MET ' : 'MISS'}  ${row.measurement}`);
    lines.push(`      ${row.result}`);
    lines.push(`      goal: ${row.goal}`);
  }
  for (const v of r.bundle.variants.slice(1)) {
    lines.push(
      `      (${v.name}: size ${ratio(v.sizeRatio)}, gzip ${ratio(v.gzipRatio)}, import ${ratio(v.importRatio)})`,
    );
  }
  return lines.join('\n');
}

/** A Markdown table, padded the way the formatter (biome) lays tables out. */
function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

function phaseRow(name: string, s: PhaseStats): (string | number)[] {
  return [
    name,
    fmt(s.perSecond),
    fmt(s.p50Ms, 1),
    fmt(s.p99Ms, 1),
    `${fmt(s.ok)} / ${fmt(s.errors)}`,
    pct(s.mainElu),
    pct(s.loadElu),
    fmt(s.processCores, 2),
    fmt(s.cpuMsPerRequest, 2),
    s.otherCores === undefined ? '-' : fmt(s.otherCores, 2),
    s.rounds.map((n) => fmt(n)).join(', '),
  ];
}

function bundleRows(v: BundleVariant): (string | number)[][] {
  const row = (name: string, s: BundleStats) => [
    name,
    fmt(s.bytes),
    fmt(s.gzipBytes),
    fmt(s.importMs, 1),
    fmt(s.importMinMs, 1),
    fmt(s.processMs, 1),
  ];
  return [
    row('ingest (lambda/handlers/ingest.ts)', v.ingest),
    row('floor (DynamoDBClient + one UpdateItemCommand)', v.floor),
    [
      `**ratio** (goal at most ${ratio(GOALS.bundleOverFloor)})`,
      `**${ratio(v.sizeRatio)}**`,
      `**${ratio(v.gzipRatio)}**`,
      `**${ratio(v.importRatio)}** (pairs: ${ratio(v.importPairRatio)})`,
      ratio(v.importMinRatio),
      ratio(v.processRatio),
    ],
  ];
}

/** Bytes by package, largest first, with what the ingest bundle adds over the floor. */
function packageRows(v: BundleVariant, limit = 12): (string | number)[][] {
  const names = new Set([...Object.keys(v.ingest.byPackage), ...Object.keys(v.floor.byPackage)]);
  const rows = [...names].map((name) => {
    const ingest = v.ingest.byPackage[name] ?? 0;
    const floor = v.floor.byPackage[name] ?? 0;
    return { name, ingest, floor, delta: ingest - floor };
  });
  rows.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || b.ingest - a.ingest);
  const shown = rows.slice(0, limit);
  const rest = rows.slice(limit);
  const out = shown.map((p) => [`\`${p.name}\``, fmt(p.ingest), fmt(p.floor), signed(p.delta)]);
  if (rest.length) {
    const sum = (f: (p: (typeof rows)[number]) => number) => rest.reduce((s, p) => s + f(p), 0);
    out.push([
      `${rest.length} other packages`,
      fmt(sum((p) => p.ingest)),
      fmt(sum((p) => p.floor)),
      signed(sum((p) => p.delta)),
    ]);
  }
  const total = (s: BundleStats) => Object.values(s.byPackage).reduce((a, b) => a + b, 0);
  out.push([
    '**all inputs**',
    fmt(total(v.ingest)),
    fmt(total(v.floor)),
    signed(total(v.ingest) - total(v.floor)),
  ]);
  return out;
}

/** Where and when a run was made: its command, date, machine and Node. */
function runLines(command: string, elapsedSeconds: number, m: Machine): string[] {
  return [
    `- Command: \`${command}\` (whole run ${fmt(elapsedSeconds)} s)`,
    `- Date: ${m.date}`,
    machineLine(m),
  ];
}

/** The section `npm run bench -- --agents` writes: the two agents alone, side by side. */
export function renderAgentsMarkdown(r: {
  command: string;
  elapsedSeconds: number;
  machine: Machine;
  agent: AgentResourceResult;
  shAgent: ShAgentResourceResult;
}): string {
  return [
    '## npm run bench -- --agents: hbw agent run beside the sh agent',
    '',
    'Written by `bench/run.ts` with `--agents`: step 7 of `npm run bench` alone, the two agents one',
    'after the other against a local watcher, RSS and CPU time read from /proc every second.',
    '',
    ...runLines(r.command, r.elapsedSeconds, r.machine),
    '',
    table(['measurement', 'result'], agentRows(r.agent, r.shAgent)),
    '',
  ].join('\n');
}

/** The section `npm run bench -- --bundles` writes: steps 3 and 6 alone, every bundle beside its floor. */
export function renderBundlesMarkdown(r: {
  command: string;
  elapsedSeconds: number;
  machine: Machine;
  bundle: BundleResult;
  functions: FunctionBundles;
}): string {
  return [
    '## npm run bench -- --bundles: every Lambda bundle beside its floor',
    '',
    'Written by `bench/run.ts` with `--bundles`: steps 3 and 6 of `npm run bench` alone (how they are',
    'built and timed is said there), the ingest bundle beside the build before and every function',
    'beside its floor, in one run.',
    '',
    ...runLines(r.command, r.elapsedSeconds, r.machine),
    '',
    table(
      ['measurement', 'result', 'goal', 'met'],
      [...ingestBundleRows(r.bundle), ...functionSummaryRows(r.functions)].map((s) => [
        s.measurement,
        s.result,
        s.goal,
        yes(s.met),
      ]),
    ),
    '',
    ...functionBundlesMarkdown(r.functions, table),
    '',
  ].join('\n');
}

const signed = (n: number) => (n > 0 ? `+${fmt(n)}` : fmt(n));

/** The section of docs/BENCHMARKS.md that `npm run bench` writes. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const { http } = r;
  const parts = [
    '## npm run bench',
    '',
    'Written by `bench/run.ts`. These matter because the heartbeat path is one',
    'DynamoDB write and no read, and anything more multiplies the bill.',
    '',
    ...runLines(r.command, r.elapsedSeconds, m),
    '',
    '### Summary',
    '',
    table(
      ['measurement', 'result', 'goal', 'met'],
      summary(r).map((s) => [s.measurement, s.result, s.goal, yes(s.met)]),
    ),
    '',
    '### 1. DynamoDB requests per heartbeat',
    '',
    'Counted by an SDK middleware (`test/support/dynamo-request-counter.ts`, also used by',
    '`test/adapters/heartbeat-requests.test.ts`) that records the operation of every request the client',
    'sends, each retry included. Heartbeats go through the agent router (`app.request`, no network) to',
    'the real `DynamoAgentStore` over in-memory dynalite; the accepted path is checked heartbeat by',
    'heartbeat.',
    '',
    table(
      ['path', 'heartbeats', 'requests per heartbeat', 'writes', 'reads', 'goal', 'met'],
      r.requests.rows.map((row) => [
        row.path,
        row.heartbeats,
        operations(row.perHeartbeat),
        fmt(row.writesPerHeartbeat, 2),
        fmt(row.readsPerHeartbeat, 2),
        row.goal,
        row.met === undefined ? '-' : yes(row.met),
      ]),
    ),
    '',
    `A relay's batch of ${r.requests.fullBatch.items} heartbeats with the fields the bench sends (agentId, token, sentAt,`,
    `seq, bootId) is ${fmt(r.requests.fullBatch.bytes)} bytes and is answered **${r.requests.fullBatch.status}**.`,
    '',
    '### 2. Local ingest over HTTP',
    '',
    `\`startLocalWatcher\` with ${http.storage}; ${fmt(http.options.agents)} agents added through the`,
    `service; the scanner off. A worker thread runs ${http.options.concurrency} loops, each on its own slice of`,
    'the agents. The phases:',
    '',
    '- raw: the UpdateItem the store sends for a heartbeat (captured from the store as the SDK put it on the',
    '  wire, then replayed per agent key and token hash with `node:http`, each signed with the store key',
    "  before the clock starts) straight to the watcher's dynalite, over its socket, through its signature check;",
    "- ours: `POST /v1/heartbeat` with each agent's token over keep-alive HTTP (`node:http`);",
    '- for comparison only: the same UpdateItem sent with the SDK client from the load thread.',
    '',
    `Each phase is measured for ${http.options.seconds} s in all, in ${http.options.rounds} rounds of`,
    `${fmt(http.options.seconds / http.options.rounds, 1)} s (each after ${http.options.warmupSeconds} s of warm-up) that take turns, the order`,
    'turning each round, so that a job elsewhere on the machine hits every phase alike. Each round waits',
    '(up to 8 s) for the rest of the machine to be quiet first.',
    '',
    'Latency is per request, measured in the load thread. ELU is the event-loop utilisation of a thread',
    'over the measured window: "main" is the watcher\'s thread (HTTP server, service, SDK client; dynalite',
    'runs in a thread of its own, see `cli/embedded-dynamo.ts`), "load" the load loops. "Cores" is the CPU',
    'time of the whole process (every thread, libuv pool included) per second of wall time; "CPU ms/req"',
    'the same per request (all threads, the load loops included), which other load does not skew; "other"',
    'the CPU of everything else on the machine (from /proc/stat): above a few tenths, another job competed.',
    '',
    table(
      [
        'phase',
        'per second',
        'p50 ms',
        'p99 ms',
        'ok / errors',
        'main ELU',
        'load ELU',
        'cores',
        'CPU ms/req',
        'other',
        'per second, by round',
      ],
      [
        phaseRow('raw: UpdateItem straight to dynalite', http.raw),
        phaseRow('**ours: POST /v1/heartbeat**', http.ours),
        phaseRow('(UpdateItem with the SDK client in the load thread)', http.rawSdk),
      ],
    ),
    '',
    `Ours / raw by round: ${http.roundRatios.map(pct).join(', ')}.`,
    '',
    `Ours / raw: **${pct(http.ratio)}** (no goal since issue 15, which set the fleet load of \`npm run load\` in its place).`,
    ...(http.ours.firstError ? ['', `First error of ours: \`${http.ours.firstError}\`.`] : []),
    ...(http.raw.firstError ? ['', `First error of raw: \`${http.raw.firstError}\`.`] : []),
    '',
    '### 3. Ingest Lambda bundle',
    '',
    '`lambda/handlers/ingest.ts` bundled with esbuild as the stack bundles it (`LAMBDA_BUNDLING`,',
    'lib/lambda-bundling.ts: one minified ES module, platform node, target node24, main fields',
    '`module,main`, the AWS SDK inside), and the same sources built the way the functions were before',
    "(CommonJS, esbuild's default main fields). Beside each the floor: a handler holding only",
    '`DynamoDBClient` and one `UpdateItemCommand` send, built the same way. Cold import: a fresh',
    '`node -e` process imports the bundle (`import()` for the ES module, `require` for CommonJS, as',
    `Lambda's Node runtime loads them), ${r.bundle.options.imports} times each, the four taking turns, median; "import" is the load alone, timed inside the process,`,
    '"process" the whole spawn to exit. Beside the ratio of the medians (the goal), the median of the',
    'ratios of imports run back to back ("pairs") and the ratio of the fastest imports, which a busy',
    'machine skews less. The environment holds what the handler reads at import',
    `(${r.bundle.env.map((name) => `\`${name}\``).join(', ')}); nothing is called. gzip is level 9. Measured on this machine's Node, not Lambda's 24.`,
    '',
    `Ingest cold import as deployed over the same sources built the way before: **${ratio(r.bundle.importVsBefore)}** (pairs ${ratio(r.bundle.importPairVsBefore)}); over the ingest build of the day issue 15 was filed (${ISSUE_DAY.rev}): ${r.bundle.issueDay ? `**${ratio(r.bundle.issueDay.importVsDeployed)}**` : 'not measured'} (goal at most ${ratio(GOALS.ingestImportVsBefore)}: ${yes(r.bundle.issueDay && r.bundle.issueDay.importVsDeployed <= GOALS.ingestImportVsBefore)}). Size as deployed: ${fmt(r.bundle.variants[0]!.ingest.bytes)} bytes (goal at most ${fmt(GOALS.ingestBundleBytes)}: ${yes(r.bundle.variants[0]!.ingest.bytes <= GOALS.ingestBundleBytes)}).`,
    '',
    ...r.bundle.variants.flatMap((v, i) => [
      `#### ${i === 0 ? 'Goal build' : 'Also measured'}: ${v.name}`,
      '',
      `${v.description}.`,
      '',
      table(
        ['bundle', 'bytes', 'gzip bytes', 'import ms (median)', 'import ms (fastest)', 'process ms (median)'],
        bundleRows(v),
      ),
      '',
      'Bytes in the minified output by package (esbuild metafile), largest difference first:',
      '',
      table(['package', 'ingest', 'floor', 'difference'], packageRows(v, 8)),
      '',
    ]),
    '### 3b. Ingest Lambda CPU per heartbeat, cacheMiddleware on and off',
    '',
    "The ingest handler as the function wires it (HeartbeatService, the ingest door, hono's Lambda",
    'adapter) fed API Gateway events for `POST /v1/heartbeat`, in this process; its DynamoDB client',
    'answers each UpdateItem from memory with the item dynalite returned to a real one, so the time is',
    "the function's own: the route, the checks, and the SDK's serialize, middleware, signing and parse.",
    `CPU (user + system) per heartbeat over ${fmt(r.lambdaCpu.options.heartbeats)} heartbeats a slice, ${r.lambdaCpu.options.rounds} slices of each taking turns, median. What Lambda bills is the duration, which also waits on DynamoDB.`,
    "`cacheMiddleware` keeps each command's resolved middleware stack from its first send; its one trap:",
    "middleware added after a command's first send is not seen (lambda/adapters/sdk-config.ts).",
    '',
    table(
      ['client', 'CPU ms per heartbeat'],
      [
        ['`cacheMiddleware: true` (as the functions run)', fmt(r.lambdaCpu.cachedMs, 3)],
        ["the SDK's default (the stack resolved on every send)", fmt(r.lambdaCpu.uncachedMs, 3)],
        ['**ratio** (no goal set)', `**${ratio(r.lambdaCpu.ratio)}**`],
      ],
    ),
    '',
    ...moreMarkdown(r.more, table),
  ];
  return parts.join('\n');
}
