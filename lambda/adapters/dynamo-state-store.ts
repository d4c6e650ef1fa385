import {
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { BlindWindow, ScannerState } from '../domain/blind';
import { type FleetSummary, parseFleetSummary } from '../domain/fleet-summary';
import type { FleetWindow, MaintenanceScope } from '../domain/maintenance';
import { createLogger, type Logger } from '../logger';
import type { WatcherStateStore } from '../ports';
import {
  type ConditionValues,
  call,
  fromItem,
  KeyedTable,
  number,
  text,
  toItem,
  type UpdateParts,
  update,
} from './dynamo';
import { DynamoEnrollmentKeyStore, enrollKey } from './dynamo-enrollment-stores';

/** The fleet summary as stored (JSON); one that is not a summary is left out, and said. */
function fleetOf(text: string | undefined, log: Logger): FleetSummary | undefined {
  if (text === undefined) return undefined;
  let fleet: FleetSummary | undefined;
  try {
    fleet = parseFleetSummary(JSON.parse(text));
  } catch {
    // Not JSON: said below, as a summary of the wrong shape is.
  }
  if (!fleet) log.warn('scanner state: fleet is not a fleet summary; left out');
  return fleet;
}

/** One counter item per group and UTC day. */
const smsKey = (group: string, day: string) => `sms#${group}#${day}`;
const SCANNER_KEY = 'scanner';
const windowKey = (scope: MaintenanceScope, name: string) => `maintenance#${scope}#${name}`;
/** BatchGetItem reads at most this many keys a call. */
const BATCH_GET_MAX = 100;

/**
 * Enrollment key hashes, scanner progress, the SMS spent per group and day, and each group's and
 * cluster's one-off maintenance window (`maintenance#group#production`), one item each, in the state
 * table.
 */
export class DynamoWatcherStateStore implements WatcherStateStore {
  private readonly table: KeyedTable;
  private readonly keys: DynamoEnrollmentKeyStore;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly log: Logger = createLogger(),
  ) {
    this.table = new KeyedTable(client, tableName, 'key');
    this.keys = new DynamoEnrollmentKeyStore(client, tableName);
  }

  async putEnrollmentKeyHash(group: string, keyHash: string, at: number) {
    await call('put enrollment key', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ key: enrollKey(group), keyHash, createdAt: at }),
        }),
      ),
    );
  }

  getEnrollmentKeyHash(group: string) {
    return this.keys.getEnrollmentKeyHash(group);
  }

  async getScannerState(): Promise<ScannerState & { fleet?: FleetSummary }> {
    const item = await this.table.get('get scanner state', SCANNER_KEY);
    const state = item === undefined ? {} : fromItem(item);
    let blindWindows: BlindWindow[] = [];
    try {
      blindWindows = JSON.parse(text(state.blindWindows) ?? '[]') as BlindWindow[];
    } catch {
      this.log.warn('scanner state: blindWindows is not JSON; starting afresh');
    }
    return {
      lastScanAt: number(state.lastScanAt),
      lastCompletedAt: number(state.lastCompletedAt),
      blindWindows,
      stormSince: number(state.stormSince),
      fleet: fleetOf(text(state.fleet), this.log),
    };
  }

  async completeScan(
    state: Omit<ScannerState, 'stormSince'> & {
      lastScanAt: number;
      lastCompletedAt: number;
      fleet: FleetSummary;
    },
  ) {
    const expr = update({
      set: {
        lastScanAt: state.lastScanAt,
        lastCompletedAt: state.lastCompletedAt,
        blindWindows: JSON.stringify(state.blindWindows),
        fleet: JSON.stringify(state.fleet),
      },
    });
    // A slower scanner that started earlier must not move the record backwards.
    return this.updateIf(expr, 'attribute_not_exists(#lastScanAt) OR #lastScanAt < :lastScanAt');
  }

  async setStorm(expected: number | undefined, since: number | undefined) {
    const condition =
      expected === undefined ? 'attribute_not_exists(#stormSince)' : '#stormSince = :expected';
    const values = expected === undefined ? {} : { ':expected': expected };
    const expr =
      since === undefined ? update({ remove: ['stormSince'] }) : update({ set: { stormSince: since } });
    return this.updateIf(expr, condition, values);
  }

  // ---- the SMS budget ----------------------------------------------------------------------------
  // Each counter item carries `expiresAt` for the table's TTL. dynalite has no TTL, so local mode keeps
  // them (one small item per group and day); DynamoDB deletes them within days of that time.

  async spendSms(group: string, day: string, perDay: number, expiresAt: number) {
    const expr = update({ set: { group, day, expiresAt }, add: { spent: 1 } });
    return this.updateSms(group, day, expr, 'attribute_not_exists(#spent) OR #spent < :perDay', {
      ':perDay': perDay,
    });
  }

  async refundSms(group: string, day: string) {
    await this.updateSms(group, day, update({ add: { spent: -1 } }), '#spent > :zero', { ':zero': 0 });
  }

  async claimSmsBudgetNotice(group: string, day: string, now: number, expiresAt: number) {
    const expr = update({ set: { reachedAt: now, expiresAt } });
    return this.updateSms(group, day, expr, 'attribute_not_exists(#reachedAt)');
  }

  async releaseSmsBudgetNotice(group: string, day: string) {
    await this.updateSms(group, day, update({ remove: ['reachedAt'] }), 'attribute_exists(#reachedAt)');
  }

  async smsSpent(group: string, day: string) {
    const item = await this.table.get('get sms budget', smsKey(group, day));
    const counter = item === undefined ? {} : fromItem(item);
    return { spent: number(counter.spent) ?? 0, reachedAt: number(counter.reachedAt) };
  }

  private async updateSms(
    group: string,
    day: string,
    expr: UpdateParts,
    condition: string,
    values: ConditionValues = {},
  ): Promise<boolean> {
    const written = await this.table.updateIf(
      'update sms budget',
      smsKey(group, day),
      expr,
      condition,
      values,
    );
    return written !== undefined;
  }

  async putFleetWindow(window: FleetWindow) {
    // The operator's latest window stands, whatever was there: a plain put.
    await call('put maintenance window', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ key: windowKey(window.scope, window.name), ...window }),
        }),
      ),
    );
  }

  async endFleetWindow(scope: MaintenanceScope, name: string) {
    const out = await call('end maintenance window', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: toItem({ key: windowKey(scope, name) }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out.Attributes !== undefined;
  }

  async fleetWindows(names: { readonly groups: readonly string[]; readonly clusters: readonly string[] }) {
    let keys = [
      ...names.groups.map((name) => windowKey('group', name)),
      ...names.clusters.map((name) => windowKey('cluster', name)),
    ].map((key) => toItem({ key }));
    const windows: FleetWindow[] = [];
    while (keys.length > 0) {
      const batch = keys.slice(0, BATCH_GET_MAX);
      const out = await call('get maintenance windows', () =>
        this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: batch, ConsistentRead: true } },
          }),
        ),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) {
        const { key: _key, ...window } = fromItem(item);
        windows.push(window as unknown as FleetWindow);
      }
      // Keys DynamoDB left for later (throttling, the 16 MB cap) are asked again with the rest.
      const left = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (left.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      keys = [...left, ...keys.slice(BATCH_GET_MAX)] as typeof keys;
    }
    return windows;
  }

  private async updateIf(
    expr: UpdateParts,
    condition: string,
    values: ConditionValues = {},
  ): Promise<boolean> {
    return (
      (await this.table.updateIf('update scanner state', SCANNER_KEY, expr, condition, values)) !== undefined
    );
  }
}
