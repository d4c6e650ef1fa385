import type { AlertView } from '../api/contract';
import type { Channel } from './config';
import type { EscalationRecord } from './escalation';
import type { Suppression } from './mute';

export const ALERT_KINDS = [
  'heartbeat_failure',
  'host_unreachable',
  'network_event',
  'cluster_down',
  /** An agent whose alerts opened `flapping.changes` times within `flapping.window` (one per episode). */
  'flapping',
  /** An agent that restarted (a new `bootId`): an event, resolved once recorded (and paged, if so set). */
  'agent_restarted',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SEVERITIES = ['critical', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALERT_STATUSES = ['open', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
/**
 * Why an alert was resolved; `quorum`: its cluster has enough members up again; `stable`: a flapping
 * agent stayed healthy for `flapping.stableFor`; `event`: an event (a restart), recorded.
 */
export const RESOLUTIONS = [
  'heartbeat',
  'probe',
  'unmonitored',
  'removed',
  'cleared',
  'quorum',
  'stable',
  'event',
] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** Alerts that record an event rather than an outage: resolved at once, never followed by a recovery. */
export const isEvent = (alert: Pick<AlertRecord, 'kind'>) => alert.kind === 'agent_restarted';

/**
 * Where a notice stands: `pending` waits for the next delivery, `sending` is claimed by one scanner
 * until its lease runs out, `held` is held by a muter (maintenance, a storm, its cluster, its parent:
 * see `suppressed`), `suppressed` was held and resolved before it was sent (a recovery: held for good
 * by the agent's flapping alert, whose own recovery speaks for it), `none` means there is
 * nothing to send (console-only groups).
 */
export const NOTICE_STATES = ['none', 'pending', 'sending', 'sent', 'failed', 'held', 'suppressed'] as const;
export type NoticeState = (typeof NOTICE_STATES)[number];

/** One verdict in the life of an incident: the kind the scanner saw, from when. */
export interface KindChange {
  readonly kind: AlertKind;
  readonly at: number;
}

/** An alert as stored. Times are epoch milliseconds. */
export interface AlertRecord {
  readonly alertId: string;
  readonly agentId: string;
  readonly group: string;
  readonly cluster?: string;
  /** The verdict now; an agent's incident keeps one alert as its verdict changes (see `kindHistory`). */
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly status: AlertStatus;
  readonly openedAt: number;
  /** Every verdict of the incident, the first at `openedAt`; absent on alerts stored before it was kept. */
  readonly kindHistory?: readonly KindChange[];
  /** The last sign of life before the incident; with agentId and kind it makes the alertId. */
  readonly incidentStart: number;
  readonly missedScans?: number;
  /** What the scanner saw, in words: "probe tcp db:5432 failed: ECONNREFUSED". */
  readonly detail: string;
  /** The channels of the group when it opened (`console` only: recorded, never sent). */
  readonly channels: readonly Channel[];
  /** Agents a `network_event` or a `cluster_down` speaks of. */
  readonly agentIds?: readonly string[];
  readonly openNotice: NoticeState;
  /** Why the opening is held, while it is (`openNotice` is `held`); or why the recovery never went out. */
  readonly suppressed?: Suppression;
  readonly notifiedAt?: number;
  /** When the opening page went out (reminders move `notifiedAt`, never this): escalation counts from it. */
  readonly pagedAt?: number;
  /** The escalation steps claimed or sent, one per target group. */
  readonly escalations?: readonly EscalationRecord[];
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
  /**
   * The notice that the page was acknowledged, told to the group's webhooks (PagerDuty, Opsgenie stop
   * paging): absent until a delivery claims it; then like the others, under its own lease.
   */
  readonly ackNotice?: NoticeState;
  readonly ackNotifiedAt?: number;
  readonly ackLeaseUntil?: number;
  /**
   * The rest of an opening that went out on some of its channels but not all (a webhook failed, the
   * SMS went): owed to `openRestChannels` alone, under its own lease (`restLeaseUntil`).
   */
  readonly openRest?: NoticeState;
  readonly openRestChannels?: readonly Channel[];
  /** The rest of a recovery, as of an opening: the alert stays in the recovery queue until it is settled. */
  readonly recoveryRest?: NoticeState;
  readonly recoveryRestChannels?: readonly Channel[];
  readonly restLeaseUntil?: number;
  /** When the scans that saw a fresh heartbeat began, while fewer than `recoverAfterScans` (see `recoveryStep`). */
  readonly freshSince?: number;
  /** A `flapping` alert: since when its agent has been found healthy, scan after scan. */
  readonly stableSince?: number;
}

/** What `GET /v1/alerts?status=` takes. */
export const ALERT_STATUS_FILTERS = ['open', 'resolved', 'all'] as const;

export const pagingChannels = (channels: readonly Channel[]) => channels.filter((c) => c !== 'console');

/**
 * The id of an incident's alert: the same for every scanner that sees the same incident, so the
 * conditional create lets exactly one of them open it. An agent's incident has one id whatever its
 * kind (`agent.<incident start>.<agentId>`), so a host that goes down and stays silent is one alert,
 * not one per kind; a network event's subject is its group, a cluster's alert its cluster; a
 * flapping episode is its agent's, from the first opening that counted (`flappingSince`).
 */
export function alertId(
  subject: 'agent' | 'network_event' | 'cluster_down' | 'flapping' | 'agent_restarted',
  name: string,
  incidentStart: number,
): string {
  return `${subject}.${incidentStart}.${name}`;
}

/** A heartbeat after the incident started ends it: the scanner resolves the alert on its next pass. */
export function endedByHeartbeat(
  alert: Pick<AlertRecord, 'incidentStart'>,
  lastHeartbeatAt: number | undefined,
): boolean {
  return lastHeartbeatAt !== undefined && lastHeartbeatAt > alert.incidentStart;
}

/** The verdicts of an alert, oldest first. */
export function kindHistory(
  alert: Pick<AlertRecord, 'kind' | 'openedAt' | 'kindHistory'>,
): readonly KindChange[] {
  return alert.kindHistory ?? [{ kind: alert.kind, at: alert.openedAt }];
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const rest = (state: NoticeState | undefined, channels: readonly Channel[] | undefined) =>
  state === undefined ? undefined : { state, channels: [...(channels ?? [])] };

/** The alert as the API shows it. */
export function alertView(alert: AlertRecord): AlertView {
  const paging = pagingChannels(alert.channels).length > 0;
  return {
    alertId: alert.alertId,
    agentId: alert.agentId,
    group: alert.group,
    cluster: alert.cluster,
    kind: alert.kind,
    kindHistory: kindHistory(alert).map((k) => ({ kind: k.kind, at: new Date(k.at).toISOString() })),
    severity: alert.severity,
    status: alert.status,
    openedAt: new Date(alert.openedAt).toISOString(),
    resolvedAt: iso(alert.resolvedAt),
    resolution: alert.resolution,
    acknowledgedAt: iso(alert.acknowledgedAt),
    acknowledgedBy: alert.acknowledgedBy,
    note: alert.ackNote,
    channels: [...alert.channels],
    notifiedAt: iso(alert.notifiedAt),
    pagedAt: iso(alert.pagedAt),
    recoveryNotifiedAt: iso(alert.recoveryNotifiedAt),
    delivery: paging
      ? {
          opening: alert.openNotice,
          recovery: alert.recoveryNotice,
          acknowledgement: alert.ackNotice,
          openingRest: rest(alert.openRest, alert.openRestChannels),
          recoveryRest: rest(alert.recoveryRest, alert.recoveryRestChannels),
          escalations: alert.escalations?.map((e) => ({
            group: e.group,
            after: e.after,
            state: e.state,
            sentAt: iso(e.sentAt),
            error: e.error,
          })),
        }
      : undefined,
    // While the page is held, and after: a page held until the alert resolved never went out; nor a
    // recovery held for good (the agent's flapping alert speaks for it).
    suppressed:
      alert.suppressed &&
      (alert.openNotice === 'held' ||
        alert.openNotice === 'suppressed' ||
        alert.recoveryNotice === 'suppressed')
        ? {
            reason: alert.suppressed.reason,
            by: alert.suppressed.by,
            since: new Date(alert.suppressed.since).toISOString(),
          }
        : undefined,
    lastDeliveryError: alert.lastNoticeError,
    detail: alert.detail,
    missedScans: alert.missedScans,
    agentIds: alert.agentIds && [...alert.agentIds],
  };
}
