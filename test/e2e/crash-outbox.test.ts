import { readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildCli,
  freePort,
  type HbwProcess,
  localCaller,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
} from '../support/agent-helpers';

/**
 * `hbw local` killed with SIGKILL the moment a page reaches the outbox, then started again on the same
 * data directory: the page it wrote but could not record as sent is retried once its claim runs out,
 * and the outbox refuses the repeat, so the page is in the outbox once.
 */
describe('hbw local killed right after it writes a page', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await removeBuiltCli();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('has the page in the outbox once after the restart, and sends one recovery', async () => {
    const script = await buildCli();
    const dataDir = tempDir('hbw-crash-');
    dirs.push(dataDir);
    const configFile = join(dataDir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        heartbeatIntervalSeconds: 1,
        scanIntervalSeconds: 1,
        missedScansBeforeAlert: 2,
        groups: { production: { channels: ['sms', 'email'] } },
      }),
    );
    const outbox = join(dataDir, 'outbox.jsonl');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async (): Promise<HbwProcess> => {
      const p = spawnHbw(script, [
        'local',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--config',
        configFile,
      ]);
      await waitFor(() => p.stdout().includes('listening'), 'hbw local to listen', 20_000);
      return p;
    };
    const call = localCaller(url);
    const outboxLines = () => {
      try {
        return readFileSync(outbox, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
      } catch {
        return [];
      }
    };
    const outboxSize = () => {
      try {
        return statSync(outbox).size;
      } catch {
        return 0;
      }
    };

    let watcher = await start();
    try {
      const { token } = (await call('POST', '/v1/agents', { agentId: 'web-01', group: 'production' })) as {
        token: string;
      };
      await call('POST', '/v1/heartbeat', { agentId: 'web-01' }, token);

      // Silent from here: kill the watcher the moment its page grows the outbox (inotify tells at
      // once, before it can record the page as sent).
      const killed = watcher;
      const watching = watch(dataDir, () => {
        if (outboxSize() > 0) killed.child.kill('SIGKILL');
      });
      try {
        await killed.exited;
      } finally {
        watching.close();
      }

      watcher = await start();
      const opening = async () => {
        const { alerts } = (await call('GET', '/v1/alerts?status=open')) as {
          alerts: { delivery?: { opening: string } }[];
        };
        return alerts[0]?.delivery?.opening === 'sent';
      };
      // The claim of the killed watcher runs out (at least 10 s), then the retry records the page sent.
      await waitFor(opening, 'the retried page to be recorded sent', 25_000);
      expect(outboxLines()).toHaveLength(1);

      // Back, and beating from here on, so that a scan a loaded machine holds back past two intervals
      // does not find it silent again and open a second incident.
      const beating = setInterval(
        () => void call('POST', '/v1/heartbeat', { agentId: 'web-01' }, token),
        300,
      );
      try {
        await call('POST', '/v1/heartbeat', { agentId: 'web-01' }, token);
        await waitFor(() => outboxLines().length >= 2, 'the recovery', 10_000);
        await new Promise((r) => setTimeout(r, 1_500));
      } finally {
        clearInterval(beating);
      }
      expect(outboxLines().map((l) => JSON.parse(l).kind)).toEqual(['heartbeat_failure', 'recovery']);
    } finally {
      watcher.child.kill('SIGTERM');
      await watcher.exited;
    }
  }, 90_000);
});
