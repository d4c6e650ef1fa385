import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertRecord } from '../../lambda/domain/alert';
import {
  acknowledgementNotice,
  type Notification,
  openingNotice,
  recoveryNotice,
  reminderNotice,
} from '../../lambda/domain/messages';
import { type WebhookMessage, webhookMessages } from '../../lambda/domain/webhook-payloads';
import { WEBHOOK_FORMATS, type WebhookFormat } from '../../lambda/domain/webhooks';
import { contractChecker } from '../support/contract-check';
import { OPENING_ALERT } from '../support/notices';

const FIXTURES = join(__dirname, '..', 'fixtures', 'webhooks');
/** A made-up routing key of PagerDuty's shape (32 characters): local mode puts the real one in the body. */
const ROUTING_KEY = 'R0UT1NGKEY0F32CHARACTERSXXXXXXXX';

const web01: AlertRecord = {
  ...OPENING_ALERT,
  detail: 'no heartbeat for 3 scans (90 s)',
  channels: ['webhook'],
};
const db02: AlertRecord = {
  ...web01,
  alertId: 'agent.1795435210000.db-02',
  agentId: 'db-02',
  severity: 'warning',
  kind: 'host_unreachable',
  detail: 'probe tcp db-02:5432 failed: ECONNREFUSED',
};
const resolved = (a: AlertRecord): AlertRecord => ({
  ...a,
  status: 'resolved',
  resolvedAt: 1795435800000,
  resolution: 'heartbeat',
  openNotice: 'sent',
  recoveryNotice: 'sending',
});
const at = '2026-11-23T12:10:00.000Z';

/** Each notice a webhook is told, by the name of its fixture. */
const NOTICES: Record<string, Notification> = {
  opening: openingNotice([web01, db02], at),
  recovery: recoveryNotice([resolved(web01), resolved(db02)], at),
  acknowledgement: acknowledgementNotice(
    { ...web01, openNotice: 'sent', acknowledgedAt: 1795435500000, acknowledgedBy: 'ana' },
    at,
  ),
};

const isText = (x: unknown, max = Number.POSITIVE_INFINITY) =>
  typeof x === 'string' && x.length > 0 && x.length <= max;
// biome-ignore lint/suspicious/noExplicitAny: the checks walk JSON bodies by the paths each destination documents
type Body = Record<string, any>;

/**
 * The fields each destination documents as required, and their limits: Slack's `text` (or blocks)
 * with typed blocks, a header of plain text up to 150 characters and sections up to 3,000; Teams'
 * message envelope with an Adaptive Card attachment; PagerDuty Events v2's routing_key, event_action
 * and dedup_key, and for a trigger payload.summary (1,024), source and severity; Opsgenie's create
 * `message` (130) with `alias` (512) and a P1-P5 priority, and close or acknowledge by alias; our
 * json's notice kind and id, with each alert the API's alert view.
 */
