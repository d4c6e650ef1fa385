import { parseConfig } from '../../lambda/domain/config';
import type { ValidationError } from '../../lambda/domain/errors';

const groups = { production: { channels: ['sms' as const] } };

function problems(capacity: unknown): string[] {
  try {
    parseConfig({ groups, capacity });
  } catch (error) {
    return (error as ValidationError).problems.map((p) => p.message);
  }
  throw new Error('the config was accepted');
}

describe('capacity in the config', () => {
  it('is on demand by default', () => {
    expect(parseConfig({ groups }).capacity).toEqual({ mode: 'on-demand' });
  });

  it('fills in the defaults of provisioned mode: 5 to 10,000 units each way, aiming at 70%', () => {
    expect(parseConfig({ groups, capacity: { mode: 'provisioned' } }).capacity).toEqual({
      mode: 'provisioned',
      agentsTable: {
        minWriteUnits: 5,
        maxWriteUnits: 10_000,
        minReadUnits: 5,
        maxReadUnits: 10_000,
        targetUtilization: 0.7,
      },
    });
  });

  it('takes the agents table’s own bounds and target', () => {
    const { capacity } = parseConfig({
      groups,
      capacity: {
        mode: 'provisioned',
        agentsTable: { minWriteUnits: 40, maxWriteUnits: 400, targetUtilization: 0.5 },
      },
    });
    expect(capacity).toMatchObject({
      agentsTable: { minWriteUnits: 40, maxWriteUnits: 400, targetUtilization: 0.5 },
    });
  });

  it.each([
    [{ mode: 'reserved' }, 'capacity.mode: must be on-demand or provisioned'],
    [{}, 'capacity.mode'],
    [
      { mode: 'on-demand', agentsTable: { minWriteUnits: 5 } },
      'capacity.agentsTable: applies only with mode provisioned',
    ],
    [
      { mode: 'provisioned', agentsTable: { minWriteUnits: 0 } },
      'capacity.agentsTable.minWriteUnits: must be at least 1 unit',
    ],
    [
      { mode: 'provisioned', agentsTable: { maxWriteUnits: 50_000 } },
      'capacity.agentsTable.maxWriteUnits: must be at most 40000 units (the per-table quota)',
    ],
    [
      { mode: 'provisioned', agentsTable: { minWriteUnits: 100, maxWriteUnits: 50 } },
      'capacity.agentsTable.maxWriteUnits: must be at least minWriteUnits',
    ],
    [
      { mode: 'provisioned', agentsTable: { minReadUnits: 20_000 } },
      'capacity.agentsTable.maxReadUnits: must be at least minReadUnits',
    ],
    [
      { mode: 'provisioned', agentsTable: { targetUtilization: 0.95 } },
      'capacity.agentsTable.targetUtilization: must be at most 0.9',
    ],
    [
      { mode: 'provisioned', agentsTable: { minWriteUnit: 5 } },
      'capacity.agentsTable.minWriteUnit: unknown field (did you mean minWriteUnits?)',
    ],
  ])('refuses %j, naming the field', (capacity, message) => {
    expect(problems(capacity).join('\n')).toContain(message);
  });
});
