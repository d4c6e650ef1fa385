import type { Channel } from '../domain/config';
import type { Notification } from '../domain/messages';
import { type Notifier, NotifierError } from '../ports';

export type NoticeOutcome = 'sent' | 'failed';

/** Told of each notice that went out or failed, with the channels it was for. */
export type NoticeCounter = (channels: readonly Channel[], outcome: NoticeOutcome) => void;

/**
 * `notifier`, with each notice it sends or fails told to `count`: local mode's `GET /metrics` and
 * the cloud scanner's metric lines both count notices by channel through it.
 */
export function countedNotifier(notifier: Notifier, count: NoticeCounter): Notifier {
  return {
    async publish(notification: Notification) {
      try {
        await notifier.publish(notification);
      } catch (error) {
        // A notice that reached some of its channels counts as sent on those.
        const unsent = error instanceof NotifierError ? error.unsent : undefined;
        const reached = unsent ? notification.channels.filter((c) => !unsent.includes(c)) : [];
        count(unsent ?? notification.channels, 'failed');
        if (reached.length > 0) count(reached, 'sent');
        throw error;
      }
      count(notification.channels, 'sent');
    },
  };
}
