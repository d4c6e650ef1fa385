import { hbwAt, tokensIn } from '../support/run-cli';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

// The audit trail end to end: changes made with the CLI over HTTP to a running local watcher, read
// back with `hbw audit` and `GET /v1/audit`, from the loopback address, by `local`.

/** The cells of each table row (columns are two or more spaces apart), the header left out. */
const rows = (table: string) =>
  table
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s{2,}/));

describe('hbw audit against a running watcher', () => {
  let w: TestWatcher;
  let cli: ReturnType<typeof hbwAt>;

  beforeAll(async () => {
    w = await startTestWatcher();
    cli = hbwAt(w.url);
    const added = await cli('agents', 'add', 'web-01', '--group', 'test');
    expect(added.code).toBe(0);
    w.clock.advance(1000);
    expect((await cli('agents', 'set', 'web-01', '--group', 'production')).code).toBe(0);
    w.clock.advance(1000);
    const rotated = await cli('agents', 'rotate-token', 'web-01');
    expect(rotated.code).toBe(0);
    w.clock.advance(1000);
    expect((await cli('enroll-key', 'test')).code).toBe(0);
    w.clock.advance(1000);
    expect((await cli('agents', 'add', 'web-02', '--group', 'test')).code).toBe(0);
    // A change refused is not in the trail.
    expect((await cli('agents', 'add', 'web-02', '--group', 'test')).code).toBe(1);
    for (const run of [added, rotated]) expect(tokensIn(run.out)).toHaveLength(1);
  });
  afterAll(() => w.close());

  it('prints every change newest first: when, what, on what, by whom, from where, and what changed', async () => {
    const run = await cli('audit');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(rows(run.out).map(([, ...cells]) => cells)).toEqual([
      ['add', 'agent:web-02', 'local', '127.0.0.1', 'group=test approval=approved'],
      ['enrollment-key', 'group:test', 'local', '127.0.0.1', '-'],
      ['rotate-token', 'agent:web-01', 'local', '127.0.0.1', '-'],
      ['set', 'agent:web-01', 'local', '127.0.0.1', 'group: test -> production'],
      ['add', 'agent:web-01', 'local', '127.0.0.1', 'group=test approval=approved'],
    ]);
  });

  it('pages through the trail with --limit, and filters by --target and --since; --json is the entries', async () => {
    const limited = await cli('audit', '--limit', '2', '--json');
    expect(limited.json().entries.map((e: { target: string }) => e.target)).toEqual([
      'agent:web-02',
      'group:test',
    ]);

    const mine = await cli('audit', '--target', 'agent:web-01', '--json');
    expect(mine.json().entries.map((e: { action: string }) => e.action)).toEqual([
      'rotate-token',
      'set',
      'add',
    ]);

    const since = new Date(w.clock.now() - 1000).toISOString();
    const recent = await cli('audit', '--since', since, '--json');
    expect(recent.json().entries.map((e: { action: string }) => e.action)).toEqual(['add', 'enrollment-key']);
  });

  it('holds no token, key or hash anywhere in the trail', async () => {
    const raw = await w.call('GET', '/v1/audit');

    expect(raw.status).toBe(200);
    const text = JSON.stringify(raw.body);
    expect(text).not.toMatch(/hbwk?_[A-Za-z0-9_-]{20,}|[0-9a-f]{64}|tokenHash|keyHash/);
  });

  it('says what is wrong with a bad --since, --target or --limit', async () => {
    const since = await cli('audit', '--since', 'yesterday');
    expect(since.code).toBe(1);
    expect(since.err).toContain('since');
    const target = await cli('audit', '--target', 'web-01');
    expect(target.code).toBe(1);
    expect(target.err).toContain('target');
    const limit = await cli('audit', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.err).toContain('--limit');
  });
});
