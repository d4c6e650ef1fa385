import { type AlertRecord, alertView } from '../../lambda/domain/alert';
import type { Notification } from '../../lambda/domain/messages';

/** The alert of {@link OPENING_NOTICE}, as stored when its page was claimed. */
export const OPENING_ALERT: AlertRecord = {
  alertId: 'agent.1795435200000.web-01',
  agentId: 'web-01',
  group: 'production',
  kind: 'heartbeat_failure',
  severity: 'critical',
  status: 'open',
  openedAt: 1795435380000,
  incidentStart: 1795435200000,
  missedScans: 3,
  detail: 'No heartbeat for 3 scans.',
  channels: ['sms', 'email'],
  openNotice: 'sending',
  recoveryNotice: 'none',
};

/** An opening page of one production agent, as the scanner hands it to a notifier. */
export const OPENING_NOTICE: Notification = {
  noticeId: 'opening.4f1c2b7a9d3e5f60a1b2c3d4',
  time: '2026-11-23T12:03:00.000Z',
  group: 'production',
  channels: ['sms', 'email'],
  kind: 'heartbeat_failure',
  severity: 'critical',
  subject: 'CRITICAL heartbeat failure: web-01 (production)',
  messages: {
    default: 'CRITICAL heartbeat failure: web-01 (production)\n\nNo heartbeat for 3 scans.',
    sms: 'CRITICAL heartbeat failure: web-01 (production) 12:03Z. No heartbeat for 3 scans.',
    email:
      'CRITICAL heartbeat failure: web-01 (production)\n\nNo heartbeat for 3 scans.\n\nWhat to check, in order: ...',
  },
  agentIds: ['web-01'],
  alertIds: ['agent.1795435200000.web-01'],
  alerts: [alertView(OPENING_ALERT)],
};
