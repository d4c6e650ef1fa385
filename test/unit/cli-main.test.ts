import { COMMANDS } from '../../cli/main';
import { hbw } from '../support/run-cli';

describe('the hbw command line', () => {
  it.each(COMMANDS.map((c) => [c.path.join(' ')]))('takes --json on hbw %s', async (path) => {
    const run = await hbw([...path.split(' '), '--json', '--help']);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^ {2}--json {2,}\S/m);
  });
});
