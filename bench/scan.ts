import { BatchWriteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo } from '../cli/embedded-dynamo';
import { SCAN_ATTRIBUTES } from '../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../lambda/adapters/dynamo-client';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { parseConfig, type WatcherConfig } from '../lambda/domain/config';
import { createLogger } from '../lambda/logger';
import { Scanner } from '../lambda/scanner';
import { countDynamoRequests, WRITE_OPERATIONS } from '../test/support/dynamo-request-counter';

export interface ScanRow {
  readonly agents: number;
  /** 10% of the agents have a parent and 1,000 clusters are configured. */
  readonly topology: boolean;
  readonly scannerMs: number;
  readonly bareMs: number;
  readonly ratio: number;
  readonly scannerReadUnits: number;
  readonly bareReadUnits: number;
  readonly writes: number;
  /** Peak heap of the scanning thread during the scan (dynalite runs in a thread of its own). */
  readonly peakHeapMb: number;
  readonly peakRssMb: number;
}

const SEGMENTS = 4;

/** Adds ReturnConsumedCapacity to every Scan of the agents table and sums the read units DynamoDB reports. */
function countReadUnits(client: DynamoDBClient) {
  let units = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ScanCommand') return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      units += consumed?.CapacityUnits ?? 0;
      return out;
    },
    { step: 'initialize', name: 'hbwReadUnits' },
  );
  return {
    take() {
      const u = units;
      units = 0;
      return u;
    },
  };
}

const agentName = (i: number) => `agent-${String(i).padStart(6, '0')}.fleet.example.net`;
const CLUSTERS = 1_000;

/**
 * A fresh embedded store with its tables and `agents` healthy agents (see {@link fill}), its client,
 * and how to close both: what the scan and reads benchmarks measure against.
 */
export async function filledStore(
  agents: number,
  now: number,
  topology: boolean,
  log: (line: string) => void,
): Promise<{ client: DynamoDBClient; close: () => Promise<void> }> {
  const dynamo = await startEmbeddedDynamo();
  const client = localDynamoClient(dynamo.connection);
  const close = async () => {
    client.destroy();
    await dynamo.close();
  };
  try {
    await ensureTables(client, LOCAL_TABLE_NAMES);
    log(`  filling ${agents} agents`);
    await fill(client, agents, now, topology);
  } catch (error) {
    await close();
    throw error;
  }
  return { client, close };
}

export async function fill(client: DynamoDBClient, count: number, now: number, topology: boolean) {
  const item = (i: number) => ({
    agentId: { S: agentName(i) },
    group: { S: i % 2 ? 'production' : 'test' },
    cluster: { S: `cluster-${i % (topology ? CLUSTERS : 50)}` },
    // One agent in ten sits behind the one before it (which has no parent).
    ...(topology && i % 10 === 1 ? { parent: { S: agentName(i - 1) } } : {}),
    approval: { S: 'approved' },
    tokenHash: { S: 'f'.repeat(64) },
    createdAt: { N: String(now - 86_400_000) },
    lastHeartbeatAt: { N: String(now - 5_000) },
    lastSentAt: { N: String(now - 5_000) },
    clockSkewSeconds: { N: '0' },
    seq: { N: String(i * 7) },
    bootId: { S: '3f1c2b7e-1d2a-4c57-9b1e-7a4d2f0c9e11' },
    endpoint: { S: 'https://hbw.example.net/v1/heartbeat' },
    version: { S: '1.4.2' },
  });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next += 25;
      const items = [];
      for (let i = start; i < Math.min(start + 25, count); i++) items.push({ PutRequest: { Item: item(i) } });
      let request: Record<string, typeof items> | undefined = { [LOCAL_TABLE_NAMES.agents]: items };
      while (request && Object.keys(request).length) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: request }));
        request = out.UnprocessedItems as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function bareScan(client: DynamoDBClient): Promise<number> {
  const names = Object.fromEntries(SCAN_ATTRIBUTES.map((a) => [`#${a}`, a]));
  let seen = 0;
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let start: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: LOCAL_TABLE_NAMES.agents,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ProjectionExpression: SCAN_ATTRIBUTES.map((a) => `#${a}`).join(', '),
            ExpressionAttributeNames: names,
            ExclusiveStartKey: start,
          }),
        );
        seen += page.Count ?? 0;
        start = page.LastEvaluatedKey as typeof start;
      } while (start);
    }),
  );
  return seen;
}

