import type { BatchItemResult, HeartbeatAnswerBody } from './api/contract';
import { limiter } from './collections';
import { type AgentRecord, agentState, clockSkewSeconds } from './domain/agent';
import { errorBody, ForbiddenError, UnauthorizedError, type WatcherError } from './domain/errors';
import { type HeartbeatSettings, scanTickSeconds, thresholdsFor } from './domain/heartbeat-settings';
import { staleBuckets } from './domain/loss';
import {
  type BatchItemInput,
  batchSchema,
  type HeartbeatInput,
  heartbeatSchema,
  parseBatchItem,
} from './domain/requests';
import { judgeRefused } from './domain/restart';
import { hashSecret, sameHash } from './domain/secrets';
import { parseOrThrow } from './domain/validation';
import { createLogger, type Logger } from './logger';
import { type Clock, type HeartbeatStore, type HeartbeatWrite, StoreUnavailableError } from './ports';

export interface HeartbeatServiceDeps {
  readonly agents: HeartbeatStore;
  readonly clock: Clock;
  /** What judging heartbeats takes of the config (`heartbeatSettings`). */
  readonly settings: HeartbeatSettings;
  /** Where the service and the HTTP door in front of it log. @default JSON lines on stdout */
  readonly log?: Logger;
}

export interface HeartbeatAnswer {
  readonly status: 200 | 202;
  readonly body: HeartbeatAnswerBody;
}

/** What an unknown agent is compared with: a hash of the length of ours that no token has (not hex). */
const NO_AGENT = { tokenHash: 'x'.repeat(64), approval: 'approved' } as const;

/** How many items of a relay's batch are written at once. */
const BATCH_CONCURRENCY = 16;

/**
 * The heartbeat use cases, over the heartbeat writes of the agent store alone: all the ingest Lambda
 * serves, so its bundle holds neither the alert store nor the operators' use cases
 * ({@link WatcherService} adds those, and every other door calls them there).
 */
export class HeartbeatService {
  /** The longest a relay's `heldMs` dates a heartbeat back: half the shortest scan interval. */
  private readonly maxHeldMs: number;
  readonly log: Logger;

  constructor(protected readonly deps: HeartbeatServiceDeps) {
    this.maxHeldMs = scanTickSeconds(deps.settings) * 500;
    this.log = deps.log ?? createLogger();
  }

  /** `POST /v1/heartbeat`: one conditional write when the agent is approved and the token matches. */
  async heartbeat(token: string | undefined, body: unknown): Promise<HeartbeatAnswer> {
    const input = parseOrThrow(heartbeatSchema, body);
    if (!token) throw new UnauthorizedError('a bearer token is required (Authorization: Bearer <token>)');
    return this.recordHeartbeat(input, token);
  }

  /** `POST /v1/heartbeats`: a relay's batch, answered per item and in order; a bad item fails alone. */
  async heartbeats(body: unknown): Promise<{ results: BatchItemResult[] }> {
    const { heartbeats } = parseOrThrow(batchSchema, body);
    const results: BatchItemResult[] = new Array(heartbeats.length);
    const pool = limiter(BATCH_CONCURRENCY);
    for (const [index, raw] of heartbeats.entries()) {
      await pool.run(async () => {
        results[index] = await this.batchItem(raw, index);
      });
    }
    await pool.drain();
    return { results };
  }

  private async batchItem(raw: unknown, index: number): Promise<BatchItemResult> {
    const claimedId =
      typeof raw === 'object' && raw !== null && typeof (raw as { agentId?: unknown }).agentId === 'string'
        ? (raw as { agentId: string }).agentId
        : null;
    let item: BatchItemInput;
    try {
      item = parseBatchItem(raw, index);
    } catch (error) {
      return { agentId: claimedId, status: 'invalid', error: errorBody(error as WatcherError) };
    }
    const { token, ...input } = item;
    try {
      const answer = await this.recordHeartbeat(input, token);
      return {
        agentId: item.agentId,
        status: answer.status === 200 ? 'ok' : 'pending',
        state: answer.body.state,
        heartbeatIntervalSeconds: answer.body.heartbeatIntervalSeconds,
        scanIntervalSeconds: answer.body.scanIntervalSeconds,
        duplicate: answer.body.duplicate,
      };
    } catch (error) {
      if (error instanceof UnauthorizedError) return { agentId: item.agentId, status: 'unauthorized' };
      if (error instanceof ForbiddenError) return { agentId: item.agentId, status: 'rejected' };
      this.log.error('batch item failed', { agentId: item.agentId, error: String(error) });
      return { agentId: item.agentId, status: 'unavailable' };
    }
  }

