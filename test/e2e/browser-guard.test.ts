import { request } from 'node:http';
import { browserRefusal } from '../../lambda/http/admin-routes';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

describe('the local admin routes against web pages of other sites', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  it('refuses a cross-site form POST that would approve an agent (CSRF), and changes nothing', async () => {
    await w.call('POST', '/v1/agents', { agentId: 'victim', group: 'test' });
    await w.call('POST', '/v1/agents/victim/reject');
    const before = await w.storedAgents();

    const res = await w.call('POST', '/v1/agents/victim/approve', 'x=1', {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await w.storedAgents()).toEqual(before);
  });

  it('refuses a page served under another name that resolves to 127.0.0.1 (DNS rebinding)', async () => {
    const { port } = new URL(w.url);
    // fetch will not send a Host of our choosing; node:http will, as a browser would after rebinding.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/v1/agents', headers: { host: `rebind.evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });

    expect(status).toBe(403);
  });

  it('lets the console of the same origin, and the CLI with no browser headers, through', async () => {
    const host = new URL(w.url).host;
    const sameOrigin = await w.call('GET', '/v1/status', undefined, {
      origin: w.url,
      'sec-fetch-site': 'same-origin',
      host,
    });
    const cli = await w.call('GET', '/v1/status');

    expect(sameOrigin.status).toBe(200);
    expect(cli.status).toBe(200);
  });

  it('leaves agent routes to their tokens: a heartbeat is not judged by its Origin', async () => {
    const token = await w.addAgent('web-09');
    const res = await w.call(
      'POST',
      '/v1/heartbeat',
      { agentId: 'web-09' },
      {
        authorization: `Bearer ${token}`,
        origin: 'https://elsewhere.example',
        'sec-fetch-site': 'cross-site',
      },
    );

    expect(res.status).toBe(200);
  });
});

describe('browserRefusal', () => {
  it.each([
    [{ host: '127.0.0.1:8787', fetchSite: 'cross-site' }, true],
    [{ host: '127.0.0.1:8787', fetchSite: 'same-site' }, true],
    [{ host: '127.0.0.1:8787', origin: 'null' }, true],
    [{ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:9999' }, true],
    [{ host: 'evil.example:8787' }, true],
    [{ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787', fetchSite: 'same-origin' }, false],
    [{ host: 'localhost:8787' }, false],
    [{ host: '[::1]:8787' }, false],
  ])('%j refused: %s', (headers, refused) => {
    expect(browserRefusal(headers, true) !== undefined).toBe(refused);
  });

  it('accepts any host name when the watcher is bound beyond loopback (its admin token guards it)', () => {
    expect(browserRefusal({ host: 'watcher.lan:8787' }, false)).toBeUndefined();
  });
});
