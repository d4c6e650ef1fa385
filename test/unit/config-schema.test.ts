import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../../cli/commands/local';
import { parseConfig } from '../../lambda/domain/config';
import { NAME_PATTERN } from '../../lambda/domain/names';

const SCHEMA_FILE = join(__dirname, '..', '..', 'heartbeat-watcher.schema.json');

/** The example config of the README, verbatim. */
const README_EXAMPLE = `{
  "heartbeatIntervalSeconds": 30,
  "scanIntervalSeconds": 30,
  "missedScansBeforeAlert": 3,
  "groups": {
    "production": {
      "channels": ["sms", "email"],
      "subscriptions": { "sms": ["+15555550100"], "email": ["oncall@example.com"] }
    },
    "test": { "channels": ["console"] }
  }
}`;

describe('heartbeat-watcher.schema.json', () => {
  it('is exactly what `hbw config schema` prints from the current definition (regenerate with npm run schema)', async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');

    expect(committed).toBe(`${JSON.stringify(await configJsonSchema(), null, 2)}\n`);
  });

  it('refuses unknown keys and requires groups, as parseConfig does', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

    expect(schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['groups'],
      additionalProperties: false,
    });
    expect(schema.properties.groups.propertyNames.pattern).toBe(NAME_PATTERN.source);
    expect(schema.properties.groups.additionalProperties.required).toEqual(['channels']);
    expect(schema.properties.groups.additionalProperties.properties.channels.items.enum).toEqual([
      'sms',
      'email',
      'webhook',
      'console',
    ]);
  });
});

describe('the example config of the README', () => {
  it('is valid and pages production by sms and email and keeps test on the console', () => {
    const config = parseConfig(JSON.parse(README_EXAMPLE));

    expect(config).toMatchObject({
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      missedScansBeforeAlert: 3,
    });
    expect(config.groups.production).toMatchObject({
      channels: ['sms', 'email'],
      subscriptions: { sms: ['+15555550100'], email: ['oncall@example.com'] },
    });
    expect(config.groups.test).toMatchObject({
      channels: ['console'],
      subscriptions: { sms: [], email: [] },
    });
  });
});
