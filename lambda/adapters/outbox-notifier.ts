import { appendFile, open } from 'node:fs/promises';
import type { Notification } from '../domain/messages';
import { type Notifier, NotifierError } from '../ports';

/** Notice ids remembered against a repeat: far more than a scan's retries can reach back to. */
const REMEMBERED_IDS = 10_000;
/** How much of an existing outbox is read at start for the ids it already holds. */
const TAIL_BYTES = 4 * 1024 * 1024;

/** The one-line summary of a notice that local mode prints: its group, channels and subject. */
export function outboxSummary(notification: Notification): string {
  return `[outbox] ${notification.group} ${notification.channels.join('+')}: ${notification.subject}`;
}

/** What an outbox line holds: the notice as SNS would take it, without the alert views webhooks render. */
export function outboxLine(notification: Notification): Omit<Notification, 'alerts'> {
  const { alerts: _, ...line } = notification;
  return line;
}

/**
 * Local mode's stand-in for SNS: each notice is appended, one JSON object a line, to the outbox file,
 * then handed to `appended` (local mode logs it with its {@link outboxSummary}).
 *
 * Idempotent: a notice whose id is already in the file is not appended again, so a watcher killed
 * between writing a page and recording it as sent does not page twice when it retries. The ids of
 * the last {@link REMEMBERED_IDS} notices are kept, read back from the end of the file at the first
 * publish. A last line left torn by a crash is never glued to the next notice: that one starts on a
 * line of its own, and the torn notice, which no reader can parse, is written again whole.
 */
export class OutboxNotifier implements Notifier {
  /** Ids of notices in the file, oldest first; loaded at the first publish. */
  private written: Set<string> | undefined;
  /** Whether the file ends with a newline (or is empty); unknown after a failed append. */
  private endsClean: boolean | undefined;
  /** One publish at a time, so that a check and its append are never interleaved with another's. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly appended: (notification: Notification) => void,
  ) {}

  publish(notification: Notification): Promise<void> {
    const run = this.queue.then(() => this.append(notification));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(notification: Notification): Promise<void> {
    try {
      if (this.written === undefined || this.endsClean === undefined) await this.readTail();
      const written = this.written!;
      // Written before (a retry after a crash): it is not written, nor announced, again.
      if (written.has(notification.noticeId)) return;
      const line = `${JSON.stringify(outboxLine(notification))}\n`;
      const text = this.endsClean ? line : `\n${line}`;
      // Until the append is known to be whole, the file's end is not known either.
      this.endsClean = undefined;
      // Readable by this user alone: notices carry phone numbers and addresses.
      await appendFile(this.path, text, { encoding: 'utf8', mode: 0o600 });
      this.endsClean = true;
      written.add(notification.noticeId);
      if (written.size > REMEMBERED_IDS) written.delete(written.values().next().value!);
    } catch (error) {
      throw new NotifierError(`cannot append to ${this.path}: ${(error as Error).message}`, true, {
        cause: error,
      });
    }
    this.appended(notification);
  }

  /** Reads the end of the file: the ids of the whole lines in it, and whether its last line is whole. */
  private async readTail(): Promise<void> {
    let text = '';
    let partialFirst = false;
    try {
      const file = await open(this.path, 'r');
      try {
        const { size } = await file.stat();
        const start = Math.max(0, size - TAIL_BYTES);
        const buffer = Buffer.alloc(size - start);
        await file.read(buffer, 0, buffer.length, start);
        text = buffer.toString('utf8');
        partialFirst = start > 0;
      } finally {
        await file.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.endsClean = text === '' || text.endsWith('\n');
    const lines = text.split('\n');
    if (partialFirst) lines.shift();
    const ids = new Set<string>();
    for (const line of lines) {
      const id = noticeIdOf(line);
      if (id !== undefined) ids.add(id);
    }
    this.written = new Set([...ids].slice(-REMEMBERED_IDS));
  }
}

/** The notice id of one outbox line, or `undefined` for a line that is not a whole notice. */
function noticeIdOf(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(line) as { noticeId?: unknown };
    return typeof parsed.noticeId === 'string' ? parsed.noticeId : undefined;
  } catch {
    return undefined;
  }
}
