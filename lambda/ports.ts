import type { AgentRecord, Approval, Probe } from './domain/agent';
import type { AlertKind, AlertRecord, NoticeState, Resolution, Severity } from './domain/alert';
import type { AuditCursor, AuditEntry, NewAuditEntry } from './domain/audit';
import type { ScannerState } from './domain/blind';
import type { Channel, ProbeSettings } from './domain/config';
import type { EscalationStep, StepOutcome } from './domain/escalation';
import type { FleetSummary } from './domain/fleet-summary';
import type { LossBucket } from './domain/loss';
import type { FleetWindow, MaintenanceScope } from './domain/maintenance';
import type { Notification } from './domain/messages';
import type { Suppression } from './domain/mute';
import type { RestartRecord } from './domain/restart';

/** What one heartbeat changes on its agent. Times are epoch milliseconds. */
export interface HeartbeatWrite {
  readonly agentId: string;
  readonly at: number;
  readonly sentAt?: number;
  readonly clockSkewSeconds?: number;
  readonly seq?: number;
  readonly bootId?: string;
  /** How many heartbeats of its boot it stands for (a relay's), 1 when absent. */
  readonly coalesced?: number;
  readonly cluster?: string;
  readonly endpoint?: string;
  readonly version?: string;
  /** A goodbye: the agent is away until `until` (it stops for a planned restart). */
  readonly goodbye?: { readonly until: number; readonly reason?: string };
}

/** What an operator changes of an agent in place: each field given is set, or removed when `null`. */
export interface AgentChange {
  readonly group?: string;
  readonly cluster?: string | null;
  readonly parent?: string | null;
  readonly probe?: Probe | null;
  readonly probeNetwork?: string | null;
}

/**
 * What a conditional write of an agent did: it landed, or its condition failed and this is what is
 * stored.
 */
export type AgentWriteOutcome =
  | { readonly written: AgentRecord }
  /** `undefined`: there is no such agent. */
  | { readonly current: AgentRecord | undefined };

/** The writes of a heartbeat: all of the agent store that the ingest function uses. */
export interface HeartbeatStore {
  /**
   * Records a heartbeat in one conditional write: it lands only when the agent exists, holds
   * `tokenHash`, is approved or pending (a pending agent's heartbeats are recorded, not watched), and
   * the heartbeat is not older than the stored one (a replay or a late duplicate within one boot).
   * Answers the record as written, or, when the condition failed, the record as stored: no read on
   * the normal path, and none on the others where the store returns it with the failed write.
   */
  recordHeartbeat(write: HeartbeatWrite, tokenHash: string): Promise<AgentWriteOutcome>;
  /**
   * Records the first heartbeat of a new boot (see `restartOf`), as `recordHeartbeat` does and more:
   * the restart, and the loss counts started again for the new boot. One conditional write: it lands
   * only while the stored boot is still `seen`'s and the heartbeat still the newer one; otherwise it
   * answers the record as stored, like `recordHeartbeat`.
   */
  recordRestart(
    write: HeartbeatWrite,
    tokenHash: string,
    seen: AgentRecord,
    restart: RestartRecord,
  ): Promise<AgentWriteOutcome>;
  /** Removes loss counts of hours gone by (after a silence of hours, the heartbeat's write cannot). */
  forgetLossBuckets(agentId: string, buckets: readonly LossBucket[]): Promise<void>;
}

/** The agent store's create: all of it that registration writes. */
export interface NewAgentStore {
  /** Creates the agent unless its id is taken; answers false when it is. */
  create(agent: AgentRecord): Promise<boolean>;
}

/** The enrollment key hashes of the state store: all of it that registration reads. */
export interface EnrollmentKeyStore {
  getEnrollmentKeyHash(group: string): Promise<string | undefined>;
}

