import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  paginateScan,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { AgentRecord, Approval, Probe } from '../domain/agent';
import {
  type AgentChange,
  type AgentStore,
  type AgentWriteOutcome,
  type HeartbeatWrite,
  MalformedItemError,
} from '../ports';
import { call, compact, type Item, KeyedTable, N, num, S, str, type UpdateParts, update } from './dynamo';
import { returnsItemOnConditionFailure } from './dynamo-client';

const APPROVALS: readonly Approval[] = ['approved', 'pending', 'rejected'];

/** What a scan reads of an agent: everything but the token hash and the reported details (also what the scan benchmark reads). */
export const SCAN_ATTRIBUTES = [
  'agentId',
  'group',
  'cluster',
  'approval',
  'createdAt',
  'lastHeartbeatAt',
  'maintenanceUntil',
  'agentless',
  'probe',
  'parent',
  'lastRecoveredAt',
  'outageEndedAt',
  'recentOpenings',
  'flappingEndedAt',
];

function agentFromItem(item: Item): AgentRecord {
  const agentId = str(item, 'agentId');
  const group = str(item, 'group');
  const approval = str(item, 'approval') as Approval | undefined;
  const createdAt = num(item, 'createdAt');
  if (!agentId) throw new MalformedItemError(agentId, 'agentId is missing');
  if (!group) throw new MalformedItemError(agentId, 'group is missing');
  if (!approval || !APPROVALS.includes(approval))
    throw new MalformedItemError(agentId, 'approval is invalid');
  if (createdAt === undefined || !Number.isFinite(createdAt)) {
    throw new MalformedItemError(agentId, 'createdAt is invalid');
  }
  const probeText = str(item, 'probe');
  let probe: Probe | undefined;
  if (probeText !== undefined) {
    try {
      probe = JSON.parse(probeText) as Probe;
    } catch {
      throw new MalformedItemError(agentId, 'probe is not JSON');
    }
  }
  const openingsText = str(item, 'recentOpenings');
  let recentOpenings: number[] | undefined;
  if (openingsText !== undefined) {
    try {
      recentOpenings = JSON.parse(openingsText) as number[];
    } catch {
      throw new MalformedItemError(agentId, 'recentOpenings is not JSON');
    }
    if (!Array.isArray(recentOpenings) || !recentOpenings.every(Number.isFinite))
      throw new MalformedItemError(agentId, 'recentOpenings is not a list of times');
  }
  return {
    agentId,
    group,
    cluster: str(item, 'cluster'),
    approval,
    tokenHash: str(item, 'tokenHash'),
    createdAt,
    lastHeartbeatAt: num(item, 'lastHeartbeatAt'),
    lastSentAt: num(item, 'lastSentAt'),
    clockSkewSeconds: num(item, 'clockSkewSeconds'),
    seq: num(item, 'seq'),
    bootId: str(item, 'bootId'),
    endpoint: str(item, 'endpoint'),
    version: str(item, 'version'),
    maintenanceUntil: num(item, 'maintenanceUntil'),
    maintenanceReason: str(item, 'maintenanceReason'),
    agentless: item.agentless?.BOOL === true ? true : undefined,
    probe,
    parent: str(item, 'parent'),
    lastRecoveredAt: num(item, 'lastRecoveredAt'),
    outageEndedAt: num(item, 'outageEndedAt'),
    recentOpenings,
    flappingEndedAt: num(item, 'flappingEndedAt'),
  };
}

function agentOutcome(outcome: { written: Item } | { current: Item | undefined }): AgentWriteOutcome {
  if ('written' in outcome) return { written: agentFromItem(outcome.written) };
  return { current: outcome.current === undefined ? undefined : agentFromItem(outcome.current) };
}

function agentToItem(agent: AgentRecord): Item {
  return compact({
    agentId: S(agent.agentId),
    group: S(agent.group),
    cluster: agent.cluster === undefined ? undefined : S(agent.cluster),
    approval: S(agent.approval),
    tokenHash: agent.tokenHash === undefined ? undefined : S(agent.tokenHash),
    createdAt: N(agent.createdAt),
    agentless: agent.agentless ? { BOOL: true } : undefined,
    probe: agent.probe === undefined ? undefined : S(JSON.stringify(agent.probe)),
    parent: agent.parent === undefined ? undefined : S(agent.parent),
  });
}

