import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type AlertKind,
  type AlertRecord,
  type AlertStatus,
  isEvent,
  type KindChange,
  kindHistory,
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
import { call, compact, type Item, KeyedTable, N, num, S, str, type UpdateParts, update } from './dynamo';
import { TABLES } from './tables';

const KINDS: readonly AlertKind[] = [
  'heartbeat_failure',
  'host_unreachable',
  'network_event',
  'cluster_down',
  'flapping',
  'agent_restarted',
];
const NOTICES: readonly NoticeState[] = [
  'none',
  'pending',
  'sending',
  'sent',
  'failed',
  'held',
  'suppressed',
];

const list = <T = string>(item: Item, name: string): T[] | undefined => {
  const text = str(item, name);
  return text === undefined ? undefined : (JSON.parse(text) as T[]);
};

function alertFromItem(item: Item): AlertRecord {
  const alertId = str(item, 'alertId');
  const kind = str(item, 'kind') as AlertKind | undefined;
  const openNotice = str(item, 'openNotice') as NoticeState | undefined;
  const recoveryNotice = str(item, 'recoveryNotice') as NoticeState | undefined;
  const openedAt = num(item, 'openedAt');
  const incidentStart = num(item, 'incidentStart');
  const agentId = str(item, 'agentId');
  const group = str(item, 'group');
  if (!alertId || !agentId || !group)
    throw new MalformedItemError(alertId, 'alertId, agentId or group is missing');
  if (!kind || !KINDS.includes(kind)) throw new MalformedItemError(alertId, 'kind is invalid');
  if (!openNotice || !NOTICES.includes(openNotice) || !recoveryNotice || !NOTICES.includes(recoveryNotice)) {
    throw new MalformedItemError(alertId, 'notice state is invalid');
  }
  if (openedAt === undefined || incidentStart === undefined)
    throw new MalformedItemError(alertId, 'times are missing');
  let channels: string[];
  let history: KindChange[] | undefined;
  let suppressed: Suppression | undefined;
  let escalations: EscalationRecord[] | undefined;
  try {
    channels = list(item, 'channels') ?? [];
    history = list<KindChange>(item, 'kindHistory');
    const held = str(item, 'suppressed');
    suppressed = held === undefined ? undefined : (JSON.parse(held) as Suppression);
    escalations = list<EscalationRecord>(item, 'escalations');
  } catch {
    throw new MalformedItemError(alertId, 'channels, kindHistory, suppressed or escalations is not JSON');
  }
  return {
    alertId,
    agentId,
    group,
    cluster: str(item, 'cluster'),
    kind,
    severity: (str(item, 'severity') as Severity | undefined) ?? 'critical',
    status: (str(item, 'status') as AlertStatus | undefined) ?? 'open',
    openedAt,
    kindHistory: history,
    incidentStart,
    missedScans: num(item, 'missedScans'),
    detail: str(item, 'detail') ?? '',
    channels: channels as Channel[],
    agentIds: list(item, 'agentIds'),
    openNotice,
    suppressed,
    notifiedAt: num(item, 'notifiedAt'),
    pagedAt: num(item, 'pagedAt'),
    escalations,
    recoveryNotice,
    recoveryNotifiedAt: num(item, 'recoveryNotifiedAt'),
    noticeLeaseUntil: num(item, 'noticeLeaseUntil'),
    noticeAttempts: num(item, 'noticeAttempts'),
    lastNoticeError: str(item, 'lastNoticeError'),
    resolvedAt: num(item, 'resolvedAt'),
    resolution: str(item, 'resolution') as Resolution | undefined,
    acknowledgedAt: num(item, 'acknowledgedAt'),
    acknowledgedBy: str(item, 'acknowledgedBy'),
    ackNote: str(item, 'ackNote'),
    freshSince: num(item, 'freshSince'),
    stableSince: num(item, 'stableSince'),
  };
}

function alertToItem(alert: AlertRecord): Item {
  const opt = (value: string | undefined) => (value === undefined ? undefined : S(value));
  return compact({
    alertId: S(alert.alertId),
    agentId: S(alert.agentId),
    group: S(alert.group),
    cluster: opt(alert.cluster),
    kind: S(alert.kind),
    severity: S(alert.severity),
    status: S(alert.status),
    queue: S('open'),
    openedAt: N(alert.openedAt),
    kindHistory: alert.kindHistory === undefined ? undefined : S(JSON.stringify(alert.kindHistory)),
    incidentStart: N(alert.incidentStart),
    missedScans: alert.missedScans === undefined ? undefined : N(alert.missedScans),
    detail: S(alert.detail),
    channels: S(JSON.stringify(alert.channels)),
    agentIds: alert.agentIds === undefined ? undefined : S(JSON.stringify(alert.agentIds)),
    openNotice: S(alert.openNotice),
    recoveryNotice: S(alert.recoveryNotice),
    suppressed: alert.suppressed === undefined ? undefined : S(JSON.stringify(alert.suppressed)),
  });
}

