import { localLogger } from '../../cli/local-watcher';
import { newSecret } from '../../lambda/domain/secrets';
import {
  createLogger,
  isSecretName,
  type LogLevel,
  type LogRecord,
  parseLogLevel,
  REDACTED,
  stdoutSink,
} from '../../lambda/logger';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

function capture(level?: LogLevel) {
  const records: LogRecord[] = [];
  const texts: (string | undefined)[] = [];
  const log = createLogger({
    level,
    now: () => AT,
    sink: (record, text) => {
      records.push(record);
      texts.push(text);
    },
  });
  return { log, records, texts };
}

describe('the logger', () => {
  it('writes a record as its time, level, message and fields', () => {
    const { log, records } = capture();
    log.info('scan', { agents: 3, opened: ['a-1'] });
    expect(records).toEqual([
      { time: '2026-01-02T03:04:05.000Z', level: 'info', msg: 'scan', agents: 3, opened: ['a-1'] },
    ]);
  });

  it('drops the records below its level, info by default', () => {
    const byDefault = capture();
    for (const level of ['debug', 'info', 'warn', 'error'] as const) byDefault.log[level](level);
    expect(byDefault.records.map((r) => r.msg)).toEqual(['info', 'warn', 'error']);

    const quiet = capture('warn');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) quiet.log[level](level);
    expect(quiet.records.map((r) => r.level)).toEqual(['warn', 'error']);

    const all = capture('debug');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) all.log[level](level);
    expect(all.records.map((r) => r.level)).toEqual(['debug', 'info', 'warn', 'error']);
  });

  it('writes metrics whatever its level, as an info record with the document at the top', () => {
    const { log, records } = capture('error');
    log.metrics('scan metrics', { _aws: { Timestamp: AT }, ScansCompleted: 1 });
    expect(records).toEqual([
      {
        time: '2026-01-02T03:04:05.000Z',
        level: 'info',
        msg: 'scan metrics',
        _aws: { Timestamp: AT },
        ScansCompleted: 1,
      },
    ]);
  });

  it('redacts secret fields at any depth, in objects and in lists, before the sink sees them', () => {
    const { log, records } = capture();
    log.error('request failed', {
      agentId: 'web-01',
      token: 'hbw_secret',
      request: {
        headers: { Authorization: 'Bearer abc', 'x-api-key': 'k', 'content-type': 'application/json' },
        body: { agents: [{ agentId: 'db-01', adminToken: 't', enrollmentKey: 'e' }] },
      },
      HBW_ADMIN_TOKEN: 'admin',
      tokenHash: 'f00d',
      stack: { secretAccessKey: 'aws', passwordFile: '/x' },
    });
    expect(records[0]).toMatchObject({
      agentId: 'web-01',
      token: REDACTED,
      request: {
        headers: { Authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'application/json' },
        body: { agents: [{ agentId: 'db-01', adminToken: REDACTED, enrollmentKey: REDACTED }] },
      },
      HBW_ADMIN_TOKEN: REDACTED,
      tokenHash: REDACTED,
      stack: { secretAccessKey: REDACTED, passwordFile: REDACTED },
    });
  });

  it('redacts bearer credentials and the watcher tokens and keys inside text, errors included', () => {
    const token = newSecret('hbw_');
    const key = newSecret('hbwk_');
    const { log, records } = capture();
    log.error('failed', {
      error: new Error(`refused ${token} (header Authorization: Bearer ${token})`),
      detail: `enroll with ${key}, or not`,
    });
    const line = JSON.stringify(records[0]);
    expect(line).not.toContain(token);
    expect(line).not.toContain(key);
    expect(records[0]!.detail).toBe(`enroll with ${REDACTED}, or not`);
    expect(records[0]!.error).toContain(`refused ${REDACTED} (header Authorization: Bearer ${REDACTED})`);
    expect(records[0]!.error).toContain('at '); // the stack is kept
  });

  it('leaves the fields it is given as they were', () => {
    const { log } = capture();
    const fields = { token: 'hbw_x', nested: { secret: 's' } };
    log.info('x', fields);
    expect(fields).toEqual({ token: 'hbw_x', nested: { secret: 's' } });
  });

  it('writes a record that refers to itself without looping', () => {
    const { log, records } = capture();
    const loop: Record<string, unknown> = { name: 'a' };
    loop.self = loop;
    log.warn('loop', { loop });
    expect(records[0]!.loop).toEqual({ name: 'a', self: '[circular]' });
  });

  it.each([
    ['token', true],
    ['adminToken', true],
    ['tokenHash', true],
    ['HBW_ADMIN_TOKEN', true],
    ['authorization', true],
    ['set-cookie', true],
    ['clientSecret', true],
    ['key', true],
    ['enrollmentKey', true],
    ['keyHash', true],
    ['x-api-key', true],
    ['password', true],
    ['agentId', false],
    ['keys', false],
    ['monitored', false],
    ['subject', false],
    ['item', false],
  ])('counts %s as a secret name: %s', (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });

  it('reads a level in any case, and nothing else', () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel(' warn ')).toBe('warn');
    expect(parseLogLevel('verbose')).toBeUndefined();
  });

  it('writes each record as one JSON line, warnings and errors on stderr', () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const log = createLogger({ sink: stdoutSink, now: () => AT });
      log.info('two\nlines', { detail: 'a\nb' });
      log.error('bad', { n: 1 });
      expect(out.mock.calls).toEqual([
        ['{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"two\\nlines","detail":"a\\nb"}\n'],
      ]);
      expect(err.mock.calls).toEqual([
        ['{"time":"2026-01-02T03:04:05.000Z","level":"error","msg":"bad","n":1}\n'],
      ]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe("local mode's logger", () => {
  it('prints the line for people when one is given, else the record as JSON', () => {
    const lines: string[] = [];
    const log = localLogger((line) => lines.push(line), false);
    log.info('outbox', { group: 'production' }, '[outbox] production sms: down');
    log.warn('storm', { token: 'hbw_x' });
    expect(lines[0]).toBe('[outbox] production sms: down');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: 'storm', token: REDACTED });
  });

  it('prints every record as one JSON line with --json, and drops the ones below its level', () => {
    const lines: string[] = [];
    const log = localLogger((line) => lines.push(line), true, 'warn');
    log.info('outbox', { group: 'production' }, '[outbox] production sms: down');
    log.error('scan failed', { error: 'boom' }, 'scan failed: boom');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', msg: 'scan failed', error: 'boom' });
  });
});
