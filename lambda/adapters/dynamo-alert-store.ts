import { type DynamoDBClient, paginateQuery, paginateScan } from '@aws-sdk/client-dynamodb';
import {
  ALERT_KINDS,
  type AlertKind,
  type AlertRecord,
  type AlertStatus,
  isEvent,
  type KindChange,
  kindHistory,
  NOTICE_STATES,
  type NoticeState,
  pagingChannels,
  type Resolution,
  type Severity,
} from '../domain/alert';
import type { Channel } from '../domain/config';
import {
  claimSteps,
  type EscalationRecord,
  type EscalationStep,
  finishSteps,
  type StepOutcome,
} from '../domain/escalation';
import type { Suppression } from '../domain/mute';
import {
  type AlertStore,
  type KindShift,
  MalformedItemError,
  type NoticeOutcome,
  type NoticePhase,
} from '../ports';
import {
  type ConditionValues,
  eachPage,
  fromItem,
  type Item,
  KeyedTable,
  number,
  text,
  toItem,
  type UpdateParts,
  update,
} from './dynamo';
import { TABLES } from './tables';

/** A field kept as JSON text (the channels, the kind history, the suppression, the steps), read back. */
const json = <T>(value: unknown): T | undefined => {
  const stored = text(value);
  return stored === undefined ? undefined : (JSON.parse(stored) as T);
};

/** An alert item's fields kept as JSON text, read back; one that is not JSON makes the item malformed. */
function jsonFieldsOf(a: Record<string, unknown>, alertId: string) {
  try {
    return {
      channels: json<Channel[]>(a.channels) ?? [],
      history: json<KindChange[]>(a.kindHistory),
      suppressed: json<Suppression>(a.suppressed),
      escalations: json<EscalationRecord[]>(a.escalations),
      agentIds: json<string[]>(a.agentIds),
      openRestChannels: json<Channel[]>(a.openRestChannels),
      recoveryRestChannels: json<Channel[]>(a.recoveryRestChannels),
    };
  } catch {
    throw new MalformedItemError(
      alertId,
      'channels, kindHistory, suppressed, escalations, agentIds or a rest of channels is not JSON',
    );
  }
}

function alertFromItem(item: Item): AlertRecord {
  const a = fromItem(item);
  const alertId = text(a.alertId);
  const kind = text(a.kind) as AlertKind | undefined;
  const openNotice = text(a.openNotice) as NoticeState | undefined;
  const recoveryNotice = text(a.recoveryNotice) as NoticeState | undefined;
  const ackNotice = text(a.ackNotice) as NoticeState | undefined;
  const openRest = text(a.openRest) as NoticeState | undefined;
  const recoveryRest = text(a.recoveryRest) as NoticeState | undefined;
  const openedAt = number(a.openedAt);
  const incidentStart = number(a.incidentStart);
  const agentId = text(a.agentId);
  const group = text(a.group);
  if (!alertId || !agentId || !group)
    throw new MalformedItemError(alertId, 'alertId, agentId or group is missing');
  if (!kind || !ALERT_KINDS.includes(kind)) throw new MalformedItemError(alertId, 'kind is invalid');
  if (
    !openNotice ||
    !NOTICE_STATES.includes(openNotice) ||
    !recoveryNotice ||
    !NOTICE_STATES.includes(recoveryNotice) ||
    [ackNotice, openRest, recoveryRest].some((state) => state !== undefined && !NOTICE_STATES.includes(state))
  ) {
    throw new MalformedItemError(alertId, 'notice state is invalid');
  }
  if (openedAt === undefined || incidentStart === undefined)
    throw new MalformedItemError(alertId, 'times are missing');
  const { channels, history, suppressed, escalations, agentIds, openRestChannels, recoveryRestChannels } =
    jsonFieldsOf(a, alertId);
  return {
    alertId,
    agentId,
    group,
    cluster: text(a.cluster),
    kind,
    severity: (text(a.severity) as Severity | undefined) ?? 'critical',
    status: (text(a.status) as AlertStatus | undefined) ?? 'open',
    openedAt,
    kindHistory: history,
    incidentStart,
    missedScans: number(a.missedScans),
    detail: text(a.detail) ?? '',
    channels,
    agentIds,
    openNotice,
    suppressed,
    notifiedAt: number(a.notifiedAt),
    pagedAt: number(a.pagedAt),
    escalations,
    recoveryNotice,
    recoveryNotifiedAt: number(a.recoveryNotifiedAt),
    noticeLeaseUntil: number(a.noticeLeaseUntil),
    noticeAttempts: number(a.noticeAttempts),
    lastNoticeError: text(a.lastNoticeError),
    resolvedAt: number(a.resolvedAt),
    resolution: text(a.resolution) as Resolution | undefined,
    acknowledgedAt: number(a.acknowledgedAt),
    acknowledgedBy: text(a.acknowledgedBy),
    ackNote: text(a.ackNote),
    ackNotice,
    ackNotifiedAt: number(a.ackNotifiedAt),
    ackLeaseUntil: number(a.ackLeaseUntil),
    openRest,
    openRestChannels,
    recoveryRest,
    recoveryRestChannels,
    restLeaseUntil: number(a.restLeaseUntil),
    freshSince: number(a.freshSince),
    stableSince: number(a.stableSince),
  };
}

