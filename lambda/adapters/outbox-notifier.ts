import { appendFile } from 'node:fs/promises';
import type { Notification } from '../domain/messages';
import { type Notifier, NotifierError } from '../ports';

/**
 * Local mode's stand-in for SNS: each notice is appended, one JSON object a line, to the outbox file
 * (DESIGN.md section 7), and a one-line summary goes to `print`.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly path: string,
    private readonly print: (line: string) => void = (line) => console.log(line),
  ) {}

  async publish(notification: Notification): Promise<void> {
    try {
      // Readable by this user alone: notices carry phone numbers and addresses.
      await appendFile(this.path, `${JSON.stringify(notification)}\n`, { encoding: 'utf8', mode: 0o600 });
    } catch (error) {
      throw new NotifierError(`cannot append to ${this.path}: ${(error as Error).message}`, true, {
        cause: error,
      });
    }
    this.print(`[outbox] ${notification.group} ${notification.channels.join('+')}: ${notification.subject}`);
  }
}
