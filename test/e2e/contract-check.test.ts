import { ConflictError } from '../../lambda/domain/errors';
import { takeContractViolations } from '../support/contract-violations';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

// The watchers of the e2e suites hold every answer they give to the API's contract, whoever asked:
// here a watcher made to give answers the contract does not allow, and what the check reports. Each
// test takes the violations it caused, so that the suite's own afterEach does not fail on them.

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
