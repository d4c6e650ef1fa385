import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AgentRecord, Approval, Probe } from '../domain/agent';
import { type AgentStore, type HeartbeatWrite, MalformedItemError } from '../ports';
import { call, compact, type Item, KeyedTable, N, num, S, str, type UpdateParts, update } from './dynamo';

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
  'lastRecoveredAt',
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
    lastRecoveredAt: num(item, 'lastRecoveredAt'),
  };
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
  });
}

export class DynamoAgentStore implements AgentStore {
  private readonly table: KeyedTable;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.table = new KeyedTable(client, tableName, 'agentId');
  }

  async recordHeartbeat(write: HeartbeatWrite, tokenHash: string) {
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
    const item = await this.table.updateIf(
      'record heartbeat',
      write.agentId,
      expr,
      '#tokenHash = :expectedToken AND #approval IN (:approved, :pending)',
      { ':expectedToken': S(tokenHash), ':approved': S('approved'), ':pending': S('pending') },
    );
    return item ? agentFromItem(item) : undefined;
  }

  async get(agentId: string) {
    const item = await this.table.get('get agent', agentId);
    return item ? agentFromItem(item) : undefined;
  }

  async credentials(agentId: string) {
    const item = await this.table.get('get agent credentials', agentId, ['tokenHash', 'approval']);
    if (!item) return undefined;
    const approval = str(item, 'approval') as Approval | undefined;
    if (!approval || !APPROVALS.includes(approval))
      throw new MalformedItemError(agentId, 'approval is invalid');
    return { tokenHash: str(item, 'tokenHash'), approval };
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

  async markRecovered(agentId: string, at: number) {
    await this.updateExisting(agentId, update({ lastRecoveredAt: N(at) }));
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