/** A scanner over the local tables on a clock stopped at `now`: every probe answers, nothing is sent or logged. */
function benchScanner(client: DynamoDBClient, config: WatcherConfig, now: number): Scanner {
  return new Scanner({
    ...dynamoStores(client, LOCAL_TABLE_NAMES),
    notifier: { publish: async () => {} },
    prober: { probe: async () => ({ outcome: 'up', detail: 'bench' }) },
    clock: { now: () => now },
    config,
    segments: SEGMENTS,
    log: createLogger({ sink: () => {} }),
  });
}

/** Samples the scanning thread's heap and the process RSS while `fn` runs. */
async function withPeakMemory<T>(fn: () => Promise<T>): Promise<{ value: T; heapMb: number; rssMb: number }> {
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const timer = setInterval(sample, 10);
  try {
    const value = await fn();
    sample();
    return { value, heapMb: heap / 2 ** 20, rssMb: rss / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A scan of a healthy fleet (nothing changes) beside a bare parallel Scan of the same table with the
 * same projection, in the same run: time, read units, writes, peak memory.
 */
export async function benchScan(
  sizes: readonly number[],
  log: (line: string) => void,
  topology = false,
): Promise<ScanRow[]> {
  const rows: ScanRow[] = [];
  for (const agents of sizes) {
    const now = Date.now();
    const { client, close } = await filledStore(agents, now, topology, log);
    try {
      const units = countReadUnits(client);
      const requests = countDynamoRequests(client);
      const clusters = Object.fromEntries(
        Array.from({ length: CLUSTERS }, (_, c) => [`cluster-${c}`, { group: 'production', minHealthy: 1 }]),
      );
      const config = parseConfig({
        groups: { production: { channels: ['sms', 'email'] }, test: { channels: ['console'] } },
        ...(topology ? { clusters } : {}),
      });
      const scanner = benchScanner(client, config, now);
      await scanner.scan(); // warm: first scan writes the scanner state
      let bareMs = Number.POSITIVE_INFINITY;
      let scannerMs = Number.POSITIVE_INFINITY;
      let bareReadUnits = 0;
      let scannerReadUnits = 0;
      let writes = 0;
      let peakHeapMb = 0;
      let peakRssMb = 0;
      for (let round = 0; round < 2; round++) {
        (globalThis as { gc?: () => void }).gc?.();
        units.take();
        let t = performance.now();
        const seen = await bareScan(client);
        bareMs = Math.min(bareMs, performance.now() - t);
        bareReadUnits = units.take();
        if (seen !== agents) throw new Error(`bare scan saw ${seen} of ${agents}`);
        (globalThis as { gc?: () => void }).gc?.();
        requests.reset();
        t = performance.now();
        const { value: report, heapMb, rssMb } = await withPeakMemory(() => scanner.scan());
        scannerMs = Math.min(scannerMs, performance.now() - t);
        scannerReadUnits = units.take();
        // Every write of the scan; the one expected is the scan's own progress record in the state table.
        writes = requests.take().filter((op) => WRITE_OPERATIONS.has(op)).length;
        peakHeapMb = Math.max(peakHeapMb, heapMb);
        peakRssMb = Math.max(peakRssMb, rssMb);
        if (report.agents !== agents) throw new Error(`scanner saw ${report.agents} of ${agents}`);
      }
      rows.push({
        agents,
        topology,
        scannerMs,
        bareMs,
        ratio: scannerMs / bareMs,
        scannerReadUnits,
        bareReadUnits,
        writes,
        peakHeapMb,
        peakRssMb,
      });
      log(
        `  ${agents}${topology ? ' with topology' : ''}: scanner ${scannerMs.toFixed(0)} ms, bare ${bareMs.toFixed(0)} ms`,
      );
    } finally {
      await close();
    }
  }
  return rows;
}

export interface PolicyScanRow {
  readonly agents: number;
  /** The scan with every notification policy configured (none of them firing: the fleet is healthy). */
  readonly onMs: number;
  readonly offMs: number;
  readonly ratio: number;
  readonly rounds: number;
}

/**
 * The notification policies on every group and cluster: a daily maintenance window twelve hours from
 * now (so it is read on every scan and never open), flapping, hysteresis, escalation, an SMS budget.
 */
export function policiesConfig(now: number) {
  const hour = (new Date(now).getUTCHours() + 12) % 24;
  const maintenance = [
    { cron: `0 ${hour} * * *`, duration: '2h', timezone: 'Europe/Berlin', reason: 'nightly patching' },
  ];
  const groups = {
    production: {
      channels: ['sms', 'email'],
      maintenance,
      flapping: { changes: 3, window: '30m', stableFor: '15m' },
      recoverAfterScans: 2,
      escalation: [
        { after: '15m', group: 'managers' },
        { after: '45m', group: 'directors' },
      ],
      smsBudget: { perDay: 50 },
    },
    test: { channels: ['console'], maintenance, flapping: { changes: 3, window: '30m', stableFor: '15m' } },
    managers: { channels: ['email'] },
    directors: { channels: ['email'] },
  };
  const clusters = Object.fromEntries(
    Array.from({ length: 50 }, (_, c) => [
      `cluster-${c}`,
      { group: 'production', minHealthy: 1, maintenance },
    ]),
  );
  return { groups, clusters };
}

/**
 * One fleet, two scanners over it: one with the notification policies on every group and cluster,
 * one without them (the same groups and clusters), in alternating rounds; the best round of each. A
 * 100,000-agent scan varies by 10% or more from one round to the next here, so the rounds are many.
 */
export async function benchPolicyScan(
  agents: number,
  log: (line: string) => void,
  rounds = 8,
): Promise<PolicyScanRow> {
  const now = Date.now();
  const { client, close } = await filledStore(agents, now, false, log);
  try {
    const on = policiesConfig(now);
    const off = {
      groups: { ...on.groups, production: { channels: ['sms', 'email'] }, test: { channels: ['console'] } },
      clusters: Object.fromEntries(
        Object.keys(on.clusters).map((c) => [c, { group: 'production', minHealthy: 1 }]),
      ),
    };
    const scanners = {
      on: benchScanner(client, parseConfig(on), now),
      off: benchScanner(client, parseConfig(off), now),
    };
    await scanners.off.scan(); // warm: first scan writes the scanner state
    await scanners.on.scan();
    const best = { on: Number.POSITIVE_INFINITY, off: Number.POSITIVE_INFINITY };
    for (let round = 0; round < rounds; round++) {
      for (const which of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        (globalThis as { gc?: () => void }).gc?.();
        const t = performance.now();
        const report = await scanners[which].scan();
        best[which] = Math.min(best[which], performance.now() - t);
        if (report.agents !== agents || report.opened.length > 0)
          throw new Error(
            `scan with policies ${which} saw ${report.agents} agents, opened ${report.opened.length}`,
          );
      }
    }
    log(`  ${agents} with policies: on ${best.on.toFixed(0)} ms, off ${best.off.toFixed(0)} ms`);
    return { agents, onMs: best.on, offMs: best.off, ratio: best.on / best.off, rounds };
  } finally {
    await close();
  }
}
