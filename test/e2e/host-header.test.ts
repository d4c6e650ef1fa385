import { request } from 'node:http';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/** One request over node:http with a Host header of our choosing (fetch will not send one). */
function withHost(
  url: string,
  host: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a Host header that is not a host', () => {
  let w: TestWatcher;
  let token: string;
  beforeAll(async () => {
    w = await startTestWatcher();
    token = await w.addAgent('web-01');
  });
  afterAll(() => w.close());

  it.each(['127.999.999.999', '127.0.0.256', '999.0.0.1'])(
    'is a 400 naming the Host on the agent and admin routes (%s), never a 500',
    async (host) => {
      const before = w.logged.length;
      const answers = [
        await withHost(w.url, host, 'POST', '/v1/heartbeat', '{"agentId":"web-01"}', bearer(token)),
        await withHost(w.url, host, 'POST', '/v1/agents', '{"agentId":"web-02","group":"test"}'),
        await withHost(w.url, host, 'GET', '/v1/status'),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body).error).toEqual({
          code: 'invalid_request',
          message: 'Host: is not a host name or address',
          field: 'Host',
        });
      }
      expect(w.logged.slice(before)).toEqual([]);
      expect((await w.storedAgents()).map((a) => a.agentId)).toEqual(['web-01']);
    },
  );

  it('is not taken for loopback by the browser guard: 127.999.999.999 gets no admin answer', async () => {
    const answer = await withHost(w.url, `127.999.999.999:${new URL(w.url).port}`, 'GET', '/v1/agents');
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body).not.toContain('web-01');
  });

  it('a loopback address other than 127.0.0.1 passes the guard (127.0.0.2, [::1])', async () => {
    for (const host of ['127.0.0.2', '[::1]']) {
      const answer = await withHost(w.url, `${host}:${new URL(w.url).port}`, 'GET', '/v1/agents');
      expect(answer.status).toBe(200);
    }
  });
});

describe('the Host of GET /v1/install.sh', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  const servedDefault = (body: string) => /^served_endpoint='(.*)'$/m.exec(body)?.[1];

  it('becomes the default endpoint, with the scheme the proxy forwards, on any Host (no admin guard)', async () => {
    const answer = await withHost(w.url, 'hbw.example.com:8443', 'GET', '/v1/install.sh', undefined, {
      'x-forwarded-proto': 'https',
    });
    expect(answer.status).toBe(200);
    expect(servedDefault(answer.body)).toBe('https://hbw.example.com:8443');
  });

  it('stays out of the script when it could mean anything to sh: the script asks for --endpoint', async () => {
    const answer = await withHost(w.url, "a.example'$(id)", 'GET', '/v1/install.sh');
    expect(answer.status).toBe(200);
    expect(servedDefault(answer.body)).toBe('');
    expect(answer.body).not.toContain('$(id)');
  });

  it('is a 400 naming the Host when it is not a host at all', async () => {
    const answer = await withHost(w.url, '999.0.0.1', 'GET', '/v1/install.sh');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.field).toBe('Host');
  });
});
