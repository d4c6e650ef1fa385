import type { AgentRecord } from '../../lambda/domain/agent';
import { type AlertKind, type AlertRecord, alertId, type Resolution } from '../../lambda/domain/alert';
import { type GroupSettings, parseConfig } from '../../lambda/domain/config';
import {
  type Notification,
  openingNotice,
  recoveryNotice,
  reminderNotice,
  SMS_LIMIT,
  SUBJECT_LIMIT,
  smsText,
} from '../../lambda/domain/messages';
import { restartAlert } from '../../lambda/domain/restart';
import { alertDetail } from '../../lambda/domain/scan';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const NOW = '2026-11-23T12:03:00.000Z';
const OPENED = T0 + 90_000;

/** A group name of the longest allowed length: 64 characters. */
const LONG_GROUP = `production-${'e'.repeat(49)}-prd`;
/** An agent id of the longest allowed length (128 characters), distinct in its first characters. */
const longId = (i: number) => `node-${String(i).padStart(3, '0')}-${'x'.repeat(107)}.example.net`;

/** The GSM 03.38 default alphabet (without the escape to the extension table). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const nonGsm = (text: string) => [...text].filter((c) => !GSM7_BASIC.has(c));

const settings = parseConfig({ groups: { [LONG_GROUP]: { channels: ['sms', 'email'] } } }).groups[
  LONG_GROUP
] as GroupSettings;

function agent(agentId: string, overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agentId,
    group: LONG_GROUP,
    approval: 'approved',
    createdAt: T0 - 86_400_000,
    lastHeartbeatAt: T0,
    probe: { type: 'tcp', host: `${agentId.slice(0, 60)}`, port: 5432 },
    ...overrides,
  };
}

function alertFor(
  a: AgentRecord,
  kind: AlertKind,
  detail: string,
  overrides: Partial<AlertRecord> = {},
): AlertRecord {
  const start = a.lastHeartbeatAt ?? a.createdAt;
  return {
    alertId: alertId('agent', a.agentId, start),
    agentId: a.agentId,
    group: a.group,
    kind,
    severity: 'critical',
    status: 'open',
    openedAt: OPENED,
    incidentStart: start,
    missedScans: 3,
    detail,
    channels: ['sms', 'email'],
    openNotice: 'pending',
    recoveryNotice: 'none',
    ...overrides,
  };
}

const PROBE_OK = { outcome: 'up', detail: `tcp ${longId(1).slice(0, 60)}:5432 answered` };
const PROBE_FAILED = {
  outcome: 'down',
  detail: `tcp ${longId(1).slice(0, 60)}:5432 failed 3x: ECONNREFUSED`,
};

const failureWithProbe = (i: number) => {
  const a = agent(longId(i));
  return alertFor(a, 'heartbeat_failure', alertDetail('heartbeat_failure', a, 3, settings, PROBE_OK), {
    severity: 'warning',
  });
};
const failureWithoutProbe = (i: number) => {
  const a = agent(longId(i), { probe: undefined });
  return alertFor(a, 'heartbeat_failure', alertDetail('heartbeat_failure', a, 3, settings, undefined));
};
const unreachableAgent = (i: number) => {
  const a = agent(longId(i));
  return alertFor(a, 'host_unreachable', alertDetail('host_unreachable', a, 1, settings, PROBE_FAILED), {
    missedScans: 1,
  });
};
const unreachableAgentless = (i: number) => {
  const a = agent(longId(i), { agentless: true, lastHeartbeatAt: undefined });
  return alertFor(a, 'host_unreachable', alertDetail('host_unreachable', a, 0, settings, PROBE_FAILED), {
    missedScans: 0,
  });
};
const resolved = (alert: AlertRecord, resolution: Resolution = 'heartbeat'): AlertRecord => ({
  ...alert,
  status: 'resolved',
  resolvedAt: T0 + 300_000,
  resolution,
  openNotice: 'sent',
  recoveryNotice: 'pending',
});

const fiftyIds = Array.from({ length: 50 }, (_, i) => longId(i));
const networkEvent: AlertRecord = {
  alertId: alertId('network_event', LONG_GROUP, OPENED),
  agentId: '*',
  group: LONG_GROUP,
  kind: 'network_event',
  severity: 'critical',
  status: 'open',
  openedAt: OPENED,
  incidentStart: OPENED,
  detail: `50 of 60 monitored agents went silent in the same scan (50 in ${LONG_GROUP}); that looks like the watcher's own network or the watcher itself rather than 50 separate failures.`,
  channels: ['sms', 'email'],
  agentIds: fiftyIds,
  openNotice: 'pending',
  recoveryNotice: 'none',
};

const restarted = restartAlert(
  agent(longId(1)),
  {
    at: T0,
    fromBoot: '2f1d6c8e-94a7-4c3b-b7a5-0e6f1c2d3b4a',
    toBoot: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    downtimeSeconds: 42,
    expected: false,
  },
  { ...settings, onRestart: 'page' },
  true,
  OPENED,
);

const twoAlerts = [failureWithoutProbe(1), failureWithoutProbe(2)];
const fiftyAlerts = fiftyIds.map((_, i) => failureWithoutProbe(i));

const OPENINGS: [string, () => Notification, Notification['kind']][] = [
  [
    'heartbeat_failure with probe evidence',
    () => openingNotice([failureWithProbe(1)], NOW),
    'heartbeat_failure',
  ],
  [
    'heartbeat_failure without a probe',
    () => openingNotice([failureWithoutProbe(1)], NOW),
    'heartbeat_failure',
  ],
  ['host_unreachable of an agent', () => openingNotice([unreachableAgent(1)], NOW), 'host_unreachable'],
  [
    'host_unreachable of an agentless host',
    () => openingNotice([unreachableAgentless(1)], NOW),
    'host_unreachable',
  ],
  ['network_event', () => openingNotice([networkEvent], NOW), 'network_event'],
  ['agent_restarted', () => openingNotice([restarted], NOW), 'agent_restarted'],
  ['group summary of 2 alerts', () => openingNotice(twoAlerts, NOW), 'heartbeat_failure'],
  ['group summary of 50 alerts', () => openingNotice(fiftyAlerts, NOW), 'heartbeat_failure'],
  [
    'group summary of mixed kinds',
    () => openingNotice([failureWithoutProbe(1), unreachableAgent(2)], NOW),
    'summary',
  ],
];
const REMINDERS: [string, () => Notification, Notification['kind']][] = [
  ['reminder of one alert', () => reminderNotice([failureWithoutProbe(1)], NOW), 'reminder'],
  ['reminder summary', () => reminderNotice(fiftyAlerts, NOW), 'reminder'],
];
const RECOVERIES: [string, () => Notification, Notification['kind']][] = [
  ['recovery of one alert', () => recoveryNotice([resolved(failureWithoutProbe(1))], NOW), 'recovery'],
  [
    'recovery summary',
    () =>
      recoveryNotice(
        fiftyAlerts.map((a) => resolved(a)),
        NOW,
      ),
    'recovery',
  ],
  ['network_event recovery', () => recoveryNotice([resolved(networkEvent, 'cleared')], NOW), 'recovery'],
];
const EVERY_NOTICE = [...OPENINGS, ...REMINDERS, ...RECOVERIES];

describe('every notice kind, with 128-character agent ids and 64-character group names', () => {
  it('uses ids and names of the longest allowed lengths', () => {
    expect(longId(7)).toHaveLength(128);
    expect(LONG_GROUP).toHaveLength(64);
  });

  it.each(EVERY_NOTICE)('%s: the SMS is one segment of at most 160 GSM-7 characters', (_, notice) => {
    const { sms } = notice().messages;

    expect(sms.length).toBeLessThanOrEqual(SMS_LIMIT);
    expect(nonGsm(sms)).toEqual([]);
  });

  it.each(EVERY_NOTICE)('%s: the subject is at most 100 characters on one line', (_, notice) => {
    const { subject } = notice();

    expect(subject.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
    expect(subject).not.toMatch(/[\r\n\t]/);
  });

  it.each(EVERY_NOTICE)('%s: has its kind, the group and the group’s paging channels', (_, notice, kind) => {
    const n = notice();

    expect(n.kind).toBe(kind);
    expect(n.group).toBe(LONG_GROUP);
    expect(n.channels).toEqual(['sms', 'email']);
    expect(n.time).toBe(NOW);
  });
});

describe('what an opening email tells the on-call person to check', () => {
  it.each(
    [...OPENINGS, ...REMINDERS].filter(
      ([name]) => !String(name).startsWith('network_event') && name !== 'agent_restarted',
    ),
  )('%s: network and firewall port, DNS, clock skew, approval', (_, notice) => {
    const { email } = notice().messages;

    expect(email).toMatch(/firewall/i);
    expect(email).toMatch(/port \d+/);
    expect(email).toMatch(/DNS/);
    expect(email).toMatch(/clock/i);
    expect(email).toMatch(/5 minutes/);
    expect(email).toMatch(/approv/i);
  });

  it('network_event: points at the watcher and its network path, not at one host', () => {
    const [, notice] = OPENINGS.find(([name]) => String(name).startsWith('network_event'))!;
    const { email } = notice().messages;

    expect(email).toMatch(/the watcher: is it scanning/i);
    expect(email).toMatch(/DNS/);
    expect(email).toMatch(/firewall/i);
    expect(email).not.toMatch(/Is the host up/);
  });

  it('agent_restarted: asks why it restarted and how a planned one says so, with nothing to acknowledge', () => {
    const n = openingNotice([restarted], NOW);

    expect(n.subject).toMatch(/^WARNING agent restarted: node-001-/);
    expect(n.messages.email).toContain('down for 42 s as the agent reports');
    expect(n.messages.email).toContain('journalctl -b -1');
    expect(n.messages.email).toContain('hbw agent goodbye');
    expect(n.messages.email).not.toContain('hbw alerts ack');
    expect(n.messages.email).not.toMatch(/Is the host up/);
  });

  it('carries the probe evidence of a heartbeat failure whose host answers', () => {
    const n = openingNotice([failureWithProbe(1)], NOW);

    expect(n.severity).toBe('warning');
    expect(n.messages.email).toContain(PROBE_OK.detail);
    expect(n.messages.email).toContain('check the agent service');
  });

  it('carries the probe failure of an unreachable host', () => {
    const n = openingNotice([unreachableAgent(1)], NOW);

    expect(n.severity).toBe('critical');
    expect(n.messages.email).toContain('ECONNREFUSED');
  });

  it('gives every alert id, for acknowledging', () => {
    const { email } = openingNotice(twoAlerts, NOW).messages;

    for (const alert of twoAlerts) expect(email).toContain(alert.alertId);
  });

  it('does not repeat the checklist in a recovery', () => {
    const { email } = recoveryNotice([resolved(failureWithoutProbe(1))], NOW).messages;

    expect(email).not.toMatch(/What to check/);
    expect(email).toContain('Resolved by: heartbeat');
  });
});

describe('group summaries', () => {
  /** A notice of each phase about the same 50 alerts. */
  const FIFTY_NOTICES = [
    ['opening', () => openingNotice(fiftyAlerts, NOW)],
    ['reminder', () => reminderNotice(fiftyAlerts, NOW)],
    [
      'recovery',
      () =>
        recoveryNotice(
          fiftyAlerts.map((a) => resolved(a)),
          NOW,
        ),
    ],
  ] as const;

  it.each(FIFTY_NOTICES)('%s of 50: lists all 50 agent ids in agentIds', (_, notice) => {
    expect(notice().agentIds).toEqual(fiftyIds);
  });

  it('lists both agent ids of a summary of 2', () => {
    expect(openingNotice(twoAlerts, NOW).agentIds).toEqual([longId(1), longId(2)]);
  });

  it('lists every agent a network_event speaks of', () => {
    expect(openingNotice([networkEvent], NOW).agentIds).toEqual(fiftyIds);
  });

  it.each(FIFTY_NOTICES)(
    '%s of 50 long ids: the SMS says "+N more" for the agents it does not name',
    (_, notice) => {
      const { sms } = notice().messages;

      const more = /\+(\d+) more/.exec(sms);
      const named = sms.match(/node-\d{3}/g) ?? [];
      expect(more).not.toBeNull();
      expect(named.length + Number(more?.[1])).toBe(50);
    },
  );

  it('names at most five short ids in the SMS and counts the rest', () => {
    const shortAlerts = Array.from({ length: 50 }, (_, i) =>
      alertFor(
        agent(`web-${String(i).padStart(2, '0')}`, { group: 'production' }),
        'heartbeat_failure',
        'No heartbeat.',
        {
          group: 'production',
        },
      ),
    );

    const notice = openingNotice(shortAlerts, NOW);
    const { subject } = notice;
    const { sms } = notice.messages;

    expect(subject).toBe('CRITICAL 50 agents of production: heartbeat failure');
    expect(sms).toContain('web-00, web-01, web-02, web-03, web-04 +45 more');
  });

  it('names both agents of a short summary of 2 without "more"', () => {
    const pair = ['db-01', 'db-02'].map((id) =>
      alertFor(agent(id, { group: 'production' }), 'heartbeat_failure', 'No heartbeat.', {
        group: 'production',
      }),
    );

    const { sms } = openingNotice(pair, NOW).messages;

    expect(sms).toContain('db-01, db-02');
    expect(sms).not.toMatch(/more/);
  });
});

