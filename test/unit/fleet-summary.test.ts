import { countByGroup, parseFleetSummary, statusCounts } from '../../lambda/domain/fleet-summary';

describe('the fleet summary a scan stores for GET /v1/status', () => {
  it('counts agents by group and state, leaving out the states no agent is in', () => {
    const counted = countByGroup([
      { group: 'production', state: 'healthy' },
      { group: 'production', state: 'healthy' },
      { group: 'production', state: 'late' },
      { group: 'lab', state: 'pending' },
    ]);

    expect(counted).toEqual({ production: { healthy: 2, late: 1 }, lab: { pending: 1 } });
  });

  it('shows every configured group with every state, and a group the scan found beyond them, with the total', () => {
    const shown = statusCounts({ groups: { production: { healthy: 2 }, gone: { failed: 1 } } }, [
      'production',
      'test',
    ]);

    expect(shown.agents).toBe(3);
    expect(shown.groups.production).toMatchObject({ healthy: 2, late: 0, failed: 0, rejected: 0 });
    expect(Object.values(shown.groups.test!).every((n) => n === 0)).toBe(true);
    expect(shown.groups.gone).toMatchObject({ failed: 1 });
  });

  it.each([
    ['not an object', 'counts'],
    ['a negative count', { groups: { p: { healthy: -1 } }, openAlerts: 0, windows: [], sms: {} }],
    ['an unknown state', { groups: { p: { sleepy: 1 } }, openAlerts: 0, windows: [], sms: {} }],
    ['no openAlerts', { groups: {}, windows: [], sms: {} }],
    [
      'a window of no scope',
      { groups: {}, openAlerts: 0, windows: [{ name: 'p', since: 1, until: 2 }], sms: {} },
    ],
  ])('reads %s back as no summary', (_, stored) => {
    expect(parseFleetSummary(stored)).toBeUndefined();
  });

  it('reads a summary back as it was stored', () => {
    const stored = {
      groups: { production: { healthy: 3 } },
      openAlerts: 1,
      windows: [{ scope: 'group', name: 'production', since: 1, until: 2, reason: 'rack move' }],
      sms: { production: { day: '2026-11-23', spent: 2, reachedAt: 5 } },
    };

    expect(parseFleetSummary(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
  });
});
