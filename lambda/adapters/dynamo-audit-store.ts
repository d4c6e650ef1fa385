import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEntry,
  type AuditState,
  type NewAuditEntry,
} from '../domain/audit';
import { type AuditPage, type AuditPageQuery, type AuditStore, MalformedItemError } from '../ports';
import { call, fromItem, type Item, number, text, toItem } from './dynamo';
import { TABLES } from './tables';

let lastAt = Number.NaN;
let sameAt = 0;

/**
 * A new entry's id, for an entry made at `at`: `<at as RFC 3339>#<4 hex digits><96 random bits>`. The
 * hex digits count the entries this process made in the same millisecond, so that those of one call
 * (a forced remove and the children it clears) read back newest first in the order they were made;
 * the random bits make it unique across processes. As text, ids sort by time.
 */
function newEntryId(at: number): string {
  sameAt = at === lastAt ? sameAt + 1 : 0;
  lastAt = at;
  const order = Math.min(sameAt, 0xffff).toString(16).padStart(4, '0');
  return `${new Date(at).toISOString()}#${order}${randomBytes(12).toString('base64url')}`;
}

/** The one partition of the `byTime` index: every entry is in it. */
const TRAIL = 'all';

const isAction = (value: unknown): value is AuditAction =>
  typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);

const stateOf = (value: unknown): AuditState | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AuditState) : undefined;

function entryFromItem(item: Item): AuditEntry {
  const raw = fromItem(item);
  const entryId = text(raw.entryId);
  const target = text(raw.target);
  const at = number(raw.at);
  const by = text(raw.by);
  if (entryId === undefined || target === undefined || at === undefined || by === undefined)
    throw new MalformedItemError(entryId, 'an audit entry needs entryId, target, at and by');
  if (!isAction(raw.action)) throw new MalformedItemError(entryId, `unknown action ${String(raw.action)}`);
  return {
    entryId,
    action: raw.action,
    target,
    at,
    by,
    sourceIp: text(raw.sourceIp),
    before: stateOf(raw.before),
    after: stateOf(raw.after),
  };
}

/**
 * The audit table (`TABLES.audit`): a put per entry, and a Query a page, of the table for one
 * target or of its `byTime` index for all.
 */
export class DynamoAuditStore implements AuditStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async record(entry: NewAuditEntry, expiresAt: number): Promise<string> {
    const entryId = newEntryId(entry.at);
    // A new key each time (the time and 96 random bits): no two changes write the same item, so no
    // write of the trail races another. The condition makes a repeated id fail loudly, not replace.
    await call('record audit entry', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...entry, entryId, trail: TRAIL, expiresAt }),
          ConditionExpression: 'attribute_not_exists(#entryId)',
          ExpressionAttributeNames: { '#entryId': 'entryId' },
        }),
      ),
    );
    return entryId;
  }

  /**
   * Newest first (`ScanIndexForward: false`), at most `limit` items read. DynamoDB deletes expired
   * items within days of `expiresAt`, and dynalite never does (it has no TTL), so every read leaves
   * them out with a filter: local mode keeps them on disk, unseen. A filter counts against `Limit`
   * before it runs, so a page may come back short, with a cursor; the expired are the oldest, at the
   * end of the trail. The index is read eventually consistent in DynamoDB (an entry made a moment ago
   * may be missing for a moment); a target's entries are read from the table, strongly consistent.
   */
  async page(query: AuditPageQuery): Promise<AuditPage> {
    const byTarget = query.target !== undefined;
    const names: Record<string, string> = {
      '#expiresAt': 'expiresAt',
      [byTarget ? '#target' : '#trail']: byTarget ? 'target' : 'trail',
    };
    const values: Record<string, unknown> = {
      ':now': Math.floor(query.now / 1000),
      ':key': byTarget ? query.target : TRAIL,
    };
    let condition = byTarget ? '#target = :key' : '#trail = :key';
    if (query.since !== undefined) {
      condition += ' AND #entryId >= :since';
      names['#entryId'] = 'entryId';
      values[':since'] = new Date(query.since).toISOString();
    }
    const after = query.after;
    const out = await call('read audit entries', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTarget ? undefined : TABLES.audit.index.name,
          KeyConditionExpression: condition,
          FilterExpression: '#expiresAt > :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toItem(values),
          ScanIndexForward: false,
          Limit: query.limit,
          ConsistentRead: byTarget,
          ExclusiveStartKey:
            after === undefined
              ? undefined
              : toItem({
                  target: after.target,
                  entryId: after.after,
                  ...(byTarget ? {} : { trail: TRAIL }),
                }),
        }),
      ),
    );
    const entries = (out.Items ?? []).map(entryFromItem);
    const last = out.LastEvaluatedKey === undefined ? {} : fromItem(out.LastEvaluatedKey);
    const [lastId, lastTarget] = [text(last.entryId), text(last.target)];
    return lastId !== undefined && lastTarget !== undefined
      ? { entries, after: { after: lastId, target: lastTarget } }
      : { entries };
  }
}
