import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { chunks } from '../collections';
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

export interface EventBridgeNotifierOptions {
  /** PutEvents calls for the entries a call refused, the first included. @default 3 */
  readonly attempts?: number;
  /** The wait before putting refused entries again; it doubles each time. @default 200 ms */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The cloud's webhook channel: puts each notice's events on the watcher's bus, where a rule per
 * webhook hands its format's payload to an API destination (the delivery, its retries, its secret and
 * its dead-letter queue are EventBridge's). One PutEvents a notice, or one per ten events for a notice
 * of more than nine alerts. PutEvents answers per entry: the entries it refused (throttled, an
 * internal failure) are put again, alone, with a doubling backoff, as AWS advises, so the accepted
 * ones are not repeated. Entries still refused make the publish throw a retryable
 * {@link NotifierError}; the notice's rest (delivery's retry of the webhook channel) then puts the
 * whole notice again, and only then may a webhook see an entry twice (PagerDuty and Opsgenie fold
 * it into the same incident; a chat shows a repeat).
 */
export class EventBridgeNotifier implements Notifier {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly config: WatcherConfig,
    private readonly options: EventBridgeNotifierOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(notification: Notification): Promise<void> {
    const events = webhookEvents(notification, settingsFor(this.config, notification.group).webhooks);
    const entries: PutEventsRequestEntry[] = events.map((detail) => ({
      EventBusName: this.busName,
      Source: WEBHOOK_EVENT_SOURCE,
      DetailType: WEBHOOK_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
    }));
    for (const batch of chunks(entries, MAX_ENTRIES)) await this.put(notification, batch);
  }

  private async put(notification: Notification, entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    let code = 'unknown';
    let wait = this.options.backoffMs ?? 200;
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        await this.sleep(wait);
        wait *= 2;
      }
      let answer: PutEventsCommandOutput;
      try {
        answer = await this.client.send(new PutEventsCommand({ Entries: pending }));
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        throw new NotifierError(
          `EventBridge PutEvents for ${notification.group} failed: ${name || String(error)}`,
          !PERMANENT.has(name),
          { cause: error },
        );
      }
      if ((answer.FailedEntryCount ?? 0) === 0) return;
      // The answer's entries are in the order of the request's: a refused one has an ErrorCode.
      const refused = pending.filter((_, i) => answer.Entries?.[i]?.ErrorCode);
      code = answer.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? code;
      pending = refused.length > 0 ? refused : pending;
    }
    throw new NotifierError(
      `EventBridge refused ${pending.length} of ${entries.length} webhook events for ${notification.group}: ${code}`,
      true,
    );
  }
}
