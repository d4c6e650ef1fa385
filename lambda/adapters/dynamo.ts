import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreUnavailableError } from '../ports';

export type Item = Record<string, AttributeValue>;

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });

export function str(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

export function num(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  return raw === undefined ? undefined : Number(raw);
}

/** Drops the entries whose value is undefined, so an item holds only what is set. */
export function compact(entries: Record<string, AttributeValue | undefined>): Item {
  const out: Item = {};
  for (const [k, value] of Object.entries(entries)) if (value !== undefined) out[k] = value;
  return out;
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Runs a DynamoDB call, turning failures a retry may cure into {@link StoreUnavailableError}. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const retryable =
      RETRYABLE.has(name) ||
      (error instanceof DynamoDBServiceException && error.$retryable !== undefined) ||
      // ENOENT: the socket of the local store is gone (its thread stopped; the watcher stops too).
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOENT'].includes((error as { code?: string }).code ?? '');
    if (retryable)
      throw new StoreUnavailableError(`${what}: the table is unavailable (${name})`, { cause: error });
    throw error;
  }
}

/**
 * Actions beyond plain sets and removes, written with their own placeholders: a `set` of
 * `#a = if_not_exists(#a, :v)`, an `add` of `#n :one`. DynamoDB takes each action keyword once per
 * expression, so they join the clauses `update` builds.
 */
export interface MoreActions {
  readonly set?: readonly string[];
  readonly add?: readonly string[];
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

/**
 * Builds an UpdateItem expression from attributes to set and to remove (and `more` actions). Every
 * attribute name goes through a placeholder, as several of ours (group, cluster, version) are
 * DynamoDB reserved words.
 */
export function update(
  set: Record<string, AttributeValue | undefined>,
  remove: readonly string[] = [],
  more: MoreActions = {},
) {
  const names: Record<string, string> = { ...more.names };
  const values: Record<string, AttributeValue> = { ...more.values };
  const sets: string[] = [];
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) continue;
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  sets.push(...(more.set ?? []));
  for (const name of remove) names[`#${name}`] = name;
  const adds = more.add ?? [];
  const expression =
    (sets.length ? `SET ${sets.join(', ')}` : '') +
    (remove.length ? ` REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : '') +
    (adds.length ? ` ADD ${adds.join(', ')}` : '');
  return {
    UpdateExpression: expression.trim(),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export type UpdateParts = ReturnType<typeof update>;

/**
 * A table keyed by one string attribute, with the conditional single-item operations every store is
 * made of. Conditions name attributes as `#name`; their placeholders are filled in here.
 */
export class KeyedTable {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly keyName: string,
  ) {}

  private key(id: string): Item {
    return { [this.keyName]: S(id) };
  }

  /** The item of `id` (only its `attributes` when given), or `undefined` when there is none. */
  async get(what: string, id: string): Promise<Item | undefined> {
    const out = await call(what, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: this.key(id),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item;
  }

  /** Writes `item` unless one with its key exists; answers whether this call wrote it. */
  async putIfAbsent(what: string, item: Item): Promise<boolean> {
    try {
      await call(what, () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: `attribute_not_exists(#${this.keyName})`,
            ExpressionAttributeNames: { [`#${this.keyName}`]: this.keyName },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Applies `expr` when `condition` holds: the item as written, or `undefined` when it did not hold. */
  async updateIf(
    what: string,
    id: string,
    expr: UpdateParts,
    condition: string,
    values: Record<string, AttributeValue> = {},
  ): Promise<Item | undefined> {
    const outcome = await this.conditionalUpdate(what, id, expr, condition, values, false);
    return 'written' in outcome ? outcome.written : undefined;
  }

  /**
   * Applies `expr` when `condition` holds; when it does not, answers the item as it is stored
   * (`undefined`: there is none). DynamoDB returns it with the failed write itself
   * (`ReturnValuesOnConditionCheckFailure`), so no read is made: none returned means no item. A store
   * that ignores the parameter (`returnsItemOnFailure` false: dynalite) is read once instead, whether
   * or not the item exists, so that both cost the same.
   */
  async updateOrCurrent(
    what: string,
    id: string,
    expr: UpdateParts,
    condition: string,
    values: Record<string, AttributeValue>,
    returnsItemOnFailure: boolean,
  ): Promise<{ written: Item } | { current: Item | undefined }> {
    const outcome = await this.conditionalUpdate(what, id, expr, condition, values, true);
    if ('written' in outcome || returnsItemOnFailure) return outcome;
    return { current: await this.get(what, id) };
  }

  private async conditionalUpdate(
    what: string,
    id: string,
    expr: UpdateParts,
    condition: string,
    values: Record<string, AttributeValue>,
    returnCurrent: boolean,
  ): Promise<{ written: Item } | { current: Item | undefined }> {
    const names = { ...expr.ExpressionAttributeNames };
    for (const match of condition.matchAll(/#(\w+)/g)) names[`#${match[1]}`] = match[1]!;
    const allValues = { ...expr.ExpressionAttributeValues, ...values };
    try {
      const out = await call(what, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(id),
            UpdateExpression: expr.UpdateExpression,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: Object.keys(allValues).length ? allValues : undefined,
            ConditionExpression: condition,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: returnCurrent ? 'ALL_OLD' : undefined,
          }),
        ),
      );
      return { written: out.Attributes ?? {} };
    } catch (error) {
      if (isConditionFailure(error)) return { current: (error as ConditionalCheckFailedException).Item };
      throw error;
    }
  }
}
