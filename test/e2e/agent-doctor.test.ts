import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DoctorReport, StepName, Verdict } from '../../cli/agent/doctor';
import { runCommand } from '../../cli/command';
import { createAgentCommands } from '../../cli/commands/agent-doctor-relay';
import { freePort, ROOT, tempDir, writeTokenFile } from '../support/agent-helpers';
import { hbw } from '../support/run-cli';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

const FIXTURES = join(ROOT, 'test/fixtures/tls');
const CA_FILE = join(FIXTURES, 'ca.pem');

/** `hbw agent doctor` with the agent's clock given, as the tests skew it. */
async function doctor(args: string[], now: () => number = Date.now) {
  const cmd = createAgentCommands({ now }).find((c) => c.path[1] === 'doctor')!;
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(cmd, [...args, '--json'], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
  });
  const report = out.length > 0 ? (JSON.parse(out.join('\n')) as DoctorReport) : undefined;
  return { code, err: err.join('\n'), report: report!, steps: report ? stepsOf(report, 0) : {} };
}

/** The verdict, detail and fix of each step of one endpoint. */
function stepsOf(report: DoctorReport, index: number) {
  const out: Partial<Record<StepName, { verdict: Verdict; detail: string; fix?: string }>> = {};
  for (const s of report.endpoints[index]!.steps)
    out[s.step] = { verdict: s.verdict, detail: s.detail, fix: s.fix };
  return out;
}

const verdicts = (steps: ReturnType<typeof stepsOf>) =>
  Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v!.verdict]));

/**
 * The troubleshooting checks, run for real against a local watcher with each fault injected:
 * a name that does not resolve, a closed port, a wrong token, a pending agent, a skewed clock, and
 * the certificate problems of an https endpoint.
 */
