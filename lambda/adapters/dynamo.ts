import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { convertToAttr, convertToNative, marshall } from '@aws-sdk/util-dynamodb';
import { StoreUnavailableError } from '../ports';

export type Item = Record<string, AttributeValue>;

/**
 * How every store turns its records into items and back: the SDK's own mapping. Attributes whose
 * value is undefined are left out (an item holds only what is set); a class instance (a Date, a Map)
 * is refused rather than written as a map of its fields, as records hold none. Numbers are JavaScript
 * numbers both ways (times in ms, counts), as they were when the stores mapped each field by hand:
 * an item written then reads the same now.
 */
const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export const toItem = (record: Readonly<Record<string, unknown>>): Item => marshall(record, MARSHALL_OPTIONS);

/**
 * An item as plain values, for the stores to read and check field by field (see `text`, `number`):
 * what `unmarshall` makes of it. The three scalar types every agent item is made of (S, N, BOOL) are
 * read here directly, and every other attribute by the SDK's own `convertToNative`: `unmarshall`
 * spends an `Object.entries` and an array on each attribute, which took a scan of 100,000 agents from
 * 1.26x a bare Scan to 1.46x (`npm run bench`). A number that is not a safe integer goes to the
 * SDK too, which reads it as `unmarshall` does (a fraction as a number, a larger integer as a BigInt,
 * which the stores' `number` then takes for no number).
 */
export function fromItem(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in item) {
    const value = item[name] as { S?: string; N?: string; BOOL?: boolean };
    if (value.S !== undefined) out[name] = value.S;
    else if (value.N !== undefined) {
      const n = Number(value.N);
      out[name] = Number.isSafeInteger(n) ? n : convertToNative(item[name]!);
    } else if (value.BOOL !== undefined) out[name] = value.BOOL;
    else out[name] = convertToNative(item[name]!);
  }
  return out;
}

/** A field that must be a string to be read: anything else (missing, another type) is `undefined`. */
export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A field that must be a number to be read: anything else (missing, another type) is `undefined`. */
export const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

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
 * The pages of an SDK paginator (`paginateScan`, `paginateQuery`), each request's failure turned by
 * {@link call} as any other's: a consumer that stops early (a `break`) ends the paginator there.
 */
export async function* eachPage<P>(what: string, pages: AsyncIterable<P>): AsyncGenerator<P> {
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await call(what, () => iterator.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * An UpdateItem as named pieces: the attributes to set (an undefined value is skipped), to set only
 * where absent (`if_not_exists`), to add to (ADD, a number: it counts from 0 where absent) and to
 * remove. Each attribute is written through `#name` and `:name` (several of ours, group, cluster,
 * version, are DynamoDB reserved words); an attribute is named in one piece at most, as DynamoDB
 * refuses two actions on one path.
 */
export interface UpdatePieces {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly setIfAbsent?: Readonly<Record<string, unknown>>;
  readonly add?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
}

export interface UpdateParts {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues: Readonly<Record<string, AttributeValue>>;
}

/** Builds the UpdateItem expression of `pieces`. */
/** The `#name` placeholders of each condition, by its text: the stores use a handful, on every write. */
const namesOfCondition = new Map<string, Readonly<Record<string, string>>>();
function conditionNames(condition: string): Readonly<Record<string, string>> {
  let names = namesOfCondition.get(condition);
  if (names === undefined) {
    names = Object.fromEntries([...condition.matchAll(/#(\w+)/g)].map((m) => [`#${m[1]}`, m[1]!]));
    if (namesOfCondition.size < 1000) namesOfCondition.set(condition, names);
  }
  return names;
}

export function update(pieces: UpdatePieces): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const valued = (
    entries: Readonly<Record<string, unknown>> | undefined,
    clause: (name: string) => string,
  ) => {
    const clauses: string[] = [];
    for (const [name, value] of Object.entries(entries ?? {})) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = convertToAttr(value, MARSHALL_OPTIONS);
      clauses.push(clause(name));
    }
    return clauses;
  };
  const sets = [
    ...valued(pieces.set, (n) => `#${n} = :${n}`),
    ...valued(pieces.setIfAbsent, (n) => `#${n} = if_not_exists(#${n}, :${n})`),
  ];
  const adds = valued(pieces.add, (n) => `#${n} :${n}`);
  const remove = pieces.remove ?? [];
  for (const name of remove) names[`#${name}`] = name;
  const actions = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    remove.length ? `REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
  ];
  return {
    UpdateExpression: actions.filter((a) => a !== '').join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The values of a condition's own placeholders (`:seen`), as plain values. */
export type ConditionValues = Readonly<Record<string, unknown>>;

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
    return toItem({ [this.keyName]: id });
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
    values: ConditionValues = {},
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
    values: ConditionValues,
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
    values: ConditionValues,
    returnCurrent: boolean,
  ): Promise<{ written: Item } | { current: Item | undefined }> {
    const names = { ...expr.ExpressionAttributeNames, ...conditionNames(condition) };
    const allValues = { ...expr.ExpressionAttributeValues, ...toItem(values) };
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
