import type { Channel } from '../domain/config';
import type { Notification } from '../domain/messages';
import { asNotifierError, type Notifier, NotifierError } from '../ports';

/** A notifier and the channels it delivers: SNS or the outbox for phones and email, the webhooks. */
export interface NoticeRoute {
  readonly channels: readonly Channel[];
  readonly notifier: Notifier;
}

/**
 * Hands each notice to every notifier whose channels it is for. All are tried even when one fails,
 * so a webhook that is down does not keep the SMS from going. When some went and some did not, the
 * publish throws a {@link NotifierError} whose `unsent` names the channels of those that did not:
 * delivery records the notice as sent and owes the rest to those channels alone, so a retry never
 * pages the phones twice. When none went, it throws as a notifier alone would.
 */
export class FanOutNotifier implements Notifier {
  constructor(private readonly routes: readonly NoticeRoute[]) {}

  async publish(notification: Notification): Promise<void> {
    const failures: NotifierError[] = [];
    const served = new Set<Channel>();
    const unsent = new Set<Channel>();
    for (const route of this.routes) {
      const mine = notification.channels.filter((c) => route.channels.includes(c));
      if (mine.length === 0) continue;
      for (const c of mine) served.add(c);
      try {
        await route.notifier.publish(notification);
      } catch (error) {
        const failure = asNotifierError(error);
        failures.push(failure);
        for (const c of failure.unsent ?? mine) unsent.add(c);
      }
    }
    if (failures.length === 0) return;
    const some = [...served].some((c) => !unsent.has(c));
    if (failures.length === 1 && !some) throw failures[0];
    throw new NotifierError(
      failures.map((f) => f.message).join('; '),
      failures.some((f) => f.retryable),
      { cause: failures[0], unsent: some ? [...unsent] : undefined },
    );
  }
}
