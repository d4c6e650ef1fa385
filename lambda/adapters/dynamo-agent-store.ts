import { DeleteItemCommand, paginateScan, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AgentRecord, Approval } from '../domain/agent';
import { lossHour } from '../domain/loss';
import {
  type AgentChange,
  type AgentPage,
  type AgentPageQuery,
  type AgentStore,
  type AgentWriteOutcome,
  MalformedItemError,
} from '../ports';
import { call, eachPage, fromItem, text, toItem, update } from './dynamo';
import { returnsItemOnConditionFailure } from './dynamo-client';
import { DynamoNewAgentStore } from './dynamo-enrollment-stores';
import { agentFromItem, agentOutcome, bucketNames, DynamoHeartbeatStore } from './dynamo-heartbeat-store';

/** What every read of an agent takes: who it is, where it belongs, and when it was last heard. */
const RECORD_ATTRIBUTES = ['agentId', 'group', 'cluster', 'approval', 'createdAt', 'lastHeartbeatAt'];

/** What a scan reads of an agent: everything but the token hash and the reported details (also what the scan benchmark reads). */
export const SCAN_ATTRIBUTES = [
  ...RECORD_ATTRIBUTES,
  'maintenanceUntil',
  'agentless',
  'probe',
  'probeNetwork',
  'parent',
  'lastRecoveredAt',
  'outageEndedAt',
  'recentOpenings',
  'flappingEndedAt',
  'awayUntil',
  'awayReason',
  'lastRestart',
  'restartRecordedAt',
];

/** What a listing reads of an agent: what its view shows (no token hash, none of the scanner's marks). */
const VIEW_ATTRIBUTES = [
  ...RECORD_ATTRIBUTES,
  'lastSentAt',
  'clockSkewSeconds',
  'seq',
  'bootId',
  'endpoint',
  'version',
  'maintenanceUntil',
  'maintenanceReason',
  'agentless',
  'probe',
  'probeNetwork',
  'parent',
  'awayUntil',
  'awayReason',
  'restarts',
  'lastRestart',
  'bootFirstSeq',
  'bootBeats',
];

/**
 * The agents table, for everything the service and the scanner do with it; the heartbeat writes are
 * its base's ({@link DynamoHeartbeatStore}).
 */
export class DynamoAgentStore extends DynamoHeartbeatStore implements AgentStore {
  private readonly creator = new DynamoNewAgentStore(this.client, this.tableName);

  async markRestartRecorded(agentId: string, at: number) {
    const expr = update({ set: { restartRecordedAt: at } });
    await this.table.updateIf(
      'mark restart recorded',
      agentId,
      expr,
      'attribute_exists(#agentId) AND attribute_not_exists(#restartRecordedAt) OR attribute_exists(#agentId) AND #restartRecordedAt < :restartRecordedAt',
      {},
    );
  }

  async change(agentId: string, change: AgentChange, ifParent?: string): Promise<AgentWriteOutcome> {
    const set: Record<string, string> = {};
    const remove: string[] = [];
    const given = {
      group: change.group,
      cluster: change.cluster,
      parent: change.parent,
      probe:
        change.probe === undefined || change.probe === null ? change.probe : JSON.stringify(change.probe),
      probeNetwork: change.probeNetwork,
    };
    for (const [name, value] of Object.entries(given)) {
      if (value === null) remove.push(name);
      else if (value !== undefined) set[name] = value;
    }
    // Only the named attributes are written: a heartbeat landing meanwhile keeps its own, and this
    // change keeps its own whatever the heartbeat writes (but `cluster`, which a heartbeat may carry).
    const conditions = ['attribute_exists(#agentId)'];
    if (change.probe === null) conditions.push('attribute_not_exists(#agentless)');
    if (ifParent !== undefined) conditions.push('#parent = :ifParent');
    const outcome = await this.table.updateOrCurrent(
      'change agent',
      agentId,
      update({ set, remove }),
      conditions.join(' AND '),
      ifParent === undefined ? {} : { ':ifParent': ifParent },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  /**
   * A Scan of the whole table, filtered on `parent` and projected to the key: it reads (and bills)
   * every item, which is fine for an operator removing an agent and never for a hot path. The scanner
   * finds children from its own Scan, in memory.
   */
  async childrenOf(agentId: string) {
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        ProjectionExpression: '#agentId',
        FilterExpression: '#parent = :parent',
        ExpressionAttributeNames: { '#agentId': 'agentId', '#parent': 'parent' },
        ExpressionAttributeValues: toItem({ ':parent': agentId }),
        ConsistentRead: true,
      },
    );
    const children: string[] = [];
    for await (const page of eachPage('find children', pages)) {
      for (const item of page.Items ?? []) {
        const child = text(fromItem(item).agentId);
        if (child !== undefined) children.push(child);
      }
    }
    return children.sort();
  }

  async clearParent(agentId: string, parent: string) {
    const item = await this.table.updateIf(
      'clear parent',
      agentId,
      update({ remove: ['parent'] }),
      '#parent = :parent',
      { ':parent': parent },
    );
    return item !== undefined;
  }

  async get(agentId: string) {
    const item = await this.table.get('get agent', agentId);
    return item ? agentFromItem(item) : undefined;
  }

  create(agent: AgentRecord) {
    return this.creator.create(agent);
  }