const REQUIRED: Record<WebhookFormat, (m: WebhookMessage & { body: Body }, notice: Notification) => void> = {
  slack: ({ body }) => {
    expect(isText(body.text)).toBe(true);
    for (const block of body.blocks as Body[]) expect(isText(block.type)).toBe(true);
    const header = (body.blocks as Body[]).find((b) => b.type === 'header')!;
    expect(header.text.type).toBe('plain_text');
    expect(isText(header.text.text, 150)).toBe(true);
    for (const s of (body.blocks as Body[]).filter((b) => b.type === 'section'))
      expect(isText(s.text.text, 3000)).toBe(true);
  },
  teams: ({ body }) => {
    expect(body.type).toBe('message');
    const [attachment] = body.attachments as Body[];
    expect(attachment!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment!.content.type).toBe('AdaptiveCard');
    expect(isText(attachment!.content.version)).toBe(true);
    expect((attachment!.content.body as Body[]).every((e) => isText(e.type))).toBe(true);
  },
  pagerduty: ({ body, alertId }, notice) => {
    expect(body.routing_key).toBe(ROUTING_KEY);
    expect(['trigger', 'acknowledge', 'resolve']).toContain(body.event_action);
    expect(body.dedup_key).toBe(alertId);
    expect(isText(body.dedup_key, 255)).toBe(true);
    if (notice.kind === 'recovery') expect(body.event_action).toBe('resolve');
    if (notice.kind === 'acknowledgement') expect(body.event_action).toBe('acknowledge');
    if (body.event_action !== 'trigger') return;
    expect(isText(body.payload.summary, 1024)).toBe(true);
    expect(isText(body.payload.source)).toBe(true);
    expect(['critical', 'error', 'warning', 'info']).toContain(body.payload.severity);
  },
  opsgenie: ({ body, path, alertId }, notice) => {
    if (notice.kind === 'recovery') expect(path).toBe(`/${encodeURIComponent(alertId!)}/close`);
    else if (notice.kind === 'acknowledgement')
      expect(path).toBe(`/${encodeURIComponent(alertId!)}/acknowledge`);
    else {
      expect(path).toBe('');
      expect(isText(body.message, 130)).toBe(true);
      expect(body.alias).toBe(alertId);
      expect(isText(body.alias, 512)).toBe(true);
      expect(['P1', 'P2', 'P3', 'P4', 'P5']).toContain(body.priority);
    }
  },
  json: ({ body }, notice) => {
    expect(body.kind).toBe(notice.kind);
    expect(body.noticeId).toBe(notice.noticeId);
    expect((body.alerts as Body[]).map((a) => a.alertId)).toEqual(notice.alertIds);
    // Each alert as GET /v1/alerts shows it, held to the contract as the e2e suites hold that answer.
    const alerts = { alerts: body.alerts };
    expect(contractChecker().problem('GET', '/v1/alerts', 200, 'application/json', alerts)).toBeUndefined();
  },
};

describe('webhook payloads', () => {
  for (const format of WEBHOOK_FORMATS) {
    for (const [name, notice] of Object.entries(NOTICES)) {
      it(`renders the ${name} for ${format} as recorded, with the fields ${format} requires`, () => {
        const messages = webhookMessages(format, notice, ROUTING_KEY);
        const file = join(FIXTURES, `${format}-${name}.json`);
        // Regenerate on purpose only: the recorded payloads are what a receiver was shown to accept.
        if (process.env.UPDATE_WEBHOOK_FIXTURES === '1')
          writeFileSync(file, `${JSON.stringify(messages, null, 2)}\n`);
        expect(messages).toEqual(JSON.parse(readFileSync(file, 'utf8')));
        expect(messages.length).toBeGreaterThan(0);
        for (const message of messages) REQUIRED[format](message, notice);
      });
    }
  }

  it('makes one PagerDuty and one Opsgenie request per alert of a summary, keyed by its alertId', () => {
    for (const format of ['pagerduty', 'opsgenie'] as const) {
      const messages = webhookMessages(format, NOTICES.opening!);
      expect(messages.map((m) => m.alertId)).toEqual([web01.alertId, db02.alertId]);
    }
    expect(webhookMessages('slack', NOTICES.opening!)).toHaveLength(1);
  });

  it('leaves the routing key out of a PagerDuty body the cloud sends (its Connection adds it as a header)', () => {
    const [event] = webhookMessages('pagerduty', NOTICES.opening!);
    expect(event!.body).not.toHaveProperty('routing_key');
  });

  it('tells PagerDuty and Opsgenie nothing of a reminder, and the chat formats all of it', () => {
    const reminder = reminderNotice([{ ...web01, openNotice: 'sent' }], at);
    expect(webhookMessages('pagerduty', reminder)).toEqual([]);
    expect(webhookMessages('opsgenie', reminder)).toEqual([]);
    expect(webhookMessages('slack', reminder)[0]!.body.text).toMatch(/^STILL OPEN/);
  });

  it('escapes the three characters Slack reads as markup', () => {
    const odd = openingNotice([{ ...web01, agentId: 'a<b>&c', detail: '<!channel>' }], at);
    const body = webhookMessages('slack', odd)[0]!.body as Body;
    expect(body.text).toContain('a&lt;b&gt;&amp;c');
    expect(JSON.stringify(body.blocks)).not.toContain('<!channel>');
  });
});