describe('hbw agent doctor', () => {
  let w: TestWatcher;
  let dir: string;
  let tokenFile: string;
  let localUrl: string;
  let port: string;
  const args = (endpoint: string, file = tokenFile, id = 'web-01') => [
    '--id',
    id,
    '--endpoint',
    endpoint,
    '--token-file',
    file,
  ];

  beforeAll(async () => {
    w = await startTestWatcher();
    // The watcher's clock is the machine's (its manual clock stands still, close enough for a test).
    w.clock.time = Date.now();
    dir = tempDir();
    tokenFile = writeTokenFile(dir, await w.addAgent('web-01'));
    port = new URL(w.url).port;
    localUrl = `http://localhost:${port}`;
  });
  afterAll(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes every step against a reachable watcher with a good token and an approved agent (exit 0)', async () => {
    const run = await doctor(args(localUrl));
    expect(run.code).toBe(0);
    expect(run.report.ok).toBe(true);
    expect(verdicts(run.steps)).toEqual({
      dns: 'pass',
      tcp: 'pass',
      tls: 'skip',
      http: 'pass',
      clock: 'pass',
      token: 'pass',
      approval: 'pass',
    });
    expect(run.steps.dns!.detail).toBe('localhost resolves to 127.0.0.1');
    expect(run.steps.tls!.detail).toContain('plain http: no TLS to check');
    expect(run.steps.approval!.detail).toBe('web-01 is approved; the watcher reports it healthy');
    expect(run.steps.clock!.detail).toMatch(
      /^this host's clock is \d+ s (ahead of|behind) the watcher \(serverTime\)/,
    );
  });

  it('prints a report for people, with a verdict per step', async () => {
    const run = await hbw(['agent', 'doctor', ...args(localUrl)]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('hbw agent doctor: agent web-01, 1 endpoint');
    expect(run.out).toContain(`${localUrl} (primary)`);
    expect(run.out).toMatch(/ {2}PASS {2}name resolution +localhost resolves to 127\.0\.0\.1/);
    expect(run.out).toMatch(/ {2}SKIP {2}TLS certificate +plain http/);
    expect(run.out).toContain('every step passed');
  });

  it('a wrong host (.invalid never resolves) fails name resolution, with the fix', async () => {
    const run = await doctor(args(`http://hbw-watcher.invalid:${port}`));
    expect(run.code).toBe(1);
    expect(run.steps.dns).toEqual({
      verdict: 'fail',
      detail: 'hbw-watcher.invalid does not resolve (ENOTFOUND)',
      fix: `Check the host name in http://hbw-watcher.invalid:${port}, and that the DNS servers of this host (/etc/resolv.conf) know it and hold its current address.`,
    });
    expect(Object.values(verdicts(run.steps)).slice(1)).toEqual(Array(6).fill('skip'));
  });

  it('a closed port fails the TCP connect: nothing listens there', async () => {
    const closed = await freePort();
    const run = await doctor(args(`http://127.0.0.1:${closed}`));
    expect(run.code).toBe(1);
    expect(run.steps.dns!.verdict).toBe('skip');
    expect(run.steps.tcp).toEqual({
      verdict: 'fail',
      detail: `cannot connect to 127.0.0.1:${closed} (ECONNREFUSED)`,
      fix: `Start the watcher on 127.0.0.1 (or correct the port in the URL): nothing listens on port ${closed}.`,
    });
  });

  it('a wrong token fails the token step (401) and says how to get a new one', async () => {
    const wrong = writeTokenFile(dir, 'hbw_not-the-token', 'wrong');
    const run = await doctor(args(localUrl, wrong));
    expect(run.code).toBe(1);
    expect(verdicts(run.steps)).toMatchObject({
      http: 'pass',
      clock: 'pass',
      token: 'fail',
      approval: 'skip',
    });
    expect(run.steps.token!.detail).toContain(
      `the watcher refused the token from the token file ${wrong} for web-01 (401`,
    );
    expect(run.steps.token!.fix).toBe(
      `Put the token of web-01 in the token file ${wrong}; an operator makes a new one with: hbw agents rotate-token web-01.`,
    );
  });

  it('no token at all fails the token step and says how to give one', async () => {
    const run = await doctor(['--id', 'web-01', '--endpoint', localUrl]);
    expect(run.code).toBe(1);
    expect(run.steps.token).toMatchObject({
      verdict: 'fail',
      detail: 'no token given, so the watcher refused the heartbeat (401)',
    });
  });

  it('a token file it cannot read fails the token step with the reason, and the other steps still run', async () => {
    const missing = join(dir, 'no-such-token');
    const run = await doctor(args(localUrl, missing));
    expect(run.code).toBe(1);
    expect(verdicts(run.steps)).toMatchObject({ dns: 'pass', tcp: 'pass', http: 'pass', token: 'fail' });
    expect(run.steps.token!.detail).toContain(`cannot read the token file ${missing} (ENOENT)`);
  });

  it('a pending agent fails the approval step with the command an operator must run', async () => {
    const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key as string;
    const reg = await w.call('POST', '/v1/register', { agentId: 'lab-07', group: 'test' }, bearer(key));
    const pendingToken = writeTokenFile(dir, reg.body.token, 'lab-07');
    const run = await doctor(args(localUrl, pendingToken, 'lab-07'));
    expect(run.code).toBe(1);
    expect(verdicts(run.steps)).toMatchObject({ token: 'pass', approval: 'fail' });
    expect(run.steps.approval).toEqual({
      verdict: 'fail',
      detail: 'lab-07 is pending approval: its heartbeats are recorded, but it is not monitored',
      fix: 'An operator must run: hbw agents approve lab-07',
    });

    await w.call('POST', '/v1/agents/lab-07/reject');
    const rejected = await doctor(args(localUrl, pendingToken, 'lab-07'));
    expect(rejected.steps.approval).toMatchObject({
      verdict: 'fail',
      fix: 'An operator readmits it with: hbw agents approve lab-07',
    });
  });

  it("a clock more than 5 minutes off the watcher's fails the clock step, ahead or behind", async () => {
    const ahead = await doctor(args(localUrl), () => Date.now() + 10 * 60_000);
    expect(ahead.code).toBe(1);
    expect(verdicts(ahead.steps)).toMatchObject({
      http: 'pass',
      clock: 'fail',
      token: 'pass',
      approval: 'pass',
    });
    expect(ahead.steps.clock!.detail).toMatch(
      /^this host's clock is 6\d\d s ahead of the watcher \(serverTime\): more than 5 minutes$/,
    );
    expect(ahead.steps.clock!.fix).toBe(
      'Synchronise this host with the time source the watcher uses (chrony, systemd-timesyncd or w32time).',
    );
    const behind = await doctor(args(localUrl), () => Date.now() - 6 * 60_000);
    expect(behind.steps.clock!.detail).toMatch(/s behind the watcher/);
    expect(behind.code).toBe(1);
    const near = await doctor(args(localUrl), () => Date.now() + 4 * 60_000);
    expect(near.steps.clock!.verdict).toBe('pass');
  });

  it('something that is not the watcher on the port fails the HTTP step', async () => {
    const other = http.createServer((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const run = await doctor(args(`http://127.0.0.1:${(other.address() as AddressInfo).port}`));
      expect(run.code).toBe(1);
      expect(run.steps.http).toMatchObject({
        verdict: 'fail',
        fix: 'Check the endpoint URL: the scheme, the port and any path prefix (an API Gateway stage such as /prod) of the watcher.',
      });
      expect(verdicts(run.steps)).toMatchObject({ token: 'skip', approval: 'skip' });
    } finally {
      other.close();
    }
  });

  it('checks every endpoint: a failover that is down fails the run', async () => {
    const closed = await freePort();
    const run = await doctor([...args(localUrl), '--failover', `http://127.0.0.1:${closed}`]);
    expect(run.code).toBe(1);
    expect(run.report.endpoints.map((e) => [e.role, e.steps.some((s) => s.verdict === 'fail')])).toEqual([
      ['primary', false],
      ['failover', true],
    ]);
  });

  describe('over https (the watcher behind TLS with a test certificate for localhost)', () => {
    let proxy: https.Server;
    let tlsPort: number;
    beforeAll(async () => {
      proxy = https.createServer(
        {
          key: readFileSync(join(FIXTURES, 'server-key.pem')),
          cert: readFileSync(join(FIXTURES, 'server.pem')),
        },
        (req, res) => {
          const upstream = http.request(
            `${w.url}${req.url}`,
            { method: req.method, headers: req.headers },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            },
          );
          req.pipe(upstream);
        },
      );
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      tlsPort = (proxy.address() as AddressInfo).port;
    });
    afterAll(() => {
      proxy.closeAllConnections();
      proxy.close();
    });

    it('passes with the CA trusted (--ca-file), and shows the expiry', async () => {
      const run = await doctor([...args(`https://localhost:${tlsPort}`), '--ca-file', CA_FILE]);
      expect(verdicts(run.steps)).toEqual({
        dns: 'pass',
        tcp: 'pass',
        tls: 'pass',
        http: 'pass',
        clock: 'pass',
        token: 'pass',
        approval: 'pass',
      });
      expect(run.steps.tls!.detail).toMatch(
        /^valid until 2100-01-01 \(\d+ days left\), for localhost, issued by hbw test CA$/,
      );
      expect(run.code).toBe(0);
    });

    it('fails an untrusted certificate and does not send the token over it', async () => {
      const run = await doctor(args(`https://localhost:${tlsPort}`));
      expect(run.code).toBe(1);
      expect(run.steps.tls).toMatchObject({
        verdict: 'fail',
        detail: 'the certificate of localhost is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      });
      expect(verdicts(run.steps)).toMatchObject({ http: 'skip', token: 'skip', approval: 'skip' });
    });

    it('fails a certificate for another name', async () => {
      const run = await doctor([...args(`https://127.0.0.1:${tlsPort}`), '--ca-file', CA_FILE]);
      expect(run.steps.tls).toEqual({
        verdict: 'fail',
        detail: 'the certificate is for localhost, not 127.0.0.1',
        fix: 'Use a name the certificate covers in the endpoint URL, or reissue the certificate for 127.0.0.1.',
      });
    });

    it("fails an expired certificate (the agent's clock moved past its end)", async () => {
      const run = await doctor([...args(`https://localhost:${tlsPort}`), '--ca-file', CA_FILE], () =>
        Date.parse('2100-03-01T00:00:00Z'),
      );
      expect(run.steps.tls).toEqual({
        verdict: 'fail',
        detail: 'the certificate of localhost expired on 2100-01-01 (59 days ago)',
        fix: "Renew the watcher's certificate, and check that this host's clock is right.",
      });
    });
  });
});
