import { DeleteItemCommand, type DynamoDBClient, paginateScan, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AgentRecord, Approval, Probe } from '../domain/agent';
import { heartbeatsCovered, type LossBucket, lossHour } from '../domain/loss';
import type { RestartRecord } from '../domain/restart';
import { createLogger, type Logger } from '../logger';
import {
  type AgentChange,
  type AgentPage,
  type AgentPageQuery,
  type AgentStore,
  type AgentWriteOutcome,
  type HeartbeatWrite,
  MalformedItemError,
} from '../ports';
import {
  call,
  eachPage,
  fromItem,
  type Item,
  KeyedTable,
  number,
  text,
  toItem,
  type UpdateParts,
  type UpdatePieces,
  update,
} from './dynamo';
import { returnsItemOnConditionFailure } from './dynamo-client';

const APPROVALS: readonly Approval[] = ['approved', 'pending', 'rejected'];

/** What every read of an agent takes: who it is, where it belongs, and when it was last heard. */
const RECORD_ATTRIBUTES = ['agentId', 'group', 'cluster', 'approval', 'createdAt', 'lastHeartbeatAt'];

/** What a scan reads of an agent: everything but the token hash and the reported details (also what the scan benchmark reads). */
export const SCAN_ATTRIBUTES = [
  ...RECORD_ATTRIBUTES,
  'maintenanceUntil',
  'agentless',
  'probe',
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
  'parent',
  'awayUntil',
  'awayReason',
  'restarts',
  'lastRestart',
  'bootFirstSeq',
  'bootBeats',
];

export function agentFromItem(item: Item): AgentRecord {
  const a = fromItem(item);
  const agentId = text(a.agentId);
  const group = text(a.group);
  const approval = text(a.approval) as Approval | undefined;
  const createdAt = number(a.createdAt);
  if (!agentId) throw new MalformedItemError(agentId, 'agentId is missing');
  if (!group) throw new MalformedItemError(agentId, 'group is missing');
  if (!approval || !APPROVALS.includes(approval))
    throw new MalformedItemError(agentId, 'approval is invalid');
  if (createdAt === undefined || !Number.isFinite(createdAt)) {
    throw new MalformedItemError(agentId, 'createdAt is invalid');
  }
  const recentOpenings = json<number[]>(agentId, a, 'recentOpenings');
  if (
    recentOpenings !== undefined &&
    (!Array.isArray(recentOpenings) || !recentOpenings.every(Number.isFinite))
  )
    throw new MalformedItemError(agentId, 'recentOpenings is not a list of times');
  // Every field named in one literal, none spread in: a scan builds one record per agent, and an
  // object begun with a spread of another takes V8's slow path (a scan of 10,000 agents took 2x).
  const loss = lossCountersOf(a);
  return {
    agentId,
    group,
    cluster: text(a.cluster),
    approval,
    tokenHash: text(a.tokenHash),
    createdAt,
    lastHeartbeatAt: number(a.lastHeartbeatAt),
    lastSentAt: number(a.lastSentAt),
    clockSkewSeconds: number(a.clockSkewSeconds),
    seq: number(a.seq),
    bootId: text(a.bootId),
    endpoint: text(a.endpoint),
    version: text(a.version),
    maintenanceUntil: number(a.maintenanceUntil),
    maintenanceReason: text(a.maintenanceReason),
    agentless: a.agentless === true ? true : undefined,
    probe: json<Probe>(agentId, a, 'probe'),
    parent: text(a.parent),
    lastRecoveredAt: number(a.lastRecoveredAt),
    outageEndedAt: number(a.outageEndedAt),
    recentOpenings,
    flappingEndedAt: number(a.flappingEndedAt),
    awayUntil: number(a.awayUntil),
    awayReason: text(a.awayReason),
    restarts: number(a.restarts),
    lastRestart: json<RestartRecord>(agentId, a, 'lastRestart'),
    restartRecordedAt: number(a.restartRecordedAt),
    bootFirstSeq: loss.bootFirstSeq,
    bootBeats: loss.bootBeats,
    lossBuckets: loss.lossBuckets,
  };
}

/** A field kept as JSON text (the probe, the openings, the last restart), read back. */
function json<T>(agentId: string, a: Record<string, unknown>, name: string): T | undefined {
  const value = text(a[name]);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new MalformedItemError(agentId, `${name} is not JSON`);
  }
}

/**
 * The loss counts (see domain/loss.ts) are top-level numbers, one set per clock hour, named after
 * it (`lossBeats_493827`): the heartbeat's one write can then add to this hour's with ADD (which
 * works on top-level attributes only) and remove the hour before last's, without reading either.
 */
