import { type ServiceHarness, startServiceHarness } from '../support/service-harness';
import { TEST_CONFIG } from '../support/watcher';

describe('GET /v1/status: the notification policies in effect', () => {
  let harness: ServiceHarness;

  beforeAll(async () => {
    harness = await startServiceHarness({
      ...TEST_CONFIG,
      recoverAfterScans: 2,
      groups: {
        ...TEST_CONFIG.groups,
        production: {
          channels: ['sms', 'email'],
          maintenance: [
            { cron: '0 2 * * 0', duration: '90m', timezone: 'Europe/Berlin', reason: 'patching' },
          ],
          flapping: { changes: 3, window: '1800s', stableFor: '15m' },
          escalation: [{ after: '15m', group: 'managers' }],
          smsBudget: { perDay: 50 },
          onRestart: 'page',
        },
        managers: { channels: ['email'] },
      },
      clusters: {
        db: {
          group: 'production',
          minHealthy: 2,
          maintenance: [{ cron: '30 3 1 * *', duration: '1h' }],
        },
      },
    });
  });
  afterAll(() => harness.close());

  it("shows each group's windows, flapping rule, hysteresis, escalation, SMS budget and restart rule, durations as written short", async () => {
    const { config } = await harness.service.status();

    expect(config.groups.production).toMatchObject({
      recoverAfterScans: 2,
      maintenance: [{ cron: '0 2 * * 0', duration: '1h30m', timezone: 'Europe/Berlin', reason: 'patching' }],
      flapping: { changes: 3, window: '30m', stableFor: '15m' },
      escalation: [{ group: 'managers' }],
      smsBudget: { perDay: 50 },
      onRestart: 'page',
    });
    expect(config.groups.managers).toMatchObject({ recoverAfterScans: 2, onRestart: 'record' });
    expect(config.groups.managers?.flapping).toBeUndefined();
    expect(config.groups.managers?.maintenance).toBeUndefined();
  });

  it("shows a cluster's recurring windows, in UTC when the config names no time zone", async () => {
    const { config } = await harness.service.status();

    expect(config.clusters.db).toEqual({
      group: 'production',
      minHealthy: 2,
      memberPages: true,
      maintenance: [{ cron: '30 3 1 * *', duration: '1h', timezone: 'UTC' }],
    });
  });
});
