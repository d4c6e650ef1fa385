import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '../../scripts/audit.mjs');

/** Runs scripts/audit.mjs with an `npm` on the PATH that prints `answer` as `npm audit --json` would. */
function audit(answer: unknown): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hbw-audit-'));
  try {
    writeFileSync(join(dir, 'answer.json'), JSON.stringify(answer));
    writeFileSync(join(dir, 'npm'), `#!/bin/sh\ncat "${join(dir, 'answer.json')}"\nexit 1\n`);
    chmodSync(join(dir, 'npm'), 0o755);
    const run = spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    return { status: run.status, out: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const counts = (high: number, critical: number, moderate = 0) => ({
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate, high, critical, total: high + critical + moderate },
  },
});

describe('npm run audit', () => {
  it('fails on a high advisory in the production tree and names it', () => {
    const { status, out } = audit({
      ...counts(1, 0),
      vulnerabilities: {
        hono: {
          severity: 'high',
          range: '<4.12.2',
          via: [{ title: 'getConnInfo trusts X-Forwarded-For', url: 'https://github.com/advisories/GHSA-x' }],
        },
      },
    });

    expect(status).toBe(1);
    expect(out).toMatch(/high in hono <4\.12\.2: getConnInfo trusts X-Forwarded-For/);
  });

  it('passes a tree with moderate advisories only, and counts them', () => {
    const { status, out } = audit({
      ...counts(0, 0, 2),
      vulnerabilities: { a: { severity: 'moderate', range: '*', via: ['b'] } },
    });

    expect(status).toBe(0);
    expect(out).toMatch(/0 critical, 0 high, 2 moderate/);
  });

  it('says the audit could not run when the advisory endpoint refuses, instead of passing it as clean', () => {
    const { status, out } = audit({
      message: '405 Method Not Allowed - POST .../advisories/bulk',
      statusCode: 405,
    });

    expect(status).toBe(0);
    expect(out).toMatch(/could not reach the advisory endpoint \(405 Method Not Allowed/);
    expect(out).toMatch(/docs\/SECURITY\.md/);
  });
});
