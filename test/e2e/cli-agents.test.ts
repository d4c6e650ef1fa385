import { createServer } from 'node:net';
import { COMMANDS } from '../../cli/main';
import { AGENT_STATES } from '../../lambda/domain/agent';
import { hbw, hbwAt, tokensIn } from '../support/run-cli';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/** The cells of the table row whose first cell is `first` (columns are two or more spaces apart). */
function row(table: string, first: string): string[] | undefined {
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))
    .find((cells) => cells[0] === first);
}

/** Counts of every state, zero but for `some`. */
function counts(some: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(AGENT_STATES.map((s) => [s, some[s] ?? 0]));
}

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('hbw agents and hbw status against a running watcher', () => {
  let w: TestWatcher;
  let cli: ReturnType<typeof hbwAt>;
  const heartbeat = (agentId: string, token: string) =>
    w.call('POST', '/v1/heartbeat', { agentId }, bearer(token));

  beforeAll(async () => {
    w = await startTestWatcher();
    // The CLI computes `--for 2h` and the ages it prints from this machine's clock: keep the watcher's with it.
    w.clock.time = Date.now();
    cli = hbwAt(w.url);
  });
  afterAll(() => w.close());

  async function addAgent(agentId: string, group = 'production'): Promise<string> {
    const run = await cli('agents', 'add', agentId, '--group', group, '--json');
    expect(run.code).toBe(0);
    return run.json().token as string;
  }

  it('agents add prints the token once, and the agent heartbeats with it', async () => {
    const run = await cli('agents', 'add', 'web-01', '--group', 'production');
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain('added web-01 to production (approved)');
    expect(run.out).toContain('shown once');
    const tokens = tokensIn(run.out);
    expect(tokens).toHaveLength(1);

    const res = await heartbeat('web-01', tokens[0]!);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      agentId: 'web-01',
      state: 'healthy',
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      serverTime: new Date(w.clock.now()).toISOString(),
    });

    // Shown once: nothing the operator can ask for later shows it again.
    for (const again of [
      await cli('agents', 'show', 'web-01'),
      await cli('agents', 'show', 'web-01', '--json'),
      await cli('agents', 'list', '--json'),
    ]) {
      expect(again.code).toBe(0);
      expect(tokensIn(again.out)).toEqual([]);
      expect(again.out).not.toMatch(/tokenHash/);
    }
  });

  it('agents add --json answers agentId, token and approval approved', async () => {
    const run = await cli('agents', 'add', 'web-02', '--group', 'test', '--json');
    expect(run.code).toBe(0);
    const added = run.json();
    expect(added).toEqual({ agentId: 'web-02', token: expect.any(String), approval: 'approved' });
    expect(tokensIn(added.token)).toEqual([added.token]);
    const res = await heartbeat('web-02', added.token);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('healthy');
  });

  it('agents list shows a table with each agent and its state, --json the agents, and filters by group and state', async () => {
    const token = await addAgent('list-01', 'test');
    await addAgent('list-02', 'test');
    expect((await heartbeat('list-01', token)).status).toBe(200);

    const run = await cli('agents', 'list', '--group', 'test');
    expect(run).toMatchObject({ code: 0, err: '' });
    const [header, ...lines] = run.out.split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'AGENT',
      'GROUP',
      'CLUSTER',
      'STATE',
      'LAST HEARTBEAT',
      'MISSED',
      'SKEW',
      'ENDPOINT',
    ]);
    expect(row(run.out, 'list-01')).toEqual([
      'list-01',
      'test',
      '-',
      'healthy',
      expect.stringMatching(/^\d+s ago$/),
      '0',
      '-',
      '-',
    ]);
    expect(row(run.out, 'list-02')).toEqual(['list-02', 'test', '-', 'new', '-', '0', '-', '-']);
    expect(lines.every((line) => !line.includes('production'))).toBe(true);

    const json = await cli('agents', 'list', '--group', 'test', '--json');
    expect(json.code).toBe(0);
    const { agents } = json.json();
    expect(agents.map((a: { agentId: string }) => a.agentId)).toEqual(
      expect.arrayContaining(['list-01', 'list-02']),
    );
    expect(agents.every((a: { group: string }) => a.group === 'test')).toBe(true);
    expect(agents.find((a: { agentId: string }) => a.agentId === 'list-01')).toMatchObject({
      group: 'test',
      approval: 'approved',
      state: 'healthy',
      missedScans: 0,
      lastHeartbeatAt: new Date(w.clock.now()).toISOString(),
    });

    const onlyNew = (await cli('agents', 'list', '--group', 'test', '--state', 'new', '--json')).json();
    expect(onlyNew.agents.map((a: { agentId: string }) => a.agentId)).toContain('list-02');
    expect(onlyNew.agents.every((a: { state: string }) => a.state === 'new')).toBe(true);
    expect(onlyNew.agents.map((a: { agentId: string }) => a.agentId)).not.toContain('list-01');

    const none = await cli('agents', 'list', '--group', 'lab');
    expect(none).toMatchObject({ code: 0, out: 'no agents' });
  });

  it('agents list refuses an unknown state as bad usage (exit 2), naming the ones it knows', async () => {
    const run = await cli('agents', 'list', '--state', 'sleeping');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--state must be one of .*healthy, late, failed.*, not "sleeping"/);
  });

  it('agents show prints the restarts, the heartbeats lost this boot and until when an away agent is away', async () => {
    const token = await addAgent('boot-01');
    const beat = (body: Record<string, unknown>) =>
      w.call('POST', '/v1/heartbeat', { agentId: 'boot-01', ...body }, bearer(token));
    await beat({ seq: 1, bootId: 'boot-a' });
    await beat({ seq: 1, bootId: 'boot-b' });
    await beat({ seq: 4, bootId: 'boot-b', goodbye: { backInSeconds: 600, reason: 'kernel update' } });
    const view = (await w.call('GET', '/v1/agents/boot-01')).body;
    expect(view).toMatchObject({ state: 'away', restarts: 1, lostHeartbeats: 2 });

    const run = await cli('agents', 'show', 'boot-01');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(row(run.out, 'restarts')).toEqual(['restarts', `1 (last ${view.lastRestartAt})`]);
    expect(row(run.out, 'lost heartbeats')).toEqual([
      'lost heartbeats',
      `2 this boot; ${view.lossLastHourPercent}% over the last hour`,
    ]);
    expect(row(run.out, 'away until')).toEqual(['away until', `${view.awayUntil} (kernel update)`]);
  });

  it('agents show prints one agent as a table, and in full with --json', async () => {
    const token = await addAgent('show-01');
    await w.call(
      'POST',
      '/v1/heartbeat',
      { agentId: 'show-01', version: '1.2.3', seq: 7, endpoint: 'https://watcher.example/' },
      bearer(token),
    );
    const run = await cli('agents', 'show', 'show-01');
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(row(run.out, 'agent')).toEqual(['agent', 'show-01']);
    expect(row(run.out, 'group')).toEqual(['group', 'production']);
    expect(row(run.out, 'approval')).toEqual(['approval', 'approved']);
    expect(row(run.out, 'state')).toEqual(['state', 'healthy']);
    expect(row(run.out, 'version')).toEqual(['version', '1.2.3']);
    expect(row(run.out, 'seq')).toEqual(['seq', '7']);
    expect(row(run.out, 'endpoint')).toEqual(['endpoint', 'https://watcher.example/']);
    expect(row(run.out, 'heartbeat interval')).toEqual(['heartbeat interval', '30 s']);

    const json = await cli('agents', 'show', 'show-01', '--json');
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({
      agentId: 'show-01',
      group: 'production',
      approval: 'approved',
      state: 'healthy',
      missedScans: 0,
      seq: 7,
      version: '1.2.3',
      endpoint: 'https://watcher.example/',
      heartbeatIntervalSeconds: 30,
      lastHeartbeatAt: new Date(w.clock.now()).toISOString(),
      createdAt: expect.any(String),
    });
  });

  it('agents rotate-token: the old token answers 401 at once, the new one 200', async () => {
    const old = await addAgent('rot-01');
    expect((await heartbeat('rot-01', old)).status).toBe(200);

    const run = await cli('agents', 'rotate-token', 'rot-01');
    expect(run.code).toBe(0);
    expect(run.out).toContain('the old one no longer works');
    const [fresh] = tokensIn(run.out);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(old);

    const refused = await heartbeat('rot-01', old);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect((await heartbeat('rot-01', fresh!)).status).toBe(200);

    const json = await cli('agents', 'rotate-token', 'rot-01', '--json');
    expect(json.json()).toEqual({ agentId: 'rot-01', token: expect.any(String) });
    expect((await heartbeat('rot-01', fresh!)).status).toBe(401);
    expect((await heartbeat('rot-01', json.json().token)).status).toBe(200);
  });

  it('agents maintenance --for 2h --reason puts the agent in maintenance, and --end takes it out', async () => {
    const token = await addAgent('mnt-01');
    await heartbeat('mnt-01', token);

    const start = await cli('agents', 'maintenance', 'mnt-01', '--for', '2h', '--reason', 'x');
    expect(start).toMatchObject({ code: 0, err: '' });
    expect(start.out.split('\n')[0]).toMatch(/^mnt-01: in maintenance until \d{4}-\d\d-\d\dT/);
    expect(row(start.out, 'state')).toEqual(['state', 'maintenance']);
    expect(row(start.out, 'maintenance until')?.[1]).toMatch(/ \(x\)$/);

    const shown = (await cli('agents', 'show', 'mnt-01', '--json')).json();
    expect(shown).toMatchObject({ state: 'maintenance', maintenanceReason: 'x' });
    const until = Date.parse(shown.maintenanceUntil);
    expect(Math.abs(until - (w.clock.now() + 2 * 3_600_000))).toBeLessThan(60_000);

    const during = await heartbeat('mnt-01', token);
    expect(during.status).toBe(200);
    expect(during.body.state).toBe('maintenance');
    const listed = (await cli('agents', 'list', '--state', 'maintenance', '--json')).json();
    expect(listed.agents.map((a: { agentId: string }) => a.agentId)).toContain('mnt-01');

    const end = await cli('agents', 'maintenance', 'mnt-01', '--end');
    expect(end.code).toBe(0);
    expect(end.out.split('\n')[0]).toBe('mnt-01: maintenance ended');
    expect(row(end.out, 'state')).toEqual(['state', 'healthy']);
    const after = (await cli('agents', 'show', 'mnt-01', '--json')).json();
    expect(after.state).toBe('healthy');
    expect(after.maintenanceUntil).toBeUndefined();
    expect(after.maintenanceReason).toBeUndefined();
  });

  it('agents maintenance explains what is wrong with its options', async () => {
    await addAgent('mnt-02');
    const neither = await cli('agents', 'maintenance', 'mnt-02');
    expect(neither.code).toBe(2);
    expect(neither.err).toContain('give --until TIME or --for DURATION');
    const both = await cli('agents', 'maintenance', 'mnt-02', '--end', '--for', '1h');
    expect(both.code).toBe(2);
    expect(both.err).toContain('--end takes no --until or --for');
    const badDuration = await cli('agents', 'maintenance', 'mnt-02', '--for', '2 hours');
    expect(badDuration.code).toBe(2);
    expect(badDuration.err).toContain('--for must be a duration such as 90s, 30m, 2h or 1d');
    const past = await cli('agents', 'maintenance', 'mnt-02', '--until', '2020-01-01T00:00:00Z');
    expect(past.code).toBe(1);
    expect(past.err).toContain('until: must be in the future');
  });

  it('alerts list refuses an unknown --status as bad usage (exit 2), naming the ones it knows', async () => {
    const alerts = await cli('alerts', 'list', '--status', 'opne');
    expect(alerts.code).toBe(2);
    expect(alerts.err).toContain('--status must be one of open, resolved, all, not "opne"');
  });

  it('agents remove removes the agent and its token', async () => {
    const token = await addAgent('rm-01');
    expect((await heartbeat('rm-01', token)).status).toBe(200);

    const run = await cli('agents', 'remove', 'rm-01');
    expect(run).toMatchObject({ code: 0, out: 'removed rm-01', err: '' });

    const show = await cli('agents', 'show', 'rm-01');
    expect(show.code).toBe(1);
    expect(show.out).toBe('');
    expect(show.err).toBe('hbw: no agent rm-01');
    expect((await heartbeat('rm-01', token)).status).toBe(401);
    const listed = (await cli('agents', 'list', '--json')).json();
    expect(listed.agents.map((a: { agentId: string }) => a.agentId)).not.toContain('rm-01');

    const again = await cli('agents', 'remove', 'rm-01');
    expect(again.code).toBe(1);
    expect(again.err).toBe('hbw: no agent rm-01');

    // The id is free again; the old token does not come back with it.
    const fresh = await addAgent('rm-01');
    expect((await heartbeat('rm-01', token)).status).toBe(401);
    expect((await heartbeat('rm-01', fresh)).status).toBe(200);
  });

  it('agents add --agentless --probe issues no token and keeps the probe', async () => {
    const run = await cli(
      'agents',
      'add',
      'db-07',
      '--group',
      'production',
      '--agentless',
      '--probe',
      'tcp:db-07.internal:1433',
    );
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toBe('added agentless db-07 to production, watched by its probe');
    expect(tokensIn(run.out)).toEqual([]);

    const json = await cli(
      'agents',
      'add',
      'db-08',
      '--group',
      'production',
      '--agentless',
      '--probe',
      'http://db-08.internal:8080/health',
      '--json',
    );
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({ agentId: 'db-08', approval: 'approved' });

    const shown = (await cli('agents', 'show', 'db-07', '--json')).json();
    expect(shown).toMatchObject({
      agentId: 'db-07',
      agentless: true,
      probe: { type: 'tcp', host: 'db-07.internal', port: 1433 },
    });
    const rotate = await cli('agents', 'rotate-token', 'db-07');
    expect(rotate.code).toBe(1);
    expect(rotate.err).toContain('agentless and has no token');
  });

  it('agents add --agentless without --probe is refused, naming the probe', async () => {
    const run = await cli('agents', 'add', 'db-09', '--group', 'production', '--agentless');
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toContain('--probe');
    expect((await cli('agents', 'show', 'db-09')).code).toBe(1);

    // The API refuses it as well, for clients other than hbw.
    const res = await w.call('POST', '/v1/agents', {
      agentId: 'db-09',
      group: 'production',
      agentless: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('probe');
  });

  it('agents add --probe ec2:ID and ssm:ID store the AWS probe; an id that is not one is refused naming probe.instanceId', async () => {
    const ec2 = await cli(
      'agents',
      'add',
      'aws-01',
      '--group',
      'production',
      '--probe',
      'ec2:i-0abc1234def567890',
    );
    const ssm = await cli(
      'agents',
      'add',
      'aws-02',
      '--group',
      'production',
      '--agentless',
      '--probe',
      'ssm:mi-0abc1234def567890',
    );
    const bad = await cli('agents', 'add', 'aws-03', '--group', 'production', '--probe', 'ec2:web-01');

    expect([ec2.code, ssm.code]).toEqual([0, 0]);
    expect((await cli('agents', 'show', 'aws-01', '--json')).json().probe).toEqual({
      type: 'ec2',
      instanceId: 'i-0abc1234def567890',
    });
    expect((await cli('agents', 'show', 'aws-02', '--json')).json().probe).toEqual({
      type: 'ssm',
      instanceId: 'mi-0abc1234def567890',
    });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('probe.instanceId');
    expect((await cli('agents', 'show', 'aws-03')).code).toBe(1);
  });

  it('agents add --parent puts the agent behind its parent, shown by agents show', async () => {
    await cli('agents', 'add', 'sw-01', '--group', 'production', '--agentless', '--probe', 'tcp:10.0.0.2:22');

    const run = await cli('agents', 'add', 'top-01', '--group', 'production', '--parent', 'sw-01');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(row((await cli('agents', 'show', 'top-01')).out, 'parent')).toEqual(['parent', 'sw-01']);
    expect((await cli('agents', 'show', 'top-01', '--json')).json().parent).toBe('sw-01');
  });

  it('agents set changes group, cluster, parent and probe in place; the token stays valid', async () => {
    const token = await addAgent('set-01');
    await cli('agents', 'add', 'sw-02', '--group', 'test', '--agentless', '--probe', 'tcp:10.0.0.3:22');
    expect((await heartbeat('set-01', token)).status).toBe(200);

    const run = await cli(
      'agents',
      'set',
      'set-01',
      '--group',
      'test',
      '--cluster',
      'db',
      '--parent',
      'sw-02',
      '--probe',
      'tcp:set-01.internal:22',
    );

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out.split('\n')[0]).toBe('set-01: changed group, cluster, parent, probe');
    expect(row(run.out, 'group')).toEqual(['group', 'test']);
    expect(row(run.out, 'cluster')).toEqual(['cluster', 'db']);
    expect(row(run.out, 'parent')).toEqual(['parent', 'sw-02']);
    expect(row(run.out, 'probe')).toEqual(['probe', '{"type":"tcp","host":"set-01.internal","port":22}']);
    const beat = await heartbeat('set-01', token);
    expect(beat.status).toBe(200);
    expect(beat.body.state).toBe('healthy');
  });

  it('agents set --no-parent --no-probe --no-cluster clears them, and --json prints the agent view', async () => {
    await cli('agents', 'add', 'sw-03', '--group', 'production', '--agentless', '--probe', 'tcp:10.0.0.4:22');
    await cli('agents', 'add', 'set-02', '--group', 'production', '--cluster', 'db', '--parent', 'sw-03');
    await cli('agents', 'set', 'set-02', '--probe', 'https://set-02.internal/health');

    const run = await cli('agents', 'set', 'set-02', '--no-parent', '--no-probe', '--no-cluster', '--json');

    expect(run).toMatchObject({ code: 0, err: '' });
    const view = run.json();
    expect(view).toEqual((await cli('agents', 'show', 'set-02', '--json')).json());
    expect(view).toMatchObject({ agentId: 'set-02', group: 'production', approval: 'approved' });
    expect(view.parent).toBeUndefined();
    expect(view.probe).toBeUndefined();
    expect(view.cluster).toBeUndefined();
  });

  it('agents set refuses a loop and a probeless agentless entry (exit 1), naming the field', async () => {
    await cli('agents', 'add', 'sw-04', '--group', 'production', '--agentless', '--probe', 'tcp:10.0.0.5:22');
    await cli('agents', 'add', 'set-03', '--group', 'production', '--parent', 'sw-04');

    const loop = await cli('agents', 'set', 'sw-04', '--parent', 'set-03');
    expect(loop).toMatchObject({ code: 1, out: '' });
    expect(loop.err).toBe('hbw: parent: set-03 would make a loop: sw-04 -> set-03 -> sw-04');

    const probeless = await cli('agents', 'set', 'sw-04', '--no-probe');
    expect(probeless.code).toBe(1);
    expect(probeless.err).toContain('probe: an agentless entry is watched by its probe alone');

    const group = await cli('agents', 'set', 'set-03', '--group', 'staging');
    expect(group.code).toBe(1);
    expect(group.err).toContain('group: unknown group "staging"');

    const shown = (await cli('agents', 'show', 'sw-04', '--json')).json();
    expect(shown.parent).toBeUndefined();
    expect(shown.probe).toEqual({ type: 'tcp', host: '10.0.0.5', port: 22 });
  });

  it('agents set without a change, or with --parent and --no-parent, is bad usage (exit 2)', async () => {
    await addAgent('set-04');
    for (const [argv, said] of [
      [['agents', 'set', 'set-04'], 'give what to change'],
      [
        ['agents', 'set', 'set-04', '--parent', 'sw-01', '--no-parent'],
        'give --parent or --no-parent, not both',
      ],
      [
        ['agents', 'set', 'set-04', '--probe', 'tcp:x:1', '--no-probe'],
        'give --probe or --no-probe, not both',
      ],
      [
        ['agents', 'set', 'set-04', '--cluster', 'db', '--no-cluster'],
        'give --cluster or --no-cluster, not both',
      ],
      [['agents', 'set', 'set-04', '--probe', 'db:5432'], '--probe must be tcp:HOST:PORT'],
    ] as const) {
      const run = await cli(...argv);
      expect({ argv, code: run.code }).toEqual({ argv, code: 2 });
      expect(run.err).toContain(said);
      expect(run.err).toContain('Usage: hbw agents set AGENT_ID [options]');
    }
  });

  it('agents remove of a parent exits 1 naming its children and --force; --force clears their parent', async () => {
    await cli('agents', 'add', 'sw-05', '--group', 'production', '--agentless', '--probe', 'tcp:10.0.0.6:22');
    await cli('agents', 'add', 'kid-01', '--group', 'production', '--parent', 'sw-05');
    await cli('agents', 'add', 'kid-02', '--group', 'test', '--parent', 'sw-05');

    const refused = await cli('agents', 'remove', 'sw-05');
    expect(refused).toMatchObject({ code: 1, out: '' });
    expect(refused.err).toContain('agent sw-05 is the parent of kid-01, kid-02');
    expect(refused.err).toContain('(hbw agents remove sw-05 --force)');
    expect((await cli('agents', 'show', 'sw-05')).code).toBe(0);

    const forced = await cli('agents', 'remove', 'sw-05', '--force');
    expect(forced).toMatchObject({ code: 0, out: 'removed sw-05', err: '' });
    expect((await cli('agents', 'show', 'sw-05')).code).toBe(1);
    for (const kid of ['kid-01', 'kid-02']) {
      const shown = (await cli('agents', 'show', kid, '--json')).json();
      expect(shown.agentId).toBe(kid);
      expect(shown.parent).toBeUndefined();
    }
  });

  it('exit code 1 for a failure it explains: unknown agent, unknown group, taken id', async () => {
    for (const argv of [
      ['agents', 'show', 'ghost-01'],
      ['agents', 'approve', 'ghost-01'],
      ['agents', 'reject', 'ghost-01'],
      ['agents', 'remove', 'ghost-01'],
      ['agents', 'rotate-token', 'ghost-01'],
      ['agents', 'maintenance', 'ghost-01', '--for', '1h'],
      ['agents', 'set', 'ghost-01', '--group', 'test'],
    ]) {
      const run = await cli(...argv);
      expect({ argv, code: run.code, err: run.err }).toEqual({
        argv,
        code: 1,
        err: 'hbw: no agent ghost-01',
      });
    }

    const group = await cli('agents', 'add', 'web-99', '--group', 'staging');
    expect(group.code).toBe(1);
    expect(group.err).toContain('unknown group "staging"');
    expect(group.err).toContain('configured: production, test, lab');

    await addAgent('dup-01');
    const taken = await cli('agents', 'add', 'dup-01', '--group', 'test');
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('agentId dup-01 is taken');

    const badId = await cli('agents', 'add', 'web 01', '--group', 'test');
    expect(badId.code).toBe(1);
    expect(badId.err).toContain('agentId: may contain only');
  });

  it('exit code 2 for bad usage, with the usage line', async () => {
    const unknownOption = await cli('agents', 'list', '--colour');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toContain("'--colour'");
    expect(unknownOption.err).toContain('Usage: hbw agents list [options]');

    const missingArgument = await cli('agents', 'show');
    expect(missingArgument.code).toBe(2);
    expect(missingArgument.err).toContain('expected AGENT_ID');
    expect(missingArgument.err).toContain('Usage: hbw agents show AGENT_ID');

    const extraArgument = await cli('agents', 'show', 'web-01', 'web-02');
    expect(extraArgument.code).toBe(2);

    const missingGroup = await cli('agents', 'add', 'web-50');
    expect(missingGroup.code).toBe(2);
    expect(missingGroup.err).toContain('--group is required');
    expect((await cli('agents', 'show', 'web-50')).code).toBe(1);

    const missingValue = await cli('agents', 'add', 'web-51', '--group');
    expect(missingValue.code).toBe(2);

    const badProbe = await cli('agents', 'add', 'web-52', '--group', 'test', '--probe', 'db:5432');
    expect(badProbe.code).toBe(2);
    expect(badProbe.err).toContain('--probe must be tcp:HOST:PORT');

    const nothing = await hbw([]);
    expect(nothing.code).toBe(2);
    expect(nothing.out).toBe('');
    expect(nothing.err).toContain('Usage: hbw COMMAND');

    const unknown = await hbw(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');

    const unknownSub = await hbw(['agents', 'frobnicate']);
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.err).toContain('unknown command "agents frobnicate"');
    expect(unknownSub.err).toContain('hbw agents list');

    const groupOnly = await hbw(['agents']);
    expect(groupOnly.code).toBe(2);
    expect(groupOnly.err).toContain('hbw agents list');
  });

  it('--help on every command exits 0 with Usage: and Example:', async () => {
    expect(COMMANDS.length).toBeGreaterThan(10);
    for (const command of COMMANDS) {
      const run = await hbw([...command.path, '--help']);
      const name = command.path.join(' ');
      expect({ name, code: run.code, err: run.err }).toEqual({ name, code: 0, err: '' });
      expect(run.out).toContain(`Usage: hbw ${name}`);
      expect(run.out).toContain('Example:');
      expect(run.out).toContain(`  hbw ${name}`);
    }
    const top = await hbw(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toContain('Usage: hbw COMMAND');
    for (const command of COMMANDS) expect(top.out).toContain(command.path.join(' '));
  });

  it('an unreachable endpoint exits 1 and says it cannot reach the watcher', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await hbw(['status', '--endpoint', url]);
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toContain(`cannot reach the watcher at ${url}`);
    expect(run.err).toContain('ECONNREFUSED');

    const fromEnv = await hbw(['agents', 'list'], { HBW_ENDPOINT: url });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.err).toContain(`cannot reach the watcher at ${url}`);
  });

  it('an endpoint that is not an http(s) URL is bad usage, naming where it came from', async () => {
    const flag = await hbw(['status', '--endpoint', 'watcher.example']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('--endpoint must be an http:// or https:// URL, not "watcher.example"');

    const env = await hbw(['agents', 'list'], { HBW_ENDPOINT: 'ftp://watcher.example' });
    expect(env.code).toBe(2);
    expect(env.err).toContain('HBW_ENDPOINT must be an http:// or https:// URL, not "ftp://watcher.example"');
  });
});

