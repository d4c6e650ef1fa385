import { appendFile } from 'node:fs/promises';
import type { Notification } from '../domain/messages';
import { type Notifier, NotifierError } from '../ports';

/** The one-line summary of a notice that local mode prints: its group, channels and subject. */
export function outboxSummary(notification: Notification): string {
  return `[outbox] ${notification.group} ${notification.channels.join('+')}: ${notification.subject}`;
}

/**
 * Local mode's stand-in for SNS: each notice is appended, one JSON object a line, to the outbox file
 * (DESIGN.md section 7), then handed to `appended` (which prints its summary by default).
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly path: string,
    private readonly appended: (notification: Notification) => void = (n) => console.log(outboxSummary(n)),
  ) {}

  async publish(notification: Notification): Promise<void> {
    try {
      await appendFile(this.path, `${JSON.stringify(notification)}\n`, 'utf8');
    } catch (error) {
      throw new NotifierError(`cannot append to ${this.path}: ${(error as Error).message}`, true, {
        cause: error,
      });
    }
    this.appended(notification);
  }
}
