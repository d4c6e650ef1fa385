import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from '../support/agent-helpers';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

// The installer as a server runs it (curl ... | sh -s -- ...), and the sh agent it installs, under
// dash and under bash, each with --prefix into a temporary directory, against a real local watcher.

const CONFIG = {
  heartbeatIntervalSeconds: 30,
  scanIntervalSeconds: 30,
  missedScansBeforeAlert: 3,
  groups: {
    sh: { channels: ['console' as const], autoApprove: true, heartbeatIntervalSeconds: 1 },
    held: { channels: ['console' as const] },
  },
};

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Everything under `dir`, as paths relative to it, files and directories alike. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      out.push(path);
      if (statSync(join(dir, path)).isDirectory()) walk(path);
    }
  };
  walk('');
  return out.sort();
}

/** A TCP door on `port` to the watcher: a primary endpoint the test opens and closes. */
async function openDoor(port: number, to: string): Promise<{ close(): Promise<void> }> {
  const target = new URL(to);
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(target.port), target.hostname);
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * `command` with the `etc`, `bin`, `lib` and `run` directories of `root` mounted over /etc,
 * /usr/local/bin, /var/lib and /run, in a mount namespace of its own (unshare -m, as root): the
 * installer's real install into /, with its system user and its service, changing nothing of this
 * machine's. What it wrote stays in `root` once the namespace is gone.
 */
function asSystem(root: string, command: readonly string[]): string[] {
  const mounts = [
    ['etc', '/etc'],
    ['bin', '/usr/local/bin'],
    ['lib', '/var/lib'],
    ['run', '/run'],
  ];
  const script = `${mounts.map(([from, to]) => `mount --bind "$0/${from}" ${to}`).join(' && ')} && exec "$@"`;
  return ['unshare', '-m', 'sh', '-c', script, root, ...command];
}

/** A root for {@link asSystem}: a copy of this machine's /etc (its users), and empty bin, lib and run. */
function systemRoot(): string {
  const root = tempDir('hbw-system-');
  expect(spawnSync('cp', ['-a', '/etc', join(root, 'etc')]).status).toBe(0);
  for (const dir of ['bin', 'lib', 'run']) mkdirSync(join(root, dir));
  return root;
}

/** The passwd entry of `user` under `root`, if any. */
function passwdEntry(root: string, user: string) {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (line === undefined) return undefined;
  const [, , uid, , , home, loginShell] = line.split(':');
  return { uid: Number(uid), home, shell: loginShell };
}

/** Whether {@link asSystem} can run here: as root, with unshare able to make a mount namespace. */
const canMount = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
if (!canMount && !process.env.CI) {
  console.warn('not root, or no unshare -m: the installs into / (system user, service) are not tested here');
}
// CI runs as root (.ci/run), where these tests must run, never skip.
const asRoot = canMount || process.env.CI ? describe : describe.skip;