const NOTICE_ATTRIBUTE: Record<NoticePhase, { state: string; sentAt: string }> = {
  opening: { state: 'openNotice', sentAt: 'notifiedAt' },
  recovery: { state: 'recoveryNotice', sentAt: 'recoveryNotifiedAt' },
};

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
    const out: AlertRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await call('list alert queue', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TABLES.alerts.index.name,
            KeyConditionExpression: '#queue = :queue',
            ExpressionAttributeNames: { '#queue': 'queue' },
            ExpressionAttributeValues: { ':queue': S(queue) },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) out.push(alertFromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async *listAll() {
    let start: Item | undefined;
    do {
      const page = await call('list alerts', () =>
        this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start })),
      );
      for (const item of page.Items ?? []) yield alertFromItem(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async resolve(alert: AlertRecord, change: { at: number; resolution: Resolution; expiresAt: number }) {
    const paging = pagingChannels(alert.channels).length > 0;
    const held = alert.openNotice === 'held';
    // An event has no recovery: it never was an outage.
    const recovery: NoticeState =
      paging && !held && alert.openNotice !== 'failed' && !isEvent(alert) ? 'pending' : 'none';
    const expr = update(
      {
        status: S('resolved'),
        resolvedAt: N(change.at),
        resolution: S(change.resolution),
        expiresAt: N(Math.floor(change.expiresAt / 1000)),
        recoveryNotice: S(recovery),
        openNotice: held ? S('suppressed') : undefined,
        queue: recovery === 'pending' ? S('recovery') : undefined,
      },
      recovery === 'pending' ? [] : ['queue'],
    );
    return this.updateIf(alert.alertId, expr, '#status = :open AND #openNotice = :seenOpening', {
      ':open': S('open'),
      ':seenOpening': S(alert.openNotice),
    });
  }

  async changeKind(alert: AlertRecord, change: KindShift) {
    const expr = update({
      kind: S(change.kind),
      severity: S(change.severity),
      detail: S(change.detail),
      missedScans: N(change.missedScans),
      kindHistory: S(JSON.stringify([...kindHistory(alert), { kind: change.kind, at: change.at }])),
    });
    return this.updateIf(alert.alertId, expr, '#status = :open AND #kind = :seenKind', {
      ':open': S('open'),
      ':seenKind': S(alert.kind),
    });
  }

  async claimNotice(alertId: string, phase: NoticePhase, now: number, leaseMs: number) {
    const attr = NOTICE_ATTRIBUTE[phase].state;
    const expr = update({ [attr]: S('sending'), noticeLeaseUntil: N(now + leaseMs) });
    const due = `(#${attr} = :pending OR (#${attr} = :sending AND #noticeLeaseUntil < :now))`;
    const condition = phase === 'recovery' ? `${due} AND #openNotice = :sent` : due;
    const values: Record<string, AttributeValue> = {
      ':pending': S('pending'),
      ':sending': S('sending'),
      ':now': N(now),
    };
    if (phase === 'recovery') values[':sent'] = S('sent');
    return (await this.updateIf(alertId, expr, condition, values)) !== undefined;
  }

  async finishNotice(alertId: string, phase: NoticePhase, outcome: NoticeOutcome) {
    const { state, sentAt } = NOTICE_ATTRIBUTE[phase];
    // A recovery that went out, or that can never go out, leaves the recovery queue.
    const leavesQueue = phase === 'recovery' && !('error' in outcome && outcome.retryable);
    const remove = ['noticeLeaseUntil', ...(leavesQueue ? ['queue'] : [])];
    const expr =
      'sentAt' in outcome
        ? update(
            {
              [state]: S('sent'),
              [sentAt]: N(outcome.sentAt),
              // The first page: reminders move notifiedAt, escalation counts from this.
              pagedAt: phase === 'opening' ? N(outcome.sentAt) : undefined,
            },
            [...remove, 'lastNoticeError'],
          )
        : update(
            {
              [state]: S(outcome.retryable ? 'pending' : 'failed'),
              lastNoticeError: S(outcome.error.slice(0, 500)),
            },
            remove,
          );
    expr.UpdateExpression += ' ADD #noticeAttempts :one';
    expr.ExpressionAttributeNames['#noticeAttempts'] = 'noticeAttempts';
    const after = await this.updateIf(alertId, expr, `#${state} = :sending`, {
      ':sending': S('sending'),
      ':one': N(1),
    });
    if (after?.openNotice === 'failed' && after.status === 'resolved' && after.recoveryNotice === 'pending') {
      // No opening will ever go out, so no recovery either.
      await this.updateIf(alertId, update({ recoveryNotice: S('none') }, ['queue']), '#status = :resolved', {
        ':resolved': S('resolved'),
      });
    }
  }

  async holdOpening(alertId: string, seen: NoticeState, suppressed: Suppression) {
    const expr = update({ openNotice: S('held'), suppressed: S(JSON.stringify(suppressed)) });
    const condition = '#openNotice = :seen AND #status = :open';
    return (
      (await this.updateIf(alertId, expr, condition, { ':seen': S(seen), ':open': S('open') })) !== undefined
    );
  }

  async suppressRecovery(alertId: string, seen: NoticeState, suppressed: Suppression) {
    const expr = update({ recoveryNotice: S('suppressed'), suppressed: S(JSON.stringify(suppressed)) }, [
      'queue',
      'noticeLeaseUntil',
    ]);
    const condition = '#recoveryNotice = :seen AND #status = :resolved';
    const values = { ':seen': S(seen), ':resolved': S('resolved') };
    return (await this.updateIf(alertId, expr, condition, values)) !== undefined;
  }

  mark(alert: AlertRecord, name: 'freshSince' | 'stableSince', value: number | undefined) {
    const seen = alert[name];
    const expr = value === undefined ? update({}, [name]) : update({ [name]: N(value) });
    const condition =
      seen === undefined
        ? `#status = :open AND attribute_not_exists(#${name})`
        : `#status = :open AND #${name} = :seen`;
    const values: Record<string, AttributeValue> = { ':open': S('open') };
    if (seen !== undefined) values[':seen'] = N(seen);
    return this.updateIf(alert.alertId, expr, condition, values);
  }

  async releaseOpening(alertId: string) {
    const expr = update({ openNotice: S('pending') }, ['suppressed']);
    return (await this.updateIf(alertId, expr, '#openNotice = :held', { ':held': S('held') })) !== undefined;
  }

  async claimReminder(alertId: string, previous: number, now: number) {
    const expr = update({ notifiedAt: N(now) });
    const condition = '#notifiedAt = :previous AND #status = :open';
    return (
      (await this.updateIf(alertId, expr, condition, { ':previous': N(previous), ':open': S('open') })) !==
      undefined
    );
  }

  async acknowledge(alertId: string, at: number, by?: string, note?: string) {
    const expr = update({
      acknowledgedAt: N(at),
      acknowledgedBy: by === undefined ? undefined : S(by),
      ackNote: note === undefined ? undefined : S(note),
    });
    const acked = await this.updateIf(
      alertId,
      expr,
      'attribute_exists(#alertId) AND attribute_not_exists(#acknowledgedAt)',
      {},
    );
    return acked ?? this.get(alertId);
  }

  async claimEscalations(alert: AlertRecord, steps: readonly EscalationStep[], leaseUntil: number) {
    const expr = update({ escalations: S(JSON.stringify(claimSteps(alert, steps, leaseUntil))) });
    return this.updateIf(
      alert.alertId,
      expr,
      `${this.stepsAsRead(alert)} AND #status = :open AND #openNotice = :sent AND attribute_not_exists(#acknowledgedAt)`,
      { ...this.stepsValue(alert), ':open': S('open'), ':sent': S('sent') },
    );
  }

  async finishEscalations(claimed: AlertRecord, outcomes: ReadonlyMap<string, StepOutcome>) {
    const expr = update({ escalations: S(JSON.stringify(finishSteps(claimed.escalations ?? [], outcomes))) });
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

  private stepsValue(alert: AlertRecord): Record<string, AttributeValue> {
    return alert.escalations === undefined ? {} : { ':seenSteps': S(JSON.stringify(alert.escalations)) };
  }

  /** Applies `expr` when `condition` holds; answers the alert as written, or `undefined` when it did not hold. */
  private async updateIf(
    alertId: string,
    expr: UpdateParts,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<AlertRecord | undefined> {
    const item = await this.table.updateIf('update alert', alertId, expr, condition, values);
    return item ? alertFromItem(item) : undefined;
  }
}