/** A new alert's item: its lists and its suppression as JSON text, in the open queue. */
function alertToItem(alert: AlertRecord): Item {
  const asJson = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
  return toItem({
    alertId: alert.alertId,
    agentId: alert.agentId,
    group: alert.group,
    cluster: alert.cluster,
    kind: alert.kind,
    severity: alert.severity,
    status: alert.status,
    queue: 'open',
    openedAt: alert.openedAt,
    kindHistory: asJson(alert.kindHistory),
    incidentStart: alert.incidentStart,
    missedScans: alert.missedScans,
    detail: alert.detail,
    channels: JSON.stringify(alert.channels),
    agentIds: asJson(alert.agentIds),
    openNotice: alert.openNotice,
    recoveryNotice: alert.recoveryNotice,
    suppressed: asJson(alert.suppressed),
  });
}

/**
 * Each notice's attributes. The acknowledgement has a lease of its own: it may be claimed while the
 * recovery is (an alert acknowledged as it resolves), and the recovery's end removes its lease. So
 * has a rest (see `openRest`), which names the channels it is owed to; `rest` is where an opening or
 * a recovery that reached some of its channels records what it still owes (a rest, its own).
 */
const NOTICE_ATTRIBUTE: Record<
  NoticePhase,
  { state: string; sentAt: string; lease: string; rest?: NoticePhase; channels?: string }
> = {
  opening: { state: 'openNotice', sentAt: 'notifiedAt', lease: 'noticeLeaseUntil', rest: 'openingRest' },
  recovery: {
    state: 'recoveryNotice',
    sentAt: 'recoveryNotifiedAt',
    lease: 'noticeLeaseUntil',
    rest: 'recoveryRest',
  },
  acknowledgement: { state: 'ackNotice', sentAt: 'ackNotifiedAt', lease: 'ackLeaseUntil' },
  openingRest: {
    state: 'openRest',
    sentAt: 'openRestAt',
    lease: 'restLeaseUntil',
    rest: 'openingRest',
    channels: 'openRestChannels',
  },
  recoveryRest: {
    state: 'recoveryRest',
    sentAt: 'recoveryRestAt',
    lease: 'restLeaseUntil',
    rest: 'recoveryRest',
    channels: 'recoveryRestChannels',
  },
};

/** What each notice needs beyond being due: its opening went out (and, for an acknowledgement, someone acknowledged it). */
const CLAIM_NEEDS: Record<NoticePhase, string | undefined> = {
  opening: undefined,
  recovery: '#openNotice = :sent',
  acknowledgement: 'attribute_exists(#acknowledgedAt) AND #openNotice = :sent',
  // A rest exists only once its notice went out to some channels; its state says whether it is due.
  openingRest: undefined,
  recoveryRest: undefined,
};

/** The notices whose end may take the alert out of the recovery queue. */
const ENDS_RECOVERY: ReadonlySet<NoticePhase> = new Set(['recovery', 'recoveryRest']);