const BUCKET_PARTS = { firstSeq: 'lossFirstSeq', lastSeq: 'lossLastSeq', beats: 'lossBeats' } as const;
const BUCKET_NAME = /^(lossFirstSeq|lossLastSeq|lossBeats)_(\d+)$/;

const bucketNames = (hour: number) =>
  Object.values(BUCKET_PARTS).map((part) => `${part}_${hour}`) as [string, string, string];

function lossCountersOf(
  a: Record<string, unknown>,
): Pick<AgentRecord, 'bootFirstSeq' | 'bootBeats' | 'lossBuckets'> {
  const hours = new Map<number, Partial<Record<keyof LossBucket, number>>>();
  for (const name of Object.keys(a)) {
    const match = BUCKET_NAME.exec(name);
    if (!match) continue;
    const hour = Number(match[2]);
    const part = (Object.keys(BUCKET_PARTS) as (keyof typeof BUCKET_PARTS)[]).find(
      (k) => BUCKET_PARTS[k] === match[1],
    )!;
    hours.set(hour, { ...hours.get(hour), [part]: number(a[name]) });
  }
  const lossBuckets: LossBucket[] = [];
  for (const [hour, b] of hours) {
    if (b.firstSeq === undefined || b.lastSeq === undefined || b.beats === undefined) continue;
    lossBuckets.push({ hour, firstSeq: b.firstSeq, lastSeq: b.lastSeq, beats: b.beats });
  }
  return {
    bootFirstSeq: number(a.bootFirstSeq),
    bootBeats: number(a.bootBeats),
    lossBuckets: lossBuckets.length > 0 ? lossBuckets.sort((a, b) => a.hour - b.hour) : undefined,
  };
}

function agentOutcome(outcome: { written: Item } | { current: Item | undefined }): AgentWriteOutcome {
  if ('written' in outcome) return { written: agentFromItem(outcome.written) };
  return { current: outcome.current === undefined ? undefined : agentFromItem(outcome.current) };
}

/** A new agent's item: what registration sets (the probe as JSON text, `agentless` only when true). */
function agentToItem(agent: AgentRecord): Item {
  return toItem({
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    approval: agent.approval,
    tokenHash: agent.tokenHash,
    createdAt: agent.createdAt,
    agentless: agent.agentless ? true : undefined,
    probe: agent.probe === undefined ? undefined : JSON.stringify(agent.probe),
    parent: agent.parent,
  });
}

/** The heartbeat's token is the agent's, and the agent is approved or pending. */
const ADMITTED = '#tokenHash = :expectedToken AND #approval IN (:approved, :pending)';

const admittedValues = (tokenHash: string) => ({
  ':expectedToken': tokenHash,
  ':approved': 'approved',
  ':pending': 'pending',
});

/** This hour's counts set afresh, for the first heartbeat of a boot. */
function bucketValues(hour: number, seq: number, covered: { firstSeq: number; beats: number }) {
  const [first, last, beats] = bucketNames(hour);
  return { [first]: covered.firstSeq, [last]: seq, [beats]: covered.beats };
}

/**
 * The loss counts a heartbeat of the stored boot adds to, in its one write and without reading them:
 * the heartbeats it stands for (one, or a relay's `coalesced`) to the boot's and this hour's, this
 * hour's last `seq` (and its first, if none), and the counts of the hour before last removed. A
 * heartbeat without `seq` and `bootId` counts none.
 */
function countedInBoot(write: HeartbeatWrite): UpdatePieces {
  if (write.seq === undefined || write.bootId === undefined) return {};
  const hour = lossHour(write.at);
  const [first, last, beats] = bucketNames(hour);
  const covered = heartbeatsCovered(write.seq, write.coalesced);
  return {
    set: { [last]: write.seq },
    remove: bucketNames(hour - 2),
    setIfAbsent: { [first]: covered.firstSeq, bootFirstSeq: covered.firstSeq },
    add: { [beats]: covered.beats, bootBeats: covered.beats },
  };
}

/**
 * A heartbeat's one write: its own fields, its goodbye (or the end of one: any heartbeat without a
 * goodbye ends the agent's away), and `extras`.
 */
function heartbeatUpdate(write: HeartbeatWrite, extras: UpdatePieces): UpdateParts {
  const { goodbye } = write;
  const remove = [
    ...(write.sentAt === undefined ? ['lastSentAt', 'clockSkewSeconds'] : []),
    ...(goodbye === undefined
      ? ['awayUntil', 'awayReason']
      : goodbye.reason === undefined
        ? ['awayReason']
        : []),
    ...(extras.remove ?? []),
  ];
  return update({
    set: {
      lastHeartbeatAt: write.at,
      lastSentAt: write.sentAt,
      clockSkewSeconds: write.clockSkewSeconds,
      seq: write.seq,
      bootId: write.bootId,
      cluster: write.cluster,
      endpoint: write.endpoint,
      version: write.version,
      awayUntil: goodbye?.until,
      awayReason: goodbye?.reason,
      ...extras.set,
    },
    setIfAbsent: extras.setIfAbsent,
    add: extras.add,
    remove,
  });
}

