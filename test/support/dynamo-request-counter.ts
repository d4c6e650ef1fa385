import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The DynamoDB operations that read items (and are billed in read units). */
export const READ_OPERATIONS: ReadonlySet<string> = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
]);

/** The DynamoDB operations that write items (and are billed in write units). */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** What {@link countDynamoRequests} saw, in the order the requests were sent. */
export interface DynamoRequestLog {
  /** The operation (`UpdateItem`, `GetItem`...) of every request sent since the last reset. */
  readonly operations: readonly string[];
  /** Answers the operations seen so far and starts a new count. */
  take(): string[];
  reset(): void;
  /** Removes the middleware from the client. */
  detach(): void;
}

const MIDDLEWARE_NAME = 'hbwDynamoRequestCounter';

/**
 * Records the operation of every request `client` sends. It sits in the `finalizeRequest` step below
 * the retry middleware, so it sees each attempt that goes on the wire: a retried call counts twice,
 * as it is billed twice.
 */
export function countDynamoRequests(client: DynamoDBClient): DynamoRequestLog {
  let operations: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(String(context.commandName ?? 'unknown').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: MIDDLEWARE_NAME },
  );
  return {
    get operations() {
      return operations;
    },
    take() {
      const seen = operations;
      operations = [];
      return seen;
    },
    reset() {
      operations = [];
    },
    detach() {
      client.middlewareStack.remove(MIDDLEWARE_NAME);
    },
  };
}

/** Counts of `operations` by name, and the reads and writes among them. */
export function tally(operations: readonly string[]): {
  byOperation: Record<string, number>;
  reads: number;
  writes: number;
  total: number;
} {
  const byOperation: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  for (const op of operations) {
    byOperation[op] = (byOperation[op] ?? 0) + 1;
    if (READ_OPERATIONS.has(op)) reads += 1;
    if (WRITE_OPERATIONS.has(op)) writes += 1;
  }
  return { byOperation, reads, writes, total: operations.length };
}
