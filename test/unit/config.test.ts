import {
  DEFAULT_CONFIG,
  groupSettings,
  parseConfig,
  type RawConfig,
  settingsFor,
} from '../../lambda/domain/config';
import { ValidationError } from '../../lambda/domain/errors';

/** Runs `parseConfig` and answers the ValidationError it threw (fails the test when it threw none). */
function configError(raw: unknown): ValidationError {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(raw)}`);
}

const consoleOnly = { channels: ['console'] as const };

function withGroups(groups: Record<string, unknown>, top: Record<string, unknown> = {}): unknown {
  return { ...top, groups };
}

describe('parseConfig with the built-in defaults', () => {
  it('runs every group at 30 s heartbeats, 30 s scans and an alert after 3 missed scans', () => {
    const config = parseConfig(DEFAULT_CONFIG);

    expect(config.heartbeatIntervalSeconds).toBe(30);
    expect(config.scanIntervalSeconds).toBe(30);
    expect(config.missedScansBeforeAlert).toBe(3);
    expect(Object.keys(config.groups)).toEqual(['production', 'test']);
    for (const group of Object.values(config.groups)) {
      expect(group.heartbeatIntervalSeconds).toBe(30);
      expect(group.scanIntervalSeconds).toBe(30);
      expect(group.missedScansBeforeAlert).toBe(3);
    }
  });

  it('pages production by sms and email and keeps test on the console, neither auto-approving', () => {
    const { groups } = parseConfig(DEFAULT_CONFIG);

    expect(groups.production).toMatchObject({
      name: 'production',
      channels: ['sms', 'email'],
      subscriptions: { sms: [], email: [] },
      autoApprove: false,
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      missedScansBeforeAlert: 3,
    });
    expect(groups.test?.channels).toEqual(['console']);
    expect(groups.test?.autoApprove).toBe(false);
  });

  it('fills in the default thresholds when the file names only groups', () => {
    const config = parseConfig(withGroups({ lab: consoleOnly }));

    expect(config).toMatchObject({
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      missedScansBeforeAlert: 3,
    });
    expect(config.groups.lab).toMatchObject({
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      missedScansBeforeAlert: 3,
    });
  });
});

describe('parseConfig per-group overrides', () => {
  const raw: RawConfig = {
    heartbeatIntervalSeconds: 60,
    scanIntervalSeconds: 120,
    missedScansBeforeAlert: 5,
    groups: {
      production: {
        channels: ['sms', 'email'],
        subscriptions: { sms: ['+15555550100'], email: ['oncall@example.com'] },
        missedScansBeforeAlert: 2,
      },
      lab: { channels: ['console'], heartbeatIntervalSeconds: 5, scanIntervalSeconds: 10, autoApprove: true },
      test: { channels: ['console'] },
    },
  };

  it('gives a group its own threshold and the top-level value for the rest', () => {
    const { groups } = parseConfig(raw);

    expect(groups.production).toMatchObject({
      heartbeatIntervalSeconds: 60,
      scanIntervalSeconds: 120,
      missedScansBeforeAlert: 2,
    });
  });

  it('lets a group override both intervals and auto-approve while keeping the top-level alert count', () => {
    const { groups } = parseConfig(raw);

    expect(groups.lab).toMatchObject({
      heartbeatIntervalSeconds: 5,
      scanIntervalSeconds: 10,
      missedScansBeforeAlert: 5,
      autoApprove: true,
    });
  });

  it('gives a group without overrides the top-level thresholds, not the built-in ones', () => {
    const { groups } = parseConfig(raw);

    expect(groups.test).toMatchObject({
      heartbeatIntervalSeconds: 60,
      scanIntervalSeconds: 120,
      missedScansBeforeAlert: 5,
    });
  });

  it('keeps the subscriptions of a group and gives an absent list as empty', () => {
    const { groups } = parseConfig(raw);

    expect(groups.production?.subscriptions).toEqual({
      sms: ['+15555550100'],
      email: ['oncall@example.com'],
    });
    expect(groups.lab?.subscriptions).toEqual({ sms: [], email: [] });
  });

  it('names each channel once even when the file repeats it', () => {
    const { groups } = parseConfig(withGroups({ ops: { channels: ['email', 'email', 'console'] } }));

    expect(groups.ops?.channels).toEqual(['email', 'console']);
  });

  it('accepts a $schema key so editors can find the JSON Schema', () => {
    const config = parseConfig({ $schema: './heartbeat-watcher.schema.json', groups: { test: consoleOnly } });

    expect(Object.keys(config.groups)).toEqual(['test']);
  });
});

describe('groupSettings and settingsFor', () => {
  const config = parseConfig(
    withGroups(
      { production: { channels: ['sms'], scanIntervalSeconds: 10 }, test: consoleOnly },
      {
        scanIntervalSeconds: 60,
      },
    ),
  );

  it('answers the settings of a configured group', () => {
    expect(groupSettings(config, 'production').scanIntervalSeconds).toBe(10);
  });

  it('refuses an unknown group with code unknown_group, naming the field and the configured groups', () => {
    let thrown: unknown;
    try {
      groupSettings(config, 'staging');
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({ code: 'unknown_group', field: 'group' });
    expect((thrown as Error).message).toBe('group: unknown group "staging" (configured: production, test)');
  });

  it('does not take an Object.prototype member for a group', () => {
    expect(() => groupSettings(config, 'constructor')).toThrow(ValidationError);
    expect(() => groupSettings(config, 'toString')).toThrow(ValidationError);
  });

  it('watches an agent of a removed group console-only with the top-level thresholds', () => {
    expect(settingsFor(config, 'gone')).toMatchObject({
      name: 'gone',
      channels: ['console'],
      subscriptions: { sms: [], email: [] },
      autoApprove: false,
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 60,
      missedScansBeforeAlert: 3,
    });
  });
});

describe('parseConfig errors name the field at fault', () => {
  it.each([
    [
      'a channel that does not exist',
      withGroups({ production: { channels: ['pager'] } }),
      'groups.production.channels[0]',
    ],
    [
      'the second of two channels',
      withGroups({ production: { channels: ['sms', 'fax'] } }),
      'groups.production.channels[1]',
    ],
    ['an empty channel list', withGroups({ production: { channels: [] } }), 'groups.production.channels'],
    ['a group without channels', withGroups({ production: {} }), 'groups.production.channels'],
    [
      'a phone number that is not E.164',
      withGroups({ production: { channels: ['sms'], subscriptions: { sms: ['555-0100'] } } }),
      'groups.production.subscriptions.sms[0]',
    ],
    [
      'an email address without a domain',
      withGroups({ production: { channels: ['email'], subscriptions: { email: ['oncall'] } } }),
      'groups.production.subscriptions.email[0]',
    ],
    [
      'a group threshold of 0',
      withGroups({ production: { channels: ['sms'], missedScansBeforeAlert: 0 } }),
      'groups.production.missedScansBeforeAlert',
    ],
    [
      'a fractional interval',
      withGroups({ test: consoleOnly }, { scanIntervalSeconds: 1.5 }),
      'scanIntervalSeconds',
    ],
    [
      'an interval written as a string',
      withGroups({ test: consoleOnly }, { heartbeatIntervalSeconds: '30' }),
      'heartbeatIntervalSeconds',
    ],
    [
      'an interval over a day',
      withGroups({ test: consoleOnly }, { scanIntervalSeconds: 86_401 }),
      'scanIntervalSeconds',
    ],
    [
      'autoApprove written as a string',
      withGroups({ test: { channels: ['console'], autoApprove: 'yes' } }),
      'groups.test.autoApprove',
    ],
    ['groups given as a list', { groups: [{ channels: ['console'] }] }, 'groups'],
  ])('names the field for %s', (_case, raw, field) => {
    const error = configError(raw);

    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('says a group without channels is missing them, not that they are not allowed', () => {
    const error = configError(withGroups({ production: {} }));

    expect(error.message).toBe('groups.production.channels: is required');
  });

  it.each(['constructor', 'prototype', '__proto__'])(
    'refuses a group named %s instead of dropping it silently',
    (name) => {
      const raw = JSON.parse(
        `{"groups": {"test": {"channels": ["console"]}, "${name}": {"channels": ["console"]}}}`,
      );

      const error = configError(raw);

      expect(error.field).toBe(`groups.${name}`);
    },
  );

  it('refuses an unknown top-level key as an unknown field, suggesting the known name it begins', () => {
    const error = configError(withGroups({ test: consoleOnly }, { scanInterval: 30 }));

    expect(error.field).toBe('scanInterval');
    expect(error.message).toBe('scanInterval: unknown field (did you mean scanIntervalSeconds?)');
  });

  it('refuses an unknown key inside a group as an unknown field, suggesting the closest known name', () => {
    const error = configError(
      withGroups({ production: { channels: ['sms'], renotifyMinute: 30 } }, { stormMinAgents: 5 }),
    );

    expect(error.field).toBe('groups.production.renotifyMinute');
    expect(error.message).toBe(
      'groups.production.renotifyMinute: unknown field (did you mean renotifyMinutes?)',
    );
  });

  it('takes onRestart record or page per group, record by default, and names the field otherwise', () => {
    const config = parseConfig(
      withGroups({ production: { channels: ['sms'], onRestart: 'page' }, test: consoleOnly }),
    );
    expect(config.groups.production!.onRestart).toBe('page');
    expect(config.groups.test!.onRestart).toBe('record');

    expect(configError(withGroups({ production: { channels: ['sms'], onRestart: 'alert' } })).message).toBe(
      'groups.production.onRestart: must be record or page',
    );
    expect(configError(withGroups({ production: { channels: ['sms'], onRestrat: 'page' } })).message).toBe(
      'groups.production.onRestrat: unknown field (did you mean onRestart?)',
    );
  });

  it('suggests no name when none is close to the unknown key', () => {
    const error = configError(withGroups({ production: { channels: ['sms'], colour: 'red' } }));

    expect(error.message).toBe('groups.production.colour: unknown field');
  });

  it('lists every problem of the document, each with its field path, in one error', () => {
    const error = configError({
      scanIntervalSeconds: 0,
      stormFractoin: 0.5,
      groups: {
        production: { channels: ['sms', 'pager'], chanels: ['email'], renotifyMinute: 30 },
        test: { channels: ['email'], subscriptions: { sms: ['+15555550100'] } },
        lab: { channels: ['console'], autoApprove: 'yes' },
      },
    });

    expect(error.problems.map((p) => p.field).sort()).toEqual(
      [
        'scanIntervalSeconds',
        'stormFractoin',
        'groups.production.channels[1]',
        'groups.production.chanels',
        'groups.production.renotifyMinute',
        'groups.test.subscriptions.sms',
        'groups.lab.autoApprove',
      ].sort(),
    );
    for (const problem of error.problems) expect(problem.message.startsWith(`${problem.field}: `)).toBe(true);
    expect(error.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'stormFractoin: unknown field (did you mean stormFraction?)',
        'groups.production.chanels: unknown field (did you mean channels?)',
      ]),
    );
    expect(error.field).toBe(error.problems[0]?.field);
  });

  it('refuses subscriptions for a channel the group does not have', () => {
    const error = configError(
      withGroups({ production: { channels: ['email'], subscriptions: { sms: ['+15555550100'] } } }),
    );

    expect(error.field).toBe('groups.production.subscriptions.sms');
    expect(error.message).toMatch(/^groups\.production\.subscriptions\.sms: the group has no sms channel/);
  });

  it('accepts an empty subscription list for a channel the group does not have', () => {
    const config = parseConfig(
      withGroups({ production: { channels: ['email'], subscriptions: { sms: [] } } }),
    );

    expect(config.groups.production?.channels).toEqual(['email']);
  });

  it.each([
    ['a space', 'prod uction'],
    ['a slash', 'prod/eu'],
    ['a non-ASCII letter', 'prodüction'],
    ['65 characters', 'g'.repeat(65)],
  ])('refuses a group name with %s, naming the groups field', (_case, name) => {
    const error = configError(withGroups({ [name]: consoleOnly }));

    expect(error.field).toBe(`groups.${name}`);
  });

  it('accepts a group name of 64 characters drawn from A-Z a-z 0-9 . _ : -', () => {
    const name = `Ab0._:-${'g'.repeat(57)}`;

    expect(Object.keys(parseConfig(withGroups({ [name]: consoleOnly })).groups)).toEqual([name]);
  });

  it('refuses a config without groups', () => {
    const error = configError(withGroups({}));

    expect(error.field).toBe('groups');
    expect(error.message).toBe('groups: must define at least one group');
  });

  it('refuses a config that does not name groups at all', () => {
    const error = configError({ scanIntervalSeconds: 30 });

    expect(error.field).toBe('groups');
    expect(error.message).toBe('groups: is required');
  });

  it.each([
    ['a list', []],
    ['null', null],
    ['a string', 'production'],
  ])('refuses a config document that is %s', (_case, raw) => {
    const error = configError(raw);

    expect(error.field).toBeUndefined();
    expect(error.message).toBe('config must be a JSON object');
  });
});

describe("the watcher's own alarm subscribers", () => {
  const production = {
    channels: ['sms', 'email'],
    subscriptions: { sms: ['+15555550100'], email: ['oncall@example.com'] },
  };

  it('are watcherAlarms.subscriptions when the config lists them', () => {
    const config = parseConfig(
      withGroups(
        { production },
        { watcherAlarms: { subscriptions: { sms: ['+15555550199'], email: ['watcher@example.com'] } } },
      ),
    );

    expect(config.watcherAlarms).toEqual({
      subscriptions: { sms: ['+15555550199'], email: ['watcher@example.com'] },
      source: 'watcherAlarms',
    });
  });

  it('are nobody when watcherAlarms.subscriptions lists nobody', () => {
    const config = parseConfig(withGroups({ production }, { watcherAlarms: { subscriptions: {} } }));

    expect(config.watcherAlarms).toEqual({ subscriptions: { sms: [], email: [] }, source: 'watcherAlarms' });
  });

  it("fall back to the production group's emails, not its phones", () => {
    const config = parseConfig(withGroups({ production, test: consoleOnly }));

    expect(config.watcherAlarms).toEqual({
      subscriptions: { sms: [], email: ['oncall@example.com'] },
      source: 'production',
    });
  });

  it('fall back to the emails of every group that pages by email without a production group, each once', () => {
    const config = parseConfig(
      withGroups({
        eu: { channels: ['email'], subscriptions: { email: ['eu@example.com', 'ops@example.com'] } },
        us: { channels: ['sms', 'email'], subscriptions: { email: ['ops@example.com'] } },
        lab: consoleOnly,
      }),
    );

    expect(config.watcherAlarms).toEqual({
      subscriptions: { sms: [], email: ['eu@example.com', 'ops@example.com'] },
      source: 'paging groups',
    });
  });

  it("are validated like a group's, every problem named with its path", () => {
    const error = configError(
      withGroups(
        { production },
        { watcherAlarms: { subscriptions: { sms: ['555-0100'], emial: ['watcher@example.com'] } } },
      ),
    );

    expect(error.problems.map((p) => p.message)).toEqual([
      'watcherAlarms.subscriptions.sms[0]: must be an E.164 phone number such as +15555550100',
      'watcherAlarms.subscriptions.emial: unknown field (did you mean email?)',
    ]);
  });
});

describe('clusters', () => {
  const production = { channels: ['sms', 'email'] };

  it('gives each cluster its group, its quorum and paging of its members by default', () => {
    const config = parseConfig(
      withGroups({ production }, { clusters: { db: { group: 'production', minHealthy: 2 } } }),
    );

    expect(config.clusters).toEqual({
      db: { name: 'db', group: 'production', minHealthy: 2, memberPages: true, maintenance: [] },
    });
  });

  it('keeps memberPages false when the cluster pages only its quorum', () => {
    const config = parseConfig(
      withGroups(
        { production },
        { clusters: { web: { group: 'production', minHealthy: 3, memberPages: false } } },
      ),
    );

    expect(config.clusters.web?.memberPages).toBe(false);
  });

  it.each([
    ['a minHealthy below 1', { group: 'production', minHealthy: 0 }, 'clusters.db.minHealthy'],
    ['a fractional minHealthy', { group: 'production', minHealthy: 1.5 }, 'clusters.db.minHealthy'],
    ['no minHealthy', { group: 'production' }, 'clusters.db.minHealthy'],
    ['an unknown group', { group: 'prod', minHealthy: 2 }, 'clusters.db.group'],
    [
      'memberPages written as a string',
      { group: 'production', minHealthy: 2, memberPages: 'no' },
      'clusters.db.memberPages',
    ],
  ])('names the field for %s', (_case, cluster, field) => {
    const error = configError(withGroups({ production }, { clusters: { db: cluster } }));

    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('says which groups there are when a cluster names an unknown one', () => {
    const error = configError(
      withGroups({ production }, { clusters: { db: { group: 'prod', minHealthy: 2 } } }),
    );

    expect(error.message).toBe('clusters.db.group: unknown group "prod" (configured: production)');
  });

  it('refuses an unknown key in a cluster as an unknown field, with a suggestion', () => {
    const error = configError(
      withGroups({ production }, { clusters: { db: { group: 'production', minHealty: 2, minHealthy: 2 } } }),
    );

    expect(error.message).toBe('clusters.db.minHealty: unknown field (did you mean minHealthy?)');
  });

  it('refuses a cluster named __proto__ instead of dropping it silently', () => {
    const raw = JSON.parse(
      '{"groups": {"production": {"channels": ["sms"]}}, "clusters": {"__proto__": {"group": "production", "minHealthy": 1}}}',
    );

    expect(configError(raw).field).toBe('clusters.__proto__');
  });
});

describe('parseConfig with probe networks', () => {
  const prodVpc = { subnetIds: ['subnet-0abc1234def567890'], securityGroupIds: ['sg-12345678'] };

  it('gives a group the probe network it names, and the config every network it defines', () => {
    const config = parseConfig(
      withGroups(
        { production: { ...consoleOnly, probeNetwork: 'prod-vpc' }, test: consoleOnly },
        { probeNetworks: { 'prod-vpc': prodVpc } },
      ),
    );

    expect(config.probeNetworks).toEqual({ 'prod-vpc': prodVpc });
    expect(config.groups.production!.probeNetwork).toBe('prod-vpc');
    expect(config.groups.test!.probeNetwork).toBeUndefined();
  });

  it('defines no probe network when the config has none', () => {
    expect(parseConfig(DEFAULT_CONFIG).probeNetworks).toEqual({});
  });

  it('says which networks there are when a group names an unknown one', () => {
    const error = configError(
      withGroups(
        { production: { ...consoleOnly, probeNetwork: 'prod' } },
        { probeNetworks: { 'prod-vpc': prodVpc } },
      ),
    );

    expect(error.field).toBe('groups.production.probeNetwork');
    expect(error.message).toBe(
      'groups.production.probeNetwork: unknown probe network "prod" (configured: prod-vpc)',
    );
  });

  it('says the config defines no networks when a group names one without any', () => {
    const error = configError(withGroups({ production: { ...consoleOnly, probeNetwork: 'prod-vpc' } }));

    expect(error.message).toBe(
      'groups.production.probeNetwork: unknown probe network "prod-vpc" (the config defines no probeNetworks)',
    );
  });

  it.each([
    [
      'a subnet that is no subnet id',
      { ...prodVpc, subnetIds: ['vpc-0abc1234'] },
      'probeNetworks.prod-vpc.subnetIds[0]',
    ],
    [
      'a security group that is no id',
      { ...prodVpc, securityGroupIds: ['web'] },
      'probeNetworks.prod-vpc.securityGroupIds[0]',
    ],
    ['no subnets', { ...prodVpc, subnetIds: [] }, 'probeNetworks.prod-vpc.subnetIds'],
    ['no security groups', { subnetIds: prodVpc.subnetIds }, 'probeNetworks.prod-vpc.securityGroupIds'],
  ])('names the field for %s', (_case, network, field) => {
    const error = configError(
      withGroups({ production: consoleOnly }, { probeNetworks: { 'prod-vpc': network } }),
    );

    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('refuses an unknown key in a network as an unknown field, with a suggestion', () => {
    const error = configError(
      withGroups(
        { production: consoleOnly },
        { probeNetworks: { 'prod-vpc': { ...prodVpc, subnetId: [] } } },
      ),
    );

    expect(error.message).toBe('probeNetworks.prod-vpc.subnetId: unknown field (did you mean subnetIds?)');
  });

  it('refuses a list of networks once, as the object it must be', () => {
    const error = configError(withGroups({ production: consoleOnly }, { probeNetworks: [prodVpc] }));

    expect(error.problems).toEqual([
      { field: 'probeNetworks', message: 'probeNetworks: must be an object of probe networks' },
    ]);
  });
});
