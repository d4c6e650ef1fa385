import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  type AttributeValue,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { startLocalWatcher } from '../cli/local-watcher';
import { type LocalDynamoConnection, localDynamoClient } from '../lambda/adapters/dynamo-client';
import { dynamoStores } from '../lambda/adapters/dynamo-stores';
import { LOCAL_TABLE_NAMES } from '../lambda/adapters/tables';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';
import { hashSecret } from '../lambda/domain/secrets';
import { WatcherService } from '../lambda/service';
import { machineBusyMs, waitForQuiet } from './machine';

export interface IngestOptions {
  readonly agents: number;
  readonly concurrency: number;
  /** Measured seconds per phase, in all. */
  readonly seconds: number;
  /** The phases take turns in this many rounds, so that a passing load elsewhere hits them alike. */
  readonly rounds: number;
  /** Warm-up before each measured slice (a fresh load thread, fresh connections). */
  readonly warmupSeconds: number;
}

export const DEFAULT_INGEST: IngestOptions = {
  agents: 2_000,
  concurrency: 32,
  seconds: 15,
  rounds: 5,
  warmupSeconds: 1,
};

/** One measured phase: what the load loops saw, and how busy each thread was meanwhile. */
export interface PhaseStats {
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Event-loop utilisation of the main thread (the watcher, or dynalite alone) over the window. */
  readonly mainElu: number;
  /** Event-loop utilisation of the load thread over the window. */
  readonly loadElu: number;
  /** CPU time of the whole process (every thread) per second of wall time: 2.0 is both cores busy. */
  readonly processCores: number;
  /** CPU time of the whole process per request, in ms: what a request costs, whatever else is running. */
  readonly cpuMsPerRequest: number;
  /** CPU time of everything else on the machine per second (from /proc/stat): other load skews the numbers. */
  readonly otherCores?: number;
  /** Requests per second in each round. */
  readonly rounds: number[];
  readonly firstError?: string;
}

/** One measured slice, before the slices of a phase are added up. */
interface Slice extends Omit<PhaseStats, 'p50Ms' | 'p99Ms' | 'rounds'> {
  readonly latencies: Float64Array;
}

export interface IngestResult {
  readonly options: IngestOptions;
  readonly storage: string;
  /** POST /v1/heartbeat over keep-alive HTTP to the local watcher. */
  readonly ours: PhaseStats;
  /** The store's UpdateItem request, as the SDK put it on the wire, replayed straight to the same dynalite. */
  readonly raw: PhaseStats;
  /** The same UpdateItem sent with the SDK client from the load thread (for comparison, not the goal). */
  readonly rawSdk: PhaseStats;
  /** ours / raw, over all rounds. */
  readonly ratio: number;
  /** ours / raw in each round. */
  readonly roundRatios: number[];
  /** The UpdateItem the store sends for one heartbeat (values of the first agent). */
  readonly updateShape: UpdateItemCommandInput;
}

/** One request as the SDK sent it: replayed with `node:http`, it costs the load thread next to nothing. */
interface WireRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface Agent {
  readonly agentId: string;
  readonly token: string;
  readonly tokenHash: string;
}

/** What the load thread is told to do. */
export type LoadJob =
  | ({ readonly kind: 'http'; readonly url: string } & LoadCommon)
  | ({
      readonly kind: 'wire';
      readonly store: LocalDynamoConnection;
      readonly request: WireRequest;
    } & LoadCommon)
  | ({
      readonly kind: 'sdk';
      readonly store: LocalDynamoConnection;
      readonly template: UpdateItemCommandInput;
    } & LoadCommon);

