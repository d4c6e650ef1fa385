import type { APIGatewayProxyResult, LambdaEvent } from 'hono/aws-lambda';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { ensureTables, type TableNames } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import { enrollmentSettings } from '../../lambda/domain/enrollment-settings';
import { heartbeatSettings } from '../../lambda/domain/heartbeat-settings';
import type { Answerer } from '../support/answer-tap';
import { holdToContract } from '../support/contract-check';
import { openTestStore, type SdkAccess, type TestStore } from '../support/test-store';
import { TEST_CONFIG } from '../support/watcher';

// The Lambda door: API Gateway HTTP API events (payload format 2.0) through the ingest, register,
// installer and admin handlers, as deployed (the ingest and register functions' own door, the
// installer and admin functions' hono/aws-lambda `handle`, the use cases built at import from process.env,
// `new DynamoDBClient({})`), against a store of the run's kind (test-store.ts). The SDK finds it by
// AWS_ENDPOINT_URL_DYNAMODB, its service-specific endpoint variable (for dynalite a TCP door to its
// private socket), and signs with the store's key, given as the AWS credentials of the environment.

type LambdaHandler = (event: LambdaEvent) => Promise<APIGatewayProxyResult>;

const TABLES: TableNames = {
  agents: 'door-agents',
  state: 'door-state',
  alerts: 'door-alerts',
  audit: 'door-audit',
};
const TABLE_VARIABLES = {
  AGENTS_TABLE: TABLES.agents,
  STATE_TABLE: TABLES.state,
  ALERTS_TABLE: TABLES.alerts,
  AUDIT_TABLE: TABLES.audit,
  HBW_CONFIG: JSON.stringify(TEST_CONFIG),
  HBW_HEARTBEAT_SETTINGS: JSON.stringify(heartbeatSettings(parseConfig(TEST_CONFIG))),
  HBW_ENROLLMENT_SETTINGS: JSON.stringify(enrollmentSettings(parseConfig(TEST_CONFIG))),
  STACK_NAME: 'hbw-test',
};
const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.eu-west-1.amazonaws.com`;

type Vars = Record<string, string | undefined>;

function applyEnv(vars: Vars): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Runs `fn` with `vars` set in process.env, and puts back what was there. */
function withEnv<T>(vars: Vars, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  applyEnv(vars);
  try {
    return fn();
  } finally {
    applyEnv(before);
  }
}

/** Imports a handler module afresh (a cold start) with `vars` in the environment. */
function coldStart(
  file: 'ingest' | 'admin' | 'register' | 'installer' | 'scanner',
  vars: Vars,
): LambdaHandler {
  const handler = withEnv(vars, () => {
    let handler: LambdaHandler | undefined;
    jest.isolateModules(() => {
      handler = require(`../../lambda/handlers/${file}`).handler;
    });
    return handler!;
  });
  const answerers: Partial<Record<typeof file, Answerer>> = {
    ingest: 'ingest function',
    register: 'register function',
  };
  return file === 'scanner' ? handler : heldToContract(handler, answerers[file] ?? 'watcher');
}

/** `handler`, each of its answers held to `answerer`'s part of the contract, as the servers of the tests have theirs. */
function heldToContract(handler: LambdaHandler, answerer: Answerer): LambdaHandler {
  return async (event) => {
    const result = await handler(event);
    const { http } = (event as { requestContext: { http: { method: string } } }).requestContext;
    const [, contentType = ''] =
      Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type') ?? [];
    holdToContract(answerer, {
      method: http.method,
      path: (event as { rawPath: string }).rawPath,
      status: result.statusCode,
      contentType: String(contentType),
      body: Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8').toString('utf8'),
    });
    return result;
  };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

interface EventInput {
  readonly query?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Send the body base64-encoded with isBase64Encoded, as API Gateway does for some content. */
  readonly base64?: boolean;
  /** The route that matched, as the stack declares it. @default `ANY <path>` */
  readonly routeKey?: string;
  readonly iam?: boolean;
}

let requestCount = 0;

/** An API Gateway HTTP API event, payload format 2.0, as the documentation shows it. */
function httpEvent(method: string, rawPath: string, input: EventInput = {}): LambdaEvent {
  requestCount += 1;
  const now = new Date();
  const userAgent = 'hbw-agent/0.1.0 (node)';
  const routeKey = input.routeKey ?? `ANY ${rawPath}`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: DOMAIN,
    'user-agent': userAgent,
    'x-amzn-trace-id': `Root=1-6740a1b2-${String(requestCount).padStart(24, '0')}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(input.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(input.body)) }),
    ...input.headers,
  };
  const query = new URLSearchParams(input.query ?? '');
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: input.query ?? '',
    headers,
    ...(input.query ? { queryStringParameters: Object.fromEntries(query) } : {}),
    ...(routeKey.includes('{proxy+}') ? { pathParameters: { proxy: rawPath.replace(/^\/v1\//, '') } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      ...(input.iam
        ? {
            authorizer: {
              iam: {
                accessKey: 'AKIDDOOREXAMPLE',
                accountId: '123456789012',
                callerId: 'AIDADOOREXAMPLE',
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: 'arn:aws:iam::123456789012:user/ops',
                userId: 'AIDADOOREXAMPLE',
              },
            },
          }
        : {}),
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent },
      requestId: `door-${requestCount}`,
      routeKey,
      stage: '$default',
      time: '23/Nov/2026:12:00:00 +0000',
      timeEpoch: now.getTime(),
    },
    ...(input.body === undefined
      ? {}
      : {
          body: input.base64 ? Buffer.from(input.body).toString('base64') : input.body,
          isBase64Encoded: input.base64 === true,
        }),
    ...(input.body === undefined ? { isBase64Encoded: false } : {}),
  };
  return event as unknown as LambdaEvent;
}

