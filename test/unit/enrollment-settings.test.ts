import { groupSettings, parseConfig } from '../../lambda/domain/config';
import {
  enrollmentGroup,
  enrollmentSettings,
  parseEnrollmentSettings,
} from '../../lambda/domain/enrollment-settings';

describe('enrollment settings', () => {
  const config = parseConfig({
    groups: {
      production: { channels: ['sms'], renotifyMinutes: 5 },
      lab: { channels: ['console'], autoApprove: true },
      batch: { channels: ['console'], autoApprove: false },
    },
  });

  it("keep each group's autoApprove, in the config's order, and nothing of the policies", () => {
    expect(enrollmentSettings(config)).toEqual({
      groups: {
        production: { autoApprove: false },
        lab: { autoApprove: true },
        batch: { autoApprove: false },
      },
    });
    expect(Object.keys(enrollmentSettings(config).groups)).toEqual(['production', 'lab', 'batch']);
  });

  it('read back from JSON as they were written', () => {
    const settings = enrollmentSettings(config);

    expect(parseEnrollmentSettings(JSON.parse(JSON.stringify(settings)))).toEqual(settings);
  });

  it.each([
    ['a group without autoApprove', { groups: { lab: {} } }, 'groups.lab.autoApprove'],
    [
      'an autoApprove that is not a boolean',
      { groups: { lab: { autoApprove: 'yes' } } },
      'groups.lab.autoApprove',
    ],
    ['a field it does not know', { groups: {}, heartbeatIntervalSeconds: 30 }, 'heartbeatIntervalSeconds'],
    ['no groups', {}, 'groups'],
  ])('refuse %s, naming the field', (_case, raw, field) => {
    expect(() => parseEnrollmentSettings(raw)).toThrow(field);
  });

  it('refuse a group they do not name as the whole config does: the same 400 unknown_group and message', () => {
    const thrown = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      throw new Error('expected it to throw');
    };
    const fromSettings = thrown(() => enrollmentGroup(enrollmentSettings(config), 'staging'));
    const fromConfig = thrown(() => groupSettings(config, 'staging'));

    expect(fromSettings).toMatchObject({ code: 'unknown_group', field: 'group' });
    expect((fromSettings as Error).message).toBe(
      'group: unknown group "staging" (configured: production, lab, batch)',
    );
    expect((fromSettings as Error).message).toBe((fromConfig as Error).message);
    expect(enrollmentGroup(enrollmentSettings(config), 'lab')).toEqual({ autoApprove: true });
  });
});
