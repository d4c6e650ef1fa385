import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Answerer, TappedAnswer } from './answer-tap';
import { holdToContract } from './contract-check';

/** Polls `check` every 25 ms until it answers something truthy; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A port that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A temporary directory for token and config files. */
export function tempDir(prefix = 'hbw-agent-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `token` to a file of its own (mode 600), as an operator would; answers the path. */
export function writeTokenFile(dir: string, token: string, name = 'token'): string {
  const path = join(dir, name);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** The `code` of each JSON log line in `lines`. */
export function codesOf(lines: readonly string[]): string[] {
  return lines.map((line) => JSON.parse(line).code as string);
}

export const ROOT = resolve(__dirname, '../..');

let built: Promise<string> | undefined;

/**
 * The CLI bundled as `npm run build` bundles it, into a temporary directory (so a test never runs a
 * stale dist/): answers the path of hbw.js. Run it with {@link spawnHbw}.
 */
export function buildCli(): Promise<string> {
  built ??= (async () => {
    const outdir = tempDir('hbw-cli-');
    await bundler().bundle({ entryPoints: bundler().CLI_ENTRIES, outdir, version: '0.0.0-test' });
    return join(outdir, 'hbw.js');
  })();
  return built;
}

interface Bundler {
  bundle(options: {
    entryPoints: string[] | Record<string, string>;
    outfile?: string;
    outdir?: string;
    version: string;
  }): Promise<void>;
  readonly CLI_ENTRIES: Record<string, string>;
}

const bundler = () => require('../../scripts/bundle.cjs') as Bundler;

/** Bundles `entry` (a path in the repository) to `outfile` as `npm run build` bundles it. */
export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  await bundler().bundle({ entryPoints: [entry], outfile, version: '0.0.0-test' });
}

/** Removes what {@link buildCli} built (call it in afterAll). */
export async function removeBuiltCli(): Promise<void> {
  if (!built) return;
  const script = await built;
  built = undefined;
  rmSync(dirname(script), { recursive: true, force: true });
}

export interface HbwProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** The commands that serve the API (or their part of it), and who each is. */
const SERVING: readonly (readonly [readonly string[], Answerer])[] = [
  [['local'], 'watcher'],
  [['agent', 'relay'], 'relay'],
  [['console'], 'console proxy'],
];

/** Loaded first by a command that serves: it hands every answer it gives to the tests (fd 3). */
const ANSWER_TAP = join(__dirname, 'answer-tap-child.js');

/**
 * Starts `node hbw.js args` with exactly `env` (plus PATH and where node_modules are); through
 * `wrapper` when given (a command that runs node itself, such as `sh -c '...; exec "$0" "$@"'`). A
 * command that serves (`hbw local`, `hbw agent relay`, `hbw console`) has every answer it gives held
 * to the API's contract, as the servers the tests run themselves have theirs.
 */
export function spawnHbw(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  wrapper: readonly string[] = [],
): HbwProcess {
  const [command, ...before] = [...wrapper, process.execPath];
  const answerer = SERVING.find(([words]) => words.every((word, i) => args[i] === word))?.[1];
  const child = spawn(
    command!,
    [...before, ...(answerer === undefined ? [] : ['--require', ANSWER_TAP]), script, ...args],
    {
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(ROOT, 'node_modules'),
        ...(answerer === undefined ? {} : { HBW_TEST_ANSWERER: answerer }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', answerer === undefined ? 'ignore' : 'pipe'],
    },
  );
  if (answerer !== undefined) {
    let pending = '';
    const answers = child.stdio[3] as Readable;
    answers.setEncoding('utf8');
    answers.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) holdToContract(answerer, JSON.parse(line) as TappedAnswer);
    });
  }
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Calls `hbw local` at `url` as the tests do: a JSON body, an agent's token when given, the JSON answer. */
export function localCaller(url: string) {
  return async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
}
