import type { Channel } from '../domain/config';
import type { Notification } from '../domain/messages';
import type { Notifier } from '../ports';

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
        count(notification.channels, 'failed');
        throw error;
      }
      count(notification.channels, 'sent');
    },
  };
}
