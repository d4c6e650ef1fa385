import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveAgentSettings } from '../../cli/agent/config';
import { EVENT_CODES } from '../../cli/agent/events';
import { createAgentCommands } from '../../cli/commands/agent-doctor-relay';
import type { HeartbeatAnswer } from '../../lambda/heartbeats';
import { ROOT, tempDir, waitFor, writeTokenFile } from '../support/agent-helpers';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const AGENTS = README.slice(
  README.indexOf('## Agents'),
  README.indexOf('\n## ', README.indexOf('## Agents') + 1),
);

/** The fenced block of `lang` whose first line is `firstLine`. */
function block(lang: string, firstLine: string): string[] {
  const start = AGENTS.indexOf(`\`\`\`${lang}\n${firstLine}`);
  if (start < 0) throw new Error(`README.md has no \`\`\`${lang} block starting "${firstLine}"`);
  const body = AGENTS.slice(AGENTS.indexOf('\n', start) + 1, AGENTS.indexOf('\n```', start));
  return body.split('\n');
}

/** The README's cron file: its variables and the command of each job (after the five times and the user). */
function cronFile() {
  const lines = block('sh', '# /etc/cron.d/hbw-heartbeat');
  const env: Record<string, string> = {};
  const jobs: string[] = [];
  for (const line of lines) {
    const variable = /^([A-Z_]+)=(.*)$/.exec(line);
    if (variable) env[variable[1]!] = variable[2]!;
    const job = /^(?:\S+\s+){5}root\s+(.+)$/.exec(line);
    if (job) jobs.push(job[1]!);
  }
  return { env, jobs };
}

/** The shell script of the sidecar: the block scalar under `args:`, dedented. */
function sidecarScript(): { script: string; variables: string[] } {
  const lines = block('yaml', 'apiVersion: apps/v1');
  const at = lines.findIndex((l) => l.trim() === '- |');
  const indent = (l: string) => l.length - l.trimStart().length;
  const own = indent(lines[at]!);
  const body: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() !== '' && indent(line) <= own) break;
    body.push(line);
  }
  const cut = indent(body[0]!);
  const variables = lines.map((l) => /- name: (HBW_[A-Z_]+)/.exec(l)?.[1]).filter((v): v is string => !!v);
  return { script: body.map((l) => l.slice(cut)).join('\n'), variables };
}