describe('smsText', () => {
  it('keeps GSM-7 text as it is', () => {
    const text = 'CRITICAL heartbeat failure: web-01 (production) 12:03Z. £5 @ Zürich? Ça va, Åsa!';

    expect(smsText(text)).toBe(text);
  });

  it('replaces each character outside GSM-7 with "?"', () => {
    expect(smsText('web-01 — down “now” ’s ç 🔥')).toBe('web-01 ? down ?now? ?s ? ?');
  });

  it('replaces the extension characters too, as each would take two septets', () => {
    expect(smsText('[a]{b}~^|\\€')).toBe('?a??b??????');
  });

  it('keeps a text of exactly 160 characters whole', () => {
    const text = 'a'.repeat(SMS_LIMIT);

    expect(smsText(text)).toBe(text);
  });

  it('cuts a longer text to 160 characters ending in ".."', () => {
    const out = smsText('b'.repeat(SMS_LIMIT + 1));

    expect(out).toHaveLength(SMS_LIMIT);
    expect(out.endsWith('b..')).toBe(true);
  });
});

describe('one agent, two alerts of one incident', () => {
  it('pages them as one notice naming both kinds, not as a summary of "1 agents"', () => {
    const n = openingNotice([unreachableAgent(1), failureWithoutProbe(1)], NOW);

    expect(n.subject).toContain('host unreachable + heartbeat failure');
    expect(n.subject).not.toMatch(/1 agents/);
    expect(n.agentIds).toEqual([longId(1)]);
    expect(n.messages.sms.length).toBeLessThanOrEqual(SMS_LIMIT);
  });
});

describe('an alert closed because its agent went away', () => {
  it.each([
    ['removed', /CLOSED .*the agent was removed/],
    ['unmonitored', /CLOSED .*no longer monitored/],
  ] as const)('says CLOSED and why (%s), not RECOVERED', (resolution, pattern) => {
    const n = recoveryNotice([resolved(failureWithoutProbe(1), resolution)], NOW);

    expect(`${n.messages.default}`).toMatch(pattern);
    expect(n.subject).not.toMatch(/RECOVERED/);
  });

  it('keeps the severity of what it recovers, so a filter on critical lets recoveries through', () => {
    expect(recoveryNotice([resolved(unreachableAgent(1))], NOW).severity).toBe('critical');
  });
});
