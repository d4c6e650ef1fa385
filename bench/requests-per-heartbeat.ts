import { startEmbeddedDynamo } from '../cli/embedded-dynamo';
import { localDynamoClient } from '../lambda/adapters/dynamo-client';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { ensureTables, LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';
import { MAX_BATCH } from '../lambda/domain/requests';
import { ingestDoor } from '../lambda/http/lambda-door';
import { WatcherService } from '../lambda/service';
import { countDynamoRequests, tally } from '../test/support/dynamo-request-counter';

export interface RequestsRow {
  readonly path: string;
  /** How many heartbeats were sent down this path. */
  readonly heartbeats: number;
  /** Requests per heartbeat, by operation. */
  readonly perHeartbeat: Record<string, number>;
  readonly writesPerHeartbeat: number;
  readonly readsPerHeartbeat: number;
  /** Heartbeats whose own requests were not exactly `[UpdateItem]` (checked one by one where it applies). */
  readonly deviations?: number;
  readonly goal: string;
  /** `undefined` where there is no goal (the rare paths may read). */
  readonly met?: boolean;
}

export interface RequestsResult {
  readonly rows: RequestsRow[];
  /** What a relay's batch of MAX_BATCH heartbeats, each with the usual fields, is answered. */
  readonly fullBatch: { readonly items: number; readonly bytes: number; readonly status: number };
}

const PER_PATH = 200;

/**
 * Counts the DynamoDB requests behind each heartbeat, through the agent router (`app.request`, no
 * network) over the real store and in-memory dynalite, with the middleware the adapter test uses.
 */
export async function benchRequestsPerHeartbeat(): Promise<RequestsResult> {
  const dynamo = await startEmbeddedDynamo();
  const client = localDynamoClient(dynamo.connection);
  try {
    await ensureTables(client, LOCAL_TABLE_NAMES);
    const requests = countDynamoRequests(client);
    const service = new WatcherService({
      ...dynamoStores(client, LOCAL_TABLE_NAMES),
      clock: { now: () => Date.now() },
      config: parseConfig(DEFAULT_CONFIG),
      version: 'bench',
    });
    // The ingest function's own door, as it answers API Gateway's events.
    const door = ingestDoor(service);
    const post = async (path: string, body: unknown, token?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await door({
        rawPath: path,
        requestContext: { http: { method: 'POST' } },
        headers,
        body: JSON.stringify(body),
      });
      return res.statusCode;
    };
    const heartbeatBody = (agentId: string, seq: number) => ({
      agentId,
      sentAt: new Date().toISOString(),
      seq,
      bootId: 'bench-boot',
    });

    const approved: { agentId: string; token: string }[] = [];
    for (let i = 0; i < Math.max(PER_PATH, MAX_BATCH); i++) {
      const { agentId, token } = await service.addAgent({ agentId: `count-${i}`, group: 'production' });
      approved.push({ agentId, token: token! });
    }
    const { key } = await service.newEnrollmentKey('production');
    const pending: { agentId: string; token: string }[] = [];
    for (let i = 0; i < PER_PATH; i++) {
      const { agentId, token } = await service.register(key, {
        agentId: `pending-${i}`,
        group: 'production',
      });
      pending.push({ agentId, token });
    }
    requests.reset();

    const rows: RequestsRow[] = [];
    const row = (
      path: string,
      heartbeats: number,
      operations: string[],
      goal: string,
      deviations?: number,
    ): RequestsRow => {
      const { byOperation, reads, writes } = tally(operations);
      const per = (n: number) => n / heartbeats;
      const perHeartbeat = Object.fromEntries(Object.entries(byOperation).map(([op, n]) => [op, per(n)]));
      const exactlyOneWrite = deviations !== undefined;
      return {
        path,
        heartbeats,
        perHeartbeat,
        writesPerHeartbeat: per(writes),
        readsPerHeartbeat: per(reads),
        deviations,
        goal,
        met: exactlyOneWrite
          ? deviations === 0 && operations.length === heartbeats && byOperation.UpdateItem === heartbeats
          : undefined,
      };
    };

    // The hot path, checked heartbeat by heartbeat: exactly [UpdateItem], nothing else.
    let deviations = 0;
    const all: string[] = [];
    for (let i = 0; i < PER_PATH; i++) {
      const { agentId, token } = approved[i]!;
      const status = await post('/v1/heartbeat', heartbeatBody(agentId, i), token);
      const seen = requests.take();
      all.push(...seen);
      if (status !== 200 || seen.length !== 1 || seen[0] !== 'UpdateItem') deviations += 1;
    }
    rows.push(
      row('accepted heartbeat (POST /v1/heartbeat)', PER_PATH, all, '1 UpdateItem, 0 reads', deviations),
    );

    // A relay's batch: one UpdateItem per accepted item, counted over a full batch of MAX_BATCH items
    // with the usual fields (within the batch route's body limit, MAX_BATCH_BODY_BYTES).
    const batch = approved.slice(0, MAX_BATCH).map(({ agentId, token }, i) => ({
      ...heartbeatBody(agentId, PER_PATH + i),
      token,
    }));
    const fullBody = { heartbeats: batch };
    requests.reset();
    const batchStatus = await post('/v1/heartbeats', fullBody);
    const batchOps = requests.take();
    const fullBatch = {
      items: batch.length,
      bytes: Buffer.byteLength(JSON.stringify(fullBody)),
      status: batchStatus,
    };
    const batchDeviations =
      batchStatus === 200 && batchOps.length === batch.length && batchOps.every((op) => op === 'UpdateItem')
        ? 0
        : batch.length;
    rows.push(
      row(
        `accepted item of a relay batch of ${batch.length} (POST /v1/heartbeats)`,
        batch.length,
        batchOps,
        '1 UpdateItem, 0 reads',
        batchDeviations,
      ),
    );

    // A pending agent's heartbeat is recorded by the same one write (answered 202).
    const pendingOps: string[] = [];
    let pendingDeviations = 0;
    for (let i = 0; i < PER_PATH; i++) {
      const { agentId, token } = pending[i]!;
      await post('/v1/heartbeat', heartbeatBody(agentId, i), token);
      const ops = requests.take();
      if (ops.length !== 1 || ops[0] !== 'UpdateItem') pendingDeviations += 1;
      pendingOps.push(...ops);
    }
    rows.push(row('pending agent (202)', PER_PATH, pendingOps, '1 UpdateItem, 0 reads', pendingDeviations));

    // The rare path: counted, allowed to read.

    const wrongOps: string[] = [];
    for (let i = 0; i < PER_PATH; i++) {
      const { agentId } = approved[i]!;
      const { token: otherToken } = approved[(i + 1) % PER_PATH]!;
      await post('/v1/heartbeat', heartbeatBody(agentId, i), otherToken);
      wrongOps.push(...requests.take());
    }
    rows.push(row('wrong token (401)', PER_PATH, wrongOps, 'rare path: may read'));

    // A restart: the first heartbeat of a new boot fails the write of the stored boot, and the
    // restart's own write follows (dynalite adds the read that DynamoDB's failed write spares).
    const restartOps: string[] = [];
    for (let i = 0; i < PER_PATH; i++) {
      const { agentId, token } = approved[i]!;
      await post('/v1/heartbeat', { ...heartbeatBody(agentId, 1), bootId: 'bench-boot-2' }, token);
      restartOps.push(...requests.take());
    }
    rows.push(
      row('first heartbeat of a new boot (restart)', PER_PATH, restartOps, 'rare path: one more write'),
    );

    requests.detach();
    return { rows, fullBatch };
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
