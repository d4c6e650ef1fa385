import { groupBy } from './collections';
import type { AlertRecord, NoticeState } from './domain/alert';
import { type Channel, settingsFor, type WatcherConfig } from './domain/config';
import { dueEscalations, type EscalationStep, type StepOutcome } from './domain/escalation';
import { scanTickSeconds } from './domain/heartbeat-settings';
import {
  acknowledgementNotice,
  escalationNotice,
  type NoticeContext,
  type Notification,
  onlyTo,
  openingNotice,
  recoveryNotice,
  reminderNotice,
} from './domain/messages';
import { type Muter, mute } from './domain/mute';
import { smsBudgetNotice, smsCounterExpiresAt, smsDay, withoutSms } from './domain/sms-budget';
import type { Logger } from './logger';
import {
  type AlertStore,
  asNotifierError,
  type NoticeOutcome,
  type NoticePhase,
  type Notifier,
  type NotifierError,
  type SmsBudgetStore,
} from './ports';

export interface DeliveryDeps {
  readonly alerts: AlertStore;
  /** The SMS counters (the state table). */
  readonly state: SmsBudgetStore;
  readonly notifier: Notifier;
  readonly config: WatcherConfig;
  readonly log: Logger;
}

/** What one delivery is told by the scan it follows. */
export interface DeliveryInput {
  readonly now: number;
  /** The muters, in the order they are asked: the first that holds an alert names the reason. */
  readonly muters: readonly Muter[];
  /** What the notices may say beyond the alerts (the agents silent behind a paged one). */
  readonly context: NoticeContext;
}

/**
 * Notices of one group, a retry apart from new ones: alerts whose claim ran out were sent (or tried)
 * together under one lease, so they are tried again together, and the notice has the same id as the
 * first attempt. A destination that keeps ids (the outbox) then refuses the repeat of a notice that
 * went out before a crash.
 */
const byAttempt = (
  alerts: readonly AlertRecord[],
  phase: NoticePhase,
  channels: (alert: AlertRecord) => readonly Channel[] = (a) => a.channels,
) =>
  groupBy(alerts, (a) => {
    const { state, lease } = NOTICE_OF[phase](a);
    return `${a.group}\n${state === 'sending' ? lease : 'new'}\n${channels(a).join()}`;
  }).values();

/** Where each notice of an alert stands, and its claim's lease. */
const NOTICE_OF: Record<NoticePhase, (a: AlertRecord) => { state?: NoticeState; lease?: number }> = {
  opening: (a) => ({ state: a.openNotice, lease: a.noticeLeaseUntil }),
  recovery: (a) => ({ state: a.recoveryNotice, lease: a.noticeLeaseUntil }),
  acknowledgement: (a) => ({ state: a.ackNotice, lease: a.ackLeaseUntil }),
  openingRest: (a) => ({ state: a.openRest, lease: a.restLeaseUntil }),
  recoveryRest: (a) => ({ state: a.recoveryRest, lease: a.restLeaseUntil }),
};

/** The channels an alert's opening reached: all of them, but those its rest still owes (or never will reach). */
const reachedByOpening = (a: AlertRecord): readonly Channel[] =>
  a.openRest === undefined || a.openRest === 'sent'
    ? a.channels
    : a.channels.filter((c) => !a.openRestChannels?.includes(c));

/**
 * How a notice ended, as its alerts record it: one that reached some of its channels went out, and
 * owes the others (when a retry may reach them) a rest of its own, so the phones are not paged twice.
 */
function outcomeOf(error: NotifierError | undefined, now: number): NoticeOutcome {
  if (!error) return { sentAt: now };
  if (error.unsent)
    return { sentAt: now, error: error.message, rest: error.retryable ? error.unsent : undefined };
  return { error: error.message, retryable: error.retryable };
}

/** A notice that travels alone rather than in its group's summary: it speaks for many agents. */
const travelsAlone = (alert: AlertRecord) => alert.kind === 'network_event' || alert.kind === 'cluster_down';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The stages after a scan's findings, as Alertmanager orders them: mute (each held page says why),
 * group (one notice per group and attempt), send (claimed with a conditional write, exactly once).
 * Then the acknowledgements of pages that went out (to webhooks alone), the recoveries of pages that
 * went out, the reminders of pages nobody acknowledged, and the escalation of those to the next groups. Every notice passes the SMS budget on its way out.
 */
export class Delivery {
  constructor(private readonly deps: DeliveryDeps) {}

