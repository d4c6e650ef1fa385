import { join } from 'node:path';

const { MAX_LINES, longFunctions, repositoryLongFunctions } =
  require('../../scripts/check-function-length.cjs') as {
    MAX_LINES: number;
    longFunctions(path: string, text: string): string[];
    repositoryLongFunctions(root: string): string[];
  };

const ROOT = join(__dirname, '..', '..');
/** The file the made-up sources below are said to be in. */
const FILE = 'made-up.ts';

/** `head`, then `lines` body lines, then `}`: a function `lines + 2` lines long. */
const fn = (head: string, lines: number, end = '}') =>
  [head, ...Array.from({ length: lines }, (_, i) => `  step(${i});`), end].join('\n');

describe('the length of functions', () => {
  it('holds for lambda/, cli/ and lib/: none over the limit without a reason beside it', () => {
    expect(repositoryLongFunctions(ROOT)).toEqual([]);
  });

  it('fails on a function, a method and an arrow over the limit, naming file, function and lines', () => {
    const text = [
      fn('export function scanAll() {', MAX_LINES - 1),
      'class Watcher {',
      fn('  start() {', MAX_LINES - 1, '  }'),
      '}',
      fn('const handler = async () => {', MAX_LINES - 1, '};'),
    ].join('\n');

    expect(longFunctions(FILE, text)).toEqual([
      `${FILE}:scanAll:1-${MAX_LINES + 1} (${MAX_LINES + 1} lines)`,
      `${FILE}:Watcher.start:${MAX_LINES + 3}-${2 * MAX_LINES + 3} (${MAX_LINES + 1} lines)`,
      `${FILE}:handler:${2 * MAX_LINES + 5}-${3 * MAX_LINES + 5} (${MAX_LINES + 1} lines)`,
    ]);
  });

  it('passes a function at the limit, and a longer one with its reason just before it', () => {
    const text = [
      fn('function atTheLimit() {', MAX_LINES - 2),
      '/** Builds the commands. */',
      '// long: one declaration a command, read as a table',
      fn('export const commands = () => {', MAX_LINES, '};'),
      '// long: the steps of one scan, in the order they run',
      fn('function scan() {', MAX_LINES),
    ].join('\n');

    expect(longFunctions(FILE, text)).toEqual([]);
  });

  it('takes no reason from a marker without one, nor from a comment inside the function', () => {
    const text = ['// long:', fn('function bare() {\n  // long: said inside, not beside it', MAX_LINES)].join(
      '\n',
    );

    expect(longFunctions(FILE, text)).toEqual([`${FILE}:bare:2-${MAX_LINES + 4} (${MAX_LINES + 3} lines)`]);
  });
});
