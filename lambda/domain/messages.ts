import { createHash } from 'node:crypto';
import type { AlertView } from '../api/contract';
import {
  type AlertKind,
  type AlertRecord,
  alertView,
  pagingChannels,
  type Resolution,
  type Severity,
} from './alert';

import type { Channel } from './config';
import type { EscalationStep } from './escalation';

/** What a notifier sends: one message per group and delivery, with a text for each medium. */
export interface Notification {
  /**
   * The same for every attempt at this notice (its phase and its alerts; a reminder's time too), so a
   * destination that keeps what it was sent can refuse a repeat: the outbox does, webhooks carry it.
   */
  readonly noticeId: string;
  readonly time: string;
  readonly group: string;
  readonly channels: readonly Channel[];
  readonly kind:
    | AlertKind
    | 'recovery'
    | 'reminder'
    | 'summary'
    | 'escalation'
    | 'sms_budget'
    /** Someone acknowledged the alert here: told to the webhooks only (PagerDuty, Opsgenie stop paging). */
    | 'acknowledgement';
  readonly severity: Severity;
  readonly subject: string;
  readonly messages: { readonly default: string; readonly sms: string; readonly email: string };
  readonly agentIds: readonly string[];
  /** The alerts this notice speaks of. */
  readonly alertIds: readonly string[];
  /** Those alerts as the API shows them, as the notice saw them: what the webhooks render. */
  readonly alerts: readonly AlertView[];
  /** An escalation: the group whose page nobody acknowledged, and the step's `after`. */
  readonly escalation?: { readonly from: string; readonly after: string };
  /** The notice lost its `sms` channel: the group's SMS budget of the day is spent. */
  readonly smsSkipped?: 'budget';
}

/** One SMS segment: 160 characters of the GSM 03.38 default alphabet. */
export const SMS_LIMIT = 160;
const GSM7 =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_SET = new Set(GSM7);

/** Fits `text` into one SMS segment: characters outside GSM-7 become `?`, overflow is cut with `..`. */
export function smsText(text: string): string {
  const clean = [...text].map((c) => (GSM7_SET.has(c) ? c : '?')).join('');
  return clean.length <= SMS_LIMIT ? clean : `${clean.slice(0, SMS_LIMIT - 2)}..`;
}

/** SNS refuses email subjects over 100 characters. */
export const SUBJECT_LIMIT = 100;
const MAX_NAMES = 5;

function names(ids: readonly string[], maxChars: number): string {
  // Room for " +N more" is kept first, so the count of the agents not named is never cut off.
  const budget = maxChars - ` +${ids.length} more`.length;
  const shown: string[] = [];
  let used = 0;
  for (const id of ids.slice(0, MAX_NAMES)) {
    const name = id.length > 24 ? `${id.slice(0, 22)}..` : id;
    if (used + name.length + 2 > budget) break;
    shown.push(name);
    used += name.length + 2;
  }
  const more = ids.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` +${more} more` : '');
}

export const KIND_WORDS: Record<AlertKind, string> = {
  heartbeat_failure: 'heartbeat failure',
  host_unreachable: 'host unreachable',
  network_event: 'watcher-side or network event',
  cluster_down: 'cluster below quorum',
  flapping: 'flapping',
  agent_restarted: 'agent restarted',
};

/** What a notice may say beyond its alerts, from the scan that sends it. */
export interface NoticeContext {
  /** How many agents behind this one (its children, at any depth) are silent, their pages held. */
  readonly silentBehind?: (agentId: string) => number;
}

const behindWords = (alert: AlertRecord, context: NoticeContext): string | undefined => {
  const n = context.silentBehind?.(alert.agentId) ?? 0;
  return n === 0 ? undefined : `${n} agent${n === 1 ? '' : 's'} behind it silent too`;
};

/** What to check when an agent stops reaching the watcher, in the order an operator would. */
const CHECKLIST = [
  'What to check, in order:',
  '1. Is the host up? Log in or check its console; a probe result is given above when the agent has one.',
  '2. Network and firewall: can the host reach the watcher endpoint on port 443 (HTTPS)? Try: hbw agent doctor',
  '3. DNS: does the endpoint name resolve on the host (nslookup/dig)? A stale or missing record stops every heartbeat.',
  '4. Clock: is the host clock within 5 minutes of the watcher? Check NTP (timedatectl / w32tm /query /status).',
  '5. Approval and token: is the agent still approved (hbw agents show ID) and does its token file hold the current token?',
  '6. The agent process itself: is the service running, and what does its log say?',
].join('\n');

