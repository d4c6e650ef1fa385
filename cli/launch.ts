import type { Io } from './command';

/** Runs `main` on this process's arguments and streams; its answer is the exit code. */
export function launch(main: (argv: readonly string[], io: Io) => Promise<number>): void {
  main(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`hbw: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
