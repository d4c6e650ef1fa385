import { request } from 'node:http';
import { type HttpApiEvent, type HttpApiResult, ingestDoor } from '../../lambda/http/lambda-door';
import { MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from '../../lambda/http/wire';
import { StoreUnavailableError } from '../../lambda/ports';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * One request on a connection of its own: a server that answers 413 before reading the body closes
 * the connection, and a pooled one would take the next test's request down with it.
 */
function sendOnce(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | undefined>; text: string }>(
    (resolve, reject) => {
      const req = request(url, { method, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, text }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server may answer (413) and close before the whole body is written: the answer counts.
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      req.end(body);
    },
  );
}

/**
 * The ingest function's own door (API Gateway's events in, its answers out) beside local mode's hono
 * router: each request below is sent through both, to the same service and store, and must get the
 * same status, the same JSON and the same headers that matter (Allow, WWW-Authenticate, Retry-After).
 */
describe("the ingest function's door answers as local mode's router does", () => {
  let w: TestWatcher;
  let door: (event: HttpApiEvent) => Promise<HttpApiResult>;
  const observed: number[] = [];
  let token: string;
  let seq = 0;

  beforeAll(async () => {
    w = await startTestWatcher();
    door = ingestDoor(w.service, (status) => observed.push(status));
    token = await w.addAgent('door-01');
  });
  afterAll(() => w.close());
  beforeEach(() => {
    observed.length = 0;
  });

  interface Sent {
    readonly method?: string;
    readonly path?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
  }

  /** The same request through hono (over HTTP) and through the Lambda door. */
  async function both(request: Sent) {
    const { method = 'POST', path = '/v1/heartbeat', headers = {}, body } = request;
    const local = await sendOnce(w.url + path, method, headers, method === 'GET' ? undefined : body);
    const localText = local.text;
    const lambda = await door({
      rawPath: path,
      requestContext: { http: { method } },
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      body,
    });
    const parse = (text: string) => (text === '' ? null : JSON.parse(text));
    const pick = (get: (name: string) => string | undefined) =>
      Object.fromEntries(
        ['allow', 'www-authenticate', 'retry-after', 'content-type']
          .map((name) => [name, get(name)?.split(';')[0]])
          .filter(([, value]) => value !== undefined),
      );
    const lowerHeaders = Object.fromEntries(
      Object.entries(lambda.headers).map(([k, v]) => [k.toLowerCase(), v]),
    );
    return {
      local: {
        status: local.status,
        body: parse(localText),
        headers: pick((n) => local.headers[n]),
      },
      lambda: { status: lambda.statusCode, body: parse(lambda.body), headers: pick((n) => lowerHeaders[n]) },
    };
  }

  const beat = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      agentId: 'door-01',
      seq: ++seq,
      bootId: 'boot-1',
      sentAt: new Date().toISOString(),
      ...over,
    });
  const json = { 'content-type': 'application/json' };
  /** Bodies whose answers differ only by what the store now holds (the second is a replay). */
  const sameBut = (a: { body: unknown }, b: { body: unknown }) => {
    const strip = (x: unknown) =>
      JSON.parse(JSON.stringify(x ?? null).replace(/"serverTime":"[^"]+"/g, '"serverTime":"T"'));
    return [strip(a.body), strip(b.body)];
  };

  it('a heartbeat: 200, the agent answered, the status told to the observer', async () => {
    const local = await w.call('POST', '/v1/heartbeat', beat(), {
      ...json,
      authorization: `Bearer ${token}`,
    });
    const lambda = await door({
      rawPath: '/v1/heartbeat',
      requestContext: { http: { method: 'POST' } },
      headers: { ...json, authorization: `Bearer ${token}` },
      body: beat(),
    });

    expect(lambda.statusCode).toBe(200);
    expect(local.status).toBe(200);
    const [a, b] = sameBut(local, { body: JSON.parse(lambda.body) });
    expect(b).toEqual(a);
    expect(lambda.headers['content-type']).toBe('application/json');
    expect(observed).toEqual([200]);
  });

  it('a body API Gateway base64-encoded is read as the same JSON', async () => {
    const lambda = await door({
      rawPath: '/v1/heartbeat',
      requestContext: { http: { method: 'POST' } },
      headers: { ...json, authorization: `Bearer ${token}` },
      body: Buffer.from(beat()).toString('base64'),
      isBase64Encoded: true,
    });
    expect(lambda.statusCode).toBe(200);
    expect(JSON.parse(lambda.body)).toMatchObject({ agentId: 'door-01', state: 'healthy' });
  });

  it.each<[string, () => Sent]>([
    ['no token: 401 with WWW-Authenticate', () => ({ headers: json, body: beat() })],
    ['a wrong token: 401', () => ({ headers: { ...json, authorization: 'Bearer hbw_wrong' }, body: beat() })],
    [
      'a body that is not JSON: 400',
      () => ({ headers: { ...json, authorization: `Bearer ${token}` }, body: '{' }),
    ],
    ['an empty body: 400', () => ({ headers: { ...json, authorization: `Bearer ${token}` }, body: '' })],
    [
      'a field out of range: 400 naming it',
      () => ({ headers: { ...json, authorization: `Bearer ${token}` }, body: beat({ seq: -1 }) }),
    ],
    [
      'a body that says it is XML: 415',
      () => ({
        headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` },
        body: beat(),
      }),
    ],
    [
      'a heartbeat over its size limit: 413',
      () => ({
        headers: { ...json, authorization: `Bearer ${token}` },
        body: beat({ pad: 'x'.repeat(MAX_BODY_BYTES) }),
      }),
    ],
    [
      'a batch over its size limit: 413',
      () => ({
        path: '/v1/heartbeats',
        headers: json,
        body: JSON.stringify({ pad: 'x'.repeat(MAX_BATCH_BODY_BYTES) }),
      }),
    ],
    ['a GET: 405 with Allow', () => ({ method: 'GET' })],
    [
      'a PUT of a batch: 405 with Allow',
      () => ({ method: 'PUT', path: '/v1/heartbeats', headers: json, body: '{}' }),
    ],
    ['a path nothing serves: 404', () => ({ path: '/v1/heartbeat/extra', headers: json, body: beat() })],
    [
      'a batch that is not one: 400 naming the field',
      () => ({ path: '/v1/heartbeats', headers: json, body: '{"heartbeats":3}' }),
    ],
  ])('%s', async (_name, request) => {
    const { local, lambda } = await both(request());
    expect(lambda).toEqual(local);
    expect(lambda.status).toBeGreaterThanOrEqual(400);
  });

  it('a batch: the same results item by item, each told to the observer', async () => {
    const items = (n: number) => ({
      heartbeats: [
        { agentId: 'door-01', token, seq: seq + n, bootId: 'boot-1', sentAt: new Date().toISOString() },
        { agentId: 'nobody', token: 'hbw_nobody', seq: 1, bootId: 'b', sentAt: new Date().toISOString() },
      ],
    });
    seq += 10;
    const local = await w.call('POST', '/v1/heartbeats', items(1), json);
    observed.length = 0;
    const lambda = await door({
      rawPath: '/v1/heartbeats',
      requestContext: { http: { method: 'POST' } },
      headers: json,
      body: JSON.stringify(items(2)),
    });

    expect(lambda.statusCode).toBe(200);
    const [a, b] = sameBut(local, { body: JSON.parse(lambda.body) });
    expect(b).toEqual(a);
    expect(observed).toEqual([200, 401]);
  });

  it('a store that is busy: 503 with Retry-After, told to the observer; anything else: 500, logged', async () => {
    const busy = ingestDoor(
      Object.assign(Object.create(w.service), {
        heartbeat: async () => {
          throw new StoreUnavailableError('throttled');
        },
      }),
      (status) => observed.push(status),
    );
    const event = {
      rawPath: '/v1/heartbeat',
      requestContext: { http: { method: 'POST' } },
      headers: { ...json, authorization: `Bearer ${token}` },
      body: beat(),
    };
    const answer = await busy(event);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(JSON.parse(answer.body).error.code).toBe('unavailable');
    expect(observed).toEqual([503]);

    const broken = ingestDoor(
      Object.assign(Object.create(w.service), {
        heartbeat: async () => {
          throw new Error('a bug');
        },
      }),
    );
    const crashed = await broken(event);
    expect(crashed.statusCode).toBe(500);
    expect(JSON.parse(crashed.body).error).toEqual({
      code: 'internal',
      message: 'internal error; it has been logged',
    });
    expect(w.logged.some((r) => r.msg === 'unhandled error' && r.route === '/v1/heartbeat')).toBe(true);
  });
});