/** What to check when many agents went silent at once: the watcher's side first. */
const WATCHER_CHECKLIST = [
  'What to check, in order:',
  '1. The watcher: is it scanning (hbw status shows the last scan) and receiving heartbeats at all?',
  '2. Its network path: DNS for the endpoint, the load balancer or API in front of it, a firewall change.',
  '3. A shared dependency of the agents: a proxy, a VPN, a network segment, a certificate that expired.',
  'Agents still silent when the event clears are paged then, one summary per group.',
].join('\n');

/** What to check when a cluster lost its quorum. */
const CLUSTER_CHECKLIST = [
  'What to check, in order:',
  '1. The members down (listed above): hbw agents list --cluster NAME shows each one and its alert.',
  '2. What they share: a switch, a rack, a hypervisor, a storage volume, a network partition.',
  '3. The cluster software: can the members that are up still serve, or has it stopped to protect the data?',
  'Members still down one heartbeat interval after the quorum is back are paged then.',
].join('\n');

/** What to check when a server restarted without saying goodbye first. */
const RESTART_CHECKLIST = [
  'What to check:',
  "1. Why it restarted: the previous boot's log (journalctl -b -1, the Windows System event log), a hypervisor or power event.",
  '2. Whether it was planned after all: a planned restart sends a goodbye first (hbw agent goodbye, or hbw agent run --goodbye-on-stop), and is then never paged.',
  'It is an event, already resolved: there is nothing to acknowledge and no recovery follows.',
].join('\n');

const clock = (time: string) => time.slice(11, 16);

type Phase = 'opening' | 'reminder' | 'recovery';

/** A notice's three texts before their limits: the subject, the SMS, and the lead of the email. */
interface NoticeLines {
  subject: string;
  sms: string;
  lead: string;
}

/** A cluster's own alert: the quorum it lost, and the members down. */
function clusterLines(alert: AlertRecord, time: string, phase: Phase): NoticeLines {
  const name = alert.cluster ?? alert.agentId;
  const down = alert.agentIds ?? [];
  if (phase === 'recovery') {
    const subject = `RECOVERED cluster ${name} (${alert.group}): quorum back`;
    return {
      subject,
      sms: `${subject} ${clock(time)}Z. Members still down after one heartbeat interval are paged.`,
      lead: `${subject} at ${time}.\nMembers still down after one heartbeat interval more are paged then, one summary per group.`,
    };
  }
  const verb = phase === 'reminder' ? 'STILL OPEN' : 'CRITICAL';
  const subject = `${verb} cluster ${name} (${alert.group}) below quorum: ${down.length} members down`;
  const prefix = `${subject} ${clock(time)}Z: `;
  return {
    subject,
    sms: prefix + names(down, SMS_LIMIT - prefix.length),
    lead: `${subject}.\n\n${alert.detail}\n\nThe members' own pages are held while the quorum is lost; every alert is still recorded (hbw alerts list).`,
  };
}

/**
 * One agent's alerts (one; two kinds of one incident only for alerts stored before an incident kept
 * one alert) in a headline and a body; the agents silent behind it are counted in both.
 */
function agentLines(
  alerts: readonly AlertRecord[],
  context: NoticeContext,
): { headline: string; body: string; kinds: string } {
  const first = alerts[0]!;
  const kinds = alerts.map((a) => KIND_WORDS[a.kind]).join(' + ');
  const severity = alerts.some((a) => a.severity === 'critical') ? 'CRITICAL' : 'WARNING';
  const behind = behindWords(first, context);
  return {
    headline: `${severity} ${kinds}: ${first.agentId} (${first.group})${behind ? `, ${behind}` : ''}`,
    body: [
      ...alerts.map((a) => a.detail),
      ...(behind
        ? [`${behind}: their alerts are recorded and held while ${first.agentId} is down (hbw alerts list).`]
        : []),
    ].join('\n'),
    kinds,
  };
}

const CLOSED_BECAUSE: Partial<Record<Resolution, string>> = {
  removed: 'the agent was removed',
  unmonitored: 'the agent is no longer monitored (pending or rejected)',
  cleared: 'its group no longer watches flapping',
};

/** The opening notice for `alerts`, all of one group: one alert alone, or a summary of several. */
export function openingNotice(
  alerts: readonly AlertRecord[],
  time: string,
  context: NoticeContext = {},
): Notification {
  return composeNotice(alerts, time, 'opening', context);
}

/** A reminder of alerts still open and unacknowledged. */
export function reminderNotice(alerts: readonly AlertRecord[], time: string): Notification {
  return composeNotice(alerts, time, 'reminder');
}

/**
 * The escalation of `alerts` (all of one group, all still open and unacknowledged) to the next
 * step's group: the reminder's text, said to that group on its own channels.
 */
