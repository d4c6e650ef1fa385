import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EventBridgeNotifier,
  WEBHOOK_DETAIL_TYPE,
  WEBHOOK_EVENT_SOURCE,
  type WebhookEventDetail,
} from '../../lambda/adapters/eventbridge-notifier';
import { parseConfig } from '../../lambda/domain/config';
import { openingNotice } from '../../lambda/domain/messages';
import { NotifierError } from '../../lambda/ports';
import { OPENING_ALERT, OPENING_NOTICE } from '../support/notices';

const BUS = 'hbw-webhooks';
const config = parseConfig({
  groups: {
    production: {
      channels: ['email', 'webhook'],
      webhooks: [
        { name: 'chat', format: 'slack', secretName: 'hbw/slack-url' },
        { name: 'oncall', format: 'pagerduty', secretName: 'hbw/pd-routing-key' },
        { name: 'ops', format: 'opsgenie', secretName: 'hbw/opsgenie-key' },
      ],
    },
    test: { channels: ['console'] },
  },
});

/** A real client with dummy credentials; the mock answers every command, so nothing reaches AWS. */
function setup() {
  const client = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const events = mockClient(client);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { events, waits, notifier: new EventBridgeNotifier(client, BUS, config, { sleep }) };
}

const details = (events: ReturnType<typeof setup>['events']) =>
  events
    .commandCalls(PutEventsCommand)
    .map((call) =>
      (call.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail!) as WebhookEventDetail),
    );

describe('EventBridgeNotifier', () => {
  it('puts one PutEvents a notice: one event for the chat formats and one per alert for PagerDuty and Opsgenie', async () => {
    const { events, notifier } = setup();
    const second = { ...OPENING_ALERT, alertId: 'agent.1795435200000.web-02', agentId: 'web-02' };
    const notice = openingNotice(
      [
        { ...OPENING_ALERT, channels: ['email', 'webhook'] },
        { ...second, channels: ['email', 'webhook'] },
      ],
      OPENING_NOTICE.time,
    );

    await notifier.publish(notice);

    const calls = events.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entries = calls[0]!.args[0].input.Entries!;
    expect(
      entries.every(
        (e) =>
          e.EventBusName === BUS && e.Source === WEBHOOK_EVENT_SOURCE && e.DetailType === WEBHOOK_DETAIL_TYPE,
      ),
    ).toBe(true);
    const [whole, first, other] = details(events)[0]!;
    expect(whole).toMatchObject({ group: 'production', webhooks: ['chat'], noticeId: notice.noticeId });
    expect(Object.keys(whole!.payload)).toEqual(['slack']);
    expect(first).toMatchObject({ webhooks: ['oncall', 'ops'], alertId: OPENING_ALERT.alertId, path: '' });
    expect(first!.payload.pagerduty).toMatchObject({
      event_action: 'trigger',
      dedup_key: OPENING_ALERT.alertId,
    });
    expect(first!.payload.pagerduty).not.toHaveProperty('routing_key');
    expect(first!.payload.opsgenie).toMatchObject({ alias: OPENING_ALERT.alertId });
    expect(other).toMatchObject({ alertId: second.alertId });
  });

  it('puts nothing for a notice off the webhook channel', async () => {
    const { events, notifier } = setup();
    await notifier.publish(OPENING_NOTICE);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('puts again only the entries a call refused, after a backoff, so the accepted ones are not repeated', async () => {
    const { events, notifier, waits } = setup();
    events
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });

    await notifier.publish({ ...OPENING_NOTICE, channels: ['webhook'] });

    const [first, second] = details(events);
    expect(first).toHaveLength(2);
    expect(second).toEqual([first![1]]);
    expect(waits).toEqual([200]);
  });

  it('throws a retryable NotifierError when entries are still refused after its tries', async () => {
    const { events, notifier, waits } = setup();
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const error = await notifier
      .publish({ ...OPENING_NOTICE, channels: ['webhook'] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotifierError);
    expect(error).toMatchObject({
      retryable: true,
      message: 'EventBridge refused 1 of 2 webhook events for production: ThrottlingException',
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
  });

  it('gives up on an access denial, and retries anything else the call throws', async () => {
    const denied = setup();
    denied.events
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(denied.notifier.publish({ ...OPENING_NOTICE, channels: ['webhook'] })).rejects.toMatchObject(
      { retryable: false },
    );

    const down = setup();
    down.events.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalException' }));
    await expect(down.notifier.publish({ ...OPENING_NOTICE, channels: ['webhook'] })).rejects.toMatchObject({
      retryable: true,
    });
  });
});