  async run(input: DeliveryInput): Promise<{ sent: number; failed: number }> {
    const { now } = input;
    const [open, recovering] = await Promise.all([
      this.deps.alerts.listQueue('open'),
      this.deps.alerts.listQueue('recovery'),
    ]);
    const openings = await this.muteStage([...open, ...recovering], input);
    let sent = 0;
    let failed = 0;
    const count = (ok: boolean) => {
      if (ok) sent += 1;
      else failed += 1;
    };
    const compose = (list: readonly AlertRecord[]) => openingNotice(list, iso(now), input.context);
    for (const alert of openings.filter(travelsAlone)) {
      count(await this.sendClaimed([alert], 'opening', now, compose));
    }
    for (const alerts of byAttempt(
      openings.filter((a) => !travelsAlone(a)),
      'opening',
    )) {
      count(await this.sendClaimed(alerts, 'opening', now, compose));
    }

    for (const alert of [...open, ...recovering].filter((a) => owesAcknowledgement(a, now))) {
      count(await this.sendClaimed([alert], 'acknowledgement', now, ([a]) => this.acknowledgements(a!, now)));
    }

    // The rests: what openings of open alerts, and recoveries, still owe the channels they missed.
    const openRests = open.filter((a) => a.status === 'open' && due(a.openRest, a.restLeaseUntil, now));
    for (const alerts of byAttempt(openRests, 'openingRest', (a) => a.openRestChannels ?? [])) {
      count(
        await this.sendClaimed(alerts, 'openingRest', now, (list) =>
          onlyTo(openingNotice(list, iso(now), input.context), alerts[0]!.openRestChannels ?? []),
        ),
      );
    }
    const recoveryRests = recovering.filter((a) => due(a.recoveryRest, a.restLeaseUntil, now));
    for (const alerts of byAttempt(recoveryRests, 'recoveryRest', (a) => a.recoveryRestChannels ?? [])) {
      count(
        await this.sendClaimed(alerts, 'recoveryRest', now, (list) =>
          onlyTo(recoveryNotice(list, iso(now)), alerts[0]!.recoveryRestChannels ?? []),
        ),
      );
    }

    const recoveries = await this.recoveriesOwed(recovering, openings, input);
    // A recovery goes where the opening went: a channel that never heard of the outage hears nothing.
    for (const alerts of byAttempt(recoveries, 'recovery', reachedByOpening)) {
      count(
        await this.sendClaimed(alerts, 'recovery', now, (list) =>
          onlyTo(recoveryNotice(list, iso(now)), reachedByOpening(alerts[0]!)),
        ),
      );
    }

    for (const ok of await this.remind(open, input)) count(ok);
    for (const ok of await this.escalate(open, input)) count(ok);
    return { sent, failed };
  }

  /**
   * The recoveries owed now. Recoveries follow openings that went out (possibly just now), unless a
   * muter holds them: for good once the alert whose recovery stands for them paged (possibly just
   * now); until then they wait, so that a recovery is never lost to one that will not go out.
   */
  private async recoveriesOwed(
    recovering: readonly AlertRecord[],
    openings: readonly AlertRecord[],
    input: DeliveryInput,
  ): Promise<AlertRecord[]> {
    const { now } = input;
    const recoveries: AlertRecord[] = [];
    const recoveryMuters = input.muters.filter((m) => m.recoveredBy);
    for (const alert of recovering) {
      if (!due(alert.recoveryNotice, alert.noticeLeaseUntil, now)) continue;
      const current = openings.some((o) => o.alertId === alert.alertId)
        ? await this.deps.alerts.get(alert.alertId)
        : alert;
      if (current?.openNotice !== 'sent') continue;
      const muter = recoveryMuters.find((m) => m.holds(current) !== undefined);
      const by = muter?.holds(current);
      if (!muter || by === undefined) {
        recoveries.push(current);
        continue;
      }
      const speakerId = muter.recoveredBy?.(current);
      const speaker = speakerId === undefined ? undefined : await this.deps.alerts.get(speakerId);
      if (speaker?.openNotice === 'sent')
        await this.deps.alerts.suppressRecovery(current.alertId, current.recoveryNotice, {
          reason: muter.reason,
          by,
          since: now,
        });
    }
    return recoveries;
  }

