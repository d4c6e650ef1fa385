import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SNSServiceException,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import type { Notification } from '../../lambda/domain/messages';
import { withoutSms } from '../../lambda/domain/sms-budget';
import { NotifierError } from '../../lambda/ports';
import { OPENING_NOTICE } from '../support/notices';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:hbw-production';

const notice = OPENING_NOTICE;

/** A real client with dummy credentials; the mock answers every command, so nothing reaches AWS. */
function setup(topics: Record<string, string> = { production: TOPIC }) {
  const client = new SNSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const sns = mockClient(client);
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  return { sns, notifier: new SnsNotifier(client, topics) };
}

/** Publishes and answers the NotifierError it threw (fails the test when it threw none). */
async function publishError(
  notifier: SnsNotifier,
  notification: Notification = notice,
): Promise<NotifierError> {
  try {
    await notifier.publish(notification);
  } catch (error) {
    expect(error).toBeInstanceOf(NotifierError);
    return error as NotifierError;
  }
  throw new Error('publish succeeded');
}

const meta = { $metadata: { httpStatusCode: 400 } };

describe('SnsNotifier.publish', () => {
  it('publishes once to the group’s topic with MessageStructure json', async () => {
    const { sns, notifier } = setup({ production: TOPIC, other: 'arn:aws:sns:us-east-1:123456789012:other' });

    await notifier.publish(notice);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json' });
  });

  it('sends a JSON Message with the default, sms and email texts of the notice', async () => {
    const { sns, notifier } = setup();

    await notifier.publish(notice);

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.Message ?? 'null')).toEqual({
      default: notice.messages.default,
      sms: notice.messages.sms,
      email: notice.messages.email,
    });
  });

  it('sets the Subject to the notice’s subject', async () => {
    const { sns, notifier } = setup();

    await notifier.publish(notice);

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(notice.subject);
  });

  it('sets group, kind, severity and channels as message attributes for filter policies, and SMS as Transactional', async () => {
    const { sns, notifier } = setup();

    await notifier.publish({ ...notice, kind: 'recovery', severity: 'warning' });

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({
      group: { DataType: 'String', StringValue: 'production' },
      kind: { DataType: 'String', StringValue: 'recovery' },
      severity: { DataType: 'String', StringValue: 'warning' },
      channels: { DataType: 'String.Array', StringValue: '["sms","email"]' },
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    });
  });

  it('lists no sms channel for a notice that lost its SMS to the budget, and says why', async () => {
    const { sns, notifier } = setup();

    await notifier.publish(withoutSms(notice));

    const attributes = sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes;
    // The phones' subscriptions take only notices whose channels list sms.
    expect(attributes?.channels).toEqual({ DataType: 'String.Array', StringValue: '["email"]' });
    expect(attributes?.smsSkipped).toEqual({ DataType: 'String', StringValue: 'budget' });
  });

  it('publishes nothing for a notice left without a channel (an SMS-only group past its budget)', async () => {
    const { sns, notifier } = setup();

    await notifier.publish(withoutSms({ ...notice, channels: ['sms'] }));

    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("publishes an escalation to the topic of the step's group", async () => {
    const { sns, notifier } = setup({ production: TOPIC, managers: `${TOPIC}-managers` });

    await notifier.publish({ ...notice, group: 'managers', kind: 'escalation', channels: ['email'] });

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toMatchObject({
      TopicArn: `${TOPIC}-managers`,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'escalation' } },
    });
  });

  it.each([
    [
      'ThrottlingException',
      () => new SNSServiceException({ name: 'ThrottlingException', $fault: 'client', ...meta }),
    ],
    ['Throttling', () => new SNSServiceException({ name: 'Throttling', $fault: 'client', ...meta })],
    ['ThrottledException', () => new ThrottledException({ message: 'Rate exceeded', ...meta })],
    [
      'Throttling (not a service exception)',
      () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }),
    ],
  ])('gives a retryable NotifierError for a %s error', async (_, makeError) => {
    const { sns, notifier } = setup();
    const cause = makeError();
    sns.on(PublishCommand).rejects(cause);

    const error = await publishError(notifier);

    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('production');
  });

  it('gives a retryable NotifierError for an internal SNS error', async () => {
    const { sns, notifier } = setup();
    sns
      .on(PublishCommand)
      .rejects(new InternalErrorException({ message: 'oops', $metadata: { httpStatusCode: 500 } }));

    expect((await publishError(notifier)).retryable).toBe(true);
  });

  it('gives a retryable NotifierError when the network fails', async () => {
    const { sns, notifier } = setup();
    sns.on(PublishCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    expect((await publishError(notifier)).retryable).toBe(true);
  });

  it.each([
    [
      'AuthorizationErrorException',
      () => new AuthorizationErrorException({ message: 'not allowed', ...meta }),
    ],
    ['NotFoundException', () => new NotFoundException({ message: 'no such topic', ...meta })],
    ['InvalidParameterException', () => new InvalidParameterException({ message: 'bad subject', ...meta })],
  ])('gives a NotifierError that a retry cannot cure for %s', async (name, makeError) => {
    const { sns, notifier } = setup();
    sns.on(PublishCommand).rejects(makeError());

    const error = await publishError(notifier);

    expect(error.retryable).toBe(false);
    expect(error.message).toContain(name);
  });

  it('refuses a group with no topic, for good, without calling SNS', async () => {
    const { sns, notifier } = setup();

    const error = await publishError(notifier, { ...notice, group: 'test' });

    expect(error.retryable).toBe(false);
    expect(error.message).toContain('test');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