export function escalationNotice(
  alerts: readonly AlertRecord[],
  step: EscalationStep,
  channels: readonly Channel[],
  time: string,
): Notification {
  const still = composeNotice(alerts, time, 'reminder');
  const from = still.group;
  const prefix = `ESCALATED from ${from} after ${step.after}: `;
  const what = (text: string) => prefix + text.replace(/^STILL OPEN /, '');
  return {
    ...still,
    noticeId: noticeId('escalation', still.alertIds, step.group),
    group: step.group,
    channels: pagingChannels(channels),
    kind: 'escalation',
    subject: clip(what(still.subject), SUBJECT_LIMIT),
    messages: {
      default: what(still.messages.default),
      sms: smsText(what(still.messages.sms)),
      email: `${prefix.trim()}\nNobody acknowledged the page of ${from} within ${step.after}: ${step.group} is the next step of its escalation.\n\n${still.messages.email}`,
    },
    escalation: { from, after: step.after },
  };
}

/** The recovery notice for resolved `alerts`, all of one group. */
export function recoveryNotice(alerts: readonly AlertRecord[], time: string): Notification {
  return composeNotice(alerts, time, 'recovery');
}

function composeNotice(
  alerts: readonly AlertRecord[],
  time: string,
  phase: Phase,
  context: NoticeContext = {},
): Notification {
  const first = alerts[0];
  if (!first) throw new Error('a notice needs at least one alert');
  const group = first.group;
  const agentIds = [...new Set(alerts.flatMap((a) => a.agentIds ?? [a.agentId]))];
  const severity: Severity = alerts.some((a) => a.severity === 'critical') ? 'critical' : 'warning';
  const kinds = new Set(alerts.map((a) => a.kind));
  const onlyKind = kinds.size === 1 ? first.kind : undefined;
  const kind: Notification['kind'] =
    phase === 'recovery' ? 'recovery' : phase === 'reminder' ? 'reminder' : (onlyKind ?? 'summary');
  const { subject, sms, lead } =
    first.kind === 'cluster_down' && alerts.length === 1
      ? clusterLines(first, time, phase)
      : agentIds.length === 1 && !kinds.has('network_event')
        ? oneAgentLines(alerts, time, phase, context)
        : first.kind === 'network_event' && alerts.length === 1
          ? networkEventLines(first, time, phase)
          : summaryLines(alerts, agentIds, time, phase, { severity, onlyKind, context });
  const alertIds = alerts.map((a) => a.alertId);
  const ids = `Alert ids: ${alertIds.join(', ')}`;
  const checklist = kinds.has('network_event')
    ? WATCHER_CHECKLIST
    : kinds.has('cluster_down')
      ? CLUSTER_CHECKLIST
      : onlyKind === 'agent_restarted'
        ? RESTART_CHECKLIST
        : CHECKLIST;
  const email =
    phase === 'recovery'
      ? `${lead}\n\n${ids}`
      : onlyKind === 'agent_restarted'
        ? `${lead}\n\n${checklist}\n\n${ids}`
        : `${lead}\n\n${checklist}\n\nAcknowledge: hbw alerts ack ALERT_ID\n${ids}`;
  return {
    noticeId: noticeId(phase, alertIds, phase === 'reminder' ? time : undefined),
    time,
    group,
    channels: pagingChannels(first.channels),
    kind,
    severity,
    subject: clip(subject, SUBJECT_LIMIT),
    messages: { default: lead, sms: smsText(sms), email },
    agentIds,
    alertIds,
    alerts: alerts.map(alertView),
  };
}

/**
 * The notice that an open alert whose page went out was acknowledged: one per alert and group whose
 * webhooks heard of it (its own, and each group an escalation step reached), on the `webhook`
 * channel alone (a person acknowledged it, so the phones need not hear of it; PagerDuty and Opsgenie
 * must, or they keep paging).
 */
export function acknowledgementNotice(
  alert: AlertRecord,
  time: string,
  group: string = alert.group,
): Notification {
  const by = alert.acknowledgedBy ? ` by ${alert.acknowledgedBy}` : '';
  const subject = clip(
    `ACKNOWLEDGED ${KIND_WORDS[alert.kind]}: ${alert.cluster && alert.kind === 'cluster_down' ? `cluster ${alert.cluster}` : alert.agentId} (${alert.group})${by}`,
    SUBJECT_LIMIT,
  );
  const lead = `${subject}\n${alert.ackNote ? `Note: ${alert.ackNote}\n` : ''}Alert id: ${alert.alertId}`;
  return {
    noticeId: noticeId('acknowledgement', [alert.alertId], group === alert.group ? undefined : group),
    time,
    group,
    channels: ['webhook'],
    kind: 'acknowledgement',
    severity: alert.severity,
    subject,
    messages: { default: lead, sms: smsText(subject), email: lead },
    agentIds: alert.agentIds ?? [alert.agentId],
    alertIds: [alert.alertId],
    alerts: [alertView(alert)],
  };
}