/** Runs `command` as cron would: with /bin/sh, the crontab's variables and a bare PATH (not blocking: the watcher runs here). */
function runAsCron(
  command: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('README: agents without our agent, run as written', () => {
  let w: TestWatcher;
  let dir: string;
  let tokenFile: string;
  let token: string;
  beforeAll(async () => {
    // The README's examples need curl (on this machine: /usr/bin/curl).
    execFileSync('curl', ['--version']);
    w = await startTestWatcher();
    dir = tempDir();
    token = await w.addAgent('web-01');
    tokenFile = writeTokenFile(dir, token);
  });
  afterAll(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the cron line with curl sends a heartbeat the watcher answers 200', async () => {
    const { env, jobs } = cronFile();
    expect(Object.keys(env)).toEqual(['HBW_ENDPOINT', 'HBW_AGENT_ID', 'HBW_TOKEN_FILE']);
    expect(jobs).toHaveLength(2);
    expect(jobs[1]).toBe(`sleep 30; ${jobs[0]}`);
    expect(jobs[0]).not.toContain('%'); // cron would turn it into a newline
    const beats = jest.spyOn(w.service, 'heartbeat');

    const run = await runAsCron(jobs[0]!, { ...env, HBW_ENDPOINT: w.url, HBW_TOKEN_FILE: tokenFile });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(beats).toHaveBeenCalledTimes(1);
    const answer = (await beats.mock.results[0]!.value) as HeartbeatAnswer;
    expect(answer).toMatchObject({ status: 200, body: { agentId: env.HBW_AGENT_ID, state: 'healthy' } });
    expect((await w.storedAgents())[0]?.lastHeartbeatAt).toBe(w.clock.now());
    beats.mockRestore();
  });

  it('the same line fails (curl exit 22) with a wrong token, and records nothing', async () => {
    const { env, jobs } = cronFile();
    const wrong = writeTokenFile(dir, 'hbw_not-the-token', 'wrong');
    w.clock.advance(1000);
    const run = await runAsCron(jobs[0]!, { ...env, HBW_ENDPOINT: w.url, HBW_TOKEN_FILE: wrong });
    expect(run.status).toBe(22);
    expect(run.stderr).toContain('401');
    expect((await w.storedAgents())[0]?.lastHeartbeatAt).toBe(w.clock.now() - 1000);
  });

  it("the Kubernetes sidecar's loop beats at its interval until stopped", async () => {
    const { script, variables } = sidecarScript();
    expect(script).toMatch(/^while true; do\n/);
    expect(variables).toEqual(['HBW_ENDPOINT', 'HBW_AGENT_ID', 'HBW_AGENT_TOKEN', 'HBW_INTERVAL_SECONDS']);
    const beats = jest.spyOn(w.service, 'heartbeat');
    const child = spawn('/bin/sh', ['-c', script], {
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HBW_ENDPOINT: w.url,
        HBW_AGENT_ID: 'web-01',
        HBW_AGENT_TOKEN: token,
        HBW_INTERVAL_SECONDS: '0.2',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    try {
      await waitFor(() => beats.mock.calls.length >= 3, 'three heartbeats from the loop');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    const answers = (await Promise.all(beats.mock.results.map((r) => r.value))) as HeartbeatAnswer[];
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(stderr).toBe('');
    beats.mockRestore();
  });
});

describe('README: the agent sections match the code', () => {
  const run = createAgentCommands().find((c) => c.path[1] === 'run')!;

  it("the systemd unit's ExecStart is a valid hbw agent run", () => {
    const unit = block('ini', '# /etc/systemd/system/hbw-agent.service');
    const execStart = unit
      .find((l) => l.startsWith('ExecStart='))!
      .slice('ExecStart='.length)
      .split(' ');
    expect(execStart.slice(0, 3)).toEqual(['/usr/local/bin/hbw', 'agent', 'run']);
    const dir = tempDir();
    writeTokenFile(dir, 'hbw_x');
    // systemd's specifiers: %H the host name, %d the credentials directory.
    const argv = execStart.slice(3).map((a) => a.replace('%H', 'web-01').replace('%d', dir));
    const { values } = parseArgs({ args: argv, options: run.options!, strict: true });
    const settings = resolveAgentSettings(
      values as Record<string, string | string[]>,
      {},
      {
        requireIdentity: true,
      },
    );
    expect(settings).toMatchObject({
      agentId: 'web-01',
      endpoints: ['https://hbw.example.com', 'https://hbw-b.example.com'],
      token: { from: 'file', path: join(dir, 'token') },
    });
    expect(unit).toContain('LoadCredential=token:/etc/hbw/token');
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents every event code, and the exit codes --help prints', () => {
    for (const code of Object.keys(EVENT_CODES)) expect(AGENTS).toContain(code);
    expect(AGENTS).toContain('Exit codes: **0** stopped by SIGTERM or SIGINT');
    expect(run.summary).toContain(
      'Exit codes: 0 stopped by SIGTERM or SIGINT, 1 cannot start (explained), 2 bad usage.',
    );
  });

  it('documents every setting of hbw agent run with its flag and variable', () => {
    for (const option of Object.keys(run.options!)) {
      if (option === 'config') continue;
      expect(AGENTS).toContain(`--${option}`);
    }
    for (const variable of [
      'HBW_AGENT_ID',
      'HBW_ENDPOINT',
      'HBW_FAILOVER',
      'HBW_FAILURES_BEFORE_FAILOVER',
      'HBW_FAILBACK_SECONDS',
      'HBW_AGENT_TOKEN',
      'HBW_AGENT_TOKEN_FILE',
      'HBW_CLUSTER',
      'HBW_LOG_FORMAT',
      'HBW_INTERVAL_SECONDS',
      'HBW_TIMEOUT_SECONDS',
      'HBW_CA_FILE',
      'HBW_AGENT_CONFIG',
    ]) {
      expect(AGENTS).toContain(variable);
    }
  });

  it('curl is on this machine (the cron and sidecar examples need it)', () => {
    expect(spawnSync('curl', ['--version']).status).toBe(0);
  });
});
