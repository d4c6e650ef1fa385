import { FanOutNotifier } from '../../lambda/adapters/fan-out-notifier';
import { NotifierError } from '../../lambda/ports';
import { OPENING_NOTICE } from '../support/notices';
import { RecordingNotifier } from '../support/scanner-harness';

/** Phones (SMS and email) and webhooks, each a notifier of its own, as the scanner wires them. */
function fanOut() {
  const phones = new RecordingNotifier();
  const hooks = new RecordingNotifier();
  const notifier = new FanOutNotifier([
    { channels: ['sms', 'email'], notifier: phones },
    { channels: ['webhook'], notifier: hooks },
  ]);
  return { phones, hooks, notifier };
}

const notice = { ...OPENING_NOTICE, channels: ['sms', 'email', 'webhook'] as const };

describe('FanOutNotifier', () => {
  it('hands a notice to each notifier whose channels it is for, and to no other', async () => {
    const { phones, hooks, notifier } = fanOut();
    await notifier.publish(notice);
    await notifier.publish({ ...notice, channels: ['email'] });

    expect(phones.sent).toHaveLength(2);
    expect(hooks.sent).toEqual([notice]);
  });

  it('names the channels a failed notifier left out when the others went', async () => {
    const { phones, hooks, notifier } = fanOut();
    hooks.failNext(1, { message: 'webhook oncall: HTTP 503' });

    const error = await notifier.publish(notice).catch((e: unknown) => e);

    expect(phones.sent).toHaveLength(1);
    expect(error).toBeInstanceOf(NotifierError);
    expect(error).toMatchObject({
      retryable: true,
      unsent: ['webhook'],
      message: 'webhook oncall: HTTP 503',
    });
  });

  it('throws with no channel named when nothing went, retryable when any failure is', async () => {
    const { phones, hooks, notifier } = fanOut();
    phones.failNext(1, { retryable: false, message: 'SNS denied' });
    hooks.failNext(1, { message: 'EventBridge throttled' });

    const error = (await notifier.publish(notice).catch((e: unknown) => e)) as NotifierError;

    expect(error.unsent).toBeUndefined();
    expect(error).toMatchObject({ retryable: true, message: 'SNS denied; EventBridge throttled' });
    // A notice for the phones alone that fails is that notifier's own failure.
    phones.failNext(1, { retryable: false, message: 'SNS denied' });
    const alone = (await notifier
      .publish({ ...notice, channels: ['sms'] })
      .catch((e: unknown) => e)) as NotifierError;
    expect(alone).toMatchObject({ retryable: false, message: 'SNS denied' });
    expect(alone.unsent).toBeUndefined();
  });
});
