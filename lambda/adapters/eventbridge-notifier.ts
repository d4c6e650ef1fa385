import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { settingsFor, type WatcherConfig } from '../domain/config';
import type { Notification } from '../domain/messages';
import { PER_ALERT_FORMATS, webhookMessages } from '../domain/webhook-payloads';
import type { Webhook, WebhookFormat } from '../domain/webhooks';
import { type Notifier, NotifierError } from '../ports';

/** The `source` of the watcher's webhook events; the stack's rules match it. */
export const WEBHOOK_EVENT_SOURCE = 'heartbeat-watcher';
export const WEBHOOK_DETAIL_TYPE = 'webhook notice';

/** PutEvents takes at most 10 entries a call. */
const MAX_ENTRIES = 10;

/** EventBridge errors that a later attempt cannot cure. */
const PERMANENT = new Set(['AccessDeniedException', 'ValidationException', 'ResourceNotFoundException']);

/**
 * What one event says, and what the stack's rules read of it: the notice's group and the names of
 * the webhooks it is for (a rule per webhook matches both), each format's payload under `payload`
 * (a rule's input path picks its own), and Opsgenie's path (the alert named by alias).
 */
export interface WebhookEventDetail {
  readonly noticeId: string;
  readonly group: string;
  readonly kind: Notification['kind'];
  readonly webhooks: readonly string[];
  readonly payload: Partial<Record<WebhookFormat, Record<string, unknown>>>;
  readonly alertId?: string;
  readonly path?: string;
}

/**
 * The events of one notice for the group's webhooks: one for Slack, Teams and json together (the
 * notice as a person reads it), and one per alert for PagerDuty and Opsgenie, whose incidents are
 * keyed per alert (see `webhookMessages`). None for a notice off the webhook channel.
 */
export function webhookEvents(notice: Notification, webhooks: readonly Webhook[]): WebhookEventDetail[] {
  if (!notice.channels.includes('webhook') || webhooks.length === 0) return [];
  const base = { noticeId: notice.noticeId, group: notice.group, kind: notice.kind };
  const whole = webhooks.filter((w) => !PER_ALERT_FORMATS.has(w.format));
  const perAlert = webhooks.filter((w) => PER_ALERT_FORMATS.has(w.format));
  const events: WebhookEventDetail[] = [];
  if (whole.length > 0) {
    const payload: WebhookEventDetail['payload'] = {};
    for (const w of whole) payload[w.format] = webhookMessages(w.format, notice)[0]!.body;
    events.push({ ...base, webhooks: whole.map((w) => w.name), payload });
  }
  const byAlert = new Map<string, { payload: WebhookEventDetail['payload']; path?: string }>();
  for (const format of new Set(perAlert.map((w) => w.format))) {
    for (const message of webhookMessages(format, notice)) {
      const entry = byAlert.get(message.alertId!) ?? { payload: {} };
      entry.payload[format] = message.body;
      if (format === 'opsgenie') entry.path = message.path;
      byAlert.set(message.alertId!, entry);
    }
  }
  for (const [alertId, entry] of byAlert) {
    events.push({ ...base, webhooks: perAlert.map((w) => w.name), alertId, ...entry });
  }
  return events;
}

/**
 * The cloud's webhook channel: puts each notice's events on the watcher's bus, where a rule per
 * webhook hands its format's payload to an API destination (the delivery, its retries, its secret and
 * its dead-letter queue are EventBridge's). One PutEvents a notice, or one per ten events for a notice
 * of more than nine alerts. An entry the bus refused makes the publish throw a retryable
 * {@link NotifierError}; its retry puts the whole notice again, so a webhook may see the accepted
 * entries twice (PagerDuty and Opsgenie fold those into the same incident; a chat shows a repeat).
 */
export class EventBridgeNotifier implements Notifier {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly config: WatcherConfig,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const events = webhookEvents(notification, settingsFor(this.config, notification.group).webhooks);
    const entries: PutEventsRequestEntry[] = events.map((detail) => ({
      EventBusName: this.busName,
      Source: WEBHOOK_EVENT_SOURCE,
      DetailType: WEBHOOK_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
    }));
    for (let i = 0; i < entries.length; i += MAX_ENTRIES) {
      await this.put(notification, entries.slice(i, i + MAX_ENTRIES));
    }
  }

  private async put(notification: Notification, entries: PutEventsRequestEntry[]): Promise<void> {
    let failed: { code: string; count: number } | undefined;
    try {
      const answer = await this.client.send(new PutEventsCommand({ Entries: entries }));
      const count = answer.FailedEntryCount ?? 0;
      if (count > 0) {
        const code = answer.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'unknown';
        failed = { code, count };
      }
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      throw new NotifierError(
        `EventBridge PutEvents for ${notification.group} failed: ${name || String(error)}`,
        !PERMANENT.has(name),
        { cause: error },
      );
    }
    if (failed)
      throw new NotifierError(
        `EventBridge refused ${failed.count} of ${entries.length} webhook events for ${notification.group}: ${failed.code}`,
        true,
      );
  }
}
