import { type AttributeValue, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo } from '../cli/embedded-dynamo';
import { DynamoAgentStore } from '../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../lambda/adapters/dynamo-client';
import { SDK_CLIENT_CONFIG } from '../lambda/adapters/sdk-config';
import { ensureTables, LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';
import { heartbeatSettings } from '../lambda/domain/heartbeat-settings';
import { hashSecret } from '../lambda/domain/secrets';
import { ingestHandler } from '../lambda/handlers/ingest-wiring';
import { HeartbeatService } from '../lambda/heartbeats';
import type { HttpApiEvent } from '../lambda/http/lambda-door';
import { createLogger } from '../lambda/logger';
import { median } from './common';
import { waitForQuiet } from './machine';

export interface LambdaCpuOptions {
  /** Heartbeats per measured slice. */
  readonly heartbeats: number;
  /** Slices of each kind, taking turns. */
  readonly rounds: number;
}

export const DEFAULT_LAMBDA_CPU: LambdaCpuOptions = { heartbeats: 2_000, rounds: 5 };

export interface LambdaCpuResult {
  readonly options: LambdaCpuOptions;
  /** CPU (user + system) per heartbeat with `cacheMiddleware` on, as the functions run, in ms. */
  readonly cachedMs: number;
  /** The same with the SDK's default (the stack resolved on every send). */
  readonly uncachedMs: number;
  /** cached / uncached. */
  readonly ratio: number;
}

/**
 * A DynamoDB that answers every request at once with `body`, in memory: what the SDK does around a
 * request (serialize, the middleware, sign, parse the answer) is measured, and no store beside it.
 */
export function cannedDynamo(body: string) {
  const bytes = Buffer.from(body);
  return {
    handle: async () => ({
      response: {
        statusCode: 200,
        reason: 'OK',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' },
        body: bytes,
      },
    }),
  };
}

/** The heartbeat as API Gateway (HTTP API, payload 2.0) hands it to the ingest function. */
function heartbeatEvent(token: string, agentId: string, seq: number): HttpApiEvent {
  const body = JSON.stringify({ agentId, seq, bootId: 'bench-boot-0001', sentAt: new Date().toISOString() });
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'content-length': String(body.length),
  };
  // The whole event API Gateway sends (payload format 2.0), of which the door reads a few fields.
  const event = {
    version: '2.0',
    routeKey: 'ANY /v1/heartbeat',
    rawPath: '/v1/heartbeat',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: headers.host,
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/v1/heartbeat',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'hbw',
      },
      requestId: `bench-${seq}`,
      routeKey: 'ANY /v1/heartbeat',
      stage: '$default',
      time: '01/Dec/2026:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
  return event;
}

/**
 * The ingest Lambda's own CPU per heartbeat, with and without the SDK's `cacheMiddleware`: the
 * handler as the function wires it (`ingestHandler`, lambda/handlers/ingest-wiring.ts) fed
 * API Gateway events, its DynamoDB client answering from memory with the item a real UpdateItem
 * returned (recorded once from dynalite), so only the function's own work is timed. The two take
 * turns in `rounds` slices; the process's CPU time is read around each slice.
 */
export async function benchLambdaCpu(
  options: LambdaCpuOptions,
  log: (line: string) => void = () => {},
): Promise<LambdaCpuResult> {
  const agentId = 'bench-agent-0001';
  const token = 'hbw_bench-token-0000000000000000000000000000000';
  const answer = await recordedUpdateAnswer(agentId, token);
  const settings = heartbeatSettings(parseConfig(DEFAULT_CONFIG));
  // The function's own wiring; its log lines are made (JSON, as the function writes them) and dropped.
  const functionLog = createLogger({ sink: (record) => void JSON.stringify(record) });
  const handlerWith = (cacheMiddleware: boolean) =>
    ingestHandler({
      client: new DynamoDBClient({
        ...SDK_CLIENT_CONFIG,
        cacheMiddleware,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
        requestHandler: cannedDynamo(answer),
      }),
      agentsTable: LOCAL_TABLE_NAMES.agents,
      stack: 'hbw-bench',
      settings,
      log: functionLog,
      clock: { now: () => Date.now() },
    });
  const kinds = { cached: handlerWith(true), uncached: handlerWith(false) };
  const cpuMs: Record<keyof typeof kinds, number[]> = { cached: [], uncached: [] };
  let seq = 0;
  const slice = async (handler: (typeof kinds)['cached']) => {
    const before = process.cpuUsage();
    for (let i = 0; i < options.heartbeats; i++) {
      const res = await handler(heartbeatEvent(token, agentId, ++seq));
      if (res.statusCode !== 200) throw new Error(`heartbeat answered ${res.statusCode}: ${res.body}`);
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / options.heartbeats;
  };
  // A slice of each first, unmeasured: the JIT warms up, each client resolves its stack once.
  await slice(kinds.cached);
  await slice(kinds.uncached);
  for (let round = 0; round < options.rounds; round++) {
    await waitForQuiet();
    log(
      `  round ${round + 1}/${options.rounds}: ${options.heartbeats} heartbeats with cacheMiddleware on, then off`,
    );
    const order = round % 2 === 0 ? (['cached', 'uncached'] as const) : (['uncached', 'cached'] as const);
    for (const kind of order) cpuMs[kind].push(await slice(kinds[kind]));
  }
  const cachedMs = median(cpuMs.cached);
  const uncachedMs = median(cpuMs.uncached);
  return { options, cachedMs, uncachedMs, ratio: cachedMs / uncachedMs };
}

/** What DynamoDB (dynalite here) answers to one accepted heartbeat's UpdateItem, as JSON on the wire. */
async function recordedUpdateAnswer(agentId: string, token: string): Promise<string> {
  const dynamo = await startEmbeddedDynamo();
  const client = localDynamoClient(dynamo.connection);
  try {
    await ensureTables(client, LOCAL_TABLE_NAMES);
    const agents = new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents);
    await agents.create({
      agentId,
      group: 'production',
      approval: 'approved',
      tokenHash: hashSecret(token),
      createdAt: Date.now(),
    });
    let attributes: Record<string, AttributeValue> | undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === UpdateItemCommand.name)
          attributes = (result.output as { Attributes?: Record<string, AttributeValue> }).Attributes;
        return result;
      },
      { step: 'initialize', name: 'hbwBenchRecordAnswer' },
    );
    const service = new HeartbeatService({
      agents,
      clock: { now: () => Date.now() },
      settings: heartbeatSettings(parseConfig(DEFAULT_CONFIG)),
    });
    await service.heartbeat(token, { agentId, seq: 0, bootId: 'bench-boot-0001' });
    if (!attributes)
      throw new Error('the heartbeat sent no UpdateItem that returned the item; update the bench');
    // DynamoDB's JSON protocol writes an item's AttributeValues as they are typed (no binary here).
    return JSON.stringify({ Attributes: attributes });
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
