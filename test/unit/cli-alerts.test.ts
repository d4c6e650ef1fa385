import { alertRow } from '../../cli/commands/alerts';
import { type AlertRecord, alertView } from '../../lambda/domain/alert';
import { T0 } from '../support/records';

const record = (overrides: Partial<AlertRecord> = {}): AlertRecord => ({
  alertId: `agent.${T0}.web-07`,
  agentId: 'web-07',
  group: 'production',
  kind: 'heartbeat_failure',
  severity: 'critical',
  status: 'open',
  openedAt: T0,
  incidentStart: T0 - 90_000,
  detail: 'No heartbeat for 3 scans.',
  channels: ['sms', 'email'],
  openNotice: 'sent',
  recoveryNotice: 'none',
  ...overrides,
});
const paged = (overrides: Partial<AlertRecord>) => alertRow(alertView(record(overrides)), T0 + 60_000).at(-1);

describe('hbw alerts list rows', () => {
  it('shows a held page as held, with the reason and who holds it', () => {
    expect(paged({ openNotice: 'held', suppressed: { reason: 'parent', by: 'sw-01', since: T0 } })).toBe(
      'held: parent sw-01',
    );
  });

  it('shows the channels and the delivery state of a page that is not held', () => {
    expect(paged({})).toBe('sms+email sent');
  });

  it('shows console only for a group that pages nobody', () => {
    expect(paged({ channels: ['console'], openNotice: 'none' })).toBe('console only');
  });

  it('names the cluster of a cluster_down alert where an agent alert names its agent', () => {
    const row = alertRow(alertView(record({ kind: 'cluster_down', agentId: '*', cluster: 'db' })), T0);

    expect(row[1]).toBe('cluster db');
  });
});
