import { readFileSync } from 'node:fs';
import type { Notification } from '../../lambda/domain/messages';

/** Every whole line of the outbox at `path`, parsed; none when there is no file yet. */
export function readOutbox(path: string): Notification[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Notification);
}