  /**
   * One Scan: `Limit` counts the items read, before the filter, so each page reads (and bills) at
   * most `limit` items and 1 MB, whatever the filter keeps. The filter and the projection save the
   * bytes sent and the work of reading them, not read units: DynamoDB bills the whole of every item
   * a Scan reads. Eventually consistent (half the read units of a strongly consistent Scan): a
   * listing for people may lag a write by a moment.
   */
  async page(query: AgentPageQuery): Promise<AgentPage> {
    const hour = lossHour(query.now);
    const attributes = [...VIEW_ATTRIBUTES, ...bucketNames(hour), ...bucketNames(hour - 1)];
    const names: Record<string, string> = Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
    const values: Record<string, string> = {};
    const clauses: string[] = [];
    for (const field of ['group', 'cluster', 'parent', 'approval'] as const) {
      const value = query[field];
      if (value === undefined) continue;
      clauses.push(`#${field} = :${field}`);
      values[`:${field}`] = value;
    }
    const out = await call('list agents', () =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Limit: query.limit,
          ExclusiveStartKey: query.after === undefined ? undefined : toItem({ agentId: query.after }),
          ProjectionExpression: attributes.map((a) => `#${a}`).join(', '),
          FilterExpression: clauses.length > 0 ? clauses.join(' AND ') : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: clauses.length > 0 ? toItem(values) : undefined,
        }),
      ),
    );
    const agents: AgentRecord[] = [];
    for (const item of out.Items ?? []) {
      try {
        agents.push(agentFromItem(item));
      } catch (error) {
        if (!(error instanceof MalformedItemError)) throw error;
        // One bad item must not hide the fleet from an operator; the scanner counts it too.
        this.log.warn('malformed agent item skipped', { item: error.key, error: error.message });
      }
    }
    const after =
      out.LastEvaluatedKey === undefined ? undefined : text(fromItem(out.LastEvaluatedKey).agentId);
    return after === undefined ? { agents } : { agents, after };
  }

  async *scanAll(segments: number, pageSize?: number) {
    const names = Object.fromEntries(SCAN_ATTRIBUTES.map((a) => [`#${a}`, a]));
    const projection = SCAN_ATTRIBUTES.map((a) => `#${a}`).join(', ');
    // Each segment is read page by page; pages are handed on as they come, so the fleet is never held.
    const queue: (AgentRecord | MalformedItemError)[][] = [];
    let wake: (() => void) | undefined;
    /** Segments waiting for the consumer to take a page (at most 4 are kept ahead of it). */
    const waitingForRoom: (() => void)[] = [];
    let stopped = false;
    let failure: unknown;
    let running = segments;
    const readSegment = async (segment: number) => {
      const pages = paginateScan(
        { client: this.client },
        {
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: segments,
          ProjectionExpression: projection,
          ExpressionAttributeNames: names,
          Limit: pageSize,
        },
      );
      for await (const page of eachPage('scan agents', pages)) {
        queue.push(
          (page.Items ?? []).map((item) => {
            try {
              return agentFromItem(item);
            } catch (error) {
              if (error instanceof MalformedItemError) return error;
              throw error;
            }
          }),
        );
        wake?.();
        while (queue.length > 4 && !stopped) await new Promise<void>((r) => waitingForRoom.push(r));
        if (stopped) return;
      }
    };
    for (let segment = 0; segment < segments; segment++) {
      readSegment(segment)
        .catch((error) => {
          failure ??= error;
        })
        .finally(() => {
          running -= 1;
          wake?.();
        });
    }
    try {
      for (;;) {
        const page = queue.shift();
        if (page) {
          waitingForRoom.shift()?.();
          yield* page;
          continue;
        }
        if (failure) throw failure;
        if (running === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      // The consumer is done (or stopped early): no segment waits for room that will not come.
      stopped = true;
      for (const release of waitingForRoom.splice(0)) release();
    }
  }

  async endIncident(agentId: string, at: number, byProbe: boolean) {
    const set = byProbe ? { outageEndedAt: at, lastRecoveredAt: at } : { outageEndedAt: at };
    await this.updateExisting(agentId, update({ set }));
  }

  /**
   * The openings are one JSON string, so the condition compares it whole: a write from a scanner that
   * read an older list fails, and that scanner tries again from the list as stored.
   */
  async recordOpenings(agentId: string, seen: readonly number[] | undefined, next: readonly number[]) {
    const condition =
      seen === undefined
        ? 'attribute_exists(#agentId) AND attribute_not_exists(#recentOpenings)'
        : 'attribute_exists(#agentId) AND #recentOpenings = :seen';
    const outcome = await this.table.updateOrCurrent(
      'record openings',
      agentId,
      update({ set: { recentOpenings: JSON.stringify(next) } }),
      condition,
      seen === undefined ? {} : { ':seen': JSON.stringify(seen) },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  async endFlapping(agentId: string, at: number) {
    await this.updateExisting(agentId, update({ set: { flappingEndedAt: at } }));
  }

  async remove(agentId: string) {
    const out = await call('remove agent', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: toItem({ agentId }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out.Attributes !== undefined;
  }

  setApproval(agentId: string, approval: Approval) {
    return this.updateExisting(agentId, update({ set: { approval } }));
  }

  async replaceTokenHash(agentId: string, tokenHash: string) {
    const expr = update({ set: { tokenHash } });
    return (await this.updateExisting(agentId, expr, 'attribute_exists(#tokenHash)')) !== undefined;
  }

  setMaintenance(agentId: string, until?: number, reason?: string) {
    const expr =
      until === undefined
        ? update({ remove: ['maintenanceUntil', 'maintenanceReason'] })
        : update({
            set: { maintenanceUntil: until, maintenanceReason: reason },
            remove: reason === undefined ? ['maintenanceReason'] : [],
          });
    return this.updateExisting(agentId, expr);
  }
}
