import { startTestWatcher, type TestWatcher } from '../support/watcher';

describe('GET /v1/install.ps1 on the local watcher', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher({ adminToken: 'admin-secret' });
  });
  afterAll(() => w.close());

  it('serves the installer to anyone, with -Endpoint defaulting to this watcher', async () => {
    const res = await w.call('GET', '/v1/install.ps1');

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toContain(`[string]$Endpoint = '${w.url}',`);
    expect(res.body).not.toContain('admin-secret');
  });

  it('answers 405 to anything but GET', async () => {
    const res = await w.call('POST', '/v1/install.ps1', {});

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
