import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  buildCli,
  codesOf,
  type HbwProcess,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
  writeTokenFile,
} from '../support/agent-helpers';
import { bearer, startTestWatcher, TEST_CONFIG, type TestWatcher } from '../support/watcher';

/** `hbw agent run` as operators run it: a process of its own, stopped by a signal. */
describe('hbw agent run as a process', () => {
  let w: TestWatcher;
  let script: string;
  let dir: string;
  const running: HbwProcess[] = [];
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const p = spawnHbw(script, ['agent', 'run', ...args], env);
    running.push(p);
    return p;
  };
  const jsonLines = (p: HbwProcess) =>
    p
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
  const logged = (p: HbwProcess, code: string) => () => codesOf(jsonLines(p)).includes(code);

  beforeAll(async () => {
    [w, script] = await Promise.all([
      startTestWatcher({ config: { ...TEST_CONFIG, heartbeatIntervalSeconds: 1 } }),
      buildCli(),
    ]);
    dir = tempDir();
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await w.close();
    rmSync(dir, { recursive: true, force: true });
    await removeBuiltCli();
  });

  it('beats, keeps the token out of ps and out of its log, and stops with exit 0 on SIGTERM', async () => {
    const token = await w.addAgent('proc-01');
    const tokenFile = writeTokenFile(dir, token, 'proc-01.token');
    const p = run([
      '--id',
      'proc-01',
      '--endpoint',
      w.url,
      '--token-file',
      tokenFile,
      '--log-format',
      'json',
    ]);
    await waitFor(logged(p, 'HBW2001'), 'the first accepted heartbeat');
    const cmdline = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toEqual(expect.arrayContaining(['agent', 'run', '--token-file', tokenFile]));
    expect(cmdline.join(' ')).not.toContain(token);
    await waitFor(
      async () => ((await w.storedAgents()).find((a) => a.agentId === 'proc-01')?.seq ?? 0) >= 2,
      'seq 2',
    );

    const stopAsked = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(Date.now() - stopAsked).toBeLessThan(3000);
    const lines = jsonLines(p);
    expect(codesOf(lines)).toEqual(['HBW2000', 'HBW2001', 'HBW2090']);
    expect(JSON.parse(lines.at(-1)!).msg).toMatch(/^stopped on SIGTERM after \d+ heartbeats/);
    expect(p.stdout() + p.stderr()).not.toContain(token);
    const stored = (await w.storedAgents()).find((a) => a.agentId === 'proc-01')!;
    expect(stored).toMatchObject({ endpoint: w.url, version: '0.0.0-test' });
    expect(stored.bootId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  });

  it('is a restart at its next start, with the downtime from its last heartbeat to the new start', async () => {
    const token = await w.addAgent('proc-05');
    const tokenFile = writeTokenFile(dir, token, 'proc-05.token');
    const args = ['--id', 'proc-05', '--endpoint', w.url, '--token-file', tokenFile, '--log-format', 'json'];
    const first = run(args);
    await waitFor(logged(first, 'HBW2001'), 'the first start heard');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = run(args);
    await waitFor(logged(second, 'HBW2001'), 'the second start heard');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const stored = (await w.storedAgents()).find((a) => a.agentId === 'proc-05')!;
    expect(stored.restarts).toBe(1);
    expect(stored.lastRestart?.downtimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('aborts a heartbeat in flight on SIGINT and still exits 0', async () => {
    // A server that takes the connection and never answers: the agent sits in its request.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const p = run(['--id', 'proc-02', '--endpoint', url, '--timeout-seconds', '60'], {
        HBW_AGENT_TOKEN: 'hbw_x',
      });
      await waitFor(() => sockets.length > 0, 'the agent to connect');
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
      expect(p.stdout()).toMatch(/INFO {2}HBW2090 stopped on SIGINT after 1 heartbeat \(last endpoint/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('keeps a pending agent running and logs what an operator must run, token from HBW_AGENT_TOKEN', async () => {
    const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key as string;
    const reg = await w.call('POST', '/v1/register', { agentId: 'lab-07', group: 'test' }, bearer(key));
    const token = reg.body.token as string;
    const p = run([], { HBW_AGENT_ID: 'lab-07', HBW_ENDPOINT: w.url, HBW_AGENT_TOKEN: token });
    await waitFor(() => p.stdout().includes('HBW2070'), 'the pending line');
    await waitFor(
      async () => ((await w.storedAgents()).find((a) => a.agentId === 'lab-07')?.seq ?? 0) >= 3,
      'seq 3',
    );
    expect(p.child.exitCode).toBeNull();
    expect(p.stdout()).toContain(
      'HBW2070 connected to ' +
        `${w.url}, but agent lab-07 is not approved yet (pending): its heartbeats are recorded and it is not monitored until an operator runs: hbw agents approve lab-07`,
    );
    expect(p.stdout().match(/HBW2070/g)).toHaveLength(1);
    expect(readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8')).not.toContain(token);

    await w.call('POST', '/v1/agents/lab-07/approve');
    await waitFor(() => p.stdout().includes('HBW2001'), 'the approved line');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stdout() + p.stderr()).not.toContain(token);
  });

  it('keeps running on a refused token, and picks up a new token written to the token file', async () => {
    const token = await w.addAgent('proc-03');
    const tokenFile = writeTokenFile(dir, 'hbw_wrong-token-value', 'proc-03.token');
    const p = run([
      '--id',
      'proc-03',
      '--endpoint',
      w.url,
      '--token-file',
      tokenFile,
      '--interval-seconds',
      '1',
      '--log-format',
      'json',
    ]);
    await waitFor(logged(p, 'HBW2071'), 'the refused-token line');
    const refusal = jsonLines(p)
      .map((l) => JSON.parse(l))
      .find((e) => e.code === 'HBW2071');
    expect(refusal.msg).toContain(
      `"hbw agents rotate-token proc-03" and puts the new token in the token file ${tokenFile}`,
    );

    writeFileSync(tokenFile, `${token}\n`);
    await waitFor(logged(p, 'HBW2001'), 'the accepted line');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(codesOf(jsonLines(p))).toEqual(['HBW2000', 'HBW2071', 'HBW2001', 'HBW2090']);
    expect(p.stdout() + p.stderr()).not.toContain(token);
    expect(p.stdout()).not.toContain('hbw_wrong-token-value');
  });

  it('logs one JSON object a line with --json, as with --log-format json', async () => {
    const token = await w.addAgent('proc-04');
    const tokenFile = writeTokenFile(dir, token, 'proc-04.token');
    const p = run(['--id', 'proc-04', '--endpoint', w.url, '--token-file', tokenFile, '--json']);
    await waitFor(logged(p, 'HBW2001'), 'the first accepted heartbeat');

    p.child.kill('SIGTERM');

    expect(await p.exited).toBe(0);
    expect(codesOf(p.stdout().trimEnd().split('\n'))).toEqual(['HBW2000', 'HBW2001', 'HBW2090']);
  });

  it('refuses --json beside --log-format text as bad usage', async () => {
    const p = run(['--id', 'x', '--endpoint', w.url, '--json', '--log-format', 'text'], {
      HBW_AGENT_TOKEN: 'hbw_x',
    });

    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('--json');
  });

  it('exits 1 with the reason when it cannot start, and 2 on bad usage', async () => {
    const unreadable = run(['--id', 'x', '--endpoint', w.url, '--token-file', `${dir}/missing`]);
    expect(await unreadable.exited).toBe(1);
    expect(unreadable.stderr()).toContain(`hbw: cannot read the token file ${dir}/missing (ENOENT)`);
    const usage = run(['--id', 'x', '--endpoint', w.url, '--log-format', 'xml'], {
      HBW_AGENT_TOKEN: 'hbw_x',
    });
    expect(await usage.exited).toBe(2);
    expect(usage.stderr()).toContain('the log format must be text or json, not "xml"');
  });
});
