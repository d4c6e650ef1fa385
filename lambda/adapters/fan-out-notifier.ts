import type { Notification } from '../domain/messages';
import { asNotifierError, type Notifier, NotifierError } from '../ports';

/**
 * Hands each notice to every notifier (SNS or the outbox for phones and email, the webhooks), each
 * taking the channels it serves. All are tried even when one fails, so a webhook that is down does not
 * keep the email from going; the publish then throws, retryable when any failure is, and the retry
 * goes to all again: each notifier here refuses what it already sent (the outbox and the local
 * webhook sender by the notice id; SNS does not, so in the cloud an email may repeat when the event
 * bus refused the same notice).
 */
export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: readonly Notifier[]) {}

  async publish(notification: Notification): Promise<void> {
    const failures: NotifierError[] = [];
    for (const notifier of this.notifiers) {
      try {
        await notifier.publish(notification);
      } catch (error) {
        failures.push(asNotifierError(error));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new NotifierError(
        failures.map((f) => f.message).join('; '),
        failures.some((f) => f.retryable),
        {
          cause: failures[0],
        },
      );
  }
}
