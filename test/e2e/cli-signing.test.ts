import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsCredentials, createWatcherClient, gatewayError } from '../../cli/client';
import { hbw, tokensIn } from '../support/run-cli';
import {
  type SigningGateway,
  type SigningGatewayOptions,
  startSigningGateway,
} from '../support/signing-gateway';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

// Against a deployed watcher the CLI signs admin calls with SigV4
// (service execute-api) from the standard AWS credential chain. API Gateway is played by a loopback
// server that checks each signature with the same static test credentials and forwards what holds to
// a local watcher.

const REGION = 'eu-west-1';
const CREDS: AwsCredentials = {
  accessKeyId: 'AKIDHBWTESTEXAMPLE',
  secretAccessKey: 'hbw-test-secret/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'hbw-test-session-token-FwoGZXIvYXdzEXAMPLE',
};
/** The environment of a CLI run with credentials: the test's own, never the machine's. */
const SIGNED_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDS.sessionToken,
  AWS_REGION: REGION,
  // Set, to show that a signed request does not carry it.
  HBW_ADMIN_TOKEN: 'hbw-test-admin-token',
};
const SIGNATURE_OF = new RegExp(
  `^AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/\\d{8}/${REGION}/execute-api/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`,
);
const STACK_TRACE = /\n\s+at /;