export class DynamoAlertStore implements AlertStore {
  private readonly table: KeyedTable;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.table = new KeyedTable(client, tableName, 'alertId');
  }

  create(alert: AlertRecord) {
    return this.table.putIfAbsent('create alert', alertToItem(alert));
  }

  async get(alertId: string) {
    const item = await this.table.get('get alert', alertId);
    return item ? alertFromItem(item) : undefined;
  }

  /**
   * Reads the queue's index. DynamoDB's index reads are eventually consistent (no `ConsistentRead` on a
   * global index), where dynalite's and DynamoDB Local's see every write at once: an alert written a
   * moment ago may be missing from a scan's queue. That scan's create of it is refused (its id is the
   * incident's, and the stored one is read whole), and its resolution waits for the next scan.
   */
  async listQueue(queue: 'open' | 'recovery') {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: TABLES.alerts.index.name,
        KeyConditionExpression: '#queue = :queue',
        ExpressionAttributeNames: { '#queue': 'queue' },
        ExpressionAttributeValues: toItem({ ':queue': queue }),
        ScanIndexForward: false,
      },
    );
    const out: AlertRecord[] = [];
    for await (const page of eachPage('list alert queue', pages)) {
      for (const item of page.Items ?? []) out.push(alertFromItem(item));
    }
    return out;
  }

  async *listAll() {
    const pages = paginateScan({ client: this.client }, { TableName: this.tableName });
    for await (const page of eachPage('list alerts', pages)) {
      for (const item of page.Items ?? []) yield alertFromItem(item);
    }
  }

  async resolve(alert: AlertRecord, change: { at: number; resolution: Resolution; expiresAt: number }) {
    const paging = pagingChannels(alert.channels).length > 0;
    const held = alert.openNotice === 'held';
    // An event has no recovery: it never was an outage.
    const recovery: NoticeState =
      paging && !held && alert.openNotice !== 'failed' && !isEvent(alert) ? 'pending' : 'none';
    const expr = update({
      set: {
        status: 'resolved',
        resolvedAt: change.at,
        resolution: change.resolution,
        expiresAt: Math.floor(change.expiresAt / 1000),
        recoveryNotice: recovery,
        openNotice: held ? 'suppressed' : undefined,
        queue: recovery === 'pending' ? 'recovery' : undefined,
      },
      remove: recovery === 'pending' ? [] : ['queue'],
    });
    return this.updateIf(alert.alertId, expr, '#status = :open AND #openNotice = :seenOpening', {
      ':open': 'open',
      ':seenOpening': alert.openNotice,
    });
  }

  async changeKind(alert: AlertRecord, change: KindShift) {
    const expr = update({
      set: {
        kind: change.kind,
        severity: change.severity,
        detail: change.detail,
        missedScans: change.missedScans,
        kindHistory: JSON.stringify([...kindHistory(alert), { kind: change.kind, at: change.at }]),
      },
    });
    return this.updateIf(alert.alertId, expr, '#status = :open AND #kind = :seenKind', {
      ':open': 'open',
      ':seenKind': alert.kind,
    });
  }

  async claimNotice(alertId: string, phase: NoticePhase, now: number, leaseMs: number) {
    const { state: attr, lease } = NOTICE_ATTRIBUTE[phase];
    const expr = update({ set: { [attr]: 'sending', [lease]: now + leaseMs } });
    // An acknowledgement has no state before its first claim.
    const fresh = phase === 'acknowledgement' ? `attribute_not_exists(#${attr}) OR ` : '';
    const due = `(${fresh}#${attr} = :pending OR (#${attr} = :sending AND #${lease} < :now))`;
    const needs = CLAIM_NEEDS[phase];
    const condition = needs ? `${due} AND ${needs}` : due;
    const values: Record<string, unknown> = { ':pending': 'pending', ':sending': 'sending', ':now': now };
    if (needs) values[':sent'] = 'sent';
    return (await this.updateIf(alertId, expr, condition, values)) !== undefined;
  }

  async finishNotice(alertId: string, phase: NoticePhase, outcome: NoticeOutcome) {
    const { state, sentAt, lease, rest } = NOTICE_ATTRIBUTE[phase];
    const owes = 'sentAt' in outcome && outcome.rest !== undefined && rest !== undefined;
    // A recovery that went out everywhere, or that can never go out, leaves the recovery queue.
    const leavesQueue = ENDS_RECOVERY.has(phase) && !owes && !('retryable' in outcome && outcome.retryable);
    const remove = [lease, ...(leavesQueue ? ['queue'] : [])];
    const attempt = { noticeAttempts: 1 };
    let expr: UpdateParts;
    if ('sentAt' in outcome) {
      const set: Record<string, unknown> = {
        [state]: 'sent',
        [sentAt]: outcome.sentAt,
        // The first page: reminders move notifiedAt, escalation counts from this.
        pagedAt: phase === 'opening' ? outcome.sentAt : undefined,
        lastNoticeError: outcome.error?.slice(0, 500),
      };
      if (owes) {
        // What it owes the channels it did not reach is a notice of its own (for a rest, again).
        const owed = NOTICE_ATTRIBUTE[rest!];
        set[owed.state] = 'pending';
        set[owed.channels!] = JSON.stringify(outcome.rest);
      }
      expr = update({
        set,
        remove: outcome.error === undefined ? [...remove, 'lastNoticeError'] : remove,
        add: attempt,
      });
    } else {
      expr = update({
        set: {
          [state]: outcome.retryable ? 'pending' : 'failed',
          lastNoticeError: outcome.error.slice(0, 500),
        },
        remove,
        add: attempt,
      });
    }
    const after = await this.updateIf(alertId, expr, `#${state} = :sending`, { ':sending': 'sending' });
    if (after?.openNotice === 'failed' && after.status === 'resolved' && after.recoveryNotice === 'pending') {
      // No opening will ever go out, so no recovery either.
      const none = update({ set: { recoveryNotice: 'none' }, remove: ['queue'] });
      await this.updateIf(alertId, none, '#status = :resolved', { ':resolved': 'resolved' });
    }
  }

  async holdOpening(alertId: string, seen: NoticeState, suppressed: Suppression) {
    const expr = update({ set: { openNotice: 'held', suppressed: JSON.stringify(suppressed) } });
    const condition = '#openNotice = :seen AND #status = :open';
    return (await this.updateIf(alertId, expr, condition, { ':seen': seen, ':open': 'open' })) !== undefined;
  }

  async suppressRecovery(alertId: string, seen: NoticeState, suppressed: Suppression) {
    const expr = update({
      set: { recoveryNotice: 'suppressed', suppressed: JSON.stringify(suppressed) },
      remove: ['queue', 'noticeLeaseUntil'],
    });
    const condition = '#recoveryNotice = :seen AND #status = :resolved';
    const values = { ':seen': seen, ':resolved': 'resolved' };
    return (await this.updateIf(alertId, expr, condition, values)) !== undefined;
  }

  mark(alert: AlertRecord, name: 'freshSince' | 'stableSince', value: number | undefined) {
    const seen = alert[name];
    const expr = value === undefined ? update({ remove: [name] }) : update({ set: { [name]: value } });
    const condition =
      seen === undefined
        ? `#status = :open AND attribute_not_exists(#${name})`
        : `#status = :open AND #${name} = :seen`;
    const values: Record<string, unknown> = { ':open': 'open' };
    if (seen !== undefined) values[':seen'] = seen;
    return this.updateIf(alert.alertId, expr, condition, values);
  }

  async releaseOpening(alertId: string) {
    const expr = update({ set: { openNotice: 'pending' }, remove: ['suppressed'] });
    return (await this.updateIf(alertId, expr, '#openNotice = :held', { ':held': 'held' })) !== undefined;
  }

  async claimReminder(alertId: string, previous: number, now: number) {
    const expr = update({ set: { notifiedAt: now } });
    const condition = '#notifiedAt = :previous AND #status = :open';
    return (
      (await this.updateIf(alertId, expr, condition, { ':previous': previous, ':open': 'open' })) !==
      undefined
    );
  }

  async acknowledge(alertId: string, at: number, by?: string, note?: string) {
    const expr = update({ set: { acknowledgedAt: at, acknowledgedBy: by, ackNote: note } });
    const acked = await this.updateIf(
      alertId,
      expr,
      'attribute_exists(#alertId) AND attribute_not_exists(#acknowledgedAt)',
      {},
    );
    return acked ?? this.get(alertId);
  }

  async claimEscalations(alert: AlertRecord, steps: readonly EscalationStep[], leaseUntil: number) {
    const expr = update({ set: { escalations: JSON.stringify(claimSteps(alert, steps, leaseUntil)) } });
    return this.updateIf(
      alert.alertId,
      expr,
      `${this.stepsAsRead(alert)} AND #status = :open AND #openNotice = :sent AND attribute_not_exists(#acknowledgedAt)`,
      { ...this.stepsValue(alert), ':open': 'open', ':sent': 'sent' },
    );
  }

  async finishEscalations(claimed: AlertRecord, outcomes: ReadonlyMap<string, StepOutcome>) {
    const expr = update({
      set: { escalations: JSON.stringify(finishSteps(claimed.escalations ?? [], outcomes)) },
    });
    // The steps are still as this claim wrote them, or a scanner took over a claim that ran out.
    await this.updateIf(claimed.alertId, expr, this.stepsAsRead(claimed), this.stepsValue(claimed));
  }

  /**
   * The steps of an alert are one JSON attribute, changed by compare-and-set: a write lands only while
   * the stored text is the one read (the alert's steps, written back as this store wrote them).
   */
  private stepsAsRead(alert: AlertRecord): string {
    return alert.escalations === undefined
      ? 'attribute_not_exists(#escalations)'
      : '#escalations = :seenSteps';
  }

  private stepsValue(alert: AlertRecord): ConditionValues {
    return alert.escalations === undefined ? {} : { ':seenSteps': JSON.stringify(alert.escalations) };
  }

  /** Applies `expr` when `condition` holds; answers the alert as written, or `undefined` when it did not hold. */
  private async updateIf(
    alertId: string,
    expr: UpdateParts,
    condition: string,
    values: ConditionValues,
  ): Promise<AlertRecord | undefined> {
    const item = await this.table.updateIf('update alert', alertId, expr, condition, values);
    return item ? alertFromItem(item) : undefined;
  }
}
