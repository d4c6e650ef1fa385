import { ValidationError } from '../../lambda/domain/errors';
import {
  ackSchema,
  addAgentSchema,
  batchSchema,
  heartbeatSchema,
  maintenanceSchema,
  parseBatchItem,
  registerSchema,
} from '../../lambda/domain/requests';
import { parseOrThrow } from '../../lambda/domain/validation';

/** Answers the ValidationError that `act` threw (fails the test when it threw none). */
function validationError(act: () => unknown): ValidationError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('no ValidationError was thrown');
}

const heartbeat = (fields: Record<string, unknown>) =>
  parseOrThrow(heartbeatSchema, { agentId: 'web-01', ...fields });
const heartbeatError = (fields: Record<string, unknown>) => validationError(() => heartbeat(fields));

describe('heartbeat sentAt', () => {
  it.each([
    ['UTC with Z', '2026-01-31T12:00:00Z', '2026-01-31T12:00:00.000Z'],
    ['milliseconds', '2026-01-31T12:00:00.250Z', '2026-01-31T12:00:00.250Z'],
    ['nanoseconds', '2026-01-31T12:00:00.123456789Z', '2026-01-31T12:00:00.123Z'],
    ['a positive offset', '2026-01-31T14:00:00+02:00', '2026-01-31T12:00:00.000Z'],
    ['a negative offset', '2026-01-31T07:00:00-05:00', '2026-01-31T12:00:00.000Z'],
    ['lower-case t and z', '2026-01-31t12:00:00z', '2026-01-31T12:00:00.000Z'],
    ['29 February of a leap year', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['the last second of a day', '2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000Z'],
  ])('accepts an RFC 3339 time with %s, as epoch milliseconds', (_case, sentAt, iso) => {
    expect(heartbeat({ sentAt }).sentAt).toBe(Date.parse(iso));
  });

  it.each([
    ['no offset', '2026-01-31T12:00:00'],
    ['a date alone', '2026-01-31'],
    ['a space for the T', '2026-01-31 12:00:00Z'],
    ['no seconds', '2026-01-31T12:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['day 32', '2026-01-32T00:00:00Z'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['hour 24', '2026-01-31T24:00:00Z'],
    ['minute 60', '2026-01-31T12:60:00Z'],
    ['an offset of 25 hours', '2026-01-31T12:00:00+25:00'],
    ['an extended year', '+002026-01-31T12:00:00Z'],
    ['an HTTP date', 'Sat, 31 Jan 2026 12:00:00 GMT'],
    ['epoch seconds in a string', '1769860800'],
    ['an empty string', ''],
  ])('refuses a sentAt with %s, naming sentAt', (_case, sentAt) => {
    const error = heartbeatError({ sentAt });

    expect(error.field).toBe('sentAt');
    expect(error.code).toBe('invalid_request');
  });

  it('refuses 30 February instead of rolling it over to 2 March', () => {
    expect(heartbeatError({ sentAt: '2026-02-30T00:00:00Z' }).message).toBe(
      'sentAt: must be a real date and time',
    );
  });

  it.each([
    ['epoch milliseconds', 1_769_860_800_000],
    ['null', null],
    ['an object', { iso: '2026-01-31T12:00:00Z' }],
  ])('refuses a sentAt given as %s', (_case, sentAt) => {
    expect(heartbeatError({ sentAt }).message).toBe('sentAt: must be an RFC 3339 time string');
  });
});

describe('heartbeat seq', () => {
  it.each([0, 1, 2 ** 53 - 1])('accepts %d', (seq) => {
    expect(heartbeat({ seq }).seq).toBe(seq);
  });

  it.each([
    ['negative', -1, 'seq: must not be negative'],
    ['a fraction', 1.5, 'seq: must be a whole number'],
    ['beyond the safe integers', 2 ** 53, 'seq: must be a whole number'],
    ['huge', 1e300, 'seq: must be a whole number'],
    ['a string', '5', 'seq: must be a number'],
    ['a boolean', true, 'seq: must be a number'],
  ])('refuses a seq that is %s', (_case, seq, message) => {
    const error = heartbeatError({ seq });

    expect(error.field).toBe('seq');
    expect(error.message).toBe(message);
  });
});

describe('heartbeat agentId and text fields', () => {
  it('accepts an agentId of 128 characters from A-Z a-z 0-9 . _ : -', () => {
    const agentId = `Web-01.eu_west:a${'x'.repeat(112)}`;

    expect(parseOrThrow(heartbeatSchema, { agentId }).agentId).toBe(agentId);
  });

  it('refuses a body without an agentId, saying it is required', () => {
    const error = validationError(() => parseOrThrow(heartbeatSchema, { seq: 1 }));

    expect(error.field).toBe('agentId');
    expect(error.message).toBe('agentId: is required');
  });

  it.each([
    ['empty', '', 'agentId: must not be empty'],
    ['129 characters', 'a'.repeat(129), 'agentId: must be at most 128 characters'],
    ['a space', 'web 01', 'agentId: may contain only A-Z a-z 0-9 . _ : -'],
    ['a non-ASCII letter', 'wéb', 'agentId: may contain only A-Z a-z 0-9 . _ : -'],
    ['a slash', 'web/01', 'agentId: may contain only A-Z a-z 0-9 . _ : -'],
    ['a number', 1, 'agentId: must be a string'],
  ])('refuses an agentId that is %s', (_case, agentId, message) => {
    const error = validationError(() => parseOrThrow(heartbeatSchema, { agentId }));

    expect(error.field).toBe('agentId');
    expect(error.message).toBe(message);
  });

  it.each([
    ['cluster', 5, 'cluster: must be a string'],
    ['cluster', 'c'.repeat(65), 'cluster: must be at most 64 characters'],
    ['bootId', 'boot id', 'bootId: may contain only A-Z a-z 0-9 . _ : -'],
    ['endpoint', 'https://a\nb', 'endpoint: must not contain control characters'],
    ['version', '', 'version: must not be empty'],
    ['version', 'v'.repeat(65), 'version: must be at most 64 characters'],
  ])('refuses a bad %s, naming it', (field, value, message) => {
    const error = heartbeatError({ [field]: value });

    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });

  it('keeps every optional field it is given and drops keys it does not know', () => {
    const optional = {
      seq: 7,
      bootId: 'b-1',
      cluster: 'eu-1',
      endpoint: 'https://hb.example.com',
      version: '1.2.3 (linux)',
    };

    const input = heartbeat({ ...optional, colour: 'red' });

    expect(input).toEqual({ agentId: 'web-01', ...optional });
  });
});

describe('parseOrThrow on a body that is not an object', () => {
  it.each([
    ['a list', [{ agentId: 'web-01' }]],
    ['a string', 'web-01'],
    ['a number', 42],
    ['null', null],
  ])('refuses %s, naming no field', (_case, body) => {
    const error = validationError(() => parseOrThrow(heartbeatSchema, body));

    expect(error.message).toBe('body must be a JSON object');
    expect(error.field).toBeUndefined();
    expect(error.code).toBe('invalid_request');
  });
});

describe('relay batches', () => {
  it('names the item and its field: heartbeats[2].agentId', () => {
    const error = validationError(() => parseBatchItem({ agentId: 'web 01', token: 't' }, 2));

    expect(error.field).toBe('heartbeats[2].agentId');
    expect(error.message).toBe('heartbeats[2].agentId: may contain only A-Z a-z 0-9 . _ : -');
  });

  it('names the item when it is not an object', () => {
    const error = validationError(() => parseBatchItem('web-01', 4));

    expect(error.field).toBe('heartbeats[4]');
    expect(error.message).toBe('heartbeats[4] must be a JSON object');
  });

  it('needs the token of each item', () => {
    expect(validationError(() => parseBatchItem({ agentId: 'web-01' }, 0)).field).toBe('heartbeats[0].token');
  });

  it('holds 1 to 100 heartbeats', () => {
    const item = { agentId: 'web-01', token: 't' };

    expect(parseOrThrow(batchSchema, { heartbeats: Array(100).fill(item) }).heartbeats).toHaveLength(100);
    expect(
      validationError(() => parseOrThrow(batchSchema, { heartbeats: Array(101).fill(item) })).field,
    ).toBe('heartbeats');
    expect(validationError(() => parseOrThrow(batchSchema, { heartbeats: [] })).field).toBe('heartbeats');
  });
});

describe('probe variants of POST /v1/agents', () => {
  const add = (probe: unknown) =>
    parseOrThrow(addAgentSchema, { agentId: 'db-01', group: 'production', probe });
  const probeError = (probe: unknown) => validationError(() => add(probe));

  it.each([
    [{ type: 'tcp', host: 'db.internal', port: 5432 }],
    [{ type: 'tcp', host: '10.0.0.7', port: 1 }],
    [{ type: 'tcp', host: '::1', port: 65535 }],
    [{ type: 'http', url: 'http://db.internal:8080/health' }],
    [{ type: 'http', url: 'https://db.example.com/' }],
    [{ type: 'ec2', instanceId: 'i-0abc1234def567890' }],
    [{ type: 'ec2', instanceId: 'i-0abc1234' }],
    [{ type: 'ssm', instanceId: 'i-0abc1234def567890' }],
    [{ type: 'ssm', instanceId: 'mi-0abc1234def567890' }],
  ])('accepts %j', (probe) => {
    expect(add(probe).probe).toEqual(probe);
  });

  it.each([
    ['an unknown type', { type: 'icmp', host: 'db' }, 'probe.type'],
    ['no type', { host: 'db', port: 22 }, 'probe.type'],
    ['port 0', { type: 'tcp', host: 'db', port: 0 }, 'probe.port'],
    ['port 65536', { type: 'tcp', host: 'db', port: 65_536 }, 'probe.port'],
    ['a fractional port', { type: 'tcp', host: 'db', port: 22.5 }, 'probe.port'],
    ['a port in a string', { type: 'tcp', host: 'db', port: '22' }, 'probe.port'],
    ['no host', { type: 'tcp', port: 22 }, 'probe.host'],
    ['a host with a space', { type: 'tcp', host: 'db 1', port: 22 }, 'probe.host'],
    ['an ftp URL', { type: 'http', url: 'ftp://db.internal/' }, 'probe.url'],
    ['a URL that is not one', { type: 'http', url: 'db.internal/health' }, 'probe.url'],
    ['a tcp probe with a url', { type: 'tcp', url: 'http://db/' }, 'probe.host'],
    ['an ec2 id of 9 hex digits', { type: 'ec2', instanceId: 'i-0abc12345' }, 'probe.instanceId'],
    ['an ec2 id in upper case', { type: 'ec2', instanceId: 'i-0ABC1234DEF567890' }, 'probe.instanceId'],
    [
      'an ec2 id that is a managed node',
      { type: 'ec2', instanceId: 'mi-0abc1234def567890' },
      'probe.instanceId',
    ],
    ['an ec2 probe with no id', { type: 'ec2' }, 'probe.instanceId'],
    ['an ssm managed node of 8 hex digits', { type: 'ssm', instanceId: 'mi-0abc1234' }, 'probe.instanceId'],
    ['an ssm id that is a name', { type: 'ssm', instanceId: 'web-01' }, 'probe.instanceId'],
    ['an ec2 probe with a host', { type: 'ec2', instanceId: 'i-0abc1234', host: 'db' }, 'probe.host'],
  ])('refuses a probe with %s, naming %s', (_case, probe, field) => {
    expect(probeError(probe).field).toBe(field);
  });

  it('refuses a probe that is a string', () => {
    expect(probeError('tcp:db:22').field).toBe('probe');
  });
});

describe('register and maintenance bodies', () => {
  it('needs a group of 1 to 64 name characters to register', () => {
    expect(validationError(() => parseOrThrow(registerSchema, { agentId: 'web-01' })).field).toBe('group');
    expect(
      validationError(() => parseOrThrow(registerSchema, { agentId: 'web-01', group: 'g'.repeat(65) })).field,
    ).toBe('group');
  });

  it('reads the end of a maintenance window as epoch milliseconds and refuses a non-time', () => {
    expect(parseOrThrow(maintenanceSchema, { until: '2026-11-23T18:00:00Z' }).until).toBe(
      Date.parse('2026-11-23T18:00:00Z'),
    );
    expect(validationError(() => parseOrThrow(maintenanceSchema, { until: 'tomorrow' })).field).toBe('until');
  });
});

describe('unknown fields in request bodies', () => {
  const addAgent = { agentId: 'web-09', group: 'production' };

  it.each([
    ['POST /v1/agents', addAgentSchema, { ...addAgent, agentles: true }, 'agentles', 'agentless'],
    ['POST /v1/agents', addAgentSchema, { ...addAgent, clustr: 'web' }, 'clustr', 'cluster'],
    ['POST /v1/register', registerSchema, { ...addAgent, Cluster: 'web' }, 'Cluster', 'cluster'],
    ['PUT maintenance', maintenanceSchema, { until: '2026-11-23T18:00:00Z', reasn: 'x' }, 'reasn', 'reason'],
    ['POST ack', ackSchema, { by: 'ops', nte: 'rebooting' }, 'nte', 'note'],
  ])(
    'refuses an unknown field of %s, naming it and the closest known name',
    (_route, schema, body, field, known) => {
      const error = validationError(() => parseOrThrow(schema, body));

      expect(error.field).toBe(field);
      expect(error.message).toBe(`${field}: unknown field (did you mean ${known}?)`);
    },
  );

  it('accepts a heartbeat with a field it does not know, so that a newer agent is not refused (and paged) by an older watcher', () => {
    expect(heartbeat({ uptimeSeconds: 86_400 })).toEqual({ agentId: 'web-01' });
  });

  it('names a heartbeat field that looks like a typo of the one missing', () => {
    const error = validationError(() => parseOrThrow(heartbeatSchema, { agentID: 'web-01' }));

    expect(error.field).toBe('agentId');
    expect(error.message).toBe('agentId: is required; agentID: unknown field (did you mean agentId?)');
  });

  it('lists every problem of a body in its message, and names the first field', () => {
    const error = heartbeatError({ agentId: 'web 01', seq: -1 });

    expect(error.field).toBe('agentId');
    expect(error.problems.map((p) => p.field)).toEqual(['agentId', 'seq']);
    expect(error.message).toBe('agentId: may contain only A-Z a-z 0-9 . _ : -; seq: must not be negative');
  });
});
