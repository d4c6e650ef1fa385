// The sh agent's footprint (agent/hbw-agent.sh, as GET /v1/install.sh installs it), measured the way
// bench/agent.ts measures `hbw agent run`, in the same bench run. Not part of `npm test`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installScript } from '../lambda/http/install-script';
import { CLOCK_TICKS, countingWatcher, mib } from './agent';
import { median, sleep } from './common';

export interface ShAgentResourceOptions {
  readonly seconds: number;
  /** The heartbeat interval the watcher tells the agent. */
  readonly intervalSeconds: number;
  /** Left out of the measurement: the install, the first heartbeats. */
  readonly warmupSeconds: number;
}

export interface ShAgentResourceResult {
  readonly command: string;
  /** What /bin/sh is here (dash on Debian). */
  readonly shell: string;
  readonly seconds: number;
  readonly intervalSeconds: number;
  /** Heartbeats the watcher recorded during the measured window. */
  readonly heartbeats: number;
  /**
   * Resident set size of the whole process tree while it idles between heartbeats (the sh and its
   * sleep, VmRSS summed: pages they share, such as libc's, count twice), MiB.
   */
  readonly idleRssMiB: { readonly median: number; readonly max: number };
  /** Samples taken while the tree was idle (sh and sleep alone), of one a second. */
  readonly idleSamples: number;
  readonly samples: number;
  /** CPU of the sh and of every child it waited for (curl, date, mv, the sleeps), user + system. */
  readonly cpuMs: number;
  readonly cpuMsPerHeartbeat: number;
  readonly cpuPercentOfCore: number;
}

/** `pid` and its descendants, each with its command name and VmRSS (KiB). */
function processTree(pid: number): { comm: string; rssKiB: number }[] {
  const out: { comm: string; rssKiB: number }[] = [];
  const visit = (p: number) => {
    let status: string;
    let children: string;
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8');
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8');
    } catch {
      return; // it ended between the parent's list and now
    }
    out.push({
      comm: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?',
      rssKiB: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0),
    });
    for (const child of children.trim().split(/\s+/).filter(Boolean)) visit(Number(child));
  };
  visit(pid);
  return out;
}

/** utime + stime + cutime + cstime of `pid` (its own CPU and that of the children it waited for), in ticks. */
function treeCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

/** Runs `/bin/sh args` with `input` on stdin; rejects unless it exits 0. */
function runSh(args: readonly string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sh exited ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });
}

/**
 * Installs the sh agent under a temporary prefix with the watcher's own installer, runs it against a
 * local watcher, and reads /proc every second over `seconds` after a warm-up. Linux only.
 */
export async function benchShAgentResources(options: ShAgentResourceOptions): Promise<ShAgentResourceResult> {
  const { watcher, recorded } = await countingWatcher(options.intervalSeconds);
  const dir = mkdtempSync(join(tmpdir(), 'hbw-bench-sh-agent-'));
  try {
    const { key } = await watcher.service.newEnrollmentKey('production');
    const args = ['--enroll-key', key, '--group', 'production', '--id', 'bench-sh', '--prefix', dir];
    await runSh(['-s', '--', ...args, '--no-start'], installScript(watcher.url));
    await watcher.service.approve('bench-sh');
    const child = spawn('/bin/sh', [join(dir, 'usr/local/bin/hbw-agent')], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await sleep(options.warmupSeconds * 1000);
      if (child.exitCode !== null) throw new Error(`the sh agent exited ${child.exitCode}`);
      const pid = child.pid!;
      const before = recorded();
      const cpuBefore = treeCpuTicks(pid);
      const startedAt = performance.now();
      const idle: number[] = [];
      let samples = 0;
      const end = startedAt + options.seconds * 1000;
      while (performance.now() < end) {
        // Off the beat: a sample lands between two heartbeats as often as the timing allows.
        await sleep(Math.min(1000, Math.max(0, end - performance.now())));
        const tree = processTree(pid);
        samples += 1;
        if (tree.length === 2 && tree[1]!.comm === 'sleep') idle.push(tree[0]!.rssKiB + tree[1]!.rssKiB);
      }
      const wallSeconds = (performance.now() - startedAt) / 1000;
      const cpuMs = ((treeCpuTicks(pid) - cpuBefore) / CLOCK_TICKS) * 1000;
      const heartbeats = recorded() - before;
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the sh agent exited ${code} on SIGTERM`);
      return {
        command: `/bin/sh PREFIX/usr/local/bin/hbw-agent (installed by sh install.sh ${args.slice(2).join(' ').replace(dir, 'PREFIX')} --no-start)`,
        shell: readlinkSync('/bin/sh'),
        seconds: options.seconds,
        intervalSeconds: options.intervalSeconds,
        heartbeats,
        idleRssMiB: { median: mib(median(idle)), max: mib(Math.max(...idle)) },
        idleSamples: idle.length,
        samples,
        cpuMs: Math.round(cpuMs),
        cpuMsPerHeartbeat: Math.round((cpuMs / Math.max(1, heartbeats)) * 10) / 10,
        cpuPercentOfCore: Math.round((cpuMs / 1000 / wallSeconds) * 100 * 100) / 100,
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