describe('hbw against a deployed watcher: SigV4-signed admin calls', () => {
  let w: TestWatcher;
  const gateways: SigningGateway[] = [];

  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await w.close();
  });

  async function gateway(options: Partial<SigningGatewayOptions> = {}): Promise<SigningGateway> {
    const g = await startSigningGateway({ credentials: CREDS, region: REGION, upstream: w.url, ...options });
    gateways.push(g);
    return g;
  }

  const signedHbw = (g: SigningGateway, env: NodeJS.ProcessEnv, ...argv: string[]) =>
    hbw([...argv, '--endpoint', g.url, '--sign'], env);

  it('agents list --sign passes the signature check with credentials from the environment', async () => {
    const g = await gateway();

    const run = await signedHbw(g, SIGNED_ENV, 'agents', 'list', '--json');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.json()).toEqual({ agents: expect.any(Array) });
    expect(g.requests).toHaveLength(1);
    const [req] = g.requests;
    expect(req!.refused).toBeUndefined();
    const signedHeaders = SIGNATURE_OF.exec(req!.headers.authorization ?? '')?.[1]?.split(';');
    expect(signedHeaders).toEqual(['accept', 'host', 'x-amz-date', 'x-amz-security-token']);
    expect(req!.headers['x-amz-security-token']).toBe(CREDS.sessionToken);
    expect(JSON.stringify(req!.headers)).not.toContain(SIGNED_ENV.HBW_ADMIN_TOKEN);
    expect(JSON.stringify(req!.headers)).not.toContain(CREDS.secretAccessKey);
  });

  it('agents add signs its JSON body, and the gateway checks the body against its hash', async () => {
    const g = await gateway();

    const run = await signedHbw(g, SIGNED_ENV, 'agents', 'add', 'db-01', '--group', 'production');

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(tokensIn(run.out)).toHaveLength(1);
    expect(g.requests).toHaveLength(1);
    expect(g.requests[0]!.refused).toBeUndefined();
    expect(JSON.parse(g.requests[0]!.body)).toEqual({ agentId: 'db-01', group: 'production' });
    expect(SIGNATURE_OF.exec(g.requests[0]!.headers.authorization ?? '')?.[1]).toBe(
      'accept;content-type;host;x-amz-date;x-amz-security-token',
    );
    expect((await w.storedAgents()).map((a) => a.agentId)).toContain('db-01');
  });

  it('refuses with 403 a body changed in flight after it was signed, and nothing is added', async () => {
    const g = await gateway({
      tamper: (r) => {
        r.body = r.body.replace('"test"', '"production"');
      },
    });

    const run = await signedHbw(g, SIGNED_ENV, 'agents', 'add', 'sneaky-01', '--group', 'test');

    expect(run.code).toBe(1);
    expect(JSON.parse(g.requests[0]!.body)).toEqual({ agentId: 'sneaky-01', group: 'production' });
    expect(g.requests[0]!.refused).toMatch(/signature we calculated does not match/);
    expect(run.err).toMatch(/^hbw: API Gateway refused the request: the signature does not match/);
    expect((await w.storedAgents()).map((a) => a.agentId)).not.toContain('sneaky-01');
  });

  it('signs query strings and encoded paths: agents list --group --cluster and agents show', async () => {
    const g = await gateway();
    expect(
      (await signedHbw(g, SIGNED_ENV, 'agents', 'add', 'db:02', '--group', 'test', '--cluster', 'rack:1'))
        .code,
    ).toBe(0);
    expect((await signedHbw(g, SIGNED_ENV, 'agents', 'add', 'db:03', '--group', 'test')).code).toBe(0);

    const list = await signedHbw(
      g,
      SIGNED_ENV,
      'agents',
      'list',
      '--group',
      'test',
      '--cluster',
      'rack:1',
      '--json',
    );
    const show = await signedHbw(g, SIGNED_ENV, 'agents', 'show', 'db:02', '--json');

    expect(list).toMatchObject({ code: 0, err: '' });
    expect(list.json().agents.map((a: { agentId: string }) => a.agentId)).toEqual(['db:02']);
    expect(g.requests[2]!.url).toBe('/v1/agents?group=test&cluster=rack%3A1&limit=1000');
    expect(show).toMatchObject({ code: 0, err: '' });
    expect(show.json()).toMatchObject({ agentId: 'db:02', cluster: 'rack:1' });
    expect(g.requests[3]!.url).toBe('/v1/agents/db%3A02');
    expect(g.requests.map((r) => r.refused)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('refuses with 403 a query string changed in flight', async () => {
    const g = await gateway({
      tamper: (r) => {
        r.url = r.url.replace('group=test', 'group=production');
      },
    });

    const run = await signedHbw(g, SIGNED_ENV, 'agents', 'list', '--group', 'test');

    expect(run.code).toBe(1);
    expect(g.requests[0]!.url).toBe('/v1/agents?group=production&limit=1000');
    expect(g.requests[0]!.refused).toMatch(/does not match/);
    expect(run.err).toMatch(/the signature does not match/);
  });

  it('a wrong secret key is refused with 403; the CLI explains, with no stack and no secret', async () => {
    // A REST API's mismatch message goes on with the canonical request, session token included.
    const g = await gateway({ verboseMismatch: true });
    const wrongSecret = 'hbw-test-wrong-secret-EXAMPLE';

    const run = await signedHbw(g, { ...SIGNED_ENV, AWS_SECRET_ACCESS_KEY: wrongSecret }, 'agents', 'list');

    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(g.requests[0]!.refused).toMatch(/does not match/);
    expect(run.err).toContain('the signature does not match');
    expect(run.err).toContain('aws sts get-caller-identity');
    for (const secret of [wrongSecret, CREDS.secretAccessKey, CREDS.sessionToken!]) {
      expect(run.err).not.toContain(secret);
    }
    expect(run.err).not.toMatch(STACK_TRACE);
  });

  it('an unsigned call to a deployed watcher is refused, and the CLI says to sign it', async () => {
    const g = await gateway();

    const run = await hbw(['status', '--endpoint', g.url], SIGNED_ENV);

    expect(run.code).toBe(1);
    expect(g.requests[0]!.headers.authorization).toBe(`Bearer ${SIGNED_ENV.HBW_ADMIN_TOKEN}`);
    expect(run.err).toMatch(/SigV4-signed requests only/);
    expect(run.err).toContain('--sign');
  });

  describe('with no AWS credentials anywhere', () => {
    const saved = { ...process.env };
    let dir: string;

    beforeEach(() => {
      // The chain reads the process's environment and files: point it at nothing, and never at the
      // instance metadata service.
      dir = mkdtempSync(join(tmpdir(), 'hbw-nocreds-'));
      for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    });
    afterEach(() => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    });

    it('exits 1 and says how to configure them, without a stack trace, before sending anything', async () => {
      const g = await gateway();

      const run = await signedHbw(g, { AWS_REGION: REGION }, 'agents', 'list');

      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^hbw: no AWS credentials to sign requests to http:\/\/127\.0\.0\.1:\d+ /);
      expect(run.err).toContain('aws configure');
      expect(run.err).toContain('AWS_PROFILE');
      expect(run.err).not.toMatch(STACK_TRACE);
      expect(g.requests).toEqual([]);
    });

    it('names a profile that does not exist', async () => {
      const g = await gateway();

      const run = await signedHbw(g, { AWS_REGION: REGION, AWS_PROFILE: 'ghost' }, 'status');

      expect(run.code).toBe(1);
      expect(run.err).toContain('ghost');
      expect(run.err).toContain('aws configure');
      expect(run.err).not.toMatch(STACK_TRACE);
      expect(g.requests).toEqual([]);
    });
  });

  describe('WatcherClient.forward, for the console proxy', () => {
    const client = (g: SigningGateway) =>
      createWatcherClient({
        endpoint: g.url,
        env: {},
        sign: true,
        region: REGION,
        credentials: async () => CREDS,
      });

    it('signs a raw request and answers status, headers and body as text', async () => {
      const g = await gateway();
      const c = client(g);

      const added = await c.forward(
        'POST',
        '/v1/agents',
        JSON.stringify({ agentId: 'fw-01', group: 'test' }),
        {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-request-id': 'req-1',
          host: 'elsewhere.example',
          'content-length': '9999',
          authorization: 'Bearer from-the-browser',
          connection: 'keep-alive',
        },
      );
      const listed = await c.forward('GET', '/v1/agents?group=test&state=new');
      const missing = await c.forward('GET', '/v1/agents/nobody');

      expect(added.status).toBe(201);
      expect(added.headers['content-type']).toMatch(/^application\/json/);
      expect(tokensIn(added.body)).toHaveLength(1);
      expect(listed.status).toBe(200);
      expect(JSON.parse(listed.body).agents.map((a: { agentId: string }) => a.agentId)).toContain('fw-01');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'not_found' } });
      expect(g.requests.map((r) => r.refused)).toEqual([undefined, undefined, undefined]);
      expect(g.requests[0]!.headers).toMatchObject({
        host: g.url.slice('http://'.length),
        'x-request-id': 'req-1',
      });
      expect(g.requests[0]!.headers.authorization).toMatch(SIGNATURE_OF);
    });

    it('answers a refusal as it came, without throwing', async () => {
      const g = await gateway({
        tamper: (r) => {
          r.body = r.body.replace('fw-02', 'fw-03');
        },
      });

      const res = await client(g).forward(
        'POST',
        '/v1/agents',
        JSON.stringify({ agentId: 'fw-02', group: 'test' }),
        {
          'content-type': 'application/json',
        },
      );

      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).message).toMatch(/does not match/);
    });

    it('refuses a path that would lead to another host', async () => {
      const g = await gateway();

      await expect(client(g).forward('GET', '//elsewhere.example/v1/agents')).rejects.toThrow(TypeError);
      await expect(client(g).forward('GET', 'v1/agents')).rejects.toThrow(TypeError);
      expect(g.requests).toEqual([]);
    });
  });
});

