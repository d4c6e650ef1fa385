import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { installScript, servedEndpoint } from '../../lambda/http/install-script';
import { ROOT } from '../support/agent-helpers';

const REQUEST = 'http://127.0.0.1:8787/v1/install.sh';

/** What the served script's first run says its default endpoint is (the line the watcher wrote). */
const defaultOf = (script: string) => /^served_endpoint='(.*)'$/m.exec(script)?.[1];

describe('the endpoint the installer defaults to', () => {
  it('is the origin the client reached: the Host header, with the scheme API Gateway forwards', () => {
    expect(servedEndpoint('hbw.example.com', 'https', REQUEST)).toBe('https://hbw.example.com');
    expect(servedEndpoint('hbw.example.com:8443', 'https', REQUEST)).toBe('https://hbw.example.com:8443');
    expect(servedEndpoint('HBW.Example.COM:443', 'https', REQUEST)).toBe('https://hbw.example.com');
    expect(servedEndpoint('[::1]:8787', undefined, REQUEST)).toBe('http://[::1]:8787');
    expect(servedEndpoint('127.0.0.1:8787', undefined, REQUEST)).toBe('http://127.0.0.1:8787');
  });

  it("takes the request's own scheme when X-Forwarded-Proto is absent or says anything but http or https", () => {
    expect(servedEndpoint('a.example', undefined, 'https://a.example/v1/install.sh')).toBe(
      'https://a.example',
    );
    expect(servedEndpoint('a.example', "https'; rm -rf /", REQUEST)).toBe('http://a.example');
    expect(servedEndpoint('a.example', 'HTTPS, http', REQUEST)).toBe('https://a.example');
  });

  it('is none for a Host that is not a plain host name, so nothing of it reaches the script', () => {
    for (const host of [
      "a.example'$(id)",
      'a.example;id',
      'a`id`.example',
      'a$HOME.example',
      'a"b.example',
      'user@a.example',
      'a.example/path',
      '999.0.0.1',
      '',
    ]) {
      expect(servedEndpoint(host, 'https', REQUEST)).toBeUndefined();
    }
    expect(servedEndpoint(undefined, 'https', REQUEST)).toBeUndefined();
  });
});

describe('the served installer', () => {
  it('holds the agent and the endpoint in the lines meant for them, and nothing else changes', () => {
    const script = installScript('https://hbw.example.com');
    expect(defaultOf(script)).toBe('https://hbw.example.com');
    expect(script).not.toContain('#@agent@');
    expect(script).toContain("\n  cat <<'HBW_AGENT'\n#!/bin/sh\n# heartbeat-watcher's sh agent");
    expect(defaultOf(installScript(undefined))).toBe('');
  });

  it('refuses an endpoint that is not a plain origin', () => {
    expect(() => installScript("https://a.example'")).toThrow('not a plain origin');
  });

  it('prints its usage when asked, with the agent inside, under dash', () => {
    const run = spawnSync('dash', ['-s', '--', '--help'], {
      input: installScript(undefined),
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--enroll-key KEY');
  });
});

// shellcheck (Debian's package) lints the installer, the agent, and the installer as served. CI
// installs it (.ci/run) and must not pass without it; elsewhere a machine without it skips, saying so.
const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
if (!shellcheck && !process.env.CI) {
  console.warn(
    'shellcheck is not installed: the sh scripts are not linted here (apt-get install shellcheck)',
  );
}
const lint = shellcheck || process.env.CI ? describe : describe.skip;

lint('shellcheck', () => {
  it('finds nothing in agent/install.sh and agent/hbw-agent.sh, as POSIX sh', () => {
    const files = ['agent/install.sh', 'agent/hbw-agent.sh'].map((f) => join(ROOT, f));
    const run = spawnSync('shellcheck', ['--shell=sh', ...files], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });

  it('finds nothing in the installer as the watcher serves it', () => {
    const run = spawnSync('shellcheck', ['--shell=sh', '-'], {
      input: installScript('https://hbw.example.com'),
      encoding: 'utf8',
    });
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});
