import { readFileSync } from 'node:fs';
import { buildCli, removeBuiltCli, spawnHbw } from '../support/agent-helpers';

describe("the agent's own bundle (dist/hbw.js)", () => {
  let script: string;
  beforeAll(async () => {
    script = await buildCli();
  }, 60_000);
  afterAll(removeBuiltCli);

  it('requires only Node built-ins, and the whole CLI by path for the other commands', () => {
    const required = [...readFileSync(script, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);

    expect(required.filter((name) => !name.startsWith('node:'))).toEqual(['./hbw-cli.js']);
  });

  it('runs the agent commands itself and every other command through the whole CLI', async () => {
    const goodbye = spawnHbw(script, ['agent', 'goodbye', '--help']);
    const status = spawnHbw(script, ['status', '--help']);

    expect(await goodbye.exited).toBe(0);
    expect(goodbye.stdout()).toContain('Usage: hbw agent goodbye [options]');
    expect(await status.exited).toBe(0);
    expect(status.stdout()).toContain('Usage: hbw status');
  });
});