/** The heartbeat's token is the agent's, and the agent is approved or pending. */
const ADMITTED = '#tokenHash = :expectedToken AND #approval IN (:approved, :pending)';

/**
 * The heartbeat's condition: {@link ADMITTED}, and the record must not move backwards. Within one boot
 * a heartbeat must carry a higher `seq` than the stored one (a replay, or an older heartbeat that a
 * relay delivered late, is refused); across boots the agent's own `sentAt` orders them. A heartbeat
 * without `seq` and `bootId` (curl, a script) cannot be ordered and is always taken. The values are
 * the update's own placeholders.
 *
 * It is written as an OR of ANDs with no grouping parentheses (AND binds tighter than OR, as in
 * DynamoDB's grammar), {@link ADMITTED} repeated in each. Grouped, it means the same to DynamoDB, but
 * dynalite's condition parser backtracks on each level of parentheses: written nested, this condition
 * cost the local watcher about 10 ms of CPU per heartbeat (its ingest fell from about 850 to about
 * 100 a second); flat, it parses in about the time of {@link ADMITTED} alone.
 */
function heartbeatCondition(write: HeartbeatWrite): string {
  if (write.seq === undefined || write.bootId === undefined) return ADMITTED;
  return write.sentAt === undefined ? NEWER_ANY_OTHER_BOOT : NEWER_LATER_BOOT;
}

/** {@link heartbeatCondition}'s two ordered forms, built once: with `sentAt`, and without. */
const NEWER_SAME_BOOT = [
  'attribute_not_exists(#seq)',
  'attribute_not_exists(#bootId)',
  '#bootId = :bootId AND #seq < :seq',
];
const NEWER_LATER_BOOT = admittedAndEither([
  ...NEWER_SAME_BOOT,
  '#bootId <> :bootId AND attribute_not_exists(#lastSentAt)',
  '#bootId <> :bootId AND #lastSentAt < :lastSentAt',
]);
const NEWER_ANY_OTHER_BOOT = admittedAndEither([...NEWER_SAME_BOOT, '#bootId <> :bootId']);

function admittedAndEither(clauses: readonly string[]): string {
  return clauses.map((clause) => `${ADMITTED} AND ${clause}`).join(' OR ');
}

