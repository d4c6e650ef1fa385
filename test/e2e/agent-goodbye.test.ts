import { rmSync } from 'node:fs';
import { join } from 'node:path';
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
import { startTestWatcher, TEST_CONFIG, type TestWatcher } from '../support/watcher';

/** `hbw agent goodbye` and `hbw agent run --goodbye-on-stop` as processes, against a whole local watcher. */
describe('goodbye from the agent', () => {
  let w: TestWatcher;
  let script: string;
  let dir: string;
  const running: HbwProcess[] = [];
  const hbw = (args: string[]) => {
    const p = spawnHbw(script, args);
    running.push(p);
    return p;
  };
  const lines = (p: HbwProcess) =>
    p
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
  const stored = async (id: string) => (await w.storedAgents()).find((a) => a.agentId === id);
  const view = async (id: string) => (await w.call('GET', `/v1/agents/${id}`)).body;

  beforeAll(async () => {
    [w, script] = await Promise.all([
      startTestWatcher({ config: { ...TEST_CONFIG, heartbeatIntervalSeconds: 1 } }),
      buildCli(),
    ]);
    dir = tempDir();
  }, 60_000);
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await w.close();
    rmSync(dir, { recursive: true, force: true });
    await removeBuiltCli();
  });

  it('says goodbye in the boot of the running agent, which keeps it away; on SIGTERM it says goodbye itself', async () => {
    const identity = ['--id', 'bye-01', '--endpoint', w.url];
    identity.push('--token-file', writeTokenFile(dir, await w.addAgent('bye-01'), 'bye-01.token'));
    identity.push('--state-file', join(dir, 'bye-01.state.json'));
    const agent = hbw(['agent', 'run', ...identity, '--goodbye-on-stop', '5m', '--log-format', 'json']);
    await waitFor(async () => ((await stored('bye-01'))?.seq ?? 0) >= 2, 'two heartbeats');
    const bootId = (await stored('bye-01'))!.bootId;

    const goodbye = hbw(['agent', 'goodbye', ...identity, '--back-in', '10m', '--reason', 'kernel update']);

    expect(await goodbye.exited).toBe(0);
    expect(goodbye.stdout()).toMatch(
      /^said goodbye: the watcher holds agent bye-01 away until \S+ \(kernel update\)/,
    );
    expect(await view('bye-01')).toMatchObject({ state: 'away', awayReason: 'kernel update' });
    const seqAfterGoodbye = (await stored('bye-01'))!.seq!;
    // The running agent's next heartbeats carry the goodbye: the agent stays away, in the same boot.
    await waitFor(
      async () => ((await stored('bye-01'))?.seq ?? 0) >= seqAfterGoodbye + 2,
      'two more heartbeats',
    );
    expect(await view('bye-01')).toMatchObject({ state: 'away', awayReason: 'kernel update' });
    expect((await stored('bye-01'))!.bootId).toBe(bootId);
    expect((await view('bye-01')).restarts ?? 0).toBe(0);

    agent.child.kill('SIGTERM');

    expect(await agent.exited).toBe(0);
    expect(codesOf(lines(agent)).slice(-2)).toEqual(['HBW2093', 'HBW2090']);
    expect(await view('bye-01')).toMatchObject({ state: 'away' });
  });

  it('fails with exit 1 and the reason when the watcher refuses the token', async () => {
    await w.addAgent('bye-02');
    const goodbye = hbw([
      'agent',
      'goodbye',
      '--id',
      'bye-02',
      '--endpoint',
      w.url,
      '--token-file',
      writeTokenFile(dir, 'hbw_wrong', 'bye-02.token'),
      '--back-in',
      '10m',
    ]);

    expect(await goodbye.exited).toBe(1);
    expect(goodbye.stderr()).toMatch(
      /^hbw: could not say goodbye for agent bye-02: the watcher refused it \(401/,
    );
    expect((await view('bye-02')).state).not.toBe('away');
  });

  it('refuses a --back-in out of range with exit 2, naming the flag', async () => {
    const goodbye = hbw(['agent', 'goodbye', '--id', 'x', '--endpoint', w.url, '--back-in', '8d']);

    expect(await goodbye.exited).toBe(2);
    expect(goodbye.stderr()).toMatch(/^hbw: --back-in must be a duration from 1s to 7d/);
  });
});
