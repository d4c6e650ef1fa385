import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalWatcherError, type LocalWatcherOptions } from '../../cli/local-watcher';
import { parseConfig } from '../../lambda/domain/config';
import { enrollmentKeysIn, hbw, hbwAt } from '../support/run-cli';
import { bearer, ManualClock, startCheckedWatcher, TEST_CONFIG } from '../support/watcher';

const config = parseConfig(TEST_CONFIG);

/** A local watcher as `hbw local` runs it, on a free port, without the scan timer or its printing. */
function start(options: Partial<LocalWatcherOptions> = {}) {
  return startCheckedWatcher({ config, port: 0, scanning: false, print: () => undefined, ...options });
}

function post(url: string, body: unknown, token: string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify(body),
  });
}

describe('hbw local keeps its data in --data-dir', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hbw-local-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a restart on the same data directory keeps the agent, its token, its last heartbeat and the enrollment keys', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    let token: string;
    let before: Record<string, unknown>;
    let key: string;
    try {
      const cli = hbwAt(first.url);
      const added = await cli(
        'agents',
        'add',
        'web-01',
        '--group',
        'production',
        '--cluster',
        'sql-a',
        '--json',
      );
      expect(added.code).toBe(0);
      token = added.json().token;
      const beat = await post(`${first.url}/v1/heartbeat`, { agentId: 'web-01', seq: 41 }, token);
      expect(beat.status).toBe(200);
      before = (await cli('agents', 'show', 'web-01', '--json')).json();
      expect(before.lastHeartbeatAt).toEqual(expect.any(String));
      [key] = enrollmentKeysIn((await cli('enroll-key', 'test')).out) as [string];
      expect(key).toBeDefined();
    } finally {
      await first.close();
    }
    expect(readdirSync(join(dataDir, 'dynamodb')).length).toBeGreaterThan(0);

    const second = await start({ dataDir });
    try {
      const cli = hbwAt(second.url);
      const after = await cli('agents', 'show', 'web-01', '--json');
      expect(after.code).toBe(0);
      expect(after.json()).toMatchObject({
        agentId: 'web-01',
        group: 'production',
        cluster: 'sql-a',
        approval: 'approved',
        seq: 41,
        lastHeartbeatAt: before.lastHeartbeatAt,
        createdAt: before.createdAt,
      });

      const beat = await post(`${second.url}/v1/heartbeat`, { agentId: 'web-01', seq: 42 }, token);
      expect(beat.status).toBe(200);
      expect(await beat.json()).toMatchObject({ agentId: 'web-01', state: 'healthy' });

      const registered = await post(`${second.url}/v1/register`, { agentId: 'app-01', group: 'test' }, key);
      expect(registered.status).toBe(201);
      const listed = (await cli('agents', 'list', '--json')).json().agents;
      expect(listed.map((a: { agentId: string }) => a.agentId)).toEqual(['app-01', 'web-01']);
    } finally {
      await second.close();
    }
  });

  it('keeps the data directory (700), the outbox (600) and the store’s socket (600) to this user', async () => {
    const dataDir = join(tempDir(), 'nested', '.hbw');
    const clock = new ManualClock();
    const w = await start({ dataDir, clock });
    try {
      const { token } = await w.service.addAgent({ agentId: 'web-01', group: 'production' });
      await w.service.heartbeat(token, { agentId: 'web-01' });
      clock.advance(5 * 60_000);
      await w.scanner.scan();
      const mode = (path: string) => statSync(path).mode & 0o777;
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'dynamodb'))).toBe(0o700);
      expect(mode(join(dataDir, 'outbox.jsonl'))).toBe(0o600);
      expect(mode(join(dataDir, 'dynamodb.sock'))).toBe(0o600);
    } finally {
      await w.close();
    }
  });

  it('tightens a data directory and an outbox made before with looser modes, and says so', async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'outbox.jsonl'), '', { mode: 0o644 });
    chmodSync(join(dataDir, 'outbox.jsonl'), 0o644);
    const printed: string[] = [];
    const w = await start({ dataDir, print: (line) => printed.push(line) });
    await w.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'outbox.jsonl')).mode & 0o777).toBe(0o600);
    expect(printed).toEqual([
      `made ${dataDir} private to this user (mode 700, it was 755)`,
      `made ${join(dataDir, 'outbox.jsonl')} private to this user (mode 600, it was 644)`,
    ]);
  });

  it('a second watcher on a data directory in use fails with a clear LocalWatcherError, and the first runs on', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    try {
      const second = start({ dataDir });
      await expect(second).rejects.toThrow(LocalWatcherError);
      await expect(second).rejects.toThrow(`cannot open the data directory ${dataDir}`);
      await expect(second).rejects.toThrow('is another hbw local using it?');

      // The same through the CLI: exit 1 with the reason, not a stack trace.
      const run = await hbw(['local', '--data-dir', dataDir, '--port', '0']);
      expect(run.code).toBe(1);
      expect(run.out).toBe('');
      expect(run.err).toMatch(/^hbw: cannot open the data directory .*is another hbw local using it\?\)$/);

      const still = await hbw(['status', '--json', '--endpoint', first.url]);
      expect(still.code).toBe(0);
    } finally {
      await first.close();
    }
  });

  it('a second watcher on a port in use fails with a LocalWatcherError that says so', async () => {
    const first = await start();
    try {
      const port = Number(new URL(first.url).port);
      const second = start({ port });
      await expect(second).rejects.toThrow(LocalWatcherError);
      await expect(second).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      await first.close();
    }
  });
});

describe('hbw local off loopback', () => {
  it('refuses to bind 0.0.0.0 without an admin token, naming HBW_ADMIN_TOKEN', async () => {
    const started = start({ host: '0.0.0.0' });
    await expect(started).rejects.toThrow(LocalWatcherError);
    await expect(started).rejects.toThrow('HBW_ADMIN_TOKEN');

    const dataDir = mkdtempSync(join(tmpdir(), 'hbw-local-'));
    try {
      const run = await hbw(['local', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir]);
      expect(run.code).toBe(1);
      expect(run.err).toContain('binding to 0.0.0.0 exposes the admin routes');
      expect(run.err).toContain('HBW_ADMIN_TOKEN');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with an admin token, admin routes need it and agent routes do not', async () => {
    const adminToken = 'a-long-random-admin-secret-for-the-test';
    const w = await start({ host: '0.0.0.0', adminToken });
    try {
      const url = w.url.replace('0.0.0.0', '127.0.0.1');
      const open = await fetch(`${url}/v1/status`);
      expect(open.status).toBe(401);
      expect((await open.json()).error.message).toContain('HBW_ADMIN_TOKEN');

      const denied = await hbw(['agents', 'list', '--endpoint', url]);
      expect(denied.code).toBe(1);
      expect(denied.err).toContain('HBW_ADMIN_TOKEN');

      const cli = hbwAt(url, { HBW_ADMIN_TOKEN: adminToken });
      const added = await cli('agents', 'add', 'web-01', '--group', 'production', '--json');
      expect(added.code).toBe(0);
      const beat = await post(`${url}/v1/heartbeat`, { agentId: 'web-01' }, added.json().token);
      expect(beat.status).toBe(200);
    } finally {
      await w.close();
    }
  });
});

describe('the local console', () => {
  it('answers GET / with the console page and /favicon.ico with an icon', async () => {
    const w = await start();
    try {
      const page = await fetch(`${w.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('heartbeat-watcher');

      const icon = await fetch(`${w.url}/favicon.ico`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toMatch(/^image\//);
      expect((await icon.text()).length).toBeGreaterThan(0);
    } finally {
      await w.close();
    }
  });
});