  private async recordHeartbeat(input: HeartbeatInput, token: string): Promise<HeartbeatAnswer> {
    const now = this.deps.clock.now();
    const tokenHash = hashSecret(token);
    const write: HeartbeatWrite = {
      agentId: input.agentId,
      at: now - Math.min(input.heldMs ?? 0, this.maxHeldMs),
      sentAt: input.sentAt,
      clockSkewSeconds: input.sentAt === undefined ? undefined : clockSkewSeconds(input.sentAt, now),
      seq: input.seq,
      bootId: input.bootId,
      coalesced: input.coalesced,
      cluster: input.cluster,
      endpoint: input.endpoint,
      version: input.version,
      goodbye:
        input.goodbye === undefined
          ? undefined
          : { until: now + input.goodbye.backInSeconds * 1000, reason: input.goodbye.reason },
    };
    // One write for an approved agent (200) and a pending one (202, recorded but not watched).
    let outcome = await this.deps.agents.recordHeartbeat(write, tokenHash);
    // The rare paths: what is stored tells an unknown agent, a wrong token, a rejected agent, a
    // restart (the first heartbeat of a new boot: one more write) and an old heartbeat (a replay, or
    // one a relay delivered after a newer one) apart. Each costs the same whoever the agent is (the
    // same requests; one comparison of two hashes, against a stand-in when there is no agent or no
    // token), so the time of a 401 does not tell which agent ids exist. A restart's write fails when
    // another heartbeat changed the boot meanwhile: the heartbeat is judged again against that one
    // (at most once per boot it could race with).
    for (let attempt = 0; attempt < 3 && 'current' in outcome; attempt++) {
      const { current } = outcome;
      const sameToken = sameHash(current?.tokenHash ?? NO_AGENT.tokenHash, tokenHash);
      if (!current || !sameToken) throw new UnauthorizedError('the token is not valid for this agentId');
      if (current.approval === 'rejected') {
        throw new ForbiddenError(`agent ${input.agentId} was rejected by an operator`);
      }
      const judged = judgeRefused(current, { ...write, bootedAt: input.bootedAt });
      if (judged.kind === 'duplicate') return this.heartbeatAnswer(current, now, true);
      outcome =
        judged.kind === 'restart'
          ? await this.deps.agents.recordRestart(write, tokenHash, current, judged.restart)
          : await this.deps.agents.recordHeartbeat(write, tokenHash);
    }
    if ('current' in outcome)
      throw new StoreUnavailableError('the heartbeat raced other writes; send it again');
    const stale = staleBuckets(outcome.written.lossBuckets, now);
    if (stale.length > 0) await this.deps.agents.forgetLossBuckets(input.agentId, stale);
    return this.heartbeatAnswer(outcome.written, now);
  }

  /** The answer to a heartbeat; a `duplicate` changed nothing, as the record holds a newer one. */
  private heartbeatAnswer(agent: AgentRecord, now: number, duplicate = false): HeartbeatAnswer {
    const settings = thresholdsFor(this.deps.settings, agent.group);
    return {
      status: agent.approval === 'approved' ? 200 : 202,
      body: {
        agentId: agent.agentId,
        state: agentState(agent, settings, now).state,
        heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
        scanIntervalSeconds: settings.scanIntervalSeconds,
        serverTime: new Date(now).toISOString(),
        ...(duplicate ? { duplicate: true as const } : {}),
      },
    };
  }
}