  /**
   * Holds every open alert a muter holds (saying why), releases every held one no muter holds any
   * more, and answers the openings to send now. A resolved alert whose opening is still owed is sent
   * (its recovery follows); one that was held is never sent (the store marks it `suppressed`).
   */
  private async muteStage(alerts: readonly AlertRecord[], input: DeliveryInput): Promise<AlertRecord[]> {
    const { now } = input;
    const openings: AlertRecord[] = [];
    for (const alert of alerts) {
      const held = alert.openNotice === 'held';
      const isDue = due(alert.openNotice, alert.noticeLeaseUntil, now);
      if (alert.status !== 'open') {
        if (isDue) openings.push(alert);
        continue;
      }
      if (!held && !isDue) continue;
      const verdict = mute(alert, input.muters);
      if (verdict) {
        const same =
          held && alert.suppressed?.reason === verdict.reason && alert.suppressed.by === verdict.by;
        if (!same)
          await this.deps.alerts.holdOpening(alert.alertId, alert.openNotice, { ...verdict, since: now });
        continue;
      }
      if (held) {
        if (await this.deps.alerts.releaseOpening(alert.alertId)) {
          openings.push({ ...alert, openNotice: 'pending', suppressed: undefined });
        }
        continue;
      }
      openings.push(alert);
    }
    return openings;
  }

  /** Reminders of unacknowledged open pages, per group's renotifyMinutes; none while a muter holds it. */
  private async remind(open: readonly AlertRecord[], input: DeliveryInput): Promise<boolean[]> {
    const { now } = input;
    const reminders: { alert: AlertRecord; previous: number }[] = [];
    for (const alert of open) {
      const minutes = settingsFor(this.deps.config, alert.group).renotifyMinutes;
      const previous = alert.notifiedAt;
      if (
        minutes === 0 ||
        previous === undefined ||
        alert.openNotice !== 'sent' ||
        alert.acknowledgedAt !== undefined
      )
        continue;
      if (now - previous < minutes * 60_000 || mute(alert, input.muters)) continue;
      if (await this.deps.alerts.claimReminder(alert.alertId, previous, now))
        reminders.push({ alert, previous });
    }
    const outcomes: boolean[] = [];
    for (const list of groupBy(reminders, (r) => r.alert.group).values()) {
      const notice = reminderNotice(
        list.map((r) => r.alert),
        iso(now),
      );
      const error = await this.publish(notice, now);
      outcomes.push(error === undefined);
      // A reminder that reached some channels was a reminder: the next one goes renotifyMinutes on.
      if (error && !error.unsent)
        for (const r of list) await this.deps.alerts.claimReminder(r.alert.alertId, now, r.previous);
    }
    return outcomes;
  }

  /**
   * The escalation stage: each step of a page still open and unacknowledged `after` it went out goes
   * to the step's group, once (claimed on the alert with a conditional write). Like reminders, a step
   * waits while a muter holds the alert (a storm, a maintenance window, a parent or cluster down that
   * speaks for it): escalating what the watcher cannot judge, or what someone is working on, would
   * wake the next group for nothing. It goes once nothing holds the alert any more, if still owed.
   */
  private async escalate(open: readonly AlertRecord[], input: DeliveryInput): Promise<boolean[]> {
    const { now } = input;
    const leaseUntil = now + this.leaseMs();
    const claimed: { alert: AlertRecord; step: EscalationStep; attempt: string }[] = [];
    for (const alert of open) {
      const steps = dueEscalations(alert, settingsFor(this.deps.config, alert.group).escalation, now);
      if (steps.length === 0 || mute(alert, input.muters)) continue;
      const written = await this.deps.alerts.claimEscalations(alert, steps, leaseUntil);
      if (!written) continue;
      for (const step of steps) {
        // A claim that ran out is tried again with the alerts it was claimed with: the same notice id.
        const before = alert.escalations?.find((e) => e.group === step.group);
        const attempt = before?.state === 'sending' ? String(before.leaseUntil) : 'new';
        claimed.push({ alert: written, step, attempt });
      }
    }
    const outcomes = new Map<string, Map<string, StepOutcome>>();
    const notices: boolean[] = [];
    for (const list of groupBy(claimed, (c) => `${c.alert.group}\n${c.step.group}\n${c.attempt}`).values()) {
      const { step } = list[0]!;
      const notice = escalationNotice(
        list.map((c) => c.alert),
        step,
        settingsFor(this.deps.config, step.group).channels,
        iso(now),
      );
      const error = await this.publish(notice, now);
      notices.push(error === undefined);
      // A step that reached some of its group's channels reached its people: it is not sent again.
      const outcome: StepOutcome =
        error && !error.unsent ? { error: error.message, retryable: error.retryable } : { sentAt: now };
      for (const c of list) {
        const of = outcomes.get(c.alert.alertId) ?? new Map<string, StepOutcome>();
        outcomes.set(c.alert.alertId, of.set(step.group, outcome));
      }
    }
    const done = new Map(claimed.map((c) => [c.alert.alertId, c.alert]));
    for (const [alertId, of] of outcomes) await this.deps.alerts.finishEscalations(done.get(alertId)!, of);
    return notices;
  }