interface LoadCommon {
  readonly role: 'hbw-bench-load';
  readonly agents: readonly Agent[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

type LoadMessage =
  | { readonly type: 'measuring' }
  | {
      readonly type: 'done';
      readonly ok: number;
      readonly errors: number;
      readonly seconds: number;
      readonly latencies: Float64Array;
      readonly loadElu: number;
      readonly firstError?: string;
    };

export function isLoadJob(data: unknown): data is LoadJob {
  return typeof data === 'object' && data !== null && (data as LoadCommon).role === 'hbw-bench-load';
}

/** The heartbeat an agent sends: the fields a real agent fills in. */
function heartbeatBody(agentId: string, seq: number, now: number) {
  return { agentId, sentAt: new Date(now).toISOString(), seq, bootId: 'bench-boot-0001' };
}

/**
 * Local ingest: `startLocalWatcher` (dynalite on disk, as `hbw local` runs), `agents` added through
 * the service, then `concurrency` loops in a worker thread. Phases, same watcher, same data, same
 * kind of load thread: the store's UpdateItem replayed straight to dynalite as the SDK put it on the
 * wire (raw); POST /v1/heartbeat over keep-alive HTTP (ours); the UpdateItem sent with the SDK client
 * from the load thread (for comparison).
 */
export async function benchHttpIngest(
  options: IngestOptions,
  log: (line: string) => void = () => {},
): Promise<IngestResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hbw-bench-'));
  // The scanner is off: this measures ingest, and a scan of 2,000 agents would land in one phase only.
  const watcher = await startLocalWatcher({
    config: parseConfig(DEFAULT_CONFIG),
    port: 0,
    dataDir,
    scanning: false,
    print: () => {},
  });
  const client = localDynamoClient(watcher.dynamoConnection);
  try {
    log(`  adding ${fmtCount(options.agents)} agents through the service`);
    const agents: Agent[] = new Array(options.agents);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < options.agents) {
          const i = next++;
          const agentId = `agent-${String(i).padStart(5, '0')}`;
          const { token } = await watcher.service.addAgent({ agentId, group: 'production' });
          agents[i] = { agentId, token: token!, tokenHash: hashSecret(token!) };
        }
      }),
    );
    const { input, wire } = await captureHeartbeatUpdate(client, agents[0]!);
    const common = {
      role: 'hbw-bench-load',
      agents,
      concurrency: options.concurrency,
      warmupMs: options.warmupSeconds * 1000,
      durationMs: (options.seconds * 1000) / options.rounds,
    } as const;
    const jobs: Record<'raw' | 'ours' | 'rawSdk', LoadJob> = {
      raw: { ...common, kind: 'wire', store: watcher.dynamoConnection, request: wire },
      ours: { ...common, kind: 'http', url: watcher.url },
      rawSdk: { ...common, kind: 'sdk', store: watcher.dynamoConnection, template: input },
    };
    const slices: Record<keyof typeof jobs, Slice[]> = { raw: [], ours: [], rawSdk: [] };
    const order = Object.keys(jobs) as (keyof typeof jobs)[];
    for (let round = 0; round < options.rounds; round++) {
      const other = await waitForQuiet();
      log(
        `  round ${round + 1}/${options.rounds}${other === undefined ? '' : ` (rest of the machine before it: ${other.toFixed(2)} cores)`}`,
      );
      // Each round turns the order, so no phase always follows the same one.
      for (let i = 0; i < order.length; i++) {
        const phase = order[(round + i) % order.length]!;
        slices[phase].push(await runSlice(jobs[phase]));
      }
    }
    const raw = combine(slices.raw);
    const ours = combine(slices.ours);
    const rawSdk = combine(slices.rawSdk);
    return {
      options,
      storage: 'dynalite on disk (LevelDB in a temp --data-dir), as `hbw local` runs',
      ours,
      raw,
      rawSdk,
      ratio: ours.perSecond / raw.perSecond,
      roundRatios: ours.rounds.map((perSecond, i) => perSecond / raw.rounds[i]!),
      updateShape: input,
    };
  } finally {
    client.destroy();
    await watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmtCount = (n: number) => n.toLocaleString('en-US');

/**
 * Records the UpdateItem the store sends for one accepted heartbeat: its input, and the request as
 * the SDK put it on the wire (its signature left out: the embedded DynamoDB checks it, so a replay is
 * signed again).
 */
export async function captureHeartbeatUpdate(
  client: ReturnType<typeof localDynamoClient>,
  agent: Agent,
): Promise<{ input: UpdateItemCommandInput; wire: WireRequest }> {
  let input: UpdateItemCommandInput | undefined;
  let wire: WireRequest | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') {
        input = structuredClone(args.input as UpdateItemCommandInput);
        const request = args.request as { path: string; headers: Record<string, string>; body: unknown };
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          const signature = ['authorization', 'x-amz-date', 'x-amz-content-sha256'];
          if (!['host', 'content-length', ...signature].includes(name.toLowerCase())) {
            headers[name] = value;
          }
        }
        const body = request.body;
        wire = {
          path: request.path,
          headers,
          body: typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array),
        };
      }
      return next(args);
    },
    { step: 'deserialize', name: 'hbwBenchCaptureUpdate' },
  );
  const service = new WatcherService({
    ...dynamoStores(client, LOCAL_TABLE_NAMES),
    clock: { now: () => Date.now() },
    config: parseConfig(DEFAULT_CONFIG),
    version: 'bench',
  });
  const answer = await service.heartbeat(agent.token, heartbeatBody(agent.agentId, 0, Date.now()));
  client.middlewareStack.remove('hbwBenchCaptureUpdate');
  if (answer.status !== 200 || !input || !wire) throw new Error('could not capture the heartbeat UpdateItem');
  const values = input.ExpressionAttributeValues ?? {};
  const sent = JSON.parse(wire.body) as UpdateItemCommandInput;
  if (
    input.Key?.agentId?.S !== agent.agentId ||
    values[':expectedToken']?.S !== agent.tokenHash ||
    sent.Key?.agentId?.S !== agent.agentId
  ) {
    throw new Error(
      'the heartbeat UpdateItem no longer has Key.agentId and :expectedToken; update the bench',
    );
  }
  return { input, wire };
}

