// `npm run bench -- --reads`: read units per GET /v1/status and per console refresh at 100,000
// agents, as the watcher reads now and as it read before issue 15 (every call a full Scan of the
// agents table). Its own section of docs/BENCHMARKS.md.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { localDynamoClient } from '../lambda/adapters/dynamo-client';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { parseConfig } from '../lambda/domain/config';
import { createLogger } from '../lambda/logger';
import { Scanner } from '../lambda/scanner';
import { WatcherService } from '../lambda/service';
import { markdownTable } from './common';
import { type Machine, machineLine } from './machine';
import { filledStore } from './scan';

export const DEFAULT_READS = { agents: 100_000 };
/** The goal of issue 15: a status call reads one small item. */
const STATUS_GOAL_UNITS = 1;
/** The console asks for this many agents a page (cli/console/state.ts PAGE_ROWS). */
const CONSOLE_PAGE = 100;
const REFRESHES_A_DAY = 86_400 / 5;
const DOLLARS_PER_MILLION_READS = 0.125;

export interface ReadsRow {
  readonly what: string;
  readonly before: number;
  readonly after: number;
}

export interface ReadsResult {
  readonly agents: number;
  readonly rows: readonly ReadsRow[];
  readonly statusUnits: number;
  /** An agent item's size, from the full Scan's read units (eventually consistent: 8 KB a unit). */
  readonly itemBytes: number;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);

type Consumed = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;

/**
 * Asks for ReturnConsumedCapacity TOTAL on every read the client sends and sums the read units the
 * store answers. dynalite works them out from the size of each item read, by the formula AWS
 * documents: 4 KB a unit for a strongly consistent read, half a unit for an eventually consistent
 * one, a Scan's page summed before it is rounded up, every item of a BatchGetItem rounded on its own.
 */
function readUnits(client: ReturnType<typeof localDynamoClient>) {
  let units = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!READS.has(String(context.commandName))) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: Consumed }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : [consumed]) units += c?.CapacityUnits ?? 0;
      return out;
    },
    { step: 'initialize', name: 'hbwBenchReadUnits' },
  );
  return async (fn: () => Promise<unknown>) => {
    units = 0;
    await fn();
    return units;
  };
}

export async function benchReads(agents: number, log: (line: string) => void): Promise<ReadsResult> {
  const now = Date.now();
  const { client, close } = await filledStore(agents, now, false, log);
  try {
    const config = parseConfig({
      groups: { production: { channels: ['sms', 'email'] }, test: { channels: ['console'] } },
    });
    const stores = dynamoStores(client, LOCAL_TABLE_NAMES);
    const clock = { now: () => now };
    const service = new WatcherService({ ...stores, clock, config, version: 'bench' });
    const scanner = new Scanner({
      ...stores,
      notifier: { publish: async () => {} },
      prober: { probe: async () => ({ outcome: 'up', detail: 'bench' }) },
      clock,
      config,
      log: createLogger({ sink: () => {} }),
    });
    log('  one scan, which stores the counts');
    await scanner.scan();
    const measure = readUnits(client);

    // Before: what every call read until now, replayed request for request: the scanner state, the
    // open alerts and the fleet's one-off windows (the findings), and a full Scan of the agents table.
    const findings = () =>
      Promise.all([
        stores.state.getScannerState(),
        stores.alerts.listQueue('open'),
        stores.state.fleetWindows({ groups: Object.keys(config.groups), clusters: [] }),
      ]);
    const fullScan = async () => {
      let start: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: LOCAL_TABLE_NAMES.agents, ExclusiveStartKey: start }),
        );
        start = page.LastEvaluatedKey as typeof start;
      } while (start);
    };
    const openAlerts = () => service.listAlerts({ status: 'open' });
    const statusBefore = await measure(() => Promise.all([findings(), fullScan()]));
    const fullScanUnits = await measure(fullScan);
    const openUnits = await measure(openAlerts);
    const agentsBefore = await measure(() => Promise.all([findings(), fullScan()]));

    // After: the same calls as the watcher serves them now.
    const statusAfter = await measure(() => service.status());
    const pageAfter = await measure(() => service.listAgents({ limit: String(CONSOLE_PAGE) }));
    log(`  status ${statusBefore} -> ${statusAfter} read units`);
    return {
      agents,
      statusUnits: statusAfter,
      itemBytes: Math.round((fullScanUnits * 8192) / agents),
      rows: [
        { what: 'GET /v1/status', before: statusBefore, after: statusAfter },
        { what: 'GET /v1/alerts?status=open (each refresh)', before: openUnits, after: openUnits },
        {
          what: 'console refresh, overview (status + open alerts)',
          before: statusBefore + openUnits,
          after: statusAfter + openUnits,
        },
        {
          what: `console refresh, agents view (+ GET /v1/agents; after: its first page of ${CONSOLE_PAGE})`,
          before: statusBefore + openUnits + agentsBefore,
          after: statusAfter + openUnits + pageAfter,
        },
      ],
    };
  } finally {
    await close();
  }
}

const units = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const dollarsADay = (n: number) => `$${((n * REFRESHES_A_DAY * DOLLARS_PER_MILLION_READS) / 1e6).toFixed(4)}`;

export function renderReadsMarkdown(
  r: ReadsResult & { command: string; machine: Machine; elapsedSeconds: number },
): string {
  const met = r.statusUnits <= STATUS_GOAL_UNITS;
  return [
    '## npm run bench -- --reads: read units per status and per console refresh',
    '',
    `- Command: \`${r.command}\`, ${r.machine.date}, ${r.elapsedSeconds.toFixed(0)} s`,
    machineLine(r.machine),
    '',
    `${r.agents.toLocaleString('en-US')} agents of about ${r.itemBytes} bytes each (from the full Scan's units) in dynalite, two groups, after one scan.`,
    'dynalite reports 0 units for a Query that finds nothing (the open alerts here); DynamoDB bills it',
    'at least 0.5 (eventually consistent), so add 0.5 to each refresh for a fleet with no open alert.',
    "Read units are the store's own ConsumedCapacity (ReturnConsumedCapacity TOTAL on every read), which",
    'dynalite works out from item sizes by the formula AWS documents (4 KB a unit strongly consistent, half',
    'that eventually consistent). "Before" replays the requests each call sent until issue 15: the',
    'findings (scanner state, open alerts, one-off windows) and a full Scan of the agents table.',
    `A day of refreshes is a console open all day at one refresh every 5 s (${REFRESHES_A_DAY.toLocaleString('en-US')}),`,
    `at $${DOLLARS_PER_MILLION_READS} per million read units on demand (us-east-1).`,
    '',
    markdownTable(
      ['call', 'read units before', 'after', 'a day of refreshes before', 'after'],
      r.rows.map((row) => [
        row.what,
        units(row.before),
        units(row.after),
        dollarsADay(row.before),
        dollarsADay(row.after),
      ]),
    ),
    '',
    markdownTable(
      ['goal', 'result', 'met'],
      [
        [
          `GET /v1/status at most ${STATUS_GOAL_UNITS} read unit`,
          `${units(r.statusUnits)}`,
          met ? 'yes' : '**no**',
        ],
      ],
    ),
  ].join('\n');
}
