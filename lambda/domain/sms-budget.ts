import { createHash } from 'node:crypto';
import type { FieldProblem } from './errors';
import { type Notification, smsText } from './messages';

const DAY_MS = 86_400_000;

/** The UTC day a notice sent at `now` counts against: `2026-12-01`. */
export function smsDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/**
 * When a day's counter may go (epoch seconds, as DynamoDB's TTL reads them): a day after the day
 * ended, so that the day just over is still there to read around midnight.
 */
export function smsCounterExpiresAt(now: number): number {
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  return (dayStart + 2 * DAY_MS) / 1000;
}

/** A budget on a group without the `sms` channel would count nothing. */
export function smsBudgetProblems(groups: unknown): FieldProblem[] {
  if (typeof groups !== 'object' || groups === null || Array.isArray(groups)) return [];
  const problems: FieldProblem[] = [];
  for (const [name, g] of Object.entries(groups as Record<string, unknown>)) {
    if (typeof g !== 'object' || g === null || !('smsBudget' in g) || g.smsBudget === undefined) continue;
    const channels = (g as { channels?: unknown }).channels;
    if (Array.isArray(channels) && !channels.includes('sms')) {
      const field = `groups.${name}.smsBudget`;
      problems.push({
        field,
        message: `${field}: the group has no sms channel, so there is nothing to count`,
      });
    }
  }
  return problems;
}

/** The notice as it goes once the budget is spent: every channel but `sms`, and why. */
export function withoutSms(notice: Notification): Notification {
  return { ...notice, channels: notice.channels.filter((c) => c !== 'sms'), smsSkipped: 'budget' };
}

/** The one SMS of a group and day that says its budget is reached: the first notice past it goes without SMS. */
export function smsBudgetNotice(group: string, perDay: number, day: string, time: string): Notification {
  const text = `SMS budget of ${perDay}/day reached for ${group}; more in email and the console`;
  return {
    noticeId: `sms_budget.${createHash('sha256').update(`${group}\n${day}`).digest('hex').slice(0, 24)}`,
    time,
    group,
    channels: ['sms'],
    kind: 'sms_budget',
    severity: 'warning',
    subject: text,
    messages: { default: text, sms: smsText(text), email: text },
    agentIds: [],
    alertIds: [],
    alerts: [],
  };
}