export interface AgentStore extends HeartbeatStore, NewAgentStore {
  /** Notes that the scanner recorded the agent's restart at `at`, unless a later one was noted. */
  markRestartRecorded(agentId: string, at: number): Promise<void>;
  get(agentId: string): Promise<AgentRecord | undefined>;
  /**
   * One page of agents for an operator's listing: a single Scan of at most `limit` items from after
   * `query.after`, filtered in the store by the fields given, with only the attributes a view at
   * `now` shows (no token hash). A filter still reads (and bills) every item it looks at, so a page
   * may hold fewer than `limit` agents, even none, and still have `after`: the agent id to go on from.
   */
  page(query: AgentPageQuery): Promise<AgentPage>;
  /**
   * Changes the named fields of an existing agent in one conditional write, leaving every other field
   * (its heartbeat, its token) as it is; `null` removes a field. A change that clears the probe lands
   * only on an agent that is not agentless; with `ifParent`, only on one whose parent is still that.
   * Answers the agent as written, or as stored when the condition failed (`undefined`: no such agent).
   */
  change(agentId: string, change: AgentChange, ifParent?: string): Promise<AgentWriteOutcome>;
  /** The ids of the agents whose `parent` is `agentId`. Reads the whole table: for an operator's call only. */
  childrenOf(agentId: string): Promise<string[]>;
  /** Clears the parent of `agentId` if it is still `parent`; false when it is not (or there is no such agent). */
  clearParent(agentId: string, parent: string): Promise<boolean>;
  /** Removes the agent and with it its token hash; answers false when there was none. */
  remove(agentId: string): Promise<boolean>;
  /** Sets the approval of an existing agent; `undefined` when there is no such agent. */
  setApproval(agentId: string, approval: Approval): Promise<AgentRecord | undefined>;
  /** Replaces the token hash of an existing agent that has one; false when there is no such agent. */
  replaceTokenHash(agentId: string, tokenHash: string): Promise<boolean>;
  /** Sets (`until` given) or ends the maintenance window of an existing agent. */
  setMaintenance(agentId: string, until?: number, reason?: string): Promise<AgentRecord | undefined>;
  /**
   * Streams every agent for a scan, reading `segments` parallel segments of the table with only the
   * attributes the scanner needs, in pages of at most `pageSize` items (DynamoDB's 1 MB when not
   * given). An item that cannot be read is yielded as the error, not thrown.
   */
  scanAll(segments: number, pageSize?: number): AsyncIterable<AgentRecord | MalformedItemError>;
  /**
   * Notes that the agent's incident ended at `at` (those behind it are given time from then). With
   * `byProbe`, its host answered again without a heartbeat: a later failure is a new incident.
   */
  endIncident(agentId: string, at: number, byProbe: boolean): Promise<void>;
  /**
   * Replaces the agent's recent alert openings (flapping) with `next` in one conditional write, when
   * they are still `seen`; answers the agent as written, or as stored when they were not.
   */
  recordOpenings(
    agentId: string,
    seen: readonly number[] | undefined,
    next: readonly number[],
  ): Promise<AgentWriteOutcome>;
  /** Notes that the agent's flapping episode ended at `at`: openings before it no longer count. */
  endFlapping(agentId: string, at: number): Promise<void>;
}

/** What `AgentStore.page` reads: the store tests each field given, the service the state. */
export interface AgentPageQuery {
  readonly limit: number;
  readonly after?: string;
  readonly group?: string;
  readonly cluster?: string;
  readonly parent?: string;
  readonly approval?: Approval;
  /** The time the page is viewed at: it reads the loss counts of this hour and the one before. */
  readonly now: number;
}

export interface AgentPage {
  /** In the store's order (a Scan's, by key hash), not sorted. */
  readonly agents: readonly AgentRecord[];
  /** The agent id the next page starts after; absent on the last page. */
  readonly after?: string;
}

/** A stored item that cannot be read (hand-edited, or written by another version). */
export class MalformedItemError extends Error {
  constructor(
    readonly key: string | undefined,
    message: string,
  ) {
    super(`item ${key ?? '(no key)'}: ${message}`);
    this.name = 'MalformedItemError';
  }
}

/**
 * How a claimed notice ended: sent (to some of its channels when `error` says why the others were
 * not, and `rest` lists those still owed it: a retry goes to them alone); back to pending; or failed.
 */
export type NoticeOutcome =
  | { sentAt: number; error?: string; rest?: readonly Channel[] }
  | { error: string; retryable: boolean };

/**
 * Which notice of an alert: the opening page, the recovery, the acknowledgement (webhooks only),
 * or the rest of an opening or a recovery: what it still owes the channels it did not reach.
 */
export type NoticePhase = 'opening' | 'recovery' | 'acknowledgement' | 'openingRest' | 'recoveryRest';

/** A new verdict for an open incident: what `changeKind` writes. */
export interface KindShift {
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly detail: string;
  readonly missedScans: number;
  readonly at: number;
}