/** The texts of a notice about one agent (one alert, or several kinds of it at once). */
function oneAgentLines(
  alerts: readonly AlertRecord[],
  time: string,
  phase: Phase,
  context: NoticeContext,
): NoticeLines {
  const first = alerts[0]!;
  const group = first.group;
  const when = clock(time);
  const { headline, body, kinds: kindText } = agentLines(alerts, context);
  if (phase === 'opening') {
    return { subject: headline, sms: `${headline} ${when}Z. ${body}`, lead: `${headline}\n\n${body}` };
  }
  if (phase === 'reminder') {
    const subject = `STILL OPEN ${kindText}: ${first.agentId} (${group})`;
    return {
      subject,
      sms: `${subject} since ${clock(new Date(first.openedAt).toISOString())}Z, not acknowledged.`,
      lead: `${subject}\nOpen since ${new Date(first.openedAt).toISOString()} and not acknowledged.\n\n${body}`,
    };
  }
  const closed = first.resolution ? CLOSED_BECAUSE[first.resolution] : undefined;
  const subject = closed
    ? `CLOSED ${first.agentId} (${group}): ${kindText}, ${closed}`
    : `RECOVERED ${first.agentId} (${group}): ${kindText} resolved`;
  return {
    subject,
    sms: `${subject} ${when}Z.`,
    lead: `${subject} at ${time}.\nResolved by: ${first.resolution ?? 'unknown'}.`,
  };
}

/** The texts of a watcher-side or network event: many agents of a group silent at once. */
function networkEventLines(alert: AlertRecord, time: string, phase: Phase): NoticeLines {
  const group = alert.group;
  const when = clock(time);
  if (phase === 'recovery') {
    const subject = `CLEARED watcher-side or network event (${group})`;
    return {
      subject,
      sms: `${subject} ${when}Z. Held pages follow for agents still silent.`,
      lead: `${subject} at ${time}.\nAgents that are still silent are now paged one summary per group.`,
    };
  }
  const count = alert.agentIds?.length ?? 0;
  const subject = `CRITICAL watcher-side or network event: ${count} agents of ${group} silent at once`;
  return {
    subject,
    sms: `${subject} ${when}Z. Per-agent pages held. Check the watcher and its network.`,
    lead: `${subject}.\n\n${alert.detail}\n\nPer-agent pages are held until the picture clears; every alert is still recorded (hbw alerts list).`,
  };
}

/** The texts of a summary: several agents of a group, a line each in the email. */
function summaryLines(
  alerts: readonly AlertRecord[],
  agentIds: readonly string[],
  time: string,
  phase: Phase,
  of: { severity: Severity; onlyKind: AlertRecord['kind'] | undefined; context: NoticeContext },
): NoticeLines {
  const group = alerts[0]!.group;
  const kindWords = of.onlyKind ? KIND_WORDS[of.onlyKind] : 'alerts';
  const verb =
    phase === 'recovery' ? 'RECOVERED' : phase === 'reminder' ? 'STILL OPEN' : of.severity.toUpperCase();
  const subject = `${verb} ${agentIds.length} agents of ${group}: ${kindWords}`;
  const prefix = `${subject} ${clock(time)}Z: `;
  const lines = alerts.map(
    (a) =>
      `- ${a.agentId}: ${KIND_WORDS[a.kind]}${phase === 'recovery' ? ` resolved (${a.resolution})` : ` - ${a.detail}`}${phase === 'opening' && behindWords(a, of.context) ? ` (${behindWords(a, of.context)})` : ''}`,
  );
  return {
    subject,
    sms: prefix + names(agentIds, SMS_LIMIT - prefix.length),
    lead: `${subject}\n\n${lines.join('\n')}`,
  };
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 2)}..`);

/** `notice` for `channels` alone: what a notice still owes the channels it did not reach, or reached. */
export const onlyTo = (notice: Notification, channels: readonly Channel[]): Notification => ({
  ...notice,
  channels: notice.channels.filter((c) => channels.includes(c)),
});

/**
 * A notice's id: its phase and a digest of its alert ids, in any order. An opening or a recovery is
 * sent once per alert, so those name it; a reminder is one of many, so its time is part of it; an
 * escalation goes once per alert and target group, so the group is.
 */
function noticeId(
  phase: 'opening' | 'reminder' | 'recovery' | 'escalation' | 'acknowledgement',
  alertIds: readonly string[],
  salt: string | undefined,
): string {
  const subject = [...alertIds].sort().join('\n') + (salt === undefined ? '' : `\n${salt}`);
  return `${phase}.${createHash('sha256').update(subject).digest('hex').slice(0, 24)}`;
}
