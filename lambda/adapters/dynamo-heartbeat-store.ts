import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AgentRecord, Approval, Probe } from '../domain/agent';
import { heartbeatsCovered, type LossBucket, lossHour } from '../domain/loss';
import type { RestartRecord } from '../domain/restart';
import { createLogger, type Logger } from '../logger';
import {
  type AgentWriteOutcome,
  type HeartbeatStore,
  type HeartbeatWrite,
  MalformedItemError,
} from '../ports';
import {
  fromItem,
  type Item,
  KeyedTable,
  number,
  text,
  type UpdateParts,
  type UpdatePieces,
  update,
} from './dynamo';
import { returnsItemOnConditionFailure } from './dynamo-client';

const APPROVALS: readonly Approval[] = ['approved', 'pending', 'rejected'];

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
    probeNetwork: text(a.probeNetwork),
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

export const bucketNames = (hour: number) =>
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

export function agentOutcome(outcome: { written: Item } | { current: Item | undefined }): AgentWriteOutcome {
  if ('written' in outcome) return { written: agentFromItem(outcome.written) };
  return { current: outcome.current === undefined ? undefined : agentFromItem(outcome.current) };
}

/** The heartbeat's token is the agent's, and the agent is approved or pending. */
export const ADMITTED = '#tokenHash = :expectedToken AND #approval IN (:approved, :pending)';

export const admittedValues = (tokenHash: string) => ({
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

/**
 * The heartbeat's writes to the agents table: all the ingest function takes of it, so that its bundle
 * holds no listing, scan or admin write. {@link DynamoAgentStore} adds the rest.
 */
export class DynamoHeartbeatStore implements HeartbeatStore {
  protected readonly table: KeyedTable;

  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
    protected readonly log: Logger = createLogger(),
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

  /** Applies `expr` to an agent that exists (never creates one); `undefined` when there is none. */
  protected async updateExisting(
    agentId: string,
    expr: UpdateParts,
    condition = 'attribute_exists(#agentId)',
  ): Promise<AgentRecord | undefined> {
    const item = await this.table.updateIf('update agent', agentId, expr, condition);
    return item ? agentFromItem(item) : undefined;
  }
}
