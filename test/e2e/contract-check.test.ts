import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConflictError } from '../../lambda/domain/errors';
import { spawnHbw, tempDir, waitFor } from '../support/agent-helpers';
import { takeContractViolations } from '../support/contract-violations';
import { scannerHarnesses } from '../support/scanner-harness';
import {
  bearer,
  startCheckedConsoleProxy,
  startCheckedRelay,
  startTestWatcher,
  type TestWatcher,
} from '../support/watcher';

// The servers of the e2e suites (the watcher, a relay, the console proxy, in this process or in one
// of their own) hold every answer they give to the API's contract, whoever asked: here each made to
// give answers the contract does not allow, and what the check reports. Each test takes the
// violations it caused, so that the suite's own afterEach does not fail on them.

describe('the contract check of every answer a test watcher gives', () => {
  let w: TestWatcher;

  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await w.close();
  });

  it('finds nothing wrong with answers that match the contract', async () => {
    await w.addAgent('web-01');
    await w.call('GET', '/v1/status');
    await w.call('GET', '/v1/agents/nope');
    await w.call('GET', '/v1/nope');
    await w.call('PUT', '/v1/status');
    await w.call('GET', '/metrics');

    expect(await takeContractViolations()).toEqual([]);
  });

  it('reports an answer of the wrong shape, naming the route, the status and what does not match', async () => {
    jest.spyOn(w.service, 'getAgent').mockResolvedValue({ agentId: 'web-01', tokenHash: 'ab' } as never);

    const res = await fetch(`${w.url}/v1/agents/web-01`);

    expect(res.status).toBe(200);
    const [violation, ...others] = await takeContractViolations();
    expect(others).toEqual([]);
    expect(violation).toMatch(/^GET \/v1\/agents\/web-01 answered 200, which does not match the contract: /);
    expect(violation).toContain("(answer) must have required property 'group'");
    expect(violation).toContain('(answer) must NOT have additional properties (tokenHash)');
  });

  it('reports a status the contract does not list for the route', async () => {
    jest.spyOn(w.service, 'status').mockRejectedValue(new ConflictError('not a status answer'));

    expect((await w.call('GET', '/v1/status')).status).toBe(409);

    expect(await takeContractViolations()).toEqual([
      expect.stringMatching(
        /^GET \/v1\/status answered 409, which the contract does not list for it \(200, /,
      ),
    ]);
  });

  it('reports a route the contract does not have', async () => {
    w.app.get('/v1/undocumented', (c) => c.json({ fine: true }));

    expect((await w.call('GET', '/v1/undocumented')).status).toBe(200);

    expect(await takeContractViolations()).toEqual([
      'GET /v1/undocumented answered 200, but the contract has no route /v1/undocumented',
    ]);
  });
});

describe('the contract check of the other servers the tests start', () => {
  it("reports a relay's answer the contract does not allow a relay: a state the watcher never gives, passed on", async () => {
    // A watcher played by the test, whose batch answer names a state no agent has.
    const watcher = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            results: [{ agentId: 'edge-01', status: 'ok', state: 'sleeping', heartbeatIntervalSeconds: 30 }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => watcher.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(watcher.address() as AddressInfo).port}`;
    const relay = await startCheckedRelay({ port: 0, endpoint, log: () => {}, flushMs: 0 });
    try {
      const res = await fetch(`${relay.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer('hbw_edge') },
        body: JSON.stringify({ agentId: 'edge-01' }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).state).toBe('sleeping');
      // What a relay refuses on its own is its part of the contract: no more to report.
      expect((await fetch(`${relay.url}/v1/status`)).status).toBe(404);

      const [violation, ...others] = await takeContractViolations();
      expect(others).toEqual([]);
      expect(violation).toMatch(
        /^the relay: POST \/v1\/heartbeat answered 200, which does not match the contract: \/state /,
      );
    } finally {
      await relay.close();
      await new Promise((resolve) => watcher.close(resolve));
    }
  });

  it("reports what the console proxy passes on from a watcher that breaks the contract, and not the proxy's own refusals", async () => {
    const proxy = await startCheckedConsoleProxy({
      port: 0,
      forward: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }),
    });
    try {
      const console1 = { 'x-hbw-console': '1' };
      expect((await fetch(`${proxy.url}v1/status`, { headers: console1 })).status).toBe(200);
      expect(
        (await fetch(`${proxy.url}v1/agents/web-01`, { method: 'DELETE', headers: console1 })).status,
      ).toBe(405);

      const [violation, ...others] = await takeContractViolations();
      expect(others).toEqual([]);
      expect(violation).toMatch(
        /^the console proxy: GET \/v1\/status answered 200, which does not match the contract: \(answer\) must have required property 'version'/,
      );
    } finally {
      await proxy.close();
    }
  });

  it('reports an answer of a watcher in a process of its own, which the tests start as they start hbw local', async () => {
    // A stand-in for the bundled CLI: `local` serves a status that is not one.
    const dir = tempDir('hbw-contract-');
    const script = join(dir, 'hbw.js');
    writeFileSync(
      script,
      `require('node:http').createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"agents":3}');
      }).listen(0, '127.0.0.1', function () {
        console.log('listening on http://127.0.0.1:' + this.address().port);
      });`,
    );
    const p = spawnHbw(script, ['local', '--port', '0']);
    try {
      const url = await waitFor(() => /listening on (\S+)/.exec(p.stdout())?.[1], 'the stand-in to listen');
      expect((await fetch(`${url}/v1/status`)).status).toBe(200);

      const [violation, ...others] = await takeContractViolations();
      expect(others).toEqual([]);
      expect(violation).toMatch(/^GET \/v1\/status answered 200, which does not match the contract: /);
      expect(violation).toContain("(answer) must have required property 'version'");
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the contract check of the router the adapter suites' harness answers in process", () => {
  const harness = scannerHarnesses();
  afterEach(() => jest.restoreAllMocks());

  it('reports an answer of the wrong shape, as for a server', async () => {
    const h = await harness();
    jest.spyOn(h.service, 'getAgent').mockResolvedValue({ agentId: 'web-01', tokenHash: 'ab' } as never);

    expect((await h.http('GET', '/v1/agents/web-01')).status).toBe(200);

    const [violation, ...others] = await takeContractViolations();
    expect(others).toEqual([]);
    expect(violation).toMatch(/^GET \/v1\/agents\/web-01 answered 200, which does not match the contract: /);
  });
});