export class DynamoAgentStore implements AgentStore {
  private readonly table: KeyedTable;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.table = new KeyedTable(client, tableName, 'agentId');
  }

  async recordHeartbeat(write: HeartbeatWrite, tokenHash: string): Promise<AgentWriteOutcome> {
    const expr = update(
      {
        lastHeartbeatAt: N(write.at),
        lastSentAt: write.sentAt === undefined ? undefined : N(write.sentAt),
        clockSkewSeconds: write.clockSkewSeconds === undefined ? undefined : N(write.clockSkewSeconds),
        seq: write.seq === undefined ? undefined : N(write.seq),
        bootId: write.bootId === undefined ? undefined : S(write.bootId),
        cluster: write.cluster === undefined ? undefined : S(write.cluster),
        endpoint: write.endpoint === undefined ? undefined : S(write.endpoint),
        version: write.version === undefined ? undefined : S(write.version),
      },
      write.sentAt === undefined ? ['lastSentAt', 'clockSkewSeconds'] : [],
    );
    const outcome = await this.table.updateOrCurrent(
      'record heartbeat',
      write.agentId,
      expr,
      heartbeatCondition(write),
      { ':expectedToken': S(tokenHash), ':approved': S('approved'), ':pending': S('pending') },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  async change(agentId: string, change: AgentChange, ifParent?: string): Promise<AgentWriteOutcome> {
    const set: Record<string, AttributeValue | undefined> = {};
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
      else if (value !== undefined) set[name] = S(value);
    }
    // Only the named attributes are written: a heartbeat landing meanwhile keeps its own, and this
    // change keeps its own whatever the heartbeat writes (but `cluster`, which a heartbeat may carry).
    const conditions = ['attribute_exists(#agentId)'];
    if (change.probe === null) conditions.push('attribute_not_exists(#agentless)');
    if (ifParent !== undefined) conditions.push('#parent = :ifParent');
    const outcome = await this.table.updateOrCurrent(
      'change agent',
      agentId,
      update(set, remove),
      conditions.join(' AND '),
      ifParent === undefined ? {} : { ':ifParent': S(ifParent) },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  /**
   * A Scan of the whole table, filtered on `parent` and projected to the key: it reads (and bills)
   * every item, which is fine for an operator removing an agent and never for a hot path. The scanner
   * finds children from its own Scan, in memory.
   */
  childrenOf(agentId: string) {
    return call('find children', async () => {
      const children: string[] = [];
      const pages = paginateScan(
        { client: this.client },
        {
          TableName: this.tableName,
          ProjectionExpression: '#agentId',
          FilterExpression: '#parent = :parent',
          ExpressionAttributeNames: { '#agentId': 'agentId', '#parent': 'parent' },
          ExpressionAttributeValues: { ':parent': S(agentId) },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const child = str(item, 'agentId');
          if (child !== undefined) children.push(child);
        }
      }
      return children.sort();
    });
  }

  async clearParent(agentId: string, parent: string) {
    const item = await this.table.updateIf(
      'clear parent',
      agentId,
      update({}, ['parent']),
      '#parent = :parent',
      { ':parent': S(parent) },
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

  async *list() {
    let start: Item | undefined;
    do {
      const page = await call('list agents', () =>
        this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start })),
      );
      for (const item of page.Items ?? []) {
        try {
          yield agentFromItem(item);
        } catch (error) {
          if (!(error instanceof MalformedItemError)) throw error;
          // One bad item must not hide the fleet from an operator; the scanner counts it too.
          console.error(
            JSON.stringify({ msg: 'malformed agent item skipped', key: error.key, error: error.message }),
          );
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
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
      let start: Item | undefined;
      do {
        const page = await call('scan agents', () =>
          this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              Segment: segment,
              TotalSegments: segments,
              ProjectionExpression: projection,
              ExpressionAttributeNames: names,
              ExclusiveStartKey: start,
            }),
          ),
        );
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
        start = page.LastEvaluatedKey;
        while (queue.length > 4 && !stopped) await new Promise<void>((r) => waitingForRoom.push(r));
      } while (start && !stopped);
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
    const set = byProbe ? { outageEndedAt: N(at), lastRecoveredAt: N(at) } : { outageEndedAt: N(at) };
    await this.updateExisting(agentId, update(set));
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
      update({ recentOpenings: S(JSON.stringify(next)) }),
      condition,
      seen === undefined ? {} : { ':seen': S(JSON.stringify(seen)) },
      returnsItemOnConditionFailure(this.client),
    );
    return agentOutcome(outcome);
  }

  async endFlapping(agentId: string, at: number) {
    await this.updateExisting(agentId, update({ flappingEndedAt: N(at) }));
  }

  async remove(agentId: string) {
    const out = await call('remove agent', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { agentId: S(agentId) },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out.Attributes !== undefined;
  }

  setApproval(agentId: string, approval: Approval) {
    return this.updateExisting(agentId, update({ approval: S(approval) }));
  }

  async replaceTokenHash(agentId: string, tokenHash: string) {
    const expr = update({ tokenHash: S(tokenHash) });
    return (await this.updateExisting(agentId, expr, 'attribute_exists(#tokenHash)')) !== undefined;
  }

  setMaintenance(agentId: string, until?: number, reason?: string) {
    const expr =
      until === undefined
        ? update({}, ['maintenanceUntil', 'maintenanceReason'])
        : update(
            { maintenanceUntil: N(until), maintenanceReason: reason === undefined ? undefined : S(reason) },
            reason === undefined ? ['maintenanceReason'] : [],
          );
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
