import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  buildCli,
  type HbwProcess,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
} from '../support/agent-helpers';

/** `hbw local` as operators run it: a process of its own, its own stdout and stderr. */
describe('hbw local as a process', () => {
  let script: string;
  const dirs: string[] = [];
  const running: HbwProcess[] = [];
  const dataDir = () => {
    const dir = tempDir('hbw-local-');
    dirs.push(dir);
    return dir;
  };
  const local = (dir: string, env: NodeJS.ProcessEnv = {}) => {
    const p = spawnHbw(script, ['local', '--port', '0', '--data-dir', dir], env);
    running.push(p);
    return p;
  };
  /** The URL it printed once it listens. */
  const listening = async (p: HbwProcess) =>
    (await waitFor(() => /listening on (http:\/\/\S+)/.exec(p.stdout())?.[1], 'hbw local to listen'))!;

  beforeAll(async () => {
    script = await buildCli();
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await removeBuiltCli();
  });

  it('logs nothing for 50 clients that hang up mid-body, and answers the next one', async () => {
    const p = local(dataDir());
    const url = new URL(await listening(p));
    await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(Number(url.port), '127.0.0.1', () => {
              socket.write(
                'POST /v1/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
                  'Content-Length: 100\r\n\r\n{"agentId":',
              );
              setTimeout(() => {
                socket.destroy();
                resolve();
              }, 50);
            });
            socket.on('error', reject);
          }),
      ),
    );
    const status = await fetch(`${url.origin}/v1/status`);
    expect(status.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toBe('');
    expect(p.stdout()).not.toContain('error');
  });

  it('starts again on the data directory of one that was killed (SIGKILL), over the socket it left there', async () => {
    const dir = dataDir();
    const first = local(dir);
    await listening(first);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(dir, 'dynamodb.sock'))).toBe(true);

    const second = local(dir);
    const url = await listening(second);
    expect((await fetch(`${url}/v1/status`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toBe('');
  });
});
