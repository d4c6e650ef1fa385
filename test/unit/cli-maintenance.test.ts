import { stateCell } from '../../cli/commands/fleet';
import { renderScopeMaintenance } from '../../cli/commands/maintenance';

describe('renderScopeMaintenance (hbw maintenance group|cluster)', () => {
  it('says the window in effect and lists the next ones', () => {
    const text = renderScopeMaintenance('group', {
      group: 'production',
      maintenance: {
        current: {
          start: '2026-11-23T12:00:00.000Z',
          until: '2026-11-23T14:00:00.000Z',
          reason: 'rack move',
          by: 'group production',
        },
        next: [
          { start: '2026-11-29T01:00:00.000Z', until: '2026-11-29T03:00:00.000Z', by: 'group production' },
        ],
      },
    });

    expect(text.split('\n')).toEqual([
      'group production: in maintenance until 2026-11-23T14:00:00.000Z (rack move)',
      '',
      'next windows:',
      'START                     UNTIL                     REASON',
      '2026-11-29T01:00:00.000Z  2026-11-29T03:00:00.000Z  -',
    ]);
  });

  it('says so when no window is in effect or coming', () => {
    expect(
      renderScopeMaintenance('cluster', { cluster: 'db', maintenance: { current: null, next: [] } }),
    ).toBe('cluster db: no maintenance window now');
  });
});

describe('stateCell (hbw agents list)', () => {
  it('shows when the window of an agent in maintenance ends, to the minute', () => {
    expect(stateCell({ state: 'maintenance', maintenanceUntil: '2026-11-23T14:00:00.000Z' })).toBe(
      'maintenance to 2026-11-23T14:00Z',
    );
    expect(stateCell({ state: 'healthy', maintenanceUntil: undefined })).toBe('healthy');
  });

  it('shows until when an agent that said goodbye is away, to the minute', () => {
    expect(stateCell({ state: 'away', awayUntil: '2026-11-23T12:10:00.000Z' })).toBe(
      'away to 2026-11-23T12:10Z',
    );
  });
});
