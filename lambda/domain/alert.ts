import type { Channel } from './config';

export type AlertKind = 'heartbeat_failure' | 'host_unreachable' | 'network_event';
export type Severity = 'critical' | 'warning';
export type AlertStatus = 'open' | 'resolved';
/** Why an alert was resolved. */
export type Resolution = 'heartbeat' | 'probe' | 'unmonitored' | 'removed' | 'cleared';

/**
 * Where a notice stands: `pending` waits for the next delivery, `sending` is claimed by one scanner
 * until its lease runs out, `held` waits out a suspected watcher-side event, `suppressed` was held
 * and resolved before it was sent, `none` means there is nothing to send (console-only groups).
 */
export type NoticeState = 'none' | 'pending' | 'sending' | 'sent' | 'failed' | 'held' | 'suppressed';

/** An alert as stored. Times are epoch milliseconds. */
export interface AlertRecord {
  readonly alertId: string;
  readonly agentId: string;
  readonly group: string;
  readonly cluster?: string;
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly status: AlertStatus;
  readonly openedAt: number;
  /** The last sign of life before the incident; with agentId and kind it makes the alertId. */
  readonly incidentStart: number;
  readonly missedScans?: number;
  /** What the scanner saw, in words: "probe tcp db:5432 failed: ECONNREFUSED". */
  readonly detail: string;
  /** The channels of the group when it opened (`console` only: recorded, never sent). */
  readonly channels: readonly Channel[];
  /** Agents a `network_event` speaks of. */
  readonly agentIds?: readonly string[];
  readonly openNotice: NoticeState;
  readonly notifiedAt?: number;
  readonly recoveryNotice: NoticeState;
  readonly recoveryNotifiedAt?: number;
  readonly noticeLeaseUntil?: number;
  readonly noticeAttempts?: number;
  readonly lastNoticeError?: string;
  readonly resolvedAt?: number;
  readonly resolution?: Resolution;
  readonly acknowledgedAt?: number;
  readonly acknowledgedBy?: string;
  readonly ackNote?: string;
}

/** What `GET /v1/alerts?status=` takes. */
export const ALERT_STATUS_FILTERS = ['open', 'resolved', 'all'] as const;

export const pagingChannels = (channels: readonly Channel[]) => channels.filter((c) => c !== 'console');

/**
 * The id of an incident's alert: the same for every scanner that sees the same incident, so the
 * conditional create lets exactly one of them open it.
 */
export function alertId(kind: AlertKind, agentId: string, incidentStart: number): string {
  return `${kind}.${incidentStart}.${agentId}`;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The alert as the API shows it (DESIGN.md section 5). */
export function alertView(alert: AlertRecord) {
  const paging = pagingChannels(alert.channels).length > 0;
  return {
    alertId: alert.alertId,
    agentId: alert.agentId,
    group: alert.group,
    cluster: alert.cluster,
    kind: alert.kind,
    severity: alert.severity,
    status: alert.status,
    openedAt: iso(alert.openedAt),
    resolvedAt: iso(alert.resolvedAt),
    resolution: alert.resolution,
    acknowledgedAt: iso(alert.acknowledgedAt),
    acknowledgedBy: alert.acknowledgedBy,
    note: alert.ackNote,
    channels: alert.channels,
    notifiedAt: iso(alert.notifiedAt),
    recoveryNotifiedAt: iso(alert.recoveryNotifiedAt),
    delivery: paging ? { opening: alert.openNotice, recovery: alert.recoveryNotice } : undefined,
    lastDeliveryError: alert.lastNoticeError,
    detail: alert.detail,
    missedScans: alert.missedScans,
    agentIds: alert.agentIds,
  };
}

export type AlertView = ReturnType<typeof alertView>;