export interface AlertStore {
  /** Creates the alert unless one with its id exists; answers whether this call created it. */
  create(alert: AlertRecord): Promise<boolean>;
  get(alertId: string): Promise<AlertRecord | undefined>;
  /** Open alerts, or resolved ones whose recovery notice is still to be sent. Small sets. */
  listQueue(queue: 'open' | 'recovery'): Promise<AlertRecord[]>;
  /** Every stored alert (resolved ones expire after the retention period). */
  listAll(): AsyncIterable<AlertRecord>;
  /**
   * Resolves an open alert whose opening notice is in state `seenOpening`; answers the alert as
   * resolved, or `undefined` when it was not open or its notice moved meanwhile.
   */
  resolve(
    alert: AlertRecord,
    change: { at: number; resolution: Resolution; expiresAt: number },
  ): Promise<AlertRecord | undefined>;
  /**
   * Gives an open alert a new verdict (kind, severity, detail), appended to its kind history, when it
   * is still open with the kind seen in `alert`; answers the alert as changed, or `undefined` when it
   * was not (resolved, or changed by another scanner meanwhile). Its notices are left as they are.
   */
  changeKind(alert: AlertRecord, change: KindShift): Promise<AlertRecord | undefined>;
  /**
   * Claims a pending notice (or one whose claim lease ran out) for `leaseMs`; false when another has
   * it. A recovery only once its opening went out; an acknowledgement only of an acknowledged alert
   * whose opening went out, the first time (it has no state until then) or as the others.
   */
  claimNotice(alertId: string, phase: NoticePhase, now: number, leaseMs: number): Promise<boolean>;
  /** Records the outcome of a claimed notice: sent; back to pending with the error; or failed for good. */
  finishNotice(alertId: string, phase: NoticePhase, outcome: NoticeOutcome): Promise<void>;
  /**
   * Holds the opening of an open alert, saying why: from `seen` (its state when read: pending, a
   * claim that ran out, or held for another reason) to `held`. False when it moved meanwhile.
   */
  holdOpening(alertId: string, seen: NoticeState, suppressed: Suppression): Promise<boolean>;
  /**
   * Holds the recovery of a resolved alert for good (it is never sent), saying why: from `seen`
   * (pending, or a claim that ran out) to `suppressed`. False when it moved meanwhile.
   */
  suppressRecovery(alertId: string, seen: NoticeState, suppressed: Suppression): Promise<boolean>;
  /**
   * Sets (or, `undefined`, removes) a hysteresis mark of an open alert: since when its scans saw a
   * fresh heartbeat (`freshSince`), or since when a flapping alert's agent is stable (`stableSince`); only when the mark is still as seen in `alert`. Answers the alert
   * as written, or `undefined` when it was not.
   */
  mark(
    alert: AlertRecord,
    name: 'freshSince' | 'stableSince',
    value: number | undefined,
  ): Promise<AlertRecord | undefined>;
  /** Releases a held opening to `pending`, so the next delivery sends it; false when it was not held. */
  releaseOpening(alertId: string): Promise<boolean>;
  /** Claims a reminder: moves `notifiedAt` from `previous` to `now`; false when another scanner did. */
  claimReminder(alertId: string, previous: number, now: number): Promise<boolean>;
  acknowledge(alertId: string, at: number, by?: string, note?: string): Promise<AlertRecord | undefined>;
  /**
   * Claims escalation `steps` of `alert` until `leaseUntil`, in one conditional write: only while
   * its steps are as read in `alert`, it is open, its page went out and nobody acknowledged it.
   * Answers the alert as written, or `undefined` when another scanner claimed first (or it moved on).
   */
  claimEscalations(
    alert: AlertRecord,
    steps: readonly EscalationStep[],
    leaseUntil: number,
  ): Promise<AlertRecord | undefined>;
  /** Records how the steps `claimed` holds ended (by target group), unless its claim was taken over. */
  finishEscalations(claimed: AlertRecord, outcomes: ReadonlyMap<string, StepOutcome>): Promise<void>;
}

export interface Notifier {
  /** Sends one notice to its group's channels; throws {@link NotifierError} when it could not. */
  publish(notification: Notification): Promise<void>;
}

/**
 * A notice that did not go out; `retryable` says whether the next scan should try again. `unsent`,
 * when set, lists the only channels it did not reach: it went out on the others (a webhook failed
 * and the SMS went), so a retry must go to those alone, or the phones hear it twice.
 */
export class NotifierError extends Error {
  readonly unsent?: readonly Channel[];

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown; unsent?: readonly Channel[] },
  ) {
    super(message, options);
    this.name = 'NotifierError';
    if (options?.unsent) this.unsent = options.unsent;
  }
}

/** Any failure of a publish as a {@link NotifierError}: one that is not says nothing of its cure, so it is retried. */
export function asNotifierError(error: unknown): NotifierError {
  return error instanceof NotifierError
    ? error
    : new NotifierError(String((error as Error)?.message ?? error), true, { cause: error });
}

