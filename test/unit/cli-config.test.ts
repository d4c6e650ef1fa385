import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hbw } from '../support/run-cli';

/** A config with three mistakes: a value out of range, an unknown channel, a misspelt key. */
const TYPOS = {
  scanIntervalSeconds: 0,
  groups: { production: { channels: ['pager'], renotifyMinute: 30 } },
};

describe('hbw config check', () => {
  let dir: string;
  let valid: string;
  let other: string;
  let typos: string;
  let withProduction: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-config-'));
    valid = join(dir, 'valid.json');
    other = join(dir, 'other.json');
    typos = join(dir, 'typos.json');
    withProduction = join(dir, 'production.json');
    writeFileSync(
      withProduction,
      JSON.stringify({
        groups: {
          production: {
            channels: ['sms', 'email'],
            subscriptions: { sms: ['+15555550100'], email: ['oncall@example.com'] },
          },
        },
      }),
    );
    writeFileSync(valid, JSON.stringify({ groups: { test: { channels: ['console'] } } }));
    writeFileSync(other, JSON.stringify({ groups: { lab: { channels: ['console'] } } }));
    writeFileSync(typos, JSON.stringify(TYPOS));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the file as a positional argument', async () => {
    const run = await hbw(['config', 'check', valid]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`${valid}: valid`);
  });

  it("says whom the watcher's own alarms reach, and where that comes from", async () => {
    const fallback = await hbw(['config', 'check', withProduction]);
    const none = await hbw(['config', 'check', valid]);

    expect(fallback.out).toContain(
      "the watcher's own alarms (cloud): 1 email address, from the production group's emails",
    );
    expect(none.out).toContain(
      "the watcher's own alarms (cloud): nobody (the emails of the groups that page by email: none)",
    );
  });

  it('warns, naming the field, of a group whose heartbeat is longer than its scan interval, and still says the file is valid', async () => {
    const slow = join(dir, 'slow-heartbeat.json');
    writeFileSync(
      slow,
      JSON.stringify({ groups: { lab: { channels: ['console'], heartbeatIntervalSeconds: 60 } } }),
    );
    const run = await hbw(['config', 'check', slow]);
    const defaults = await hbw(['config', 'check', valid]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`${slow}: valid`);
    expect(run.err).toContain(
      'hbw: warning: groups.lab.heartbeatIntervalSeconds: the heartbeat (60 s) is longer than the scan interval (30 s)',
    );
    expect(defaults.err).toBe('');
  });

  it('takes the file with --config', async () => {
    const run = await hbw(['config', 'check', '--config', valid]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`${valid}: valid`);
  });

  it('accepts the file both ways when they name the same file', async () => {
    const run = await hbw(['config', 'check', valid, '--config', join(dir, '.', 'valid.json')]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`${valid}: valid`);
  });

  it('refuses two different files as bad usage (exit 2), naming both', async () => {
    const run = await hbw(['config', 'check', valid, '--config', other]);

    expect(run.code).toBe(2);
    expect(run.err).toContain(valid);
    expect(run.err).toContain(other);
  });

  it('lists every problem of an invalid file, each with its field path, and exits 1', async () => {
    const run = await hbw(['config', 'check', typos]);

    expect(run.code).toBe(1);
    expect(run.err.split('\n')).toEqual([
      `hbw: ${typos}: 3 problems:`,
      '  scanIntervalSeconds: must be at least 1 s',
      '  groups.production.channels[0]: must be one of sms, email, webhook, console',
      '  groups.production.renotifyMinute: unknown field (did you mean renotifyMinutes?)',
    ]);
  });

  it('refuses a second positional file as bad usage (exit 2)', async () => {
    const run = await hbw(['config', 'check', valid, other]);

    expect(run.code).toBe(2);
  });
});

describe('hbw config schema', () => {
  it('prints the JSON Schema with --json as without it', async () => {
    const plain = await hbw(['config', 'schema']);
    const json = await hbw(['config', 'schema', '--json']);

    expect(json.code).toBe(0);
    expect(json.out).toBe(plain.out);
    expect(json.json()).toMatchObject({ title: 'heartbeat-watcher config' });
  });
});

describe('hbw local with an invalid config', () => {
  it('lists every problem of the file, each with its field path, and exits 1 without starting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hbw-config-'));
    const file = join(dir, 'typos.json');
    writeFileSync(file, JSON.stringify(TYPOS));
    try {
      const run = await hbw(['local', '--config', file, '--data-dir', join(dir, 'data')]);

      expect(run.code).toBe(1);
      expect(run.err).toContain(`${file}: 3 problems:`);
      expect(run.err).toContain(
        'groups.production.renotifyMinute: unknown field (did you mean renotifyMinutes?)',
      );
      expect(run.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
