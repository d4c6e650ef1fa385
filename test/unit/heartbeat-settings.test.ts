import { parseConfig } from '../../lambda/domain/config';
import {
  heartbeatSettings,
  parseHeartbeatSettings,
  scanTickSeconds,
  thresholdsFor,
} from '../../lambda/domain/heartbeat-settings';

describe('scanTickSeconds', () => {
  it('is the smallest scan interval of any group', () => {
    const c = parseConfig({
      scanIntervalSeconds: 30,
      groups: {
        slow: { channels: ['console'], scanIntervalSeconds: 60 },
        fast: { channels: ['console'], scanIntervalSeconds: 10 },
        plain: { channels: ['console'] },
      },
    });

    expect(scanTickSeconds(c)).toBe(10);
  });

  it('is the common interval when no group overrides it', () => {
    expect(
      scanTickSeconds(parseConfig({ scanIntervalSeconds: 45, groups: { a: { channels: ['console'] } } })),
    ).toBe(45);
  });

  it('also counts the top-level interval, which agents of a removed group are watched with', () => {
    const c = parseConfig({
      scanIntervalSeconds: 30,
      groups: { slow: { channels: ['console'], scanIntervalSeconds: 60 } },
    });

    expect(scanTickSeconds(c)).toBe(30);
  });
});

describe('heartbeat settings', () => {
  const config = parseConfig({
    heartbeatIntervalSeconds: 20,
    scanIntervalSeconds: 30,
    missedScansBeforeAlert: 3,
    groups: {
      production: { channels: ['sms'], missedScansBeforeAlert: 2, renotifyMinutes: 5 },
      batch: { channels: ['console'], heartbeatIntervalSeconds: 300, scanIntervalSeconds: 600 },
    },
  });

  it("keep each group's resolved thresholds and the top level's, nothing of the policies", () => {
    expect(heartbeatSettings(config)).toEqual({
      heartbeatIntervalSeconds: 20,
      scanIntervalSeconds: 30,
      missedScansBeforeAlert: 3,
      groups: {
        production: { heartbeatIntervalSeconds: 20, scanIntervalSeconds: 30, missedScansBeforeAlert: 2 },
        batch: { heartbeatIntervalSeconds: 300, scanIntervalSeconds: 600, missedScansBeforeAlert: 3 },
      },
    });
  });

  it("judge a group by its own thresholds, and one the config does not name by the top level's", () => {
    const settings = parseHeartbeatSettings(JSON.parse(JSON.stringify(heartbeatSettings(config))));
    expect(thresholdsFor(settings, 'production')).toEqual(
      expect.objectContaining({ missedScansBeforeAlert: 2, scanIntervalSeconds: 30 }),
    );
    expect(thresholdsFor(settings, 'gone')).toEqual(
      expect.objectContaining({ heartbeatIntervalSeconds: 20, missedScansBeforeAlert: 3 }),
    );
    // Not a group: a name the object has from its prototype.
    expect(thresholdsFor(settings, 'constructor')).toEqual(
      expect.objectContaining({ scanIntervalSeconds: 30 }),
    );
    expect(scanTickSeconds(settings)).toBe(30);
  });

  it('are refused when written wrong, naming the field', () => {
    const good = heartbeatSettings(config);
    expect(() =>
      parseHeartbeatSettings({
        ...good,
        groups: { production: { ...good.groups.production, scanIntervalSeconds: 0 } },
      }),
    ).toThrow('groups.production.scanIntervalSeconds: must be at least 1 s');
    expect(() => parseHeartbeatSettings({ ...good, renotifyMinutes: 5 })).toThrow(
      'renotifyMinutes: unknown field',
    );
    expect(() => parseHeartbeatSettings([])).toThrow('heartbeat settings must be a JSON object');
  });
});
