import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Channel } from '../domain/config';
import type { Notification } from '../domain/messages';
import { type Notifier, NotifierError } from '../ports';

/** SNS errors that a later attempt cannot cure: a wrong topic, no permission, a bad parameter. */
const PERMANENT = new Set([
  'AuthorizationErrorException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'NotFoundException',
  'InvalidSecurityException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
]);

/** Whether any of `channels` is one SNS delivers (SMS, email): a group's topic exists only then. */
export const snsChannels = (channels: readonly Channel[]) =>
  channels.some((c) => c === 'sms' || c === 'email');

/**
 * Publishes each notice to its group's topic with `MessageStructure: "json"`: a one-segment text for
 * SMS subscribers, the full text for email, and attributes (group, kind, severity) for filter policies.
 * `channels` lists the channels the notice goes to: each subscription of a group's topic takes only
 * notices that list its own channel (the stack gives it that filter policy), so a notice that lost
 * its `sms` channel to the SMS budget reaches the email subscribers and no phone.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    /** Topic ARN per paging group. */
    private readonly topics: Readonly<Record<string, string>>,
  ) {}

  async publish(notification: Notification): Promise<void> {
    // No channel of SNS's left (an SMS-only group past its budget, a notice for the webhooks alone).
    if (!snsChannels(notification.channels)) return;
    const topicArn = this.topics[notification.group];
    if (!topicArn) throw new NotifierError(`no SNS topic for group ${notification.group}`, false);
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: topicArn,
          MessageStructure: 'json',
          Subject: notification.subject,
          Message: JSON.stringify(notification.messages),
          MessageAttributes: {
            group: { DataType: 'String', StringValue: notification.group },
            kind: { DataType: 'String', StringValue: notification.kind },
            severity: { DataType: 'String', StringValue: notification.severity },
            channels: { DataType: 'String.Array', StringValue: JSON.stringify(notification.channels) },
            ...(notification.smsSkipped
              ? { smsSkipped: { DataType: 'String', StringValue: notification.smsSkipped } }
              : {}),
            // Pages are time-critical: SNS delivers Transactional SMS with the higher priority.
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          },
        }),
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      // Only errors known to be permanent give up: an expired credential or a skewed clock heals.
      const permanent = PERMANENT.has(name);
      throw new NotifierError(
        `SNS publish to ${notification.group} failed: ${name || String(error)}`,
        !permanent,
        {
          cause: error,
        },
      );
    }
  }
}