/** What API Gateway passes on for an IAM-authorized admin call: the SigV4 headers and the caller. */
function adminEvent(method: string, rawPath: string, input: EventInput = {}): LambdaEvent {
  return httpEvent(method, rawPath, {
    routeKey: 'ANY /v1/{proxy+}',
    iam: true,
    ...input,
    headers: {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDDOOREXAMPLE/20261123/eu-west-1/execute-api/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000',
      'x-amz-date': '20261123T120000Z',
      ...input.headers,
    },
  });
}

const json = { 'content-type': 'application/json' };
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the handler answered
const bodyOf = (result: APIGatewayProxyResult): any => JSON.parse(result.body);
/** The body as text, decoded when the adapter sent it base64-encoded (as it does a script). */
const textOf = (result: APIGatewayProxyResult): string =>
  Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');

describe('the Lambda door: API Gateway v2 events through the ingest, register, installer and admin handlers', () => {
  let store: TestStore;
  let access: SdkAccess;
  let ingest: LambdaHandler;
  let admin: LambdaHandler;
  let agents: DynamoAgentStore;
  let destroyClient: () => void;
  const sdkEnv: Vars = {};

  beforeAll(async () => {
    store = await openTestStore();
    access = await store.sdkAccess();
    const client = store.newClient();
    destroyClient = () => client.destroy();
    await ensureTables(client, TABLES);
    agents = new DynamoAgentStore(client, TABLES.agents);
    // What the handlers' `new DynamoDBClient({})` reads, at its first request as much as at import.
    const vars: Vars = {
      AWS_ENDPOINT_URL_DYNAMODB: access.endpoint,
      AWS_REGION: access.region,
      AWS_ACCESS_KEY_ID: access.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: access.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const name of Object.keys(vars)) sdkEnv[name] = process.env[name];
    applyEnv(vars);
    ingest = coldStart('ingest', TABLE_VARIABLES);
    admin = coldStart('admin', TABLE_VARIABLES);
  });
  afterAll(async () => {
    applyEnv(sdkEnv);
    destroyClient();
    await access.close();
    await store.close();
  });

  async function addAgent(agentId: string, group = 'production'): Promise<string> {
    const res = await admin(
      adminEvent('POST', '/v1/agents', {
        headers: json,
        body: JSON.stringify({ agentId, group }),
        base64: true,
      }),
    );
    if (res.statusCode !== 201) throw new Error(`add ${agentId}: ${res.statusCode} ${res.body}`);
    return bodyOf(res).token;
  }

  it('admin POST /v1/agents with a base64-encoded body answers 201 with a token, stored in DynamoDB', async () => {
    const res = await admin(
      adminEvent('POST', '/v1/agents', {
        headers: json,
        body: JSON.stringify({ agentId: 'door-01', group: 'production' }),
        base64: true,
      }),
    );

    expect(res.statusCode).toBe(201);
    expect(res.isBase64Encoded).toBe(false);
    expect(res.headers).toMatchObject({ 'content-type': expect.stringMatching(/^application\/json/) });
    expect(bodyOf(res)).toEqual({
      agentId: 'door-01',
      token: expect.stringMatching(/^hbw_[A-Za-z0-9_-]{43}$/),
      approval: 'approved',
    });
    expect(await agents.get('door-01')).toMatchObject({ agentId: 'door-01', group: 'production' });
  });

  it('ingest POST /v1/heartbeat with a plain-text body and the agent token answers 200 healthy', async () => {
    const token = await addAgent('door-02');
    const before = Date.now();

    const res = await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify({ agentId: 'door-02', seq: 1 }),
      }),
    );

    expect(res.statusCode).toBe(200);
    const body = bodyOf(res);
    expect(body).toEqual({
      agentId: 'door-02',
      state: 'healthy',
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      serverTime: expect.any(String),
    });
    expect(Date.parse(body.serverTime)).toBeGreaterThanOrEqual(before - 1000);
    expect((await agents.get('door-02'))?.lastHeartbeatAt).toBeDefined();
  });

  it('the same heartbeat base64-encoded is read the same way', async () => {
    const token = await addAgent('door-03', 'test');

    const res = await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify({ agentId: 'door-03' }),
        base64: true,
      }),
    );

    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ agentId: 'door-03', state: 'healthy' });
  });

  it('a bad heartbeat body answers 400 with the error envelope naming the field', async () => {
    const invalid = await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: 'Bearer hbw_whatever' },
        body: JSON.stringify({ agentId: 'not a valid id!' }),
      }),
    );
    const notJson = await ingest(
      httpEvent('POST', '/v1/heartbeat', { headers: json, body: '{"agentId": "door-01",', base64: true }),
    );

    expect(invalid.statusCode).toBe(400);
    expect(bodyOf(invalid)).toEqual({
      error: { code: 'invalid_request', message: expect.any(String), field: 'agentId' },
    });
    expect(notJson.statusCode).toBe(400);
    expect(bodyOf(notJson)).toEqual({
      error: { code: 'invalid_json', message: 'the body is not valid JSON' },
    });
  });

  it('a body over 8 KiB answers 413 before it is read', async () => {
    const token = await addAgent('door-04');
    const body = JSON.stringify({ agentId: 'door-04', version: 'x'.repeat(9000) });

    const res = await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${token}` },
        body,
        base64: true,
      }),
    );

    expect(res.statusCode).toBe(413);
    expect(bodyOf(res)).toEqual({
      error: { code: 'body_too_large', message: expect.stringContaining('8192') },
    });
    expect((await agents.get('door-04'))?.lastHeartbeatAt).toBeUndefined();
  });

  it('admin GET /v1/agents?group= shows the agent, with its heartbeat', async () => {
    const token = await addAgent('door-05', 'lab');
    await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify({ agentId: 'door-05' }),
      }),
    );

    const res = await admin(adminEvent('GET', '/v1/agents', { query: 'group=lab' }));

    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).agents).toEqual([
      expect.objectContaining({ agentId: 'door-05', group: 'lab', approval: 'approved', state: 'healthy' }),
    ]);
  });

  it('admin records who made a change (the IAM principal API Gateway authorized) and from where, in GET /v1/audit', async () => {
    await addAgent('door-audit');

    const res = await admin(adminEvent('GET', '/v1/audit', { query: 'target=agent:door-audit' }));

    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).entries).toEqual([
      expect.objectContaining({
        action: 'add',
        target: 'agent:door-audit',
        by: 'arn:aws:iam::123456789012:user/ops',
        sourceIp: '203.0.113.7',
      }),
    ]);
  });

  it('an unknown route answers 404 with the error envelope; ingest does not serve admin routes', async () => {
    const unknown = await admin(adminEvent('GET', '/v1/nothing-here'));
    const adminOnIngest = await ingest(httpEvent('GET', '/v1/agents', { routeKey: '$default' }));
    const wrongMethod = await ingest(httpEvent('GET', '/v1/heartbeat'));

    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(unknown)).toEqual({
      error: { code: 'not_found', message: 'no route GET /v1/nothing-here' },
    });
    expect(adminOnIngest.statusCode).toBe(404);
    expect(bodyOf(adminOnIngest).error.code).toBe('not_found');
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers).toMatchObject({ allow: 'POST' });
  });

  it('ingest answers heartbeats with only the variables the stack gives it (HBW_HEARTBEAT_SETTINGS, AGENTS_TABLE, STACK_NAME)', async () => {
    const token = await addAgent('door-06');
    const lean = coldStart('ingest', {
      ...TABLE_VARIABLES,
      STATE_TABLE: undefined,
      ALERTS_TABLE: undefined,
      HBW_CONFIG: undefined,
    });

    const res = await lean(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify({ agentId: 'door-06' }),
      }),
    );

    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ agentId: 'door-06', state: 'healthy' });
  });

  const SCANNER_VARIABLES = {
    STACK_NAME: 'hbw-test',
    TOPIC_ARNS: '{"production":"arn:aws:sns:eu-west-1:1:p"}',
    HBW_AWS_PROBER: 'hbw-test-aws-prober',
  };

  it.each([
    ['ingest', 'AGENTS_TABLE', { AGENTS_TABLE: undefined }],
    ['admin', 'AGENTS_TABLE', { AGENTS_TABLE: undefined }],
    ['register', 'AGENTS_TABLE', { AGENTS_TABLE: '' }],
    ['register', 'STATE_TABLE', { STATE_TABLE: undefined }],
    ['register', 'HBW_ENROLLMENT_SETTINGS', { HBW_ENROLLMENT_SETTINGS: undefined }],
    ['register', 'HBW_ENROLLMENT_SETTINGS', { HBW_ENROLLMENT_SETTINGS: '{"groups": ' }],
    ['register', 'HBW_ENROLLMENT_SETTINGS', { HBW_ENROLLMENT_SETTINGS: '{"groups":{"lab":{}}}' }],
    ['register', 'LOG_LEVEL', { LOG_LEVEL: 'chatty' }],
    ['installer', 'LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['ingest', 'HBW_HEARTBEAT_SETTINGS', { HBW_HEARTBEAT_SETTINGS: undefined }],
    ['ingest', 'HBW_HEARTBEAT_SETTINGS', { HBW_HEARTBEAT_SETTINGS: '{"scanIntervalSeconds": 0}' }],
    ['admin', 'HBW_CONFIG', { HBW_CONFIG: '{"groups": ' }],
    ['ingest', 'LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['ingest', 'STACK_NAME', { STACK_NAME: undefined }],
    ['admin', 'LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['scanner', 'STATE_TABLE', { ...SCANNER_VARIABLES, STATE_TABLE: undefined }],
    ['scanner', 'STACK_NAME', { ...SCANNER_VARIABLES, STACK_NAME: undefined }],
    ['scanner', 'HBW_AWS_PROBER', { ...SCANNER_VARIABLES, HBW_AWS_PROBER: undefined }],
    ['scanner', 'TOPIC_ARNS', { ...SCANNER_VARIABLES, TOPIC_ARNS: '["arn"]' }],
    ['scanner', 'TOPIC_ARNS', { ...SCANNER_VARIABLES, TOPIC_ARNS: '{"production": ' }],
    ['scanner', 'LOG_LEVEL', { ...SCANNER_VARIABLES, LOG_LEVEL: 'trace' }],
  ] as const)('%s fails at import, naming %s, when it is missing or bad', (file, variable, change) => {
    const error = thrownBy(() => coldStart(file, { LOG_LEVEL: undefined, ...TABLE_VARIABLES, ...change }));

    expect(error).toMatchObject({
      name: 'EnvironmentError',
      variable,
      message: expect.stringMatching(new RegExp(`^environment variable ${variable} (is not set|is )`)),
    });
  });

  it('register names the field of HBW_ENROLLMENT_SETTINGS at fault', () => {
    const error = thrownBy(() =>
      coldStart('register', { ...TABLE_VARIABLES, HBW_ENROLLMENT_SETTINGS: '{"groups":{"lab":{}}}' }),
    );

    expect((error as Error).message).toMatch(
      /^environment variable HBW_ENROLLMENT_SETTINGS is not valid: .*groups\.lab\.autoApprove/,
    );
  });

  /** A new enrollment key of `group`, made through the admin function. */
  async function enrollmentKey(group: string): Promise<string> {
    const res = await admin(adminEvent('POST', `/v1/groups/${group}/enrollment-key`));
    if (res.statusCode !== 201) throw new Error(`key of ${group}: ${res.statusCode} ${res.body}`);
    return bodyOf(res).key;
  }

  /** Register, cold-started with only the variables the stack gives it. */
  const leanRegister = (vars: Vars = {}) =>
    coldStart('register', {
      ...TABLE_VARIABLES,
      HBW_CONFIG: undefined,
      HBW_HEARTBEAT_SETTINGS: undefined,
      ALERTS_TABLE: undefined,
      AUDIT_TABLE: undefined,
      STACK_NAME: undefined,
      ...vars,
    });

  const enroll = (register: LambdaHandler, key: string | undefined, body: unknown) =>
    register(
      httpEvent('POST', '/v1/register', {
        headers: { ...json, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
        body: JSON.stringify(body),
      }),
    );

  it('register enrolls agents with only the variables the stack gives it (HBW_ENROLLMENT_SETTINGS, AGENTS_TABLE, STATE_TABLE), approved as their group says', async () => {
    const register = leanRegister();
    const labKey = await enrollmentKey('lab');
    const productionKey = await enrollmentKey('production');

    const lab = await enroll(register, labKey, { agentId: 'door-enroll-01', group: 'lab', cluster: 'web' });
    const production = await enroll(register, productionKey, {
      agentId: 'door-enroll-02',
      group: 'production',
    });
    const taken = await enroll(register, labKey, { agentId: 'door-enroll-01', group: 'lab' });

    expect(lab.statusCode).toBe(201);
    expect(lab.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(bodyOf(lab)).toEqual({
      agentId: 'door-enroll-01',
      token: expect.stringMatching(/^hbw_[A-Za-z0-9_-]{43}$/),
      approval: 'approved',
    });
    expect(await agents.get('door-enroll-01')).toMatchObject({
      group: 'lab',
      cluster: 'web',
      approval: 'approved',
    });
    expect(bodyOf(production).approval).toBe('pending');
    expect(taken.statusCode).toBe(409);
    expect(bodyOf(taken).error).toMatchObject({ code: 'conflict', field: 'agentId' });
    const beat = await ingest(
      httpEvent('POST', '/v1/heartbeat', {
        headers: { ...json, authorization: `Bearer ${bodyOf(lab).token}` },
        body: JSON.stringify({ agentId: 'door-enroll-01' }),
      }),
    );
    expect(beat.statusCode).toBe(200);
  });

  it('register refuses a group its settings do not name as the whole service does: 400 unknown_group, listing the configured groups', async () => {
    const register = leanRegister({
      HBW_ENROLLMENT_SETTINGS: JSON.stringify({ groups: { production: { autoApprove: false } } }),
    });
    const testKey = await enrollmentKey('test');

    const res = await enroll(register, testKey, { agentId: 'door-enroll-03', group: 'test' });

    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toEqual({
      error: {
        code: 'unknown_group',
        field: 'group',
        message: 'group: unknown group "test" (configured: production)',
      },
    });
    expect(await agents.get('door-enroll-03')).toBeUndefined();
  });

  it('register refuses no key (401, WWW-Authenticate), a body over 8 KiB (413), another method (405) and another path (404)', async () => {
    const register = leanRegister();

    const keyless = await enroll(register, undefined, { agentId: 'door-enroll-04', group: 'lab' });
    const large = await enroll(register, 'hbwk_whatever', {
      agentId: 'door-enroll-04',
      pad: 'x'.repeat(9000),
    });
    const get = await register(httpEvent('GET', '/v1/register'));
    const installer = await register(httpEvent('GET', '/v1/install.sh'));

    expect(keyless.statusCode).toBe(401);
    expect(keyless.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    expect(large.statusCode).toBe(413);
    expect(bodyOf(large).error.code).toBe('body_too_large');
    expect(get.statusCode).toBe(405);
    expect(get.headers).toMatchObject({ allow: 'POST' });
    expect(installer.statusCode).toBe(404);
    expect(bodyOf(installer).error).toEqual({ code: 'not_found', message: 'no route GET /v1/install.sh' });
  });

  it('the installer function serves the installers and the document with no variable at all', async () => {
    const none = Object.fromEntries(Object.keys(TABLE_VARIABLES).map((name) => [name, undefined]));
    const installer = coldStart('installer', { ...none, LOG_LEVEL: undefined });

    const sh = await installer(httpEvent('GET', '/v1/install.sh'));
    const ps1 = await installer(httpEvent('GET', '/v1/install.ps1'));
    const document = await installer(httpEvent('GET', '/v1/openapi.json'));
    const post = await installer(httpEvent('POST', '/v1/install.sh', { headers: json, body: '{}' }));
    const elsewhere = await installer(httpEvent('GET', '/v1/nothing-here'));

    expect(sh.statusCode).toBe(200);
    expect(sh.headers).toMatchObject({
      'content-type': 'text/x-shellscript; charset=utf-8',
      'cache-control': 'no-store',
    });
    // The endpoint it defaults to is the API as the client reached it. (Booleans, not the scripts:
    // a failure would print them whole.)
    expect(textOf(sh).includes(`served_endpoint='https://${DOMAIN}'`)).toBe(true);
    expect(ps1.statusCode).toBe(200);
    expect(ps1.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8' });
    expect(textOf(ps1).includes(`https://${DOMAIN}`)).toBe(true);
    expect(document.statusCode).toBe(200);
    expect(Object.keys(bodyOf(document).paths)).toEqual(expect.arrayContaining(['/v1/register']));
    expect(post.statusCode).toBe(405);
    expect(post.headers).toMatchObject({ allow: 'GET' });
    expect(elsewhere.statusCode).toBe(404);
    expect(bodyOf(elsewhere).error.code).toBe('not_found');
  });

  it('the scanner starts with every variable it reads, LOG_LEVEL in any case', () => {
    expect(typeof coldStart('scanner', { ...TABLE_VARIABLES, ...SCANNER_VARIABLES, LOG_LEVEL: 'WARN' })).toBe(
      'function',
    );
  });

  it('admin refuses the use of a table it was not granted, naming its variable', async () => {
    const lean = coldStart('admin', { LOG_LEVEL: undefined, ...TABLE_VARIABLES, ALERTS_TABLE: undefined });
    const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await lean(adminEvent('GET', '/v1/alerts'));
      expect(res.statusCode).toBe(500);
      const [record] = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
      expect(record).toMatchObject({
        level: 'error',
        msg: 'unhandled error',
        error: expect.stringContaining(
          'environment variable ALERTS_TABLE is not set: this function was not granted that table',
        ),
      });
    } finally {
      errors.mockRestore();
    }
  });
});