/**
 * What a probe found: the host answered (`up`), did not (`down`), or the probe could not tell
 * (`unknown`: the prober itself failed); the scanner judges an unknown probe as if none ran.
 */
export interface ProbeResult {
  readonly outcome: ProbeOutcome;
  /** What happened, in a few words: "tcp db-07:1433 refused (ECONNREFUSED) x3". */
  readonly detail: string;
}

export const PROBE_OUTCOMES = ['up', 'down', 'unknown'] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/** A prober of the probes of kind `P` (every kind, unless said). */
export interface Prober<P extends Probe = Probe> {
  /** Probes `target`; from the probe network `network` (`probeNetworks`) when given. */
  probe(target: P, settings: ProbeSettings, network?: string): Promise<ProbeResult>;
}

/**
 * The SMS spent per group and UTC day: one counter item each, changed by conditional writes only,
 * so racing scanners never spend past the budget.
 */
export interface SmsBudgetStore {
  /** Takes one SMS of `group`'s `day` when fewer than `perDay` are spent; false when the budget is spent. */
  spendSms(group: string, day: string, perDay: number, expiresAt: number): Promise<boolean>;
  /** Gives back one SMS taken by a notice that did not go out. */
  refundSms(group: string, day: string): Promise<void>;
  /** Claims the one notice that says the budget is reached: true once per group and day, at `now`. */
  claimSmsBudgetNotice(group: string, day: string, now: number, expiresAt: number): Promise<boolean>;
  /** Gives that claim back (its notice did not go out), so the next notice past the budget tries again. */
  releaseSmsBudgetNotice(group: string, day: string): Promise<void>;
  /** What `group` spent on `day`, and when its budget was reached. */
  smsSpent(group: string, day: string): Promise<{ spent: number; reachedAt?: number }>;
}

export interface WatcherStateStore extends SmsBudgetStore, EnrollmentKeyStore {
  /** Replaces the enrollment key hash of `group` (the old key stops working). */
  putEnrollmentKeyHash(group: string, keyHash: string, at: number): Promise<void>;
  /**
   * The scanner's progress, with what its last completed scan found of the fleet (`fleet`, absent
   * until a scan recorded one): one GetItem, strongly consistent, of an item kept under 4 KB for a
   * few dozen groups (1 read unit).
   */
  getScannerState(): Promise<ScannerState & { readonly fleet?: FleetSummary }>;
  /**
   * Records a completed scan and what it found of the fleet, in one write, unless a later one was
   * recorded already (answers false then). Leaves the storm mark alone.
   */
  completeScan(
    state: Omit<ScannerState, 'stormSince'> & {
      lastScanAt: number;
      lastCompletedAt: number;
      fleet: FleetSummary;
    },
  ): Promise<boolean>;
  /** Starts (`since`) or clears (`undefined`) the storm mark; `expected` is the mark seen before. */
  setStorm(expected: number | undefined, since: number | undefined): Promise<boolean>;
  /** Sets the one-off maintenance window of a group or a cluster, in place of the one it had. */
  putFleetWindow(window: FleetWindow): Promise<void>;
  /** Ends the one-off window of a group or a cluster; false when it had none. */
  endFleetWindow(scope: MaintenanceScope, name: string): Promise<boolean>;
  /** The one-off windows stored for these groups and clusters, ended ones included: one batch of reads. */
  fleetWindows(names: {
    readonly groups: readonly string[];
    readonly clusters: readonly string[];
  }): Promise<FleetWindow[]>;
}

/**
 * The audit trail: entries are only ever added, each under a key of its own, and read newest first,
 * by time or by target, one Query a page.
 */
export interface AuditStore {
  /**
   * Adds `entry` under a new id (its time, then random bits), to expire at `expiresAt` (epoch
   * seconds); it never replaces another entry. Answers the id.
   */
  record(entry: NewAuditEntry, expiresAt: number): Promise<string>;
  /** One page of entries, newest first; entries past their expiry (at `now`) are left out. */
  page(query: AuditPageQuery): Promise<AuditPage>;
}

export interface AuditPageQuery {
  readonly limit: number;
  /** Only entries made at or after this time (epoch milliseconds). */
  readonly since?: number;
  /** Only the entries of this target (`agent:web-01`). */
  readonly target?: string;
  readonly after?: AuditCursor;
  readonly now: number;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  /** Where the next page starts; absent on the last page. */
  readonly after?: AuditCursor;
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
