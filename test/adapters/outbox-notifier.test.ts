import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxNotifier, outboxLine, outboxSummary } from '../../lambda/adapters/outbox-notifier';
import type { AlertRecord } from '../../lambda/domain/alert';
import { type Notification, openingNotice } from '../../lambda/domain/messages';
import { withoutSms } from '../../lambda/domain/sms-budget';
import { NotifierError } from '../../lambda/ports';
import { OPENING_NOTICE } from '../support/notices';

const opening = OPENING_NOTICE;

const recovery: Notification = {
  ...opening,
  noticeId: 'recovery.9a8b7c6d5e4f30211f2e3d4c',
  time: '2026-11-23T12:09:00.000Z',
  kind: 'recovery',
  severity: 'warning',
  subject: 'RECOVERED 2 agents of production: heartbeat failure',
  messages: {
    default: 'RECOVERED',
    sms: 'RECOVERED 2 agents of production',
    email: 'RECOVERED\n\nAlert ids: a, b',
  },
  agentIds: ['web-01', 'web-02'],
};

function alert(agentId: string): AlertRecord {
  return {
    alertId: `heartbeat_failure.1795435200000.${agentId}`,
    agentId,
    group: 'production',
    kind: 'heartbeat_failure',
    severity: 'critical',
    status: 'open',
    openedAt: 1795435290000,
    incidentStart: 1795435200000,
    detail: 'No heartbeat for 3 scans.',
    channels: ['sms', 'email', 'console'],
    openNotice: 'pending',
    recoveryNotice: 'none',
  };
}

/** The fields of an outbox line, in that order (the README's local mode section). */
const OUTBOX_FIELDS = [
  'noticeId',
  'time',
  'group',
  'channels',
  'kind',
  'severity',
  'subject',
  'messages',
  'agentIds',
  'alertIds',
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hbw-outbox-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('OutboxNotifier.publish', () => {
  it('appends one JSON line per notice, each parsing back to the notice without its alert views', async () => {
    const path = join(dir, 'outbox.jsonl');
    const notifier = new OutboxNotifier(path, () => {});

    await notifier.publish(opening);
    await notifier.publish(recovery);

    const written = await lines(path);
    expect(written).toHaveLength(2);
    expect(written.map((line) => JSON.parse(line))).toEqual([outboxLine(opening), outboxLine(recovery)]);
    expect(written[0]).not.toContain('"alerts"');
  });

  it('writes a notice that lost its SMS to the budget without sms, saying smsSkipped budget', async () => {
    const path = join(dir, 'outbox.jsonl');

    await new OutboxNotifier(path, () => {}).publish(withoutSms(opening));

    const [line] = await lines(path);
    expect(JSON.parse(line ?? '{}')).toMatchObject({ channels: ['email'], smsSkipped: 'budget' });
  });

  it('writes a composed notice with exactly the outbox fields', async () => {
    const path = join(dir, 'outbox.jsonl');
    const notice = openingNotice([alert('web-01'), alert('web-02')], '2026-11-23T12:03:00.000Z');

    await new OutboxNotifier(path, () => {}).publish(notice);

    const [line] = await lines(path);
    const parsed = JSON.parse(line ?? '{}');
    expect(Object.keys(parsed)).toEqual(OUTBOX_FIELDS);
    expect(parsed).toMatchObject({
      time: '2026-11-23T12:03:00.000Z',
      group: 'production',
      channels: ['sms', 'email'],
      kind: 'heartbeat_failure',
      severity: 'critical',
      agentIds: ['web-01', 'web-02'],
    });
    expect(typeof parsed.subject).toBe('string');
    expect(Object.keys(parsed.messages)).toEqual(['default', 'sms', 'email']);
  });

  it('keeps what the file already held', async () => {
    const path = join(dir, 'outbox.jsonl');
    const earlier = `${JSON.stringify({ ...opening, time: '2026-11-22T08:00:00.000Z' })}\n`;
    await writeFile(path, earlier, 'utf8');

    await new OutboxNotifier(path, () => {}).publish(recovery);

    const written = await lines(path);
    expect(written).toHaveLength(2);
    expect(`${written[0]}\n`).toBe(earlier);
    expect(JSON.parse(written[1] ?? '{}')).toEqual(outboxLine(recovery));
  });

  it('does not append a notice whose id is already in the file, after a restart too', async () => {
    const path = join(dir, 'outbox.jsonl');
    await new OutboxNotifier(path, () => {}).publish(opening);
    const announced: Notification[] = [];

    const restarted = new OutboxNotifier(path, (n) => announced.push(n));
    await restarted.publish(opening);
    await restarted.publish({ ...opening, time: '2026-11-23T12:04:00.000Z' });

    expect(await lines(path)).toHaveLength(1);
    expect(announced).toEqual([]);
  });

  it('appends one line for the same notice published twice at once', async () => {
    const path = join(dir, 'outbox.jsonl');
    const notifier = new OutboxNotifier(path, () => {});

    await Promise.all([notifier.publish(opening), notifier.publish(opening), notifier.publish(recovery)]);

    expect((await lines(path)).map((l) => JSON.parse(l).noticeId)).toEqual([
      opening.noticeId,
      recovery.noticeId,
    ]);
  });

  it('starts the next notice on a line of its own after a torn last line, and writes the torn notice again', async () => {
    const path = join(dir, 'outbox.jsonl');
    const whole = JSON.stringify(outboxLine(recovery));
    const torn = JSON.stringify(opening).slice(0, 60);
    await writeFile(path, `${whole}\n${torn}`, 'utf8');
    const notifier = new OutboxNotifier(path, () => {});

    await notifier.publish({ ...recovery, noticeId: 'recovery.other' });
    await notifier.publish(opening);
    await notifier.publish(recovery);

    const written = await lines(path);
    expect(written).toEqual([
      whole,
      torn,
      JSON.stringify(outboxLine({ ...recovery, noticeId: 'recovery.other' })),
      JSON.stringify(outboxLine(opening)),
    ]);
  });

  it('creates the outbox readable by its owner only', async () => {
    const path = join(dir, 'outbox.jsonl');

    await new OutboxNotifier(path, () => {}).publish(opening);

    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('hands each notice on once it is written, and sums it up in one line naming the group, the channels and the subject', async () => {
    const appended: Notification[] = [];
    const notifier = new OutboxNotifier(join(dir, 'outbox.jsonl'), (n) => appended.push(n));

    await notifier.publish(opening);

    expect(appended).toEqual([opening]);
    const summary = outboxSummary(opening);
    expect(summary).not.toContain('\n');
    expect(summary).toContain('production');
    expect(summary).toContain('sms+email');
    expect(summary).toContain(opening.subject);
  });

  it('gives a retryable NotifierError, and prints nothing, when the file cannot be written', async () => {
    const printed: Notification[] = [];
    const path = join(dir, 'no-such-dir', 'outbox.jsonl');
    const notifier = new OutboxNotifier(path, (n) => printed.push(n));

    const error = await notifier.publish(opening).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(NotifierError);
    expect((error as NotifierError).retryable).toBe(true);
    expect((error as NotifierError).message).toContain(path);
    expect(printed).toEqual([]);
  });

  it('gives a retryable NotifierError when the path is a directory', async () => {
    const error = await new OutboxNotifier(dir, () => {}).publish(opening).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(NotifierError);
    expect((error as NotifierError).retryable).toBe(true);
  });
});
