import { agentAudit } from '../../lambda/domain/audit';
import { changeText } from '../../lambda/domain/audit-change';

describe('what an audit entry shows', () => {
  it('shows of an agent what operators set, and never its token hash or its heartbeats', () => {
    const shown = agentAudit({
      agentId: 'web-01',
      group: 'production',
      cluster: 'web',
      approval: 'approved',
      tokenHash: 'a'.repeat(64),
      createdAt: 0,
      lastHeartbeatAt: 1000,
      seq: 7,
      bootId: 'boot-1',
      endpoint: 'https://hbw.example.com',
      maintenanceUntil: Date.parse('2026-11-23T14:00:00Z'),
      maintenanceReason: 'kernel',
    });

    expect(JSON.parse(JSON.stringify(shown))).toEqual({
      group: 'production',
      cluster: 'web',
      approval: 'approved',
      maintenanceUntil: '2026-11-23T14:00:00.000Z',
      maintenanceReason: 'kernel',
    });
  });

  it.each([
    [
      'the fields that differ, before and after',
      {
        before: { group: 'test', approval: 'approved' },
        after: { group: 'production', approval: 'approved' },
      },
      'group: test -> production',
    ],
    [
      'a field set and one cleared',
      { before: { parent: 'sw-01' }, after: { cluster: 'web' } },
      'parent: sw-01 -> -; cluster: - -> web',
    ],
    [
      'an object as JSON',
      { before: {}, after: { probe: { type: 'tcp', host: 'h', port: 22 } } },
      'probe: - -> {"type":"tcp","host":"h","port":22}',
    ],
    ['what was added', { after: { group: 'test', approval: 'approved' } }, 'group=test approval=approved'],
    ['what was removed', { before: { group: 'test' } }, 'was group=test'],
    ['nothing but a secret', { before: { group: 'test' }, after: { group: 'test' } }, '-'],
    ['no side at all', {}, '-'],
  ])('says %s', (_what, entry, text) => {
    expect(changeText(entry)).toBe(text);
  });
});
