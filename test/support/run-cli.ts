import { main } from '../../cli/main';

/** What one `hbw` run printed and answered. */
export interface CliRun {
  readonly code: number;
  /** Everything written to stdout, one call a line. */
  readonly out: string;
  /** Everything written to stderr, one call a line. */
  readonly err: string;
  /** stdout parsed as JSON (for `--json` runs). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the CLI printed
  json(): any;
}

/**
 * Runs `hbw argv` in-process through `main`, with stdout and stderr captured. `env` is the whole
 * environment the CLI sees (empty by default, so no HBW_ENDPOINT or HBW_ADMIN_TOKEN of the machine
 * running the tests leaks in).
 */
export async function hbw(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env,
  });
  const stdout = out.join('\n');
  return { code, out: stdout, err: err.join('\n'), json: () => JSON.parse(stdout) };
}

/** `hbw` pointed at the watcher at `url` with `--endpoint`. */
export function hbwAt(url: string, env: NodeJS.ProcessEnv = {}) {
  return (...argv: string[]) => hbw([...argv, '--endpoint', url], env);
}

/** The agent tokens (`hbw_` and 256 random bits, base64url) that `text` shows. */
export function tokensIn(text: string): string[] {
  return text.match(/\bhbw_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g) ?? [];
}

/** The group enrollment keys (`hbwk_` and 256 random bits, base64url) that `text` shows. */
export function enrollmentKeysIn(text: string): string[] {
  return text.match(/\bhbwk_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g) ?? [];
}
