import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a benchmark ran on, as printed at the top of docs/BENCHMARKS.md. */
export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly cpuMhz?: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
}

/** The machine as each section of docs/BENCHMARKS.md names it, in one line. */
export function machineLine(m: Machine): string {
  const mhz = m.cpuMhz ? ` (${Math.round(m.cpuMhz)} MHz)` : '';
  return `- Machine: \`nproc\` ${m.nproc}; CPU ${m.cpuModel}${mhz}; memory ${m.memoryGiB} GiB; ${m.platform}; Node ${m.node}`;
}

export function describeMachine(now = new Date()): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  let cpuMhz: number | undefined;
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
    const mhz = /^cpu MHz\s*:\s*([\d.]+)$/m.exec(cpuinfo)?.[1];
    cpuMhz = mhz === undefined ? undefined : Math.round(Number(mhz));
  } catch {
    // not Linux: os.cpus() is what there is
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    cpuMhz,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** Busy CPU time of the whole machine so far, in ms (Linux /proc/stat; `undefined` elsewhere). */
export function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields.map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Waits, at most `maxMs`, for a second in which the rest of the machine keeps less than `cores` busy,
 * so that a measurement does not start while something else (a build, a test run) is eating the CPU.
 * Answers the cores the rest of the machine used in the last second looked at.
 */
export async function waitForQuiet(maxMs = 8_000, cores = 0.25): Promise<number | undefined> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const machine0 = machineBusyMs();
    const own0 = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const machine1 = machineBusyMs();
    if (machine0 === undefined || machine1 === undefined) return undefined;
    const own = process.cpuUsage(own0);
    const other = Math.max(0, (machine1 - machine0 - (own.user + own.system) / 1000) / 1000);
    if (other < cores || Date.now() >= deadline) return other;
  }
}
