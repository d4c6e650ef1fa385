import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildCli,
  type HbwProcess,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
} from '../support/agent-helpers';

/** `hbw local` as `npm start` runs it: a process of its own, on the real clock, stopped by a signal. */
describe('hbw local --json as a process', () => {
  let script: string;
  let dir: string;
  const running: HbwProcess[] = [];

  beforeAll(async () => {
    script = await buildCli();
    dir = tempDir('hbw-local-');
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await removeBuiltCli();
  });

  it('prints its start banner as one JSON object and every log line as JSON with --json', async () => {
    const config = join(dir, 'fast.json');
    writeFileSync(
      config,
      JSON.stringify({
        heartbeatIntervalSeconds: 1,
        scanIntervalSeconds: 1,
        missedScansBeforeAlert: 1,
        groups: { production: { channels: ['sms'] } },
      }),
    );
    const args = ['local', '--port', '0', '--data-dir', join(dir, 'data'), '--config', config, '--json'];
    const p = spawnHbw(script, args);
    running.push(p);
    const banner = JSON.parse(await waitFor(() => p.stdout().split('\n')[0], 'the start banner'));
    expect(banner).toMatchObject({
      msg: 'listening',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      config,
      groups: [{ name: 'production', channels: ['sms'] }],
    });
    const added = await fetch(`${banner.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'web-01', group: 'production' }),
    });
    const { token } = (await added.json()) as { token: string };
    await fetch(`${banner.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ agentId: 'web-01' }),
    });
    // Silent from now on: within a few scans the watcher pages, and says so on its terminal.
    await waitFor(() => p.stdout().includes('"outbox"'), 'the page to be written', 15_000);

    p.child.kill('SIGTERM');

    expect(await p.exited).toBe(0);
    const lines = p.stdout().trimEnd().split('\n');
    const entries = lines.map((line) => JSON.parse(line));
    for (const entry of entries) expect(entry.time).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(entries.find((e) => e.msg === 'outbox')).toMatchObject({
      group: 'production',
      channels: ['sms'],
      subject: expect.stringContaining('web-01'),
    });
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'stopping', signal: 'SIGTERM' }));
  }, 30_000);
});
