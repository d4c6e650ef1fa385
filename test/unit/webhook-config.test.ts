import { parseConfig } from '../../lambda/domain/config';
import { ValidationError } from '../../lambda/domain/errors';
import { cloudConfig } from '../../lib/cloud-config';

/** The problems parseConfig finds in a config of one group, `production`. */
function problemsOf(group: Record<string, unknown>): string[] {
  try {
    parseConfig({ groups: { production: group } });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => p.message);
  }
  throw new Error('parseConfig accepted the config');
}

const hooked = (...webhooks: unknown[]) => ({ channels: ['webhook'], webhooks });

describe('webhooks in the config', () => {
  it('reads each format, giving pagerduty and opsgenie their service URL when none is written', () => {
    const config = parseConfig({
      groups: {
        production: hooked(
          { name: 'oncall', format: 'pagerduty', secretName: 'PD_KEY' },
          { name: 'ops', format: 'opsgenie', secretName: 'OG_KEY' },
          { name: 'chat', format: 'slack', secretName: 'SLACK_URL' },
          { name: 'teams', format: 'teams', secretName: 'TEAMS_URL' },
          { name: 'ours', format: 'json', url: 'https://hooks.example.com/hbw' },
        ),
      },
    });
    expect(config.groups.production!.channels).toEqual(['webhook']);
    expect(config.groups.production!.webhooks).toEqual([
      {
        name: 'oncall',
        format: 'pagerduty',
        url: 'https://events.pagerduty.com/v2/enqueue',
        secretName: 'PD_KEY',
      },
      { name: 'ops', format: 'opsgenie', url: 'https://api.opsgenie.com/v2/alerts', secretName: 'OG_KEY' },
      { name: 'chat', format: 'slack', secretName: 'SLACK_URL' },
      { name: 'teams', format: 'teams', secretName: 'TEAMS_URL' },
      { name: 'ours', format: 'json', url: 'https://hooks.example.com/hbw' },
    ]);
  });

  it('refuses a secret written inline as such, naming the field, not as an unknown field', () => {
    expect(
      problemsOf(hooked({ name: 'oncall', format: 'pagerduty', secretName: 'PD', routingKey: 'r0' })),
    ).toEqual([
      'groups.production.webhooks[0].routingKey: a secret is never written in the config: store it where secretName names it',
    ]);
    expect(problemsOf(hooked({ name: 'ops', format: 'opsgenie', secretName: 'OG', apiKey: 'k' }))).toEqual([
      'groups.production.webhooks[0].apiKey: a secret is never written in the config: store it where secretName names it',
    ]);
  });

  it('refuses a URL that carries a credential: user and password, a signature, a Slack URL', () => {
    expect(problemsOf(hooked({ name: 'a', format: 'json', url: 'https://u:p@example.com/h' }))).toEqual([
      'groups.production.webhooks[0].url: carries credentials; a secret is never written in the config: store it where secretName names it',
    ]);
    expect(problemsOf(hooked({ name: 'a', format: 'json', url: 'https://example.com/h?sig=abc' }))).toEqual([
      'groups.production.webhooks[0].url: carries a credential in "sig"; a secret is never written in the config: store it where secretName names it',
    ]);
    expect(
      problemsOf(
        hooked({
          name: 'a',
          format: 'slack',
          url: 'https://hooks.slack.com/services/T/B/X',
          secretName: 'S',
        }),
      ),
    ).toEqual([
      'groups.production.webhooks[0].url: a slack webhook URL is itself the secret: store the URL where secretName names it, and leave url out',
    ]);
  });

  it('refuses plain http except to a loopback receiver, which only local mode allows', () => {
    expect(problemsOf(hooked({ name: 'a', format: 'json', url: 'http://example.com/h' }))).toEqual([
      'groups.production.webhooks[0].url: must be an https URL (http only to a loopback receiver, in local mode)',
    ]);
    const loopback = {
      groups: { production: hooked({ name: 'a', format: 'json', url: 'http://127.0.0.1:9/h' }) },
    };
    expect(parseConfig(loopback).groups.production!.webhooks[0]!.url).toBe('http://127.0.0.1:9/h');
    expect(() => cloudConfig(loopback as never)).toThrow(
      'groups.production.webhooks[0].url: must be an https URL in the cloud (http to a loopback receiver is for local mode)',
    );
  });

  it('refuses an unknown format, and an unknown field with the closest known name', () => {
    expect(problemsOf(hooked({ name: 'a', format: 'xml', url: 'https://example.com/h' }))).toEqual([
      'groups.production.webhooks[0].format: must be one of json, slack, teams, pagerduty, opsgenie',
    ]);
    expect(problemsOf(hooked({ name: 'a', format: 'pagerduty', secretNme: 'PD' }))).toEqual([
      'groups.production.webhooks[0].secretNme: unknown field (did you mean secretName?)',
      'groups.production.webhooks[0].secretName: is required for pagerduty: the name of the secret that holds the routing key',
    ]);
  });

  it('requires a secret name for pagerduty, opsgenie, slack and teams, and a URL for json', () => {
    expect(
      problemsOf(
        hooked(
          { name: 'a', format: 'opsgenie' },
          { name: 'b', format: 'teams' },
          { name: 'c', format: 'json' },
        ),
      ),
    ).toEqual([
      'groups.production.webhooks[0].secretName: is required for opsgenie: the name of the secret that holds the API key',
      'groups.production.webhooks[1].secretName: is required for teams: the name of the secret that holds the webhook URL',
      'groups.production.webhooks[2].url: is required for json',
    ]);
  });

  it('keeps webhook names unique in a group', () => {
    expect(
      problemsOf(
        hooked(
          { name: 'a', format: 'slack', secretName: 'S' },
          { name: 'a', format: 'teams', secretName: 'T' },
        ),
      ),
    ).toEqual([
      'groups.production.webhooks[1].name: "a" is webhooks[0] already; names are unique in a group',
    ]);
  });

  it('pairs the webhook channel with the webhooks: neither goes without the other', () => {
    expect(
      problemsOf({ channels: ['email'], webhooks: [{ name: 'a', format: 'slack', secretName: 'S' }] }),
    ).toEqual([
      'groups.production.webhooks: the group has no webhook channel, so these webhooks would never be called',
    ]);
    expect(problemsOf({ channels: ['webhook'] })).toEqual([
      'groups.production.channels: the webhook channel needs at least one entry in webhooks',
    ]);
  });
});