describe.each(['dash', 'bash'])('the sh installer and agent under %s', (shell) => {
  let w: TestWatcher;
  let key: string;
  let dirs: string[] = [];
  const agents: ChildProcess[] = [];
  /** A fake systemctl: what `is-system-running` prints is in the file next to it. */
  let systemctl: string;
  let systemState: string;

  beforeAll(async () => {
    w = await startTestWatcher({ config: CONFIG });
    const made = await w.call('POST', '/v1/groups/sh/enrollment-key');
    key = made.body.key;
    const fake = tempDir('hbw-systemctl-');
    dirs.push(fake);
    systemState = join(fake, 'state');
    systemctl = join(fake, 'systemctl');
    writeFileSync(systemState, 'running\n');
    writeFileSync(systemctl, `#!/bin/sh\ncat '${systemState}'\n`, { mode: 0o755 });
  });
  afterEach(() => {
    for (const agent of agents.splice(0)) agent.kill('SIGKILL');
  });
  afterAll(async () => {
    await w.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  const prefixDir = () => {
    const dir = tempDir('hbw-prefix-');
    dirs.push(dir);
    return dir;
  };

  /** `curl -fsSL WATCHER/v1/install.sh | SHELL -s -- ARGS`, as the README's one-liner. */
  const install = (...args: string[]) => installWith({}, ...args);

  /**
   * The one-liner with `path` before the PATH (commands that stand in for the system's), and, with
   * `system`, inside {@link asSystem}'s mount namespace.
   */
  function installWith(
    { path, system }: { readonly path?: string; readonly system?: string },
    ...args: string[]
  ): Promise<Run> {
    const oneLiner = [shell, '-c', `curl -fsSL "$0/v1/install.sh" | ${shell} -s -- "$@"`, w.url, ...args];
    const [command, ...rest] = system === undefined ? oneLiner : asSystem(system, oneLiner);
    return new Promise((resolve) => {
      const child = spawn(command!, rest, {
        env: { PATH: path === undefined ? process.env.PATH : `${path}:${process.env.PATH}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.once('close', (code) => resolve({ code, out, err }));
    });
  }

  /** Runs the agent installed under `prefix` with `shell`, its boot id read from `bootFile`. */
  function startAgent(prefix: string, bootFile: string) {
    const child = spawn(shell, [join(prefix, 'usr/local/bin/hbw-agent')], {
      env: { PATH: process.env.PATH, HBW_BOOT_ID_FILE: bootFile, HBW_SYSTEMCTL: systemctl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agents.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return {
      log: () => out,
      async stop() {
        child.kill('SIGTERM');
        return exited;
      },
    };
  }

  const stored = async (agentId: string) => (await w.storedAgents()).find((a) => a.agentId === agentId);
  const bootFile = (dir: string, id: string) => {
    const path = join(dir, 'boot_id');
    writeFileSync(path, `${id}\n`);
    return path;
  };
  const id = (name: string) => `${name}-${shell}`;
  /** The one-liner enrolling `agentId` in the group sh, installing under `prefix`. */
  const enroll = (agentId: string, prefix: string, ...more: string[]) =>
    install('--enroll-key', key, '--group', 'sh', '--id', agentId, '--prefix', prefix, ...more);

  it('installs into a prefix with the real layout, and the installed agent beats from there', async () => {
    const prefix = prefixDir();
    const agentId = id('layout');

    const run = await enroll(agentId, prefix, '--no-start', '--service', 'systemd');

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(tree(prefix)).toEqual([
      'etc',
      'etc/hbw',
      'etc/hbw/agent.conf',
      'etc/hbw/token',
      'etc/systemd',
      'etc/systemd/system',
      'etc/systemd/system/hbw-agent.service',
      'usr',
      'usr/local',
      'usr/local/bin',
      'usr/local/bin/hbw-agent',
      'var',
      'var/lib',
      'var/lib/hbw',
    ]);
    expect(statSync(join(prefix, 'etc/hbw/token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(prefix, 'etc/hbw/token'), 'utf8')).toMatch(/^hbw_[A-Za-z0-9_-]{43}\n$/);
    expect(statSync(join(prefix, 'usr/local/bin/hbw-agent')).mode & 0o111).toBe(0o111);
    expect(readFileSync(join(prefix, 'etc/systemd/system/hbw-agent.service'), 'utf8')).toContain(
      `ExecStart=${prefix}/usr/local/bin/hbw-agent\n`,
    );
    expect(await stored(agentId)).toMatchObject({ group: 'sh', approval: 'approved' });

    const agent = startAgent(prefix, bootFile(prefix, 'boot-one'));
    const beaten = await waitFor(async () => {
      const a = await stored(agentId);
      return (a?.seq ?? 0) >= 2 ? a : undefined;
    }, 'two heartbeats from the sh agent');
    expect(await agent.stop()).toBe(0);

    expect(beaten).toMatchObject({ bootId: 'boot-one', endpoint: w.url, version: 'sh-dev' });
    expect(Number(readFileSync(join(prefix, 'var/lib/hbw/seq'), 'utf8'))).toBeGreaterThanOrEqual(2);
    expect(agent.log()).toContain('HBW2002 the watcher set the heartbeat interval to 1 s (was 30 s)');
  });

  it('keeps seq through its own restarts within a boot, and starts over when the boot id changes', async () => {
    const prefix = prefixDir();
    const agentId = id('boots');
    expect((await enroll(agentId, prefix, '--no-start')).code).toBe(0);
    const boot = bootFile(prefix, 'boot-a');
    const seqAbove = (n: number) => async () => {
      const a = await stored(agentId);
      return (a?.seq ?? 0) > n ? a : undefined;
    };

    let agent = startAgent(prefix, boot);
    const first = await waitFor(seqAbove(0), 'a first heartbeat');
    await agent.stop();
    const before = (await stored(agentId))!.seq!;
    agent = startAgent(prefix, boot);
    await waitFor(seqAbove(before), 'a heartbeat of the same boot after a restart of the agent');
    await agent.stop();
    const sameBoot = (await w.call('GET', `/v1/agents/${agentId}`)).body;
    writeFileSync(boot, 'boot-b\n');
    agent = startAgent(prefix, boot);
    const rebooted = await waitFor(async () => {
      const a = await stored(agentId);
      return a?.bootId === 'boot-b' ? a : undefined;
    }, 'a heartbeat of the new boot');
    await agent.stop();

    await w.scanner.scan();

    expect(first.bootId).toBe('boot-a');
    expect(sameBoot).toMatchObject({ restarts: 0, lostHeartbeats: 0 });
    expect(rebooted.seq).toBeLessThanOrEqual(2);
    expect((await w.call('GET', `/v1/agents/${agentId}`)).body).toMatchObject({
      restarts: 1,
      lastRestartAt: expect.any(String),
    });
    const alerts = (await w.call('GET', `/v1/alerts?agentId=${agentId}&status=all`)).body.alerts;
    expect(alerts.map((a: { kind: string }) => a.kind)).toEqual(['agent_restarted']);
  });

  it('says goodbye when stopped while the system shuts down, not on a plain stop, and the goodbye holds its alerts', async () => {
    const prefix = prefixDir();
    const agentId = id('goodbye');
    expect((await enroll(agentId, prefix, '--no-start', '--goodbye-seconds', '900')).code).toBe(0);
    const beats = jest.spyOn(w.service, 'heartbeat');
    try {
      let agent = startAgent(prefix, bootFile(prefix, 'boot-g'));
      await waitFor(() => stored(agentId).then((a) => (a?.seq ?? 0) >= 1), 'a heartbeat');
      await agent.stop();
      agent = startAgent(prefix, bootFile(prefix, 'boot-g'));
      await waitFor(() => agent.log().includes('HBW2001'), 'the agent connected again');
      // Beside it, an agent that beat at the same moment and said nothing: the scans fail it.
      const control = `control-${shell}`;
      const token = await w.addAgent(control, 'sh');
      await w.call('POST', '/v1/heartbeat', { agentId: control }, { authorization: `Bearer ${token}` });
      writeFileSync(systemState, 'stopping\n');
      expect(await agent.stop()).toBe(0);
      const view = (await w.call('GET', `/v1/agents/${agentId}`)).body;
      for (let scan = 0; scan < 10; scan++) {
        w.clock.advance(30_000);
        await w.scanner.scan();
      }
      const kinds = async (of: string) =>
        (await w.call('GET', `/v1/alerts?agentId=${of}&status=all`)).body.alerts.map(
          (a: { kind: string }) => a.kind,
        );

      expect(view).toMatchObject({
        state: 'away',
        awayReason: 'shutdown',
        awayUntil: new Date(w.clock.now() - 300_000 + 900_000).toISOString(),
      });
      expect(await kinds(agentId)).toEqual([]);
      expect(await kinds(control)).toEqual(['heartbeat_failure']);
      expect((await w.call('GET', `/v1/agents/${agentId}`)).body.state).toBe('away');

      const bodies = beats.mock.calls.map((call) => call[1] as { goodbye?: unknown });
      expect(bodies.filter((b) => b.goodbye !== undefined)).toEqual([
        expect.objectContaining({ goodbye: { backInSeconds: 900, reason: 'shutdown' } }),
      ]);
      expect(bodies.at(-1)?.goodbye).toBeDefined();
      // What every heartbeat carries besides: when it was sent, and when this host started (/proc/stat).
      const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(bodies[0]).toMatchObject({ agentId, seq: 1, bootId: 'boot-g', sentAt: iso, bootedAt: iso });
      expect(agent.log()).toContain('HBW2093 said goodbye');
    } finally {
      writeFileSync(systemState, 'running\n');
      beats.mockRestore();
    }
  });

  it('fails over when the primary is down and back when it returns', async () => {
    const prefix = prefixDir();
    const agentId = id('failover');
    const port = await freePort();
    const primary = `http://127.0.0.1:${port}`;
    expect((await enroll(agentId, prefix, '--no-start', '--failback-seconds', '1')).code).toBe(0);
    // Enrolled through the watcher; then the primary is the door, the watcher itself the failover.
    expect(
      (
        await install(
          '--endpoint',
          primary,
          '--failover',
          w.url,
          '--prefix',
          prefix,
          '--no-start',
          '--failback-seconds',
          '1',
        )
      ).code,
    ).toBe(0);

    const agent = startAgent(prefix, bootFile(prefix, 'boot-f'));
    const onFailover = await waitFor(async () => {
      const a = await stored(agentId);
      return a?.endpoint === w.url ? a : undefined;
    }, 'a heartbeat through the failover');
    const door = await openDoor(port, w.url);
    try {
      await waitFor(() => agent.log().includes('HBW2019'), 'the agent back on the primary');
      await agent.stop();
    } finally {
      await door.close();
    }

    expect(onFailover.seq).toBeGreaterThanOrEqual(1);
    expect((await stored(agentId))?.endpoint).toBe(primary);
    expect(agent.log()).toContain(`HBW2015 failed over from ${primary} to ${w.url}`);
    expect(agent.log()).toContain(`HBW2019 resumed communication with the primary ${primary}`);
  });

  it('refuses a rotated enrollment key with exit 1, naming --enroll-key, and installs nothing', async () => {
    const old = (await w.call('POST', '/v1/groups/held/enrollment-key')).body.key;
    await w.call('POST', '/v1/groups/held/enrollment-key');
    const prefix = prefixDir();

    const run = await install(
      '--enroll-key',
      old,
      '--group',
      'held',
      '--id',
      id('rotated'),
      '--prefix',
      prefix,
    );

    expect(run.code).toBe(1);
    expect(run.err).toContain('--enroll-key: the watcher at');
    expect(run.err).toContain('refused the enrollment key for group held (401)');
    expect(tree(prefix)).toEqual([]);
    expect(await stored(id('rotated'))).toBeUndefined();
  });

  it('enrolls a server pending where the group does not approve on its own, and says what to run', async () => {
    const fresh = (await w.call('POST', '/v1/groups/held/enrollment-key')).body.key;
    const prefix = prefixDir();
    const agentId = id('pending');

    const run = await install(
      '--enroll-key',
      fresh,
      '--group',
      'held',
      '--id',
      agentId,
      '--prefix',
      prefix,
      '--no-start',
    );

    expect(run.code).toBe(0);
    expect(run.out).toContain(
      `agent ${agentId} is pending: an operator approves it with hbw agents approve ${agentId}`,
    );
    expect(await stored(agentId)).toMatchObject({ group: 'held', approval: 'pending' });
  });

  it('names --endpoint when the watcher cannot be reached (exit 1), and installs nothing', async () => {
    const prefix = prefixDir();
    const nobody = `http://127.0.0.1:${await freePort()}`;

    const run = await enroll(id('unreachable'), prefix, '--endpoint', nobody);

    expect(run.code).toBe(1);
    expect(run.err).toContain(`--endpoint: cannot reach ${nobody} (curl exit 7`);
    expect(tree(prefix)).toEqual([]);
  });

  it('takes back all it wrote when the install fails after registering, and names the agent to remove', async () => {
    const prefix = prefixDir();
    const agentId = id('undone');
    // A file where the agent's directory goes: writing the agent fails, after the token and settings.
    writeFileSync(join(prefix, 'usr'), '');

    const run = await enroll(agentId, prefix, '--no-start');

    expect(run.code).toBe(1);
    expect(run.err).toContain(
      `nothing was installed; the watcher registered agent ${agentId}, so an operator removes it (hbw agents remove ${agentId})`,
    );
    expect(tree(prefix)).toEqual(['usr']);
    expect(await stored(agentId)).toMatchObject({ group: 'sh' });
  });

  it('takes the host name as the agent id without --id, and asks for --id when that is not one', async () => {
    const fake = prefixDir();
    const hostName = join(fake, 'name');
    // uname -n is how the installer asks the host name.
    writeFileSync(join(fake, 'uname'), `#!/bin/sh\ncat '${hostName}'\n`, { mode: 0o755 });
    const enrollHere = (prefix: string) =>
      installWith({ path: fake }, '--enroll-key', key, '--group', 'sh', '--prefix', prefix, '--no-start');

    writeFileSync(hostName, `${id('host')}\n`);
    const named = await enrollHere(prefixDir());
    writeFileSync(hostName, 'db 01\n');
    const prefix = prefixDir();
    const unnamed = await enrollHere(prefix);

    expect(named.code).toBe(0);
    expect(await stored(id('host'))).toMatchObject({ group: 'sh', approval: 'approved' });
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toContain('--id: needed, since the host name db 01 is not a valid agent id');
    expect(tree(prefix)).toEqual([]);
  });

  it('keeps the token when run again, and changes only what changed', async () => {
    const prefix = prefixDir();
    const args = [
      '--enroll-key',
      key,
      '--group',
      'sh',
      '--id',
      id('rerun'),
      '--prefix',
      prefix,
      '--no-start',
    ];
    expect((await install(...args)).code).toBe(0);
    const token = readFileSync(join(prefix, 'etc/hbw/token'), 'utf8');
    const agentFile = statSync(join(prefix, 'usr/local/bin/hbw-agent')).mtimeMs;

    const same = await install(...args);
    const more = await install(...args, '--failover', 'https://hbw-b.example.com');

    expect(same.code).toBe(0);
    expect(same.out).toContain('nothing changed');
    expect(more.code).toBe(0);
    expect(more.out).toContain('(changed: /etc/hbw/agent.conf)');
    expect(readFileSync(join(prefix, 'etc/hbw/token'), 'utf8')).toBe(token);
    expect(statSync(join(prefix, 'usr/local/bin/hbw-agent')).mtimeMs).toBe(agentFile);
    expect(readFileSync(join(prefix, 'etc/hbw/agent.conf'), 'utf8')).toContain(
      `HBW_ENDPOINTS='${w.url} https://hbw-b.example.com'`,
    );
  });

  it('--uninstall stops the agent it started and leaves nothing', async () => {
    const prefix = prefixDir();
    const agentId = id('uninstall');
    const run = await enroll(agentId, prefix, '--service', 'cron');
    expect(run.code).toBe(0);
    expect(existsSync(join(prefix, 'etc/cron.d/hbw-agent'))).toBe(true);
    await waitFor(
      async () => ((await stored(agentId))?.seq ?? 0) >= 1,
      'a heartbeat from the agent started in the background',
    );
    const pid = Number(readFileSync(join(prefix, 'var/lib/hbw/agent.pid'), 'utf8'));

    const gone = await install('--uninstall', '--prefix', prefix);

    expect(gone.code).toBe(0);
    expect(gone.out).toContain(`removed the agent ${agentId}`);
    expect(tree(prefix)).toEqual([]);
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the background agent to stop');
  });

  it.each([
    [['--endpoint', 'ftp://x'], '--endpoint: must be an http or https URL'],
    [['--failover', "https://a.example.com/'$(id)"], '--failover: must be an http or https URL'],
    [['--enroll-key', 'hbwk_short'], '--enroll-key: must be a group enrollment key'],
    [['--group', 'bad group'], '--group: must be 1 to 64 of'],
    [['--id', ''], '--id: must be 1 to 128 of'],
    [['--failback-seconds', '0'], '--failback-seconds: must be a whole number of seconds'],
    [['--goodbye-seconds', '604801'], '--goodbye-seconds: must be a whole number of seconds, 1 to 604800'],
    [['--service', 'upstart'], '--service: must be auto, systemd or cron'],
    [['--prefix', 'relative/dir'], '--prefix: must be an absolute path'],
    [['--group'], '--group: needs a value'],
    [['--colour'], '--colour: unknown option'],
    [['--prefix', '/tmp/hbw-never-made'], '--enroll-key: needed to enroll this server'],
  ])('refuses %j with a message naming the flag (exit 2)', async (args, message) => {
    const run = await install(...args);
    expect(run.err).toContain(message);
    expect(run.code).toBe(2);
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await install('--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('usage: sh install.sh --enroll-key KEY --group GROUP [options]');
    expect(run.out).toContain('--failover URL');
  });

  asRoot('installed into / as root', () => {
    const systemDir = () => {
      const root = systemRoot();
      dirs.push(root);
      expect(passwdEntry(root, 'hbw')).toBeUndefined();
      return root;
    };
    const running = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };

    it('keeps the token mode 600 for a system user hbw it creates, runs the agent as hbw from cron where there is no systemd, and --uninstall removes both', async () => {
      const root = systemDir();
      const agentId = id('system');
      const args = ['--enroll-key', key, '--group', 'sh', '--id', agentId];
      let pid: number | undefined;
      try {
        const run = await installWith({ system: root }, ...args);
        expect(run.err).toBe('');
        expect(run.code).toBe(0);

        const user = passwdEntry(root, 'hbw')!;
        expect(user).toMatchObject({ home: '/var/lib/hbw', shell: '/usr/sbin/nologin' });
        expect(user.uid).toBeLessThan(1000);
        const token = statSync(join(root, 'etc/hbw/token'));
        expect({ uid: token.uid, mode: token.mode & 0o777 }).toEqual({ uid: user.uid, mode: 0o600 });
        expect(readFileSync(join(root, 'etc/cron.d/hbw-agent'), 'utf8')).toContain(
          '\n* * * * * hbw /usr/local/bin/hbw-agent --cron\n',
        );
        expect(existsSync(join(root, 'etc/systemd/system/hbw-agent.service'))).toBe(false);
        await waitFor(
          async () => ((await stored(agentId))?.seq ?? 0) >= 1,
          'a heartbeat from the agent run as hbw',
        );
        pid = Number(readFileSync(join(root, 'lib/hbw/agent.pid'), 'utf8'));
        const uids = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        expect(Number(uids)).toBe(user.uid);

        const again = await installWith({ system: root }, ...args);
        expect(again.code).toBe(0);
        expect(again.out).toContain('nothing changed');
        const gone = await installWith({ system: root }, '--uninstall');

        expect(gone.code).toBe(0);
        expect(passwdEntry(root, 'hbw')).toBeUndefined();
        expect(readdirSync(join(root, 'bin'))).toEqual([]);
        expect(readdirSync(join(root, 'lib'))).toEqual([]);
        expect(existsSync(join(root, 'etc/hbw'))).toBe(false);
        expect(existsSync(join(root, 'etc/cron.d/hbw-agent'))).toBe(false);
        const stopped = pid;
        await waitFor(() => !running(stopped), 'the agent to stop');
      } finally {
        // The agent cron would start, should the test have stopped before it read the pid.
        const pidFile = join(root, 'lib/hbw/agent.pid');
        pid ??= existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
        if (pid !== undefined && running(pid)) process.kill(pid, 'SIGKILL');
      }
    });

    it('installs a systemd service run as hbw where systemd runs, enabled and started, and --uninstall disables it', async () => {
      const root = systemDir();
      mkdirSync(join(root, 'run/systemd/system'), { recursive: true });
      const fake = prefixDir();
      const calls = join(fake, 'calls');
      writeFileSync(join(fake, 'systemctl'), `#!/bin/sh\necho "$*" >>'${calls}'\n`, { mode: 0o755 });
      const said = () => readFileSync(calls, 'utf8').trim().split('\n');

      const run = await installWith(
        { system: root, path: fake },
        ...['--enroll-key', key, '--group', 'sh', '--id', id('systemd')],
      );

      expect(run.code).toBe(0);
      const unit = readFileSync(join(root, 'etc/systemd/system/hbw-agent.service'), 'utf8');
      expect(unit).toContain('\nExecStart=/usr/local/bin/hbw-agent\nUser=hbw\n');
      expect(unit).toContain('\nReadWritePaths=/var/lib/hbw\n');
      expect(existsSync(join(root, 'etc/cron.d/hbw-agent'))).toBe(false);
      expect(statSync(join(root, 'etc/hbw/token')).uid).toBe(passwdEntry(root, 'hbw')!.uid);
      expect(said()).toEqual(['daemon-reload', 'enable hbw-agent', 'restart hbw-agent']);
      expect(run.out).toContain('the agent started (systemctl status hbw-agent; journalctl -u hbw-agent)');

      const gone = await installWith({ system: root, path: fake }, '--uninstall');

      expect(gone.code).toBe(0);
      expect(said().slice(3)).toEqual(['disable --now hbw-agent', 'daemon-reload']);
      expect(existsSync(join(root, 'etc/systemd/system/hbw-agent.service'))).toBe(false);
      expect(passwdEntry(root, 'hbw')).toBeUndefined();
    });
  });
});
