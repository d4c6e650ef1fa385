import type { AlertView } from '../api/contract';
import { KIND_WORDS, type Notification } from './messages';
import type { WebhookFormat } from './webhooks';

/**
 * One request a notice makes of a webhook: the JSON body, and for Opsgenie the path after its
 * `/v2/alerts` (close and acknowledge name the alert there, by alias). `alertId` is set on the
 * requests made per alert (PagerDuty, Opsgenie).
 */
export interface WebhookMessage {
  readonly body: Record<string, unknown>;
  readonly path: string;
  readonly alertId?: string;
}

/** Formats whose requests are one per alert: their services key an incident by our alertId. */
export const PER_ALERT_FORMATS: ReadonlySet<WebhookFormat> = new Set(['pagerduty', 'opsgenie']);

/** What a notice is to an incident tool: open it, resolve it, acknowledge it, or nothing new. */
type Action = 'open' | 'resolve' | 'acknowledge' | 'none';

function actionOf(notice: Notification): Action {
  switch (notice.kind) {
    case 'recovery':
      return 'resolve';
    case 'acknowledgement':
      return 'acknowledge';
    // The tools repeat their own pages while an incident is open: a reminder adds nothing there.
    case 'reminder':
    case 'sms_budget':
      return 'none';
    default:
      return 'open';
  }
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 2)}..`);

/** What one alert is, in one line: what an incident tool shows as its title. */
function alertLine(alert: AlertView): string {
  const subject = alert.kind === 'cluster_down' && alert.cluster ? `cluster ${alert.cluster}` : alert.agentId;
  return `${alert.severity.toUpperCase()} ${KIND_WORDS[alert.kind]}: ${subject} (${alert.group}) - ${alert.detail}`;
}

/** Slack escapes these three in message text; everything else is sent as written. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A Slack incoming webhook message: `text` (the notification's own line, and what clients without
 * blocks show) and blocks: a header (plain text, at most 150 characters), the notice's text in a
 * section (mrkdwn, at most 3,000), and a context line with its group, kind and id.
 */
export function slackMessage(notice: Notification): Record<string, unknown> {
  return {
    text: slackEscape(notice.subject),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(notice.subject, 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(notice.messages.default), 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: slackEscape(`${notice.group} · ${notice.kind} · ${notice.time} · ${notice.noticeId}`),
          },
        ],
      },
    ],
  };
}

/**
 * A Teams Workflows webhook message: the `message` envelope with one attachment of content type
 * `application/vnd.microsoft.card.adaptive` holding an Adaptive Card (version 1.4): the subject,
 * the notice's text, and a fact set of its group, kind, time and alerts.
 */
export function teamsMessage(notice: Notification): Record<string, unknown> {
  const color =
    notice.kind === 'recovery' ? 'Good' : notice.severity === 'critical' ? 'Attention' : 'Warning';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: notice.subject, weight: 'Bolder', size: 'Medium', color, wrap: true },
            { type: 'TextBlock', text: notice.messages.default, wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'Group', value: notice.group },
                { title: 'Kind', value: notice.kind },
                { title: 'Time', value: notice.time },
                { title: 'Alerts', value: notice.alertIds.join(', ') },
              ],
            },
          ],
        },
      },
    ],
  };
}

/** Our own format: the notice's kind and texts, and each alert as `GET /v1/alerts` shows it. */
export function jsonMessage(notice: Notification): Record<string, unknown> {
  return {
    noticeId: notice.noticeId,
    kind: notice.kind,
    time: notice.time,
    group: notice.group,
    severity: notice.severity,
    subject: notice.subject,
    text: notice.messages.default,
    alerts: notice.alerts,
  };
}

/**
 * PagerDuty Events API v2, one event per alert with `dedup_key` the alertId, so the recovery
 * resolves and an acknowledgement here acknowledges the same incident. A trigger carries the
 * required `payload.summary` (at most 1,024 characters), `payload.source` and `payload.severity`.
 * `routing_key` is the sender's to add: local mode writes it into the body from its environment
 * variable, the cloud's Connection sends it as the `X-Routing-Key` header (as PagerDuty's own client
 * libraries do), so that the key never passes through the event bus.
 */
export function pagerdutyEvent(
  notice: Notification,
  alert: AlertView,
  routingKey?: string,
): Record<string, unknown> | undefined {
  const action = actionOf(notice);
  if (action === 'none') return undefined;
  const event = {
    ...(routingKey === undefined ? {} : { routing_key: routingKey }),
    event_action: action === 'open' ? 'trigger' : action,
    dedup_key: alert.alertId,
  };
  if (action !== 'open') return event;
  return {
    ...event,
    payload: {
      summary: clip(alertLine(alert), 1024),
      source: alert.kind === 'cluster_down' && alert.cluster ? alert.cluster : alert.agentId,
      severity: alert.severity,
      timestamp: alert.openedAt,
      component: alert.agentId,
      group: alert.group,
      class: alert.kind,
      custom_details: { alertId: alert.alertId, detail: alert.detail, notice: notice.kind },
    },
  };
}

/**
 * The Opsgenie Alert API, one request per alert with `alias` the alertId: create (`POST /v2/alerts`,
 * `message` at most 130 characters, a priority), close on recovery and acknowledge on an
 * acknowledgement (`POST /v2/alerts/{alias}/close` or `/acknowledge`, with `identifierType=alias`).
 */
export function opsgenieRequest(notice: Notification, alert: AlertView): WebhookMessage | undefined {
  const action = actionOf(notice);
  if (action === 'none') return undefined;
  const alertId = alert.alertId;
  if (action !== 'open') {
    const verb = action === 'resolve' ? 'close' : 'acknowledge';
    const note = clip(notice.subject, 25_000);
    return {
      body: { source: 'heartbeat-watcher', note },
      path: `/${encodeURIComponent(alertId)}/${verb}`,
      alertId,
    };
  }
  return {
    body: {
      message: clip(alertLine(alert), 130),
      alias: alertId,
      description: clip(`${alert.detail}\n\n${notice.messages.default}`, 15_000),
      priority: alert.severity === 'critical' ? 'P1' : 'P3',
      source: 'heartbeat-watcher',
      entity: alert.agentId,
      tags: [alert.group, alert.kind],
      details: {
        group: alert.group,
        kind: alert.kind,
        agentId: alert.agentId,
        openedAt: alert.openedAt ?? '',
      },
    },
    path: '',
    alertId,
  };
}

/**
 * The requests a notice makes of a webhook of `format`. A notice may speak for several alerts of one
 * group (a summary, a recovery of many): Slack, Teams and json take it as one message, the way a
 * person reads it; PagerDuty and Opsgenie take one request per alert, because each keys an incident by
 * `dedup_key` or `alias` and one request can name only one, and an alert's recovery or
 * acknowledgement must find its own incident. A reminder is nothing new to them. `routingKey` goes
 * into PagerDuty's bodies (local mode); the cloud leaves it to the Connection's header.
 */
export function webhookMessages(
  format: WebhookFormat,
  notice: Notification,
  routingKey?: string,
): WebhookMessage[] {
  switch (format) {
    case 'slack':
      return [{ body: slackMessage(notice), path: '' }];
    case 'teams':
      return [{ body: teamsMessage(notice), path: '' }];
    case 'json':
      return [{ body: jsonMessage(notice), path: '' }];
    case 'pagerduty':
      return notice.alerts.flatMap((alert) => {
        const body = pagerdutyEvent(notice, alert, routingKey);
        return body ? [{ body, path: '', alertId: alert.alertId }] : [];
      });
    case 'opsgenie':
      return notice.alerts.flatMap((alert) => opsgenieRequest(notice, alert) ?? []);
  }
}
