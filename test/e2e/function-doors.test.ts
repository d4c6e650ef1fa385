import { request } from 'node:http';
import { type APIGatewayProxyResult, handle, type LambdaEvent } from 'hono/aws-lambda';
import { ENROLLMENT_ROUTES } from '../../lambda/http/enrollment-routes';
import { createInstallerApp } from '../../lambda/http/installer-routes';
import { type HttpApiEvent, type HttpApiResult, ingestDoor, lambdaDoor } from '../../lambda/http/lambda-door';
import { MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from '../../lambda/http/wire';
import { createLogger } from '../../lambda/logger';
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

interface Sent {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * Sends a request through local mode's router (over HTTP) and through a Lambda door, and answers
 * what matters of each answer: the status, the JSON, and the headers Allow, WWW-Authenticate,
 * Retry-After and Content-Type. `path` is the one a request names none of.
 */
function comparer(
  watcher: () => TestWatcher,
  lambdaDoor: () => (event: HttpApiEvent) => Promise<HttpApiResult>,
  defaultPath: string,
) {
  return async (request: Sent) => {
    const { method = 'POST', path = defaultPath, headers = {}, body } = request;
    const local = await sendOnce(watcher().url + path, method, headers, method === 'GET' ? undefined : body);
    const lambda = await lambdaDoor()({
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
    return {
      local: { status: local.status, body: parse(local.text), headers: pick((n) => local.headers[n]) },
      lambda: {
        status: lambda.statusCode,
        body: parse(lambda.body),
        headers: pick((n) => lambda.headers[n]),
      },
    };
  };
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

  const both = comparer(
    () => w,
    () => door,
    '/v1/heartbeat',
  );

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

/**
 * The same door in the register function, over the enrollment route alone: each request below is
 * sent through it and through local mode's router, to the same service and store.
 */
describe("the register function's door answers as local mode's router does", () => {
  let w: TestWatcher;
  let door: (event: HttpApiEvent) => Promise<HttpApiResult>;
  let key: string;
  let serial = 0;
  const both = comparer(
    () => w,
    () => door,
    '/v1/register',
  );

  beforeAll(async () => {
    w = await startTestWatcher();
    door = lambdaDoor(ENROLLMENT_ROUTES, w.service);
    key = (await w.call('POST', '/v1/groups/production/enrollment-key')).body.key as string;
  });
  afterAll(() => w.close());

  const json = { 'content-type': 'application/json' };
  const withKey = (k = key) => ({ ...json, authorization: `Bearer ${k}` });
  const enrollment = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ agentId: `enroll-${++serial}`, group: 'production', ...over });

  it('an enrollment: 201, the agent pending, with a token of its own from each door', async () => {
    const local = await w.call('POST', '/v1/register', JSON.parse(enrollment()), withKey());
    const lambda = await door({
      rawPath: '/v1/register',
      requestContext: { http: { method: 'POST' } },
      headers: withKey(),
      body: enrollment(),
    });

    expect(local.status).toBe(201);
    expect(lambda.statusCode).toBe(201);
    expect(lambda.headers['content-type']).toBe('application/json');
    const shape = (body: { agentId: string; token: string }) => ({
      ...body,
      agentId: /^enroll-\d+$/.test(body.agentId),
      token: /^hbw_[A-Za-z0-9_-]{43}$/.test(body.token),
    });
    expect(shape(JSON.parse(lambda.body))).toEqual(shape(local.body));
    expect(JSON.parse(lambda.body)).toMatchObject({ agentId: 'enroll-2', approval: 'pending' });
    expect((await w.storedAgents()).find((a) => a.agentId === 'enroll-2')).toMatchObject({
      group: 'production',
    });
    expect(local.headers.get('content-type')).toBe('application/json');
  });

  it.each<[string, () => Sent]>([
    ['no key: 401 with WWW-Authenticate', () => ({ headers: json, body: enrollment() })],
    ['a wrong key: 401', () => ({ headers: withKey('hbwk_wrong'), body: enrollment() })],
    ['a group with no key: 401', () => ({ headers: withKey(), body: enrollment({ group: 'staging' }) })],
    ['an id that is taken: 409', () => ({ headers: withKey(), body: enrollment({ agentId: 'enroll-1' }) })],
    ['a body that is not JSON: 400', () => ({ headers: withKey(), body: '{' })],
    ['an empty body: 400', () => ({ headers: withKey(), body: '' })],
    [
      'a field it does not know: 400 naming it',
      () => ({ headers: withKey(), body: enrollment({ clustr: 'web' }) }),
    ],
    [
      'a body that says it is XML: 415',
      () => ({ headers: { ...withKey(), 'content-type': 'application/xml' }, body: enrollment() }),
    ],
    [
      'a body over its size limit: 413',
      () => ({ headers: withKey(), body: enrollment({ pad: 'x'.repeat(MAX_BODY_BYTES) }) }),
    ],
    ['a GET: 405 with Allow', () => ({ method: 'GET' })],
    [
      'a path nothing serves: 404',
      () => ({ path: '/v1/register/extra', headers: withKey(), body: enrollment() }),
    ],
  ])('%s', async (_name, request) => {
    const { local, lambda } = await both(request());
    expect(lambda).toEqual(local);
    expect(lambda.status).toBeGreaterThanOrEqual(400);
  });
});

/**
 * The installer function (hono's Lambda adapter over the installer routes alone) beside local mode,
 * which serves the same routes: the same scripts, the same document, the same refusals.
 */
describe("the installer function answers as local mode's router does", () => {
  let w: TestWatcher;
  const installer = handle(createInstallerApp(createLogger({ level: 'error' })));
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  /** As a client reached the watcher at https://watcher.example (API Gateway says https in X-Forwarded-Proto). */
  const headers = { host: 'watcher.example', 'x-forwarded-proto': 'https' };

  async function both(method: string, path: string) {
    const local = await sendOnce(w.url + path, method, headers);
    const event = {
      version: '2.0',
      routeKey: `ANY ${path}`,
      rawPath: path,
      rawQueryString: '',
      headers,
      requestContext: {
        domainName: headers.host,
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8' },
        requestId: 'installer-1',
        routeKey: `ANY ${path}`,
        stage: '$default',
      },
      isBase64Encoded: false,
    } as unknown as LambdaEvent;
    const lambda = (await installer(event)) as APIGatewayProxyResult;
    const lambdaHeaders = Object.fromEntries(
      Object.entries(lambda.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const pick = (get: (name: string) => string | undefined) =>
      Object.fromEntries(
        ['allow', 'cache-control', 'content-type']
          .map((name) => [name, get(name)])
          .filter(([, value]) => value !== undefined),
      );
    const text = Buffer.from(lambda.body, lambda.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    return {
      local: { status: local.status, headers: pick((n) => local.headers[n]), same: true },
      lambda: {
        status: lambda.statusCode,
        headers: pick((n) => lambdaHeaders[n]),
        same: text === local.text,
      },
    };
  }

  it.each([
    ['GET', '/v1/install.sh', 200],
    ['GET', '/v1/install.ps1', 200],
    ['GET', '/v1/openapi.json', 200],
    ['POST', '/v1/install.sh', 405],
    ['DELETE', '/v1/openapi.json', 405],
  ])('%s %s: %i, the same headers and the same body', async (method, path, status) => {
    const { local, lambda } = await both(method, path);

    expect(lambda).toEqual(local);
    expect(lambda.status).toBe(status);
  });
});
