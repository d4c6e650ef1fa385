import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, ROOT } from '../support/agent-helpers';

/** `cdk synth` runs the CDK app (cdk.json "app"); this runs the same entry, bundled, with the context the CLI passes. */
describe('the CDK app with an invalid config', () => {
  let dir: string;
  let app: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-synth-'));
    app = join(dir, 'heartbeat-watcher.js');
    await bundleEntry('bin/heartbeat-watcher.ts', app);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every problem of the file, those of the cloud too, each with its field path, and exits 1', () => {
    const file = join(dir, 'typos.json');
    writeFileSync(
      file,
      JSON.stringify({
        scanIntervalSeconds: 5,
        groups: {
          production: { channels: ['pager'], renotifyMinute: 30 },
          test: { channels: ['console'], scanIntervalSeconds: 45 },
        },
      }),
    );

    const run = spawnSync(process.execPath, [app], {
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(ROOT, 'node_modules'),
        CDK_CONTEXT_JSON: JSON.stringify({ config: file }),
        CDK_OUTDIR: join(dir, 'cdk.out'),
      },
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`heartbeat-watcher: ${file}: 4 problems:`);
    expect(lines).toHaveLength(5);
    expect(lines).toEqual(
      expect.arrayContaining([
        '  groups.production.channels[0]: must be one of sms, email, webhook, console',
        '  groups.production.renotifyMinute: unknown field (did you mean renotifyMinutes?)',
        expect.stringMatching(/^ {2}scanIntervalSeconds: 5 s is below 10 s/),
        expect.stringMatching(/^ {2}groups\.test\.scanIntervalSeconds: 45 s neither divides a minute/),
      ]),
    );
  });
});