describe('hbw status', () => {
  let w: TestWatcher;
  let cli: ReturnType<typeof hbwAt>;
  beforeAll(async () => {
    w = await startTestWatcher();
    w.clock.time = Date.now();
    cli = hbwAt(w.url);
    const healthy = (await cli('agents', 'add', 'web-01', '--group', 'production', '--json')).json().token;
    await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(healthy));
    await cli('agents', 'add', 'web-02', '--group', 'production');
    await cli('agents', 'add', 'web-03', '--group', 'production');
    await cli('agents', 'maintenance', 'web-03', '--for', '30m');
    await cli('agents', 'add', 'app-01', '--group', 'test');
    await cli('agents', 'reject', 'app-01');
  });
  afterAll(() => w.close());

  it('says there are no counts before the first scan, and prints no table of zeros', async () => {
    const run = await cli('status');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out.trim()).toBe(
      `watcher ${run.out.split(' ')[1]} at ${w.url}: no counts yet (the first scan counts the agents), last scan none yet`,
    );
    expect(JSON.parse((await cli('status', '--json')).out)).toMatchObject({
      countsAt: null,
      agents: null,
      openAlerts: null,
    });
  });

  it('--json answers the counts by group and state, as of the last scan', async () => {
    await w.scanner.scan();
    const run = await cli('status', '--json');
    expect(run).toMatchObject({ code: 0, err: '' });
    const status = run.json();
    expect(status).toMatchObject({
      version: expect.any(String),
      serverTime: new Date(w.clock.now()).toISOString(),
      countsAt: new Date(w.clock.now()).toISOString(),
      agents: 4,
    });
    expect(status.groups).toEqual({
      production: counts({ healthy: 1, new: 1, maintenance: 1 }),
      test: counts({ rejected: 1 }),
      lab: counts(),
    });
  });

  it('prints a table with a row per group and a column per state', async () => {
    const run = await cli('status');
    expect(run).toMatchObject({ code: 0, err: '' });
    const [summary] = run.out.split('\n');
    expect(summary).toMatch(
      new RegExp(`^watcher \\S+ at ${w.url}: 4 agents as of the last scan, last scan `),
    );
    const table = run.out.split('\n\n')[1]!;
    const cells = (line: string) => line.trim().split(/\s+/);
    const [header, ...rows] = table.split('\n');
    expect(cells(header!)).toEqual([
      'GROUP',
      ...['HEALTHY', 'LATE', 'FAILED', 'UNREACHABLE', 'MAINTENANCE', 'AWAY', 'PENDING', 'NEW', 'REJECTED'],
    ]);
    const byGroup = Object.fromEntries(rows.map((r) => [cells(r)[0], cells(r).slice(1).map(Number)]));
    expect(byGroup).toEqual({
      production: [1, 0, 0, 0, 1, 0, 0, 1, 0],
      test: [0, 0, 0, 0, 0, 0, 0, 0, 1],
      lab: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
  });
});