  /** Claims each alert's notice, sends one notice for the claimed ones, and records the outcome. */
  private async sendClaimed(
    alerts: readonly AlertRecord[],
    phase: NoticePhase,
    now: number,
    compose: (alerts: readonly AlertRecord[]) => Notification | readonly Notification[],
  ): Promise<boolean> {
    const claimed: AlertRecord[] = [];
    for (const alert of alerts) {
      if (await this.deps.alerts.claimNotice(alert.alertId, phase, now, this.leaseMs())) claimed.push(alert);
    }
    if (claimed.length === 0) return true;
    let error: NotifierError | undefined;
    for (const notice of [compose(claimed)].flat()) error = (await this.publish(notice, now)) ?? error;
    const outcome = outcomeOf(error, now);
    for (const alert of claimed) await this.deps.alerts.finishNotice(alert.alertId, phase, outcome);
    return error === undefined;
  }

  /**
   * The acknowledgement's notices: to the alert's own group when its page went to webhooks, and to
   * each group an escalation step reached whose channels hold webhooks (their PagerDuty was paged
   * too, and keeps paging until told). None when no webhook heard of it.
   */
  private acknowledgements(alert: AlertRecord, now: number): Notification[] {
    const groups = new Set<string>();
    if (reachedByOpening(alert).includes('webhook')) groups.add(alert.group);
    for (const step of alert.escalations ?? []) {
      if (step.state === 'sent' && settingsFor(this.deps.config, step.group).channels.includes('webhook'))
        groups.add(step.group);
    }
    return [...groups].map((group) => acknowledgementNotice(alert, iso(now), group));
  }

  /** How long a claim holds: two scan ticks, so a scanner that died is taken over by the next scans. */
  private leaseMs(): number {
    return Math.max(10_000, 2 * scanTickSeconds(this.deps.config) * 1000);
  }

  /**
   * The SMS budget stage, the last before the notifier: a notice of a group with a budget takes one
   * SMS of the group's UTC day (a conditional write on the day's counter); once they are spent it
   * goes without its `sms` channel, and the first notice past the budget is followed by the one SMS
   * of the day that says so, one beyond the budget. A notice that did not go out gives its SMS back.
   */
  private async publish(notice: Notification, now: number): Promise<NotifierError | undefined> {
    const budget = settingsFor(this.deps.config, notice.group).smsBudget;
    if (!budget || !notice.channels.includes('sms')) return this.send(notice);
    const { group } = notice;
    const day = smsDay(now);
    const expiresAt = smsCounterExpiresAt(now);
    if (await this.deps.state.spendSms(group, day, budget.perDay, expiresAt)) {
      const error = await this.send(notice);
      // An SMS that went is spent, whatever else of the notice failed.
      if (error && (!error.unsent || error.unsent.includes('sms')))
        await this.deps.state.refundSms(group, day);
      return error;
    }
    const error = await this.send(withoutSms(notice));
    if (error || !(await this.deps.state.claimSmsBudgetNotice(group, day, now, expiresAt))) return error;
    const told = await this.send(smsBudgetNotice(group, budget.perDay, day, iso(now)));
    if (told) await this.deps.state.releaseSmsBudgetNotice(group, day);
    return undefined;
  }

  private async send(notice: Notification): Promise<NotifierError | undefined> {
    try {
      await this.deps.notifier.publish(notice);
      return undefined;
    } catch (error) {
      const failure = asNotifierError(error);
      this.deps.log.warn(failure.unsent ? 'notice not sent to some channels' : 'notice not sent', {
        group: notice.group,
        kind: notice.kind,
        unsent: failure.unsent,
        retryable: failure.retryable,
        error: failure.message,
      });
      return failure;
    }
  }
}

/**
 * The acknowledgement stage's rule: an alert acknowledged here after (or before) its page went out
 * to webhooks tells them, once, so PagerDuty and Opsgenie stop paging. No muter holds it: a person
 * acted, and it reaches no phone. The acknowledgement has its own lease (`ackLeaseUntil`).
 */
function owesAcknowledgement(alert: AlertRecord, now: number): boolean {
  return (
    alert.acknowledgedAt !== undefined &&
    alert.openNotice === 'sent' &&
    (alert.channels.includes('webhook') || (alert.escalations ?? []).some((e) => e.state === 'sent')) &&
    (alert.ackNotice === undefined || due(alert.ackNotice, alert.ackLeaseUntil, now))
  );
}

/** A notice to send now: waiting, or claimed by a scanner whose lease ran out. */
function due(state: NoticeState | undefined, lease: number | undefined, now: number): boolean {
  return state === 'pending' || (state === 'sending' && (lease ?? 0) < now);
}
