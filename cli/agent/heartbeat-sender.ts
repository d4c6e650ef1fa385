import type { AgentHeartbeatAnswer, HeartbeatAnswerBody } from '../../lambda/api/contract';
import { classifyNetworkError, endpointUrl, type NetworkReason, postJson } from './http-post';

/** A planned absence: the watcher holds the agent `away` for `backInSeconds` (1 to 604800). */
export interface Goodbye {
  readonly backInSeconds: number;
  /** At most 200 characters. */
  readonly reason?: string;
}

/** The longest goodbye the watcher takes: 7 days. */
export const MAX_GOODBYE_SECONDS = 604_800;

/** The body of `POST /v1/heartbeat` as the agent sends it. */
export interface HeartbeatBody {
  readonly agentId: string;
  readonly sentAt: string;
  readonly seq: number;
  readonly bootId: string;
  /** When this boot (this start of the agent) began. */
  readonly bootedAt?: string;
  /** The URL of the endpoint this heartbeat goes to. */
  readonly endpoint: string;
  readonly version: string;
  readonly cluster?: string;
  readonly goodbye?: Goodbye;
}

/**
 * What the agent reads of a heartbeat's answer (the watcher's or a relay's): its state, and the
 * interval, the time and the duplicate mark where the answer has them.
 */
export type HeartbeatReply = Pick<AgentHeartbeatAnswer, 'state'> &
  Partial<Pick<HeartbeatAnswerBody, 'heartbeatIntervalSeconds' | 'serverTime' | 'duplicate'>>;

export type SendFailureReason = NetworkReason | 'http';

/** The outcome of one heartbeat, sorted the way the failover logic needs it. */
export type SendResult =
  /** 200, or 202 (`state` says pending, or relayed): the heartbeat was taken. */
  | { readonly kind: 'accepted'; readonly status: number; readonly answer: HeartbeatReply }
  /** The endpoint answered and refused the agent: the token (401) or the agent itself (403). */
  | { readonly kind: 'refused'; readonly status: 401 | 403; readonly message?: string }
  /** No answer, or an answer that is not the watcher's: counts toward failover. */
  | {
      readonly kind: 'failed';
      readonly reason: SendFailureReason;
      readonly code: string;
      readonly detail: string;
      readonly status?: number;
    };

/** Sends one heartbeat to `endpoint` (a base URL). Rejects only when `signal` aborts it. */
export type HeartbeatSender = (
  endpoint: string,
  body: HeartbeatBody,
  signal?: AbortSignal,
) => Promise<SendResult>;

function errorOf(parsed: unknown): { code?: string; message?: string } | undefined {
  const error = (parsed as { error?: unknown } | undefined)?.error;
  return typeof error === 'object' && error !== null
    ? (error as { code?: string; message?: string })
    : undefined;
}

/** Sorts an HTTP answer to a heartbeat. */
export function sortAnswer(status: number, text: string): SendResult {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (status === 200 || status === 202) {
    const state = (parsed as { state?: unknown } | undefined)?.state;
    if (typeof state === 'string') {
      const answer = parsed as Record<string, unknown>;
      return {
        kind: 'accepted',
        status,
        answer: {
          // A state this agent does not know yet (a newer watcher's) is passed on as it came.
          state: state as HeartbeatReply['state'],
          heartbeatIntervalSeconds:
            typeof answer.heartbeatIntervalSeconds === 'number' ? answer.heartbeatIntervalSeconds : undefined,
          serverTime: typeof answer.serverTime === 'string' ? answer.serverTime : undefined,
          ...(answer.duplicate === true ? { duplicate: true as const } : {}),
        },
      };
    }
    return {
      kind: 'failed',
      reason: 'http',
      code: 'not_the_watcher',
      status,
      detail: `answered ${status} without the watcher's JSON (is this the watcher's URL?)`,
    };
  }
  const error = errorOf(parsed);
  if (status === 401 || status === 403) return { kind: 'refused', status, message: error?.message };
  return {
    kind: 'failed',
    reason: 'http',
    code: error?.code ?? `http_${status}`,
    status,
    detail: error?.message
      ? `answered ${status} (${error.message})`
      : `answered ${status}${parsed === undefined ? ' without the watcher JSON' : ''}`,
  };
}

export interface HttpSenderOptions {
  /** Read before each heartbeat, so a rewritten token file is picked up without a restart. */
  readonly token: () => string;
  readonly timeoutMs: number;
  /** PEM certificates to trust besides the system's. */
  readonly ca?: string;
}

/** The real sender: `POST {endpoint}/v1/heartbeat` over node:http(s), one connection per heartbeat. */
export function createHttpSender(options: HttpSenderOptions): HeartbeatSender {
  return async (endpoint, body, signal) => {
    try {
      const answer = await postJson(endpointUrl(endpoint, 'v1/heartbeat'), body, {
        token: options.token(),
        timeoutMs: options.timeoutMs,
        signal,
        ca: options.ca,
      });
      return sortAnswer(answer.status, answer.text);
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = classifyNetworkError(error);
      return { kind: 'failed', reason: failure.reason, code: failure.code, detail: failure.message };
    }
  };
}