describe('whether and how hbw signs', () => {
  /** A fetch that records what it was asked and answers 200 {"agents": []}; no network. */
  function recordingFetch() {
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const fake = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
      return new Response('{"agents": []}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    return { calls, fake };
  }
  const credentials = async () => CREDS;
  const scopeOf = (authorization: string | undefined) =>
    /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(authorization ?? '')?.slice(1);

  it('signs an execute-api endpoint for the region in its host name, over AWS_REGION', async () => {
    const { calls, fake } = recordingFetch();
    const client = createWatcherClient({
      endpoint: 'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com',
      env: { AWS_REGION: 'us-east-1' },
      credentials,
      fetch: fake,
    });

    await client.request('GET', '/v1/agents?group=production');

    expect(client.signed).toBe(true);
    expect(calls[0]!.url).toBe(
      'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/v1/agents?group=production',
    );
    expect(scopeOf(calls[0]!.headers.authorization)).toEqual(['eu-central-1', 'execute-api']);
  });

  it('signs a custom https domain for AWS_REGION, or --region over it, keeping the path of the endpoint', async () => {
    const { calls, fake } = recordingFetch();
    const endpoint = 'https://watcher.example.com/prod';

    await createWatcherClient({
      endpoint,
      env: { AWS_REGION: 'ap-southeast-2' },
      credentials,
      fetch: fake,
    }).request('GET', '/v1/agents');
    await createWatcherClient({
      endpoint,
      env: { AWS_REGION: 'ap-southeast-2' },
      region: 'sa-east-1',
      credentials,
      fetch: fake,
    }).request('GET', '/v1/agents');

    expect(calls.map((c) => c.url)).toEqual([
      'https://watcher.example.com/prod/v1/agents',
      'https://watcher.example.com/prod/v1/agents',
    ]);
    expect(calls.map((c) => scopeOf(c.headers.authorization)?.[0])).toEqual(['ap-southeast-2', 'sa-east-1']);
  });

  it('does not sign local endpoints or plain http://, and sends HBW_ADMIN_TOKEN as bearer there', async () => {
    const { calls, fake } = recordingFetch();
    const endpoints = [
      'http://127.0.0.1:8787',
      'http://localhost:8787',
      'http://[::1]:8787',
      'https://localhost:8443',
      'http://watcher.lan:8787',
    ];

    for (const endpoint of endpoints) {
      const client = createWatcherClient({
        endpoint,
        env: { HBW_ADMIN_TOKEN: 'admin-1', AWS_REGION: REGION },
        credentials,
        fetch: fake,
      });
      expect(client.signed).toBe(false);
      await client.request('GET', '/v1/status');
    }

    expect(calls.map((c) => c.headers.authorization)).toEqual(endpoints.map(() => 'Bearer admin-1'));
    expect(calls.every((c) => !Object.keys(c.headers).some((h) => h.startsWith('x-amz-')))).toBe(true);
  });

  it('HBW_SIGN=1 signs a plain endpoint and HBW_SIGN=0 leaves an https one unsigned', () => {
    const env = { AWS_REGION: REGION };
    expect(
      createWatcherClient({ endpoint: 'http://127.0.0.1:8787', env: { ...env, HBW_SIGN: '1' }, credentials })
        .signed,
    ).toBe(true);
    expect(
      createWatcherClient({
        endpoint: 'https://a1.execute-api.eu-west-1.amazonaws.com',
        env: { ...env, HBW_SIGN: '0' },
        credentials,
      }).signed,
    ).toBe(false);
    expect(
      createWatcherClient({
        endpoint: 'https://a1.execute-api.eu-west-1.amazonaws.com',
        env: {},
        credentials,
      }).signed,
    ).toBe(true);
  });

  it('a custom domain with no region known is bad usage (exit 2) naming --region and AWS_REGION', async () => {
    const run = await hbw(['status', '--endpoint', 'https://watcher.example.com'], {
      AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
    });

    expect(run.code).toBe(2);
    expect(run.err).toContain('cannot tell which AWS region watcher.example.com is in');
    expect(run.err).toContain('--region');
    expect(run.err).toContain('AWS_REGION');
  });

  it('an HBW_SIGN it does not understand is bad usage (exit 2)', async () => {
    const run = await hbw(['status'], { HBW_SIGN: 'perhaps' });

    expect(run.code).toBe(2);
    expect(run.err).toContain('HBW_SIGN must be 1 (sign), 0 (do not sign) or auto, not "perhaps"');
  });

  it('--help of an admin command documents --sign and --region', async () => {
    const run = await hbw(['agents', 'list', '--help']);

    expect(run.code).toBe(0);
    expect(run.out).toMatch(/--sign {2,}sign requests with AWS SigV4/);
    expect(run.out).toMatch(/--region REGION {2,}the AWS region to sign for/);
  });
});

describe('explaining API Gateway refusals', () => {
  it.each([
    [
      'Signature expired: 20261123T120000Z is now earlier than 20261123T121000Z',
      true,
      /clock is more than 5 minutes off/,
    ],
    ['The security token included in the request is expired', true, /not valid or have expired; renew them/],
    [
      'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/v1/agents',
      true,
      /needs execute-api:Invoke/,
    ],
    [
      'Missing Authentication Token',
      true,
      /route it does not have, too; check that --endpoint is the stack's API URL/,
    ],
    ['Missing Authentication Token', false, /SigV4-signed requests only/],
    ['Forbidden', true, /may not call the admin API; it needs execute-api:Invoke/],
  ])('403 "%s" (signed: %s) is explained', (message, signed, explanation) => {
    expect(gatewayError(403, message, signed).message).toMatch(explanation);
  });

  it('keeps only the first line of a message, so a canonical request with a session token never shows', () => {
    const message = `The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'GET\n/v1/agents\n\nx-amz-security-token:${CREDS.sessionToken}'`;

    const error = gatewayError(403, message, true);

    expect(error.message).not.toContain(CREDS.sessionToken);
    expect(error.message).not.toContain('Canonical');
  });
});
