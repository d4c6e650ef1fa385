import { existsSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LocalWatcherError, type LocalWatcherOptions } from '../../cli/local-watcher';
import { ensureTables } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import {
  buildCli,
  type HbwProcess,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
} from '../support/agent-helpers';
import { bearer, startCheckedWatcher, TEST_CONFIG } from '../support/watcher';

// ensureTables as it is, until a test makes it fail once.
jest.mock('../../lambda/adapters/tables', () => {
  const actual = jest.requireActual('../../lambda/adapters/tables');
  return { ...actual, ensureTables: jest.fn(actual.ensureTables) };
});

const config = parseConfig(TEST_CONFIG);

function start(options: Partial<LocalWatcherOptions> = {}) {
  return startCheckedWatcher({ config, port: 0, scanning: false, print: () => undefined, ...options });
}

const dirs: string[] = [];
function dataDir(): string {
  const dir = tempDir('hbw-local-');
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function addAgents(url: string, count: number): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const agentId = `web-${String(i).padStart(2, '0')}`;
    const res = await fetch(`${url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId, group: 'production' }),
    });
    tokens.set(agentId, (await res.json()).token);
  }
  return tokens;
}

/** `hbw local` as operators run it: a process of its own, its own stdout and stderr, its own exit code. */
describe('hbw local as a process', () => {
  let script: string;
  const running: HbwProcess[] = [];
  beforeAll(async () => {
    script = await buildCli();
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await removeBuiltCli();
  });
  const local = (dir: string, fileSizeLimitKiB?: number) => {
    const args = ['local', '--port', '0', '--data-dir', dir];
    // A disk that fills up, without root: a file size limit (ulimit -f, in 512-byte blocks for sh),
    // with SIGXFSZ ignored, so that a write past it fails (EFBIG) as a write to a full disk does.
    const wrapper =
      fileSizeLimitKiB === undefined
        ? []
        : ['sh', '-c', `ulimit -f ${fileSizeLimitKiB * 2}; trap "" XFSZ; exec "$0" "$@"`];
    const p = spawnHbw(script, args, {}, wrapper);
    running.push(p);
    return p;
  };
  const listening = async (p: HbwProcess) =>
    (await waitFor(() => /listening on (http:\/\/\S+)/.exec(p.stdout())?.[1], 'hbw local to listen'))!;

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

  it('on a full disk: stops with the reason and exit 1, and every heartbeat it answered 200 is there after a restart', async () => {
    const dir = dataDir();
    const p = local(dir, 200);
    const url = await listening(p);
    const tokens = await addAgents(url, 10);
    const lastOk = new Map<string, number>();
    let refused: string | undefined;
    for (let seq = 1; seq < 100_000 && refused === undefined; seq++) {
      const agentId = `web-${String(seq % 10).padStart(2, '0')}`;
      try {
        const res = await fetch(`${url}/v1/heartbeat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(tokens.get(agentId)!) },
          body: JSON.stringify({ agentId, seq, bootId: 'b'.repeat(64) }),
        });
        if (res.status === 200) lastOk.set(agentId, seq);
        else refused = `HTTP ${res.status}`;
      } catch (error) {
        refused = String((error as Error).cause ?? error);
      }
    }
    expect(refused).toBeDefined();
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(
      /^hbw: the embedded DynamoDB stopped: cannot write to .*dynamodb \(IO error: .*File too large\): the disk is full, .*make room, then start hbw local again\n$/,
    );
    expect(lastOk.size).toBe(10);

    const again = await start({ dataDir: dir });
    try {
      const stored = new Map((await again.service.listAgents({})).agents.map((a) => [a.agentId, a.seq]));
      for (const [agentId, seq] of lastOk)
        expect({ agentId, seq: stored.get(agentId)! >= seq }).toEqual({ agentId, seq: true });
    } finally {
      await again.close();
    }
  }, 120_000);

  it('on a LevelDB file cut short: refuses to start, with the reason and exit 1, before it says it listens', async () => {
    const dir = dataDir();
    for (let round = 0; round < 2; round++) {
      // Two starts: the second turns the first one's log into a table file (.ldb).
      const w = await start({ dataDir: dir });
      if (round === 0) await addAgents(w.url, 30);
      await w.close();
    }
    const store = join(dir, 'dynamodb');
    const table = readdirSync(store).find((f) => f.endsWith('.ldb'))!;
    expect(table).toBeDefined();
    truncateSync(join(store, table), Math.floor(statSync(join(store, table)).size / 2));

    const p = local(dir);
    expect(await p.exited).toBe(1);
    expect(p.stdout()).toBe('');
    expect(p.stderr()).toMatch(
      new RegExp(
        `^hbw: cannot open the data directory ${dir}: cannot read ${store} \\(.*\\): a file there is damaged or cut short; restore the directory from a copy, or move it aside to start afresh\\n$`,
      ),
    );
  });
});

describe('two watchers started at once on a fresh data directory', () => {
  it('one runs, the other is told that another hbw local uses it (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const dir = dataDir();
      const both = await Promise.allSettled([start({ dataDir: dir }), start({ dataDir: dir })]);
      const running = both.filter((r) => r.status === 'fulfilled');
      const refused = both.filter((r) => r.status === 'rejected');
      expect(both.map((r) => (r.status === 'rejected' ? String(r.reason.message) : 'ok'))).toContain('ok');
      expect(running).toHaveLength(1);
      expect(refused).toHaveLength(1);
      const reason = (refused[0] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(LocalWatcherError);
      expect(reason.message).toMatch(/^cannot open the data directory .*is another hbw local using it\?\)$/);
      const w = (running[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof start>>>).value;
      const status = await fetch(`${w.url}/v1/status`);
      expect(status.status).toBe(200);
      await w.close();
    }
  }, 60_000);
});

describe('a start whose tables cannot be made', () => {
  it('stops the store it started: the data directory is free for the next start', async () => {
    const dir = dataDir();
    jest.mocked(ensureTables).mockRejectedValueOnce(new Error('CreateTable refused'));
    const first = start({ dataDir: dir });
    await expect(first).rejects.toThrow(LocalWatcherError);
    await expect(first).rejects.toThrow(`cannot open the data directory ${dir}: CreateTable refused`);
    const next = await start({ dataDir: dir });
    await next.close();
  });
});