/**
 * The heartbeat's condition: {@link ADMITTED}, and the heartbeat is a newer one of the stored boot: a
 * higher `seq` than the stored one (a replay, or an older heartbeat that a relay delivered late, is
 * refused). A heartbeat of another boot fails it too, and the service tells a restart (newer, by the
 * agent's own `sentAt`: `recordRestart`) from a late heartbeat of an old boot. A heartbeat without
 * `seq` and `bootId` (curl, a script) cannot be ordered and is always taken. The values are the
 * update's own placeholders.
 *
 * It is written as an OR of ANDs with no grouping parentheses (AND binds tighter than OR, as in
 * DynamoDB's grammar), {@link ADMITTED} repeated in each. Grouped, it means the same to DynamoDB, but
 * dynalite's condition parser backtracks on each level of parentheses: written nested, this condition
 * cost the local watcher about 10 ms of CPU per heartbeat (its ingest fell from about 850 to about
 * 100 a second); flat, it parses in about the time of {@link ADMITTED} alone.
 */
function heartbeatCondition(write: HeartbeatWrite): string {
  return write.seq === undefined || write.bootId === undefined ? ADMITTED : NEWER_SAME_BOOT;
}

/** {@link heartbeatCondition}'s ordered form, built once. */
const NEWER_SAME_BOOT = admittedAndEither([
  'attribute_not_exists(#seq)',
  'attribute_not_exists(#bootId)',
  '#bootId = :bootId AND #seq < :seq',
]);

function admittedAndEither(clauses: readonly string[]): string {
  return clauses.map((clause) => `${ADMITTED} AND ${clause}`).join(' OR ');
}

export class DynamoAgentStore implements AgentStore {
  private readonly table: KeyedTable;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly log: Logger = createLogger(),
  ) {
    this.table = new KeyedTable(client, tableName, 'agentId');
  }

  async recordHeartbeat(write: HeartbeatWrite, tokenHash: string): Promise<AgentWriteOutcome> {
    const expr = heartbeatUpdate(write, countedInBoot(write));
    const outcome = await this.table.updateOrCurrent(
      'record heartbeat',
      write.agentId,
      expr,
      heartbeatCondition(write),
      admittedValues(tokenHash),
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  async recordRestart(write: HeartbeatWrite, tokenHash: string, seen: AgentRecord, restart: RestartRecord) {
    const hour = lossHour(write.at);
    const covered = write.seq === undefined ? undefined : heartbeatsCovered(write.seq, write.coalesced);
    const expr = heartbeatUpdate(write, {
      set: {
        bootFirstSeq: covered?.firstSeq,
        bootBeats: covered?.beats,
        ...(write.seq === undefined || covered === undefined ? {} : bucketValues(hour, write.seq, covered)),
        lastRestart: JSON.stringify(restart),
      },
      // The old boot's counts go: its hours' buckets (but this hour's, set afresh), or all of them.
      remove: [
        ...(seen.lossBuckets ?? [])
          .filter((b) => write.seq === undefined || b.hour !== hour)
          .flatMap((b) => bucketNames(b.hour)),
        ...(write.seq === undefined ? ['bootFirstSeq', 'bootBeats'] : []),
      ],
      add: { restarts: 1 },
    });
    const ordered =
      write.sentAt === undefined
        ? ['']
        : [' AND attribute_not_exists(#lastSentAt)', ' AND #lastSentAt < :lastSentAt'];
    const condition = ordered.map((clause) => `${ADMITTED} AND #bootId = :seenBoot${clause}`).join(' OR ');
    const outcome = await this.table.updateOrCurrent(
      'record restart',
      write.agentId,
      expr,
      condition,
      { ...admittedValues(tokenHash), ':seenBoot': restart.fromBoot },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  async forgetLossBuckets(agentId: string, buckets: readonly LossBucket[]) {
    if (buckets.length === 0) return;
    await this.updateExisting(agentId, update({ remove: buckets.flatMap((b) => bucketNames(b.hour)) }));
  }

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
    return this.table.putIfAbsent('create agent', agentToItem(agent));
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

  async *scanAll(segments: number) {
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

  /** Applies `expr` to an agent that exists (never creates one); `undefined` when there is none. */
  private async updateExisting(
    agentId: string,
    expr: UpdateParts,
    condition = 'attribute_exists(#agentId)',
  ): Promise<AgentRecord | undefined> {
    const item = await this.table.updateIf('update agent', agentId, expr, condition);
    return item ? agentFromItem(item) : undefined;
  }
}
