import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { addMetricsRoute, WatcherMetrics } from '../../cli/metrics';
import { ADMIN_API_ROUTES, API_ROUTES, OPEN_PATHS } from '../../lambda/api/contract';
import { openApiDocument, openApiText } from '../../lambda/api/openapi';
import { LOCAL_CALLER } from '../../lambda/domain/audit';
import { createApp } from '../../lambda/http/app';
import type { WatcherService } from '../../lambda/service';
import { contractChecker } from '../support/contract-check';

const DOCUMENT_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

/**
 * The routes as local mode serves them, `GET /metrics` with them. Registering the routes calls nothing
 * on the service; the document's route needs none of it.
 */
const app = (adminToken?: string) => {
  const service = { log: { error: () => {} } } as unknown as WatcherService;
  const access = { token: adminToken, caller: () => LOCAL_CALLER };
  return createApp(service, access, (door) => addMetricsRoute(door, new WatcherMetrics(service), access));
};

describe('docs/openapi.json', () => {
  it('is exactly what the contract generates (regenerate with npm run openapi)', () => {
    expect(readFileSync(DOCUMENT_FILE, 'utf8')).toBe(openApiText());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(openApiDocument()) as never);

    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.valid).toBe(true);
    expect(openApiDocument()).toMatchObject({ openapi: '3.1.0' });
  });

  it('describes every route the watcher serves, and no other', () => {
    const served = app()
      .routes.filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:([^/]+)/g, '{$1}')}`)
      .sort();

    expect(Object.keys(API_ROUTES).sort()).toEqual(served);
    const documented = Object.entries((openApiDocument() as { paths: Record<string, object> }).paths).flatMap(
      ([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(served);
  });

  it("describes API Gateway's own answers in the cloud: 429 on every route it serves, and the gateway's 403 beside ours", () => {
    // biome-ignore lint/suspicious/noExplicitAny: the document as JSON
    const doc = openApiDocument() as any;
    for (const [key, route] of Object.entries(API_ROUTES)) {
      const [method, path] = key.split(' ') as [string, string];
      const throttled = doc.paths[path][method.toLowerCase()].responses['429'];
      expect([key, throttled]).toEqual([
        key,
        'localOnly' in route ? undefined : { $ref: '#/components/responses/Throttled429' },
      ]);
    }
    expect(doc.components.responses.Throttled429.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/GatewayMessage',
    });
    expect(doc.components.responses.Error403.content['application/json'].schema.anyOf).toEqual([
      { $ref: '#/components/schemas/ErrorAnswer' },
      { $ref: '#/components/schemas/GatewayMessage' },
    ]);
  });

  it('puts the document among the open routes, and keeps it out of the admin routes', () => {
    expect(OPEN_PATHS).toContain('/v1/openapi.json');
    expect(ADMIN_API_ROUTES.map(([, path]) => path)).not.toContain('/v1/openapi.json');
    expect(ADMIN_API_ROUTES).toContainEqual(['PATCH', '/v1/agents/*']);
  });

  it('describes GET /metrics as an admin route of local mode: text, the admin token, no IAM grant', () => {
    const metrics = (openApiDocument() as { paths: Record<string, Record<string, object>> }).paths[
      '/metrics'
    ];

    expect(metrics?.get).toMatchObject({
      tags: ['admin'],
      security: [{ adminToken: [] }],
      responses: {
        200: { content: { 'text/plain': { schema: { type: 'string' } } } },
        401: { $ref: '#/components/responses/Error401' },
        403: { $ref: '#/components/responses/Error403' },
      },
    });
    expect(OPEN_PATHS).not.toContain('/metrics');
    expect(ADMIN_API_ROUTES.map(([, path]) => path)).not.toContain('/metrics');
  });
});

describe('the contract module', () => {
  it('writes every answer schema: no rule module defines one of its own', () => {
    const domain = join(__dirname, '..', '..', 'lambda', 'domain');
    const defined = readdirSync(domain).flatMap((file) =>
      [
        ...readFileSync(join(domain, file), 'utf8').matchAll(/^export const (\w+(?:Answer|View)Schema)\b/gm),
      ].map((m) => `${file}: ${m[1]}`),
    );
    // The prober function's answer to a scanner is not an answer of the HTTP API.
    expect(defined).toEqual(['probe-batch.ts: probeBatchAnswerSchema']);
  });
});

describe('GET /v1/openapi.json', () => {
  it('serves the committed document without the admin token, even where admin routes need one', async () => {
    const res = await app('s3cret-admin-token').request('http://127.0.0.1/v1/openapi.json');

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')));
    expect(text).not.toContain('s3cret-admin-token');
  });

  it('answers 405 to another method', async () => {
    const res = await app().request('http://127.0.0.1/v1/openapi.json', { method: 'POST' });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});

describe('the contract check the e2e suites make of every answer', () => {
  const check = contractChecker();
  const agent = {
    agentId: 'web-01',
    group: 'production',
    approval: 'approved',
    state: 'healthy',
    missedScans: 0,
    clockSkewWarning: false,
    createdAt: '2026-11-23T12:00:00.000Z',
    restarts: 0,
    heartbeatIntervalSeconds: 30,
  };
  const json = 'application/json; charset=UTF-8';

  it('passes an answer that matches its route and status', () => {
    expect(check.problem('GET', '/v1/agents/web-01', 200, json, agent)).toBeUndefined();
    expect(check.problem('GET', '/v1/agents?limit=2', 200, json, { agents: [agent] })).toBeUndefined();
    expect(
      check.problem('GET', '/v1/agents/nope', 404, json, {
        error: { code: 'not_found', message: 'no agent nope' },
      }),
    ).toBeUndefined();
    expect(check.problem('DELETE', '/v1/agents/web-01', 204, '', undefined)).toBeUndefined();
  });

  it('fails a field the contract does not name, a missing one, and one of the wrong type', () => {
    expect(check.problem('GET', '/v1/agents/web-01', 200, json, { ...agent, tokenHash: 'ab' })).toMatch(
      /tokenHash/,
    );
    const { createdAt: _, ...withoutCreatedAt } = agent;
    expect(check.problem('GET', '/v1/agents/web-01', 200, json, withoutCreatedAt)).toMatch(/createdAt/);
    expect(check.problem('GET', '/v1/agents/web-01', 200, json, { ...agent, missedScans: '0' })).toMatch(
      /\/missedScans must be integer/,
    );
  });

  it('fails a status the route does not list, and an error answer that is not the error shape', () => {
    expect(check.problem('GET', '/v1/status', 409, json, { error: { code: 'x', message: 'y' } })).toMatch(
      /does not list/,
    );
    expect(check.problem('GET', '/v1/agents/web-01', 404, json, { message: 'Not Found' })).toMatch(
      /does not match/,
    );
    expect(check.problem('GET', '/v1/install.sh', 200, json, {})).toMatch(/not text\/x-shellscript/);
  });

  it("fails API Gateway's own answer from a server of ours, though the document allows it in the cloud", () => {
    expect(check.problem('GET', '/v1/status', 403, json, { message: 'Forbidden' })).toMatch(/does not match/);
    expect(check.problem('GET', '/v1/status', 429, json, { message: 'Too Many Requests' })).toMatch(
      /does not match/,
    );
    expect(
      check.problem('GET', '/v1/status', 403, json, { error: { code: 'forbidden', message: 'cross-site' } }),
    ).toBeUndefined();
  });

  it('takes only a 404 for a path the contract does not have, and only a 405 for a method a route does not take', () => {
    const error = { error: { code: 'not_found', message: 'no route' } };

    expect(check.problem('GET', '/v1/nope', 404, json, error)).toBeUndefined();
    expect(check.problem('GET', '/nope', 404, json, error)).toBeUndefined();
    expect(check.problem('PUT', '/v1/status', 405, json, error)).toBeUndefined();
    expect(check.problem('GET', '/v1/nope', 200, json, {})).toBe(
      'GET /v1/nope answered 200, but the contract has no route /v1/nope',
    );
    expect(check.problem('PUT', '/v1/status', 200, json, {})).toBe(
      'PUT /v1/status answered 200, but the contract has no PUT /v1/status',
    );
    expect(check.problem('GET', '/v1/nope', 404, 'text/plain', 'Not Found')).toMatch(
      /not the JSON error answer/,
    );
  });

  it("holds a relay to POST /v1/heartbeat alone: its own answer on success, the watcher's statuses, 404 elsewhere", () => {
    const relayed = {
      agentId: 'web-01',
      state: 'relayed',
      heartbeatIntervalSeconds: 1,
      serverTime: '2026-11-23T12:00:00.000Z',
    };
    const refused = { error: { code: 'unauthorized', message: 'no token' } };

    expect(check.problem('POST', '/v1/heartbeat', 202, json, relayed, 'relay')).toBeUndefined();
    expect(check.problem('POST', '/v1/heartbeat', 401, json, refused, 'relay')).toBeUndefined();
    expect(check.problem('GET', '/v1/status', 404, json, refused, 'relay')).toBeUndefined();
    expect(check.problem('GET', '/v1/heartbeat', 405, json, refused, 'relay')).toBeUndefined();
    // The watcher's own answer is not a relay's: a relay tells no scan interval.
    expect(
      check.problem(
        'POST',
        '/v1/heartbeat',
        200,
        json,
        { ...relayed, state: 'healthy', scanIntervalSeconds: 30 },
        'relay',
      ),
    ).toMatch(
      /^the relay: POST \/v1\/heartbeat answered 200, which does not match .*\(scanIntervalSeconds\)/,
    );
    expect(check.problem('POST', '/v1/heartbeat', 409, json, refused, 'relay')).toMatch(/does not list/);
    expect(check.problem('GET', '/v1/status', 200, json, {}, 'relay')).toBe(
      'the relay: GET /v1/status answered 200, but it answers 404 there: it takes POST /v1/heartbeat alone',
    );
  });

  it("holds the ingest function to the heartbeat routes, answered as the watcher's, and 404 elsewhere", () => {
    const refused = { error: { code: 'not_found', message: 'no route GET /v1/agents' } };

    expect(check.problem('GET', '/v1/agents', 404, json, refused, 'ingest function')).toBeUndefined();
    expect(check.problem('GET', '/v1/heartbeat', 405, json, refused, 'ingest function')).toBeUndefined();
    expect(
      check.problem('POST', '/v1/heartbeats', 200, json, { results: [] }, 'ingest function'),
    ).toBeUndefined();
    expect(
      check.problem('POST', '/v1/heartbeat', 200, json, { agentId: 'web-01' }, 'ingest function'),
    ).toMatch(/^the ingest function: POST \/v1\/heartbeat answered 200, which does not match .*'state'/);
    expect(check.problem('GET', '/v1/agents', 200, json, { agents: [] }, 'ingest function')).toBe(
      'the ingest function: GET /v1/agents answered 200, but it answers 404 there: it takes POST /v1/heartbeat and /v1/heartbeats alone',
    );
  });

  it("holds the register function to the enrollment, answered as the watcher's, and 404 elsewhere", () => {
    const refused = { error: { code: 'not_found', message: 'no route GET /v1/install.sh' } };
    const enrolled = { agentId: 'web-01', token: `hbw_${'a'.repeat(43)}`, approval: 'pending' };

    expect(check.problem('GET', '/v1/install.sh', 404, json, refused, 'register function')).toBeUndefined();
    expect(check.problem('GET', '/v1/register', 405, json, refused, 'register function')).toBeUndefined();
    expect(check.problem('POST', '/v1/register', 201, json, enrolled, 'register function')).toBeUndefined();
    expect(
      check.problem('POST', '/v1/register', 201, json, { agentId: 'web-01' }, 'register function'),
    ).toMatch(/^the register function: POST \/v1\/register answered 201, which does not match .*'token'/);
    expect(
      check.problem('GET', '/v1/install.sh', 200, 'text/x-shellscript', '#!/bin/sh', 'register function'),
    ).toBe(
      'the register function: GET /v1/install.sh answered 200, but it answers 404 there: it takes POST /v1/register alone',
    );
  });

  it("holds the console proxy to the watcher's answers it passes on, and to the error answer for its own refusals", () => {
    const refusal = { error: { code: 'method_not_allowed', message: 'DELETE is not forwarded here' } };

    expect(check.problem('GET', '/v1/agents/web-01', 200, json, agent, 'console proxy')).toBeUndefined();
    expect(check.problem('DELETE', '/v1/agents/web-01', 405, json, refusal, 'console proxy')).toBeUndefined();
    expect(check.problem('GET', '/v1/status', 502, json, refusal, 'console proxy')).toBeUndefined();
    expect(check.problem('DELETE', '/v1/agents/web-01', 405, 'text/plain', 'no', 'console proxy')).toMatch(
      /not the JSON error answer/,
    );
    expect(
      check.problem('GET', '/v1/agents/web-01', 200, json, { ...agent, tokenHash: 'ab' }, 'console proxy'),
    ).toMatch(
      /^the console proxy: GET \/v1\/agents\/web-01 answered 200, which does not match .*\(tokenHash\)/,
    );
    expect(check.problem('GET', '/v1/status', 409, json, refusal, 'console proxy')).toMatch(/does not list/);
  });

  it("checks GET /metrics as text, a HEAD's status as its GET's, and leaves the console's page alone", () => {
    const prometheus = 'text/plain; version=0.0.4; charset=utf-8';

    expect(check.problem('GET', '/metrics', 200, prometheus, 'hbw_agents 1\n')).toBeUndefined();
    expect(check.problem('GET', '/metrics', 200, json, {})).toMatch(/not text\/plain/);
    expect(check.problem('HEAD', '/v1/status', 200, json, undefined)).toBeUndefined();
    expect(check.problem('HEAD', '/v1/status', 409, json, undefined)).toMatch(/does not list/);
    expect(check.problem('GET', '/', 200, 'text/html; charset=utf-8', '<!doctype html>')).toBeUndefined();
    expect(check.problem('POST', '/', 200, 'text/html; charset=utf-8', '<!doctype html>')).toMatch(
      /has no route \//,
    );
  });
});
