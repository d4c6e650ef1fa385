import { runCommand } from '../../bench/common';

// The benchmark runners' command line (npm run bench, load, soak): --help, and a flag nobody knows.

const USAGE = `Usage: npm run load -- [options]

  --fleet-agents N   agents of the fleet
  --no-write         print only
  --help             this text
`;

describe('runCommand', () => {
  const argv = process.argv;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.argv = argv;
    process.exitCode = undefined;
  });
  const run = async (...args: string[]) => {
    process.argv = ['node', 'load.js', ...args];
    const main = jest.fn(async () => 0);
    runCommand('load', USAGE, main);
    await new Promise((resolve) => setImmediate(resolve));
    return main;
  };

  it('prints the usage for --help and runs nothing', async () => {
    const main = await run('--help');

    expect(main).not.toHaveBeenCalled();
    expect(out.join('')).toBe(USAGE);
    expect(process.exitCode).toBeUndefined();
  });

  it('refuses a flag the usage does not list, naming the closest, with exit code 2, and runs nothing', async () => {
    const main = await run('--fleet-agent', '5');

    expect(main).not.toHaveBeenCalled();
    expect(err.join('')).toContain('load: unknown flag --fleet-agent; did you mean --fleet-agents?');
    expect(process.exitCode).toBe(2);
  });

  it('runs main with the flags it knows, in either form', async () => {
    const main = await run('--fleet-agents=5', '--no-write');

    expect(main).toHaveBeenCalledWith(['--fleet-agents=5', '--no-write']);
    expect(process.exitCode).toBe(0);
  });
});