/** Runs one slice of a phase in a fresh worker thread and measures the process and the machine meanwhile. */
export function runSlice(job: LoadJob): Promise<Slice> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: job });
    const hardLimit = setTimeout(
      () => {
        void worker.terminate();
        reject(new Error(`load phase ${job.kind} did not end in time`));
      },
      job.warmupMs + job.durationMs + 30_000,
    );
    let elu0 = performance.eventLoopUtilization();
    let cpu0 = process.cpuUsage();
    let machine0 = machineBusyMs();
    let wall0 = performance.now();
    worker.on('message', (message: LoadMessage) => {
      if (message.type === 'measuring') {
        elu0 = performance.eventLoopUtilization();
        cpu0 = process.cpuUsage();
        machine0 = machineBusyMs();
        wall0 = performance.now();
        return;
      }
      const mainElu = performance.eventLoopUtilization(elu0).utilization;
      const cpu = process.cpuUsage(cpu0);
      const machine1 = machineBusyMs();
      const wallMs = performance.now() - wall0;
      clearTimeout(hardLimit);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const processCores = cpuMs / wallMs;
      resolve({
        ok: message.ok,
        errors: message.errors,
        seconds: message.seconds,
        perSecond: message.ok / message.seconds,
        mainElu,
        loadElu: message.loadElu,
        processCores,
        cpuMsPerRequest: cpuMs / Math.max(1, message.ok + message.errors),
        otherCores:
          machine0 === undefined || machine1 === undefined
            ? undefined
            : Math.max(0, (machine1 - machine0) / wallMs - processCores),
        firstError: message.firstError,
        latencies: message.latencies,
      });
      void worker.terminate();
    });
    worker.once('error', (error) => {
      clearTimeout(hardLimit);
      reject(error);
    });
  });
}

/** Adds up the slices of one phase: counts and latencies pooled, utilisations weighted by time. */
function combine(slices: Slice[]): PhaseStats {
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const weighted = (f: (s: Slice) => number | undefined) => {
    let total = 0;
    for (const s of slices) {
      const value = f(s);
      if (value === undefined) return undefined;
      total += value * s.seconds;
    }
    return total / seconds;
  };
  const ok = slices.reduce((sum, s) => sum + s.ok, 0);
  const errors = slices.reduce((sum, s) => sum + s.errors, 0);
  const latencies = new Float64Array(slices.reduce((n, s) => n + s.latencies.length, 0));
  let at = 0;
  for (const s of slices) {
    latencies.set(s.latencies, at);
    at += s.latencies.length;
  }
  latencies.sort();
  return {
    ok,
    errors,
    seconds,
    perSecond: ok / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    mainElu: weighted((s) => s.mainElu)!,
    loadElu: weighted((s) => s.loadElu)!,
    processCores: weighted((s) => s.processCores)!,
    cpuMsPerRequest: (weighted((s) => s.processCores)! * seconds * 1000) / Math.max(1, ok + errors),
    otherCores: weighted((s) => s.otherCores),
    rounds: slices.map((s) => s.perSecond),
    firstError: slices.find((s) => s.firstError !== undefined)?.firstError,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The load thread: `concurrency` loops, each on its own slice of agents, for warm-up plus duration. */
export async function runLoadJob(job: LoadJob, post: (message: LoadMessage) => void): Promise<void> {
  // The watcher takes a heartbeat only with a higher seq than the one it holds, so every phase sends
  // seqs above all the earlier phases sent: a hundred a millisecond from the clock, never repeated.
  let lastSeq = 0;
  const nextSeq = () => {
    lastSeq = Math.max(lastSeq + 1, Date.now() * 100);
    return lastSeq;
  };
  const send =
    job.kind === 'http'
      ? httpSender(job)
      : job.kind === 'wire'
        ? await wireSender(job, nextSeq)
        : sdkSender(job);
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  let elu0 = performance.eventLoopUtilization();
  const warm = setTimeout(() => {
    elu0 = performance.eventLoopUtilization();
    post({ type: 'measuring' });
  }, job.warmupMs);

  const loop = async (index: number) => {
    for (let k = index; performance.now() < end; k += job.concurrency) {
      const agent = job.agents[k % job.agents.length]!;
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        failure = await send(agent, nextSeq());
      } catch (error) {
        failure = String(error);
      }
      const t1 = performance.now();
      if (t1 < measureFrom || t1 > end) continue;
      if (failure !== undefined) {
        errors += 1;
        firstError ??= failure;
        continue;
      }
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = t1 - t0;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, i) => loop(i)));
  clearTimeout(warm);
  const loadElu = performance.eventLoopUtilization(elu0).utilization;
  post({
    type: 'done',
    ok: count,
    errors,
    seconds: job.durationMs / 1000,
    latencies: latencies.slice(0, count),
    loadElu,
    firstError,
  });
}

