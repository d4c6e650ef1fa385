import type { AlertRecord } from './alert';
import { parseDuration } from './duration';
import type { FieldProblem } from './errors';

/** One step of a group's escalation: `after` its page went out unacknowledged, `group` hears of it. */
export interface EscalationStep {
  readonly group: string;
  /** As the config writes it (`15m`): the notice says it. */
  readonly after: string;
  readonly afterMs: number;
}

/**
 * Where one step of an alert stands, as the notices do: `sending` is claimed by one scanner until
 * `leaseUntil`, `pending` failed and waits for the next delivery, `failed` can never go out.
 */
export const ESCALATION_STATES = ['sending', 'sent', 'pending', 'failed'] as const;
export type EscalationState = (typeof ESCALATION_STATES)[number];

/** One step of an alert as stored: one entry per target group. */
export interface EscalationRecord {
  readonly group: string;
  readonly after: string;
  readonly state: EscalationState;
  readonly leaseUntil?: number;
  readonly sentAt?: number;
  readonly error?: string;
}

/** The steps of a parsed group (already validated), in order. */
export function escalationSteps(
  raw: readonly { after: string; group: string }[] | undefined,
): EscalationStep[] {
  return (raw ?? []).map((s) => ({ group: s.group, after: s.after, afterMs: parseDuration(s.after) ?? 0 }));
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const pages = (group: unknown) =>
  isObject(group) &&
  Array.isArray(group.channels) &&
  group.channels.some((c) => c === 'sms' || c === 'email');

/**
 * What the schema cannot see of the escalation steps: each goes to another group of the config that
 * pages, each group once, and each `after` is longer than the one before. A group that never pages
 * never escalates either, so steps there are refused too.
 */
export function escalationProblems(groups: unknown): FieldProblem[] {
  if (!isObject(groups)) return [];
  const known = Object.keys(groups);
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ field, message: `${field}: ${message}` });
  for (const [name, g] of Object.entries(groups)) {
    if (!isObject(g) || !Array.isArray(g.escalation) || g.escalation.length === 0) continue;
    if (!pages(g)) {
      problem(
        `groups.${name}.escalation`,
        'the group pages on no channel (console only), so its alerts are never paged and never escalate',
      );
      continue;
    }
    let previous: { after: string; ms: number } | undefined;
    const seen = new Set<string>();
    g.escalation.forEach((step: unknown, i) => {
      if (!isObject(step)) return;
      const field = `groups.${name}.escalation[${i}]`;
      const target = step.group;
      if (typeof target === 'string') {
        if (target === name) problem(`${field}.group`, 'is the group itself: escalate to another group');
        else if (!Object.hasOwn(groups, target))
          problem(`${field}.group`, `unknown group "${target}" (configured: ${known.join(', ')})`);
        else if (!pages(groups[target]))
          problem(
            `${field}.group`,
            `group "${target}" pages on no channel (console only), so nobody would hear`,
          );
        else if (seen.has(target))
          problem(`${field}.group`, `names "${target}" a second time: one step per group`);
        seen.add(target);
      }
      const ms = typeof step.after === 'string' ? parseDuration(step.after) : undefined;
      if (ms === undefined || ms === 0) return;
      if (previous !== undefined && ms <= previous.ms)
        problem(`${field}.after`, `must be longer than the step before it ("${previous.after}")`);
      previous = { after: step.after as string, ms };
    });
  }
  return problems;
}

/**
 * The instant an alert's escalation counts from: when its opening page went out. `notifiedAt` moves
 * with every reminder, so the first page is kept apart (`pagedAt`); alerts paged before it was kept
 * count from their last notice.
 */
export function pagedAt(alert: Pick<AlertRecord, 'pagedAt' | 'notifiedAt'>): number | undefined {
  return alert.pagedAt ?? alert.notifiedAt;
}

/** A step that may be claimed now: never tried, back to pending after a failure, or a claim that ran out. */
function claimable(record: EscalationRecord | undefined, now: number): boolean {
  return (
    record === undefined ||
    record.state === 'pending' ||
    (record.state === 'sending' && (record.leaseUntil ?? 0) < now)
  );
}

/**
 * The steps of `steps` owed for `alert` at `now`: its page went out, it is still open and nobody
 * acknowledged it, and `after` has passed since the page. Each step goes once, so a step sent (or
 * failed for good) is never owed again; an acknowledgement or a resolution ends every step left.
 */
export function dueEscalations(
  alert: AlertRecord,
  steps: readonly EscalationStep[],
  now: number,
): EscalationStep[] {
  const since = pagedAt(alert);
  if (alert.status !== 'open' || alert.openNotice !== 'sent' || alert.acknowledgedAt !== undefined) return [];
  if (since === undefined) return [];
  return steps.filter(
    (step) =>
      now - since >= step.afterMs &&
      claimable(
        alert.escalations?.find((e) => e.group === step.group),
        now,
      ),
  );
}

/** The alert's steps with `steps` claimed until `leaseUntil`; the others as they were. */
export function claimSteps(
  alert: AlertRecord,
  steps: readonly EscalationStep[],
  leaseUntil: number,
): EscalationRecord[] {
  const others = (alert.escalations ?? []).filter((e) => !steps.some((s) => s.group === e.group));
  return [
    ...others,
    ...steps.map((s): EscalationRecord => ({ group: s.group, after: s.after, state: 'sending', leaseUntil })),
  ];
}

/** How one claimed step ended: sent at `sentAt`, or an error a retry may cure or not. */
export type StepOutcome = { sentAt: number } | { error: string; retryable: boolean };

/** The alert's steps after the claimed ones in `outcomes` (by target group) ended. */
export function finishSteps(
  records: readonly EscalationRecord[],
  outcomes: ReadonlyMap<string, StepOutcome>,
): EscalationRecord[] {
  return records.map((e): EscalationRecord => {
    const outcome = outcomes.get(e.group);
    if (!outcome || e.state !== 'sending') return e;
    if ('sentAt' in outcome) return { group: e.group, after: e.after, state: 'sent', sentAt: outcome.sentAt };
    return {
      group: e.group,
      after: e.after,
      state: outcome.retryable ? 'pending' : 'failed',
      error: outcome.error.slice(0, 300),
    };
  });
}
