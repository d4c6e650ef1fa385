import type { AgentRecord, Approval } from './domain/agent';

/** What one heartbeat changes on its agent. Times are epoch milliseconds. */
export interface HeartbeatWrite {
  readonly agentId: string;
  readonly at: number;
  readonly sentAt?: number;
  readonly clockSkewSeconds?: number;
  readonly seq?: number;
  readonly bootId?: string;
  readonly cluster?: string;
  readonly endpoint?: string;
  readonly version?: string;
}

export interface AgentStore {
  /**
   * Records a heartbeat in one conditional write: it lands only when the agent exists, holds
   * `tokenHash` and has `approval`. Answers the record as written, or `undefined` when the condition
   * failed (unknown agent, other token, other approval). Never reads.
   */
  recordHeartbeat(
    write: HeartbeatWrite,
    tokenHash: string,
    approval: 'approved' | 'pending',
  ): Promise<AgentRecord | undefined>;
  get(agentId: string): Promise<AgentRecord | undefined>;
  /** Creates the agent unless its id is taken; answers false when it is. */
  create(agent: AgentRecord): Promise<boolean>;
  /** Every agent, page by page. */
  list(): AsyncIterable<AgentRecord>;
  /** Removes the agent and with it its token hash; answers false when there was none. */
  remove(agentId: string): Promise<boolean>;
  /** Sets the approval of an existing agent; `undefined` when there is no such agent. */
  setApproval(agentId: string, approval: Approval): Promise<AgentRecord | undefined>;
  /** Replaces the token hash of an existing agent that has one; false when there is no such agent. */
  replaceTokenHash(agentId: string, tokenHash: string): Promise<boolean>;
  /** Sets (`until` given) or ends the maintenance window of an existing agent. */
  setMaintenance(agentId: string, until?: number, reason?: string): Promise<AgentRecord | undefined>;
}

export interface WatcherStateStore {
  /** Replaces the enrollment key hash of `group` (the old key stops working). */
  putEnrollmentKeyHash(group: string, keyHash: string, at: number): Promise<void>;
  getEnrollmentKeyHash(group: string): Promise<string | undefined>;
  /** Time of the last completed scan, if any. */
  getLastScanAt(): Promise<number | undefined>;
}

export interface Clock {
  now(): number;
}

/** A store failure that a retry may cure (throttling, a timeout): the HTTP layer answers 503. */
export class StoreUnavailableError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