type Sender = (agent: Agent, seq: number) => Promise<string | undefined>;

/** POSTs `body` over a keep-alive connection (TCP or a Unix socket); answers the response status and text. */
function poster(to: { readonly url: string } | { readonly socketPath: string }, concurrency: number) {
  const target =
    'url' in to
      ? { host: new URL(to.url).hostname, port: new URL(to.url).port }
      : { socketPath: to.socketPath };
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return (path: string, headers: Record<string, string | number>, body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          agent: keepAlive,
          ...target,
          method: 'POST',
          path,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout after 10 s')));
      req.on('error', reject);
      req.end(body);
    });
}

function httpSender(job: Extract<LoadJob, { kind: 'http' }>): Sender {
  const post = poster({ url: job.url }, job.concurrency);
  return async (agent, seq) => {
    const body = JSON.stringify(heartbeatBody(agent.agentId, seq, Date.now()));
    const { status, text } = await post(
      '/v1/heartbeat',
      { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
      body,
    );
    return status === 200 ? undefined : `HTTP ${status} ${text.slice(0, 200)}`;
  };
}

/** The values of one heartbeat's UpdateItem for `agent`, on top of the captured ones. */
function ownValues(values: Record<string, AttributeValue>, agent: Agent, seq: number) {
  const now = String(Date.now());
  const own: Record<string, AttributeValue> = { ...values, ':expectedToken': { S: agent.tokenHash } };
  if (':lastHeartbeatAt' in values) own[':lastHeartbeatAt'] = { N: now };
  if (':lastSentAt' in values) own[':lastSentAt'] = { N: now };
  if (':seq' in values) own[':seq'] = { N: String(seq) };
  return own;
}

/**
 * How many UpdateItems of each agent the raw phase signs before its clock starts, each with its own
 * seq (a replay of the same one would be refused by the heartbeat's condition). At the 2,500 a second
 * dynalite managed on this machine, a slice of 4 s sends 5 to each of 2,000 agents.
 */
const SIGNED_PER_AGENT = 12;

/**
 * The captured UpdateItem, {@link SIGNED_PER_AGENT} per agent with rising seqs, signed with the
 * store's key before the clock starts (the embedded DynamoDB checks each signature, as DynamoDB
 * does): the load thread then only sends, so that the phase measures the store, not the signing. The
 * other values are those of the slice's start. An agent whose signed requests are used up counts an
 * error, never a replay.
 */
async function wireSender(job: Extract<LoadJob, { kind: 'wire' }>, nextSeq: () => number): Promise<Sender> {
  const post = poster({ socketPath: job.store.socketPath }, job.concurrency);
  const template = JSON.parse(job.request.body) as UpdateItemCommandInput;
  const values = template.ExpressionAttributeValues ?? {};
  const signer = new SignatureV4({
    service: 'dynamodb',
    region: 'local',
    credentials: job.store.credentials,
    sha256: Sha256,
  });
  const signed = new Map<string, { headers: Record<string, string>; body: string }[]>();
  for (const agent of job.agents) {
    const requests: { headers: Record<string, string>; body: string }[] = [];
    for (let i = 0; i < SIGNED_PER_AGENT; i++) {
      const body = JSON.stringify({
        ...template,
        Key: { agentId: { S: agent.agentId } },
        ExpressionAttributeValues: ownValues(values, agent, nextSeq()),
      });
      const request = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: 'localhost',
        path: job.request.path,
        headers: { ...job.request.headers, host: 'localhost' },
        body,
      });
      requests.push({ headers: request.headers, body });
    }
    signed.set(agent.agentId, requests.reverse());
  }
  return async (agent) => {
    const request = signed.get(agent.agentId)!.pop();
    if (!request) return `the ${SIGNED_PER_AGENT} signed requests of ${agent.agentId} are used up`;
    const { status, text } = await post(job.request.path, request.headers, request.body);
    return status === 200 ? undefined : `HTTP ${status} ${text.slice(0, 200)}`;
  };
}

function sdkSender(job: Extract<LoadJob, { kind: 'sdk' }>): Sender {
  const client = localDynamoClient(job.store);
  const values = job.template.ExpressionAttributeValues ?? {};
  return async (agent, seq) => {
    await client.send(
      new UpdateItemCommand({
        ...job.template,
        Key: { agentId: { S: agent.agentId } },
        ExpressionAttributeValues: ownValues(values, agent, seq),
      }),
    );
    return undefined;
  };
}
