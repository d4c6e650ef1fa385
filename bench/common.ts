// Small helpers the benchmark, soak and load runners share: loopback HTTP with keep-alive, a free
// port, and the section each runner rewrites in the one page of numbers, docs/BENCHMARKS.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname } from 'node:path';
import { closestName } from '../lambda/domain/validation';

export interface Answer {
  readonly status: number;
  readonly text: string;
}

/** One request to 127.0.0.1; rejects on a network error or after `timeoutMs`. */
export function request(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A port nobody listens on right now (the kernel's pick), for a child that needs a fixed `--port`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A number in en-US digits with exactly `digits` decimals. */
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The goals the benchmark summary holds figures to (the project's cost and speed goals). */
export const GOALS = {
  bundleOverFloor: 1.15,
  /** The ingest bundle as deployed, in bytes (issue 15: 430 KB). */
  ingestBundleBytes: 430_000,
  /** Its cold import over the ingest build of the day issue 15 was filed (`ISSUE_DAY`, bench/ingest-bundle.ts). */
  ingestImportVsBefore: 0.65,
} as const;

/** The middle value of `xs` (the mean of the two middle ones when their count is even); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The one page of numbers: every runner writes its own section of it and keeps the rest. */
export const NUMBERS_PAGE = 'docs/BENCHMARKS.md';

const NUMBERS_TITLE = [
  '# Benchmarks',
  '',
  'Every number of the project, each with its command, machine, date and goal. `npm run bench`,',
  '`npm run load` and `npm run soak` each rewrite their own section; text outside them is kept.',
].join('\n');

/** Rewrites the section `key` of the one page of numbers (see `writeSection`). */
export function writeNumbers(key: string, body: string): void {
  mkdirSync(dirname(NUMBERS_PAGE), { recursive: true });
  writeSection(NUMBERS_PAGE, key, body, NUMBERS_TITLE);
}

/**
 * Puts `body` into `file` between `<!-- key -->` and `<!-- /key -->`, replacing what was there, or
 * appends it; the rest of the file (notes written by hand) is kept. A missing file starts with `title`.
 */
function writeSection(file: string, key: string, body: string, title: string): void {
  const open = `<!-- ${key} -->`;
  const close = `<!-- /${key} -->`;
  const block = `${open}\n${body.trim()}\n${close}`;
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : `${title.trim()}\n`;
  const from = previous.indexOf(open);
  const to = previous.indexOf(close);
  const next =
    from >= 0 && to > from
      ? previous.slice(0, from) + block + previous.slice(to + close.length)
      : `${previous.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}

/** A markdown table with padded columns. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    `| ${header.map((_, c) => (row[c] ?? '').padEnd(widths[c]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The positive number given as `--name N` or `--name=N`; `fallback` (or undefined) when absent. */
export function numberFlag(argv: readonly string[], name: string, fallback: number): number;
export function numberFlag(argv: readonly string[], name: string): number | undefined;
export function numberFlag(argv: readonly string[], name: string, fallback?: number): number | undefined {
  const index = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (index < 0) return fallback;
  const text = argv[index]!.includes('=') ? argv[index]!.split('=')[1] : argv[index + 1];
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} needs a positive number`);
  return value;
}

export function stringFlag(argv: readonly string[], name: string): string | undefined {
  const index = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (index < 0) return undefined;
  const text = argv[index]!.includes('=') ? argv[index]!.split('=').slice(1).join('=') : argv[index + 1];
  if (text === undefined || text.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return text;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a runner's `main` as a command: `--help` prints `usage` and runs nothing; a flag that `usage`
 * does not list is refused, naming the closest one it does (so a typo never runs the default for
 * minutes); a {@link UsageError} exits 2, any other failure 1, each with `name:` before its message.
 */
export function runCommand(name: string, usage: string, main: (argv: string[]) => Promise<number>): void {
  const argv = process.argv.slice(2);
  const fail = (error: unknown) => {
    const usageError = error instanceof UsageError;
    process.stderr.write(
      `${name}: ${usageError ? error.message : ((error as Error)?.stack ?? String(error))}\n${usageError ? `(${name} --help for the options)\n` : ''}`,
    );
    process.exitCode = usageError ? 2 : 1;
  };
  if (argv.includes('--help')) {
    process.stdout.write(usage);
    return;
  }
  const known = [...new Set(usage.match(/--[a-z][a-z0-9-]*/g) ?? [])];
  const unknown = argv.find((a) => a.startsWith('--') && !known.includes(a.split('=')[0]!));
  if (unknown !== undefined) {
    const flag = unknown.split('=')[0]!;
    const closest = closestName(flag, known);
    fail(new UsageError(`unknown flag ${flag}${closest ? `; did you mean ${closest}?` : ''}`));
    return;
  }
  main(argv).then((code) => {
    process.exitCode = code;
  }, fail);
}

/** A runner's progress line on stderr, with the time of day. */
export const log = (line: string) =>
  process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

/** How long `hbw local` may take to answer /v1/status after it is started. */
const READY_TIMEOUT_MS = 30_000;
/** How long it may take to exit after SIGTERM before it is killed. */
export const EXIT_TIMEOUT_MS = 20_000;

/** The watcher as a child process that can be paused, resumed and restarted. */
export class WatcherProcess {
  child?: ChildProcess;
  private exited?: Promise<number | null>;
  cpuMs = 0;

  constructor(
    private readonly hbw: string,
    private readonly args: readonly string[],
    private readonly logFile: string,
    readonly port: number,
    private readonly http: http.Agent,
  ) {}

  async start(): Promise<number> {
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [this.hbw, 'local', ...this.args], {
      stdio: ['ignore', out, out],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`hbw local exited with ${child.exitCode}; see ${this.logFile}`);
      try {
        const res = await request(this.http, this.port, 'GET', '/v1/status', { timeoutMs: 2_000 });
        if (res.status === 200) {
          return Date.now();
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`hbw local did not answer within ${READY_TIMEOUT_MS} ms; see ${this.logFile}`);
  }

  signal(name: NodeJS.Signals): void {
    if (this.child?.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, name);
  }

  /** SIGTERM and wait for the exit; SIGKILL after EXIT_TIMEOUT_MS. Answers the exit code (null: killed). */
  async stop(): Promise<{ code: number | null; killed: boolean }> {
    if (!this.child || this.child.exitCode !== null)
      return { code: this.child?.exitCode ?? null, killed: false };
    this.cpuMs += processCpuMs(this.child.pid);
    this.signal('SIGTERM');
    const timer = sleep(EXIT_TIMEOUT_MS).then(() => 'timeout' as const);
    const outcome = await Promise.race([this.exited!, timer]);
    if (outcome === 'timeout') {
      this.signal('SIGKILL');
      return { code: await this.exited!, killed: true };
    }
    return { code: outcome, killed: false };
  }
}

/** CPU time (user + system) a process has used so far, from /proc (0 where there is none). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}
