import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { MAX_BODY_BYTES } from '../../lambda/http/wire';
import { tempDir } from '../support/agent-helpers';
import { hbw } from '../support/run-cli';
import {
  adminHeaders,
  bearer,
  startTestWatcher,
  type TestResponse,
  type TestWatcher,
} from '../support/watcher';

const JSON_TYPE = { 'content-type': 'application/json' };

/** Asserts the error envelope of the HTTP API: exactly `code`, a message, and `field` when given. */
function expectError(res: TestResponse, status: number, code: string, field?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const error =
    field === undefined
      ? { code, message: expect.any(String) }
      : { code, message: expect.any(String), field };
  expect(res.body).toEqual({ error });
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

/** Sends `chunks` as a chunked POST (no Content-Length) with node:http, which fetch cannot be made to do. */
function postChunked(
  url: string,
  chunks: readonly string[],
  headers: Record<string, string>,
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => {
          text += part;
        });
        res.on('end', () => {
          answered = true;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: JSON.parse(text) });
        });
      },
    );
    // The server may answer 413 and close before the last chunk is written; that is not a failure.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('bad input to the local watcher over HTTP', () => {
  let w: TestWatcher;
  let dynamo: DynamoDBClient;
  let web01: string;
  let web02: string;
  let rejected: string;
  let productionKey: string;
  let testKey: string;

  beforeAll(async () => {
    w = await startTestWatcher();
    dynamo = localDynamoClient(w.dynamoConnection);
    web01 = await w.addAgent('web-01', 'production');
    web02 = await w.addAgent('web-02', 'production');
    rejected = await w.addAgent('old-01', 'test');
    await w.call('POST', '/v1/heartbeat', { agentId: 'web-01', seq: 1, cluster: 'eu-1' }, bearer(web01));
    await w.call('POST', '/v1/heartbeat', { agentId: 'web-02', seq: 1 }, bearer(web02));
    expect((await w.call('POST', '/v1/agents/old-01/reject')).status).toBe(200);
    productionKey = (await w.call('POST', '/v1/groups/production/enrollment-key')).body.key;
    testKey = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key;
  });

  afterAll(async () => {
    dynamo.destroy();
    await w.close();
  });

  // Every request below happens a second later than the one before, so a write that slipped
  // through would change lastHeartbeatAt and the before/after comparison would catch it.
  beforeEach(() => w.clock.advance(1000));

  /** Runs `act` and asserts that no stored agent was created, removed or changed by it. */
  async function withoutChange(act: () => Promise<TestResponse>): Promise<TestResponse> {
    const before = await w.storedAgents();
    const res = await act();
    expect(await w.storedAgents()).toEqual(before);
    return res;
  }

  /** The agent's item exactly as DynamoDB holds it, serialized. */
  async function rawItem(agentId: string): Promise<string> {
    const out = await dynamo.send(
      new GetItemCommand({
        TableName: LOCAL_TABLE_NAMES.agents,
        Key: { agentId: { S: agentId } },
        ConsistentRead: true,
      }),
    );
    return JSON.stringify(out.Item);
  }

  /** A heartbeat carrying web-01's own token, so that nothing but the body can be what stops it. */
  const beatAsWeb01 = (body: unknown, headers: Record<string, string> = {}) =>
    w.call('POST', '/v1/heartbeat', body, { ...bearer(web01), ...headers });

  describe('POST /v1/heartbeat bodies', () => {
    it('accepts a well-formed heartbeat with the agent token (the control for the refusals below)', async () => {
      const res = await beatAsWeb01({ agentId: 'web-01' });

      expect(res.status).toBe(200);
      expect((await w.storedAgents()).find((a) => a.agentId === 'web-01')?.lastHeartbeatAt).toBe(
        w.clock.now(),
      );
    });

    it('refuses malformed JSON with 400 invalid_json', async () => {
      const res = await withoutChange(() => beatAsWeb01('{"agentId": "web-01"', JSON_TYPE));

      expectError(res, 400, 'invalid_json');
    });

    it('refuses an empty body with 400 invalid_json', async () => {
      const res = await withoutChange(() => beatAsWeb01('', JSON_TYPE));

      expectError(res, 400, 'invalid_json');
    });

    it.each([
      ['a JSON array', '[{"agentId": "web-01"}]'],
      ['a JSON string', '"web-01"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
    ])('refuses a body that is %s with 400, naming no field', async (_case, body) => {
      const res = await withoutChange(() => beatAsWeb01(body, JSON_TYPE));

      expectError(res, 400, 'invalid_request');
    });

    it.each([
      ['that is missing', { seq: 2 }],
      ['that is empty', { agentId: '' }],
      ['of 129 characters', { agentId: 'a'.repeat(129) }],
      ['with a space', { agentId: 'web 01' }],
      ['with a non-ASCII letter', { agentId: 'wéb' }],
      ['that is a number', { agentId: 1 }],
    ])('refuses an agentId %s with 400 naming agentId', async (_case, body) => {
      const res = await withoutChange(() => beatAsWeb01(body));

      expectError(res, 400, 'invalid_request', 'agentId');
    });

    it.each([
      ['seq', '7'],
      ['sentAt', 1_795_435_200_000],
      ['cluster', 5],
      ['sentAt', '2026-02-30T12:00:00Z'],
      ['seq', -1],
    ])('refuses a heartbeat whose %s is %j with 400 naming it', async (field, value) => {
      const res = await withoutChange(() => beatAsWeb01({ agentId: 'web-01', [field]: value }));

      expectError(res, 400, 'invalid_request', field);
    });

    it.each([
      [{ backInSeconds: 0 }, 'goodbye.backInSeconds'],
      [{ backInSeconds: -60 }, 'goodbye.backInSeconds'],
      [{ backInSeconds: 1.5 }, 'goodbye.backInSeconds'],
      [{ backInSeconds: 604_801 }, 'goodbye.backInSeconds'],
      [{ backInSeconds: '600' }, 'goodbye.backInSeconds'],
      [{ reason: 'kernel update' }, 'goodbye.backInSeconds'],
      [{ backInSeconds: 600, until: '2026-12-01T12:00:00Z' }, 'goodbye.until'],
      [600, 'goodbye'],
    ])('refuses the goodbye %j with 400 naming %s, and changes nothing', async (goodbye, field) => {
      const res = await withoutChange(() => beatAsWeb01({ agentId: 'web-01', seq: 2, goodbye }));

      expectError(res, 400, 'invalid_request', field);
    });

    it('validates the body before it looks at the token: a bad body without a token is a 400', async () => {
      const res = await withoutChange(() => w.call('POST', '/v1/heartbeat', { agentId: 'web 01' }));

      expectError(res, 400, 'invalid_request', 'agentId');
    });
  });

  describe('POST /v1/heartbeat body size', () => {
    /** web-01's heartbeat padded with whitespace to exactly `bytes` bytes: valid JSON of any size. */
    const padded = (bytes: number) => {
      const json = '{"agentId": "web-01"}';
      return json + ' '.repeat(bytes - json.length);
    };

    it('accepts a body of exactly 8 KiB', async () => {
      const res = await beatAsWeb01(padded(MAX_BODY_BYTES), JSON_TYPE);

      expect(MAX_BODY_BYTES).toBe(8192);
      expect(res.status).toBe(200);
    });

    it('refuses a body one byte over 8 KiB with 413 body_too_large', async () => {
      const res = await withoutChange(() => beatAsWeb01(padded(MAX_BODY_BYTES + 1), JSON_TYPE));

      expectError(res, 413, 'body_too_large');
    });

    it('reads a chunked body without Content-Length under the limit', async () => {
      const res = await postChunked(`${w.url}/v1/heartbeat`, ['{"agentId":', ' "web-01"}'], {
        ...JSON_TYPE,
        ...bearer(web01),
      });

      expect(res.status).toBe(200);
      expect(res.body.agentId).toBe('web-01');
    });

    it('refuses a chunked body over 8 KiB without Content-Length with 413 body_too_large', async () => {
      const chunks = [padded(MAX_BODY_BYTES - 1000), ' '.repeat(1000), ' '];

      const res = await withoutChange(() =>
        postChunked(`${w.url}/v1/heartbeat`, chunks, { ...JSON_TYPE, ...bearer(web01) }),
      );

      expectError(res, 413, 'body_too_large');
    });
  });

  describe('POST /v1/heartbeat content types', () => {
    it.each(['text/plain', 'application/xml', 'text/plain; charset=utf-8', 'multipart/form-data'])(
      'refuses a body sent as %s with 415 unsupported_media_type',
      async (type) => {
        const res = await withoutChange(() => beatAsWeb01({ agentId: 'web-01' }, { 'content-type': type }));

        expectError(res, 415, 'unsupported_media_type');
      },
    );

    it('accepts JSON sent as curl -d sends it (application/x-www-form-urlencoded), as the README shows', async () => {
      const res = await beatAsWeb01('{"agentId":"web-01"}', {
        'content-type': 'application/x-www-form-urlencoded',
      });

      expect(res.status).toBe(200);
      expect((await w.storedAgents()).find((a) => a.agentId === 'web-01')?.lastHeartbeatAt).toBe(
        w.clock.now(),
      );
    });

    it.each(['application/json; charset=utf-8', 'application/vnd.hbw+json'])('accepts %s', async (type) => {
      const res = await beatAsWeb01('{"agentId":"web-01"}', { 'content-type': type });

      expect(res.status).toBe(200);
    });

    it('reads a body that names no Content-Type as JSON', async () => {
      const res = await beatAsWeb01(new TextEncoder().encode('{"agentId":"web-01"}'));

      expect(res.status).toBe(200);
    });
  });

  describe('POST /v1/heartbeat tokens', () => {
    it('refuses a heartbeat without a token with 401 and WWW-Authenticate: Bearer', async () => {
      const res = await withoutChange(() => w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }));

      expectError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });

    it.each([
      ['a wrong token', `Bearer hbw_${'A'.repeat(43)}`],
      ['a bearer word with no token', 'Bearer'],
      ['basic credentials', `Basic ${Buffer.from('web-01:secret').toString('base64')}`],
    ])('refuses %s with 401', async (_case, authorization) => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, { authorization }),
      );

      expectError(res, 401, 'unauthorized');
    });

    it("refuses web-02's valid token claiming web-01 with 401 and leaves both items untouched, byte for byte", async () => {
      const before = [await rawItem('web-01'), await rawItem('web-02')];

      const res = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01', seq: 99 }, bearer(web02));

      expectError(res, 401, 'unauthorized');
      expect([await rawItem('web-01'), await rawItem('web-02')]).toEqual(before);
    });

    it('refuses a token for an agentId that does not exist with 401', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/heartbeat', { agentId: 'ghost-01' }, bearer(web01)),
      );

      expectError(res, 401, 'unauthorized');
    });

    it('refuses a rejected agent with its own token with 403 forbidden', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/heartbeat', { agentId: 'old-01' }, bearer(rejected)),
      );

      expectError(res, 403, 'forbidden');
    });
  });

  describe('unknown groups and taken ids', () => {
    it('refuses POST /v1/agents into an unknown group with 400 unknown_group naming group', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/agents', { agentId: 'new-01', group: 'staging' }),
      );

      expectError(res, 400, 'unknown_group', 'group');
    });

    it('refuses POST /v1/register into an unknown group with 401, without a key or with another group’s, and names no configured group', async () => {
      for (const headers of [{}, bearer(productionKey), bearer('hbwk_made-up')]) {
        const res = await withoutChange(() =>
          w.call('POST', '/v1/register', { agentId: 'new-01', group: 'staging' }, headers),
        );

        expectError(res, 401, 'unauthorized');
        expect(JSON.stringify(res.body)).not.toMatch(/production|lab|configured/);
      }
    });

    it('refuses to register an agentId that is taken with 409 conflict, leaving its item untouched', async () => {
      const before = await rawItem('web-01');

      const res = await withoutChange(() =>
        w.call('POST', '/v1/register', { agentId: 'web-01', group: 'production' }, bearer(productionKey)),
      );

      expectError(res, 409, 'conflict', 'agentId');
      expect(await rawItem('web-01')).toBe(before);
    });

    it('refuses to add an agentId that is taken with 409 conflict', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/agents', { agentId: 'web-02', group: 'test' }),
      );

      expectError(res, 409, 'conflict', 'agentId');
    });
  });

  describe('unknown fields', () => {
    it.each([
      [
        'POST',
        '/v1/agents',
        { agentId: 'new-02', group: 'production', agentles: true },
        'agentles',
        'agentless',
      ],
      [
        'PUT',
        '/v1/agents/web-01/maintenance',
        { until: '2026-11-23T18:00:00Z', reasn: 'x' },
        'reasn',
        'reason',
      ],
      ['POST', '/v1/alerts/heartbeat_failure.1795422524408.web-01/ack', { nte: 'rebooting' }, 'nte', 'note'],
    ])(
      'refuses %s %s with an unknown field: 400 naming it and the closest known name',
      async (method, path, body, field, known) => {
        const res = await withoutChange(() => w.call(method, path, body));

        expectError(res, 400, 'invalid_request', field);
        expect(res.body.error.message).toBe(`${field}: unknown field (did you mean ${known}?)`);
      },
    );

    it('refuses a registration with an unknown field before it looks at the key', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/register', { agentId: 'new-02', group: 'production', clustr: 'web' }),
      );

      expectError(res, 400, 'invalid_request', 'clustr');
      expect(res.body.error.message).toBe('clustr: unknown field (did you mean cluster?)');
    });

    it('accepts a heartbeat with a field it does not know (a newer agent is not refused)', async () => {
      const res = await beatAsWeb01({ agentId: 'web-01', uptimeSeconds: 86_400 });

      expect(res.status).toBe(200);
    });

    it('names the typo of a heartbeat that lacks agentId, keeping agentId as the one field', async () => {
      const res = await withoutChange(() => beatAsWeb01({ agentID: 'web-01' }));

      expectError(res, 400, 'invalid_request', 'agentId');
      expect(res.body.error.message).toBe(
        'agentId: is required; agentID: unknown field (did you mean agentId?)',
      );
    });

    it('lists every problem of a body in the message and names the first field', async () => {
      const res = await withoutChange(() => beatAsWeb01({ agentId: 'web 01', seq: -1 }));

      expectError(res, 400, 'invalid_request', 'agentId');
      expect(res.body.error.message).toBe(
        'agentId: may contain only A-Z a-z 0-9 . _ : -; seq: must not be negative',
      );
    });
  });

  describe('topology: PATCH /v1/agents/{agentId}, parent on POST /v1/agents, removing a parent', () => {
    beforeAll(async () => {
      // sw-02 sits behind web-01, so web-01 behind sw-02 would be a loop; sw-03 is watched by its probe alone.
      const probe = { type: 'tcp', host: '10.0.0.2', port: 22 };
      for (const body of [
        { agentId: 'sw-02', group: 'production', agentless: true, probe, parent: 'web-01' },
        { agentId: 'sw-03', group: 'production', agentless: true, probe },
      ]) {
        expect((await w.call('POST', '/v1/agents', body)).status).toBe(201);
      }
    });

    const patch = (agentId: string, body: unknown, headers: Record<string, string> = {}) =>
      w.call('PATCH', `/v1/agents/${agentId}`, body, headers);

    it('changes web-02 in place and answers its view (the control for the refusals below)', async () => {
      const res = await patch('web-02', { cluster: 'eu-2' });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ agentId: 'web-02', group: 'production', cluster: 'eu-2', seq: 1 });
      expect((await patch('web-02', { cluster: null })).body.cluster).toBeUndefined();
    });

    it.each([
      ['an unknown field', { grop: 'test' }, 'grop'],
      ['a known field next to an unknown one', { group: 'test', token: 'hbw_x' }, 'token'],
      ['a group of null', { group: null }, 'group'],
      ['a cluster that is a number', { cluster: 5 }, 'cluster'],
      ['a parent with a space', { parent: 'sw 02' }, 'parent'],
      ['a probe of another type', { probe: { type: 'ftp', host: 'x' } }, 'probe.type'],
      ['a tcp probe without a port', { probe: { type: 'tcp', host: 'x' } }, 'probe.port'],
      ['an ec2 probe of a name', { probe: { type: 'ec2', instanceId: 'web-01' } }, 'probe.instanceId'],
    ])('refuses a PATCH with %s with 400 naming it', async (_case, body, field) => {
      const res = await withoutChange(() => patch('web-01', body));

      expectError(res, 400, 'invalid_request', field);
    });

    it('refuses a PATCH naming nothing to change with 400, listing the fields it takes', async () => {
      const res = await withoutChange(() => patch('web-01', {}));

      expectError(res, 400, 'invalid_request');
      expect(res.body.error.message).toContain('group, cluster, parent, probe');
    });

    it.each([
      ['an empty body', 'invalid_json', ''],
      ['malformed JSON', 'invalid_json', '{"group": '],
      ['a JSON array', 'invalid_request', '[{"group": "test"}]'],
    ])('refuses a PATCH with %s with 400 %s', async (_case, code, body) => {
      const res = await withoutChange(() => patch('web-01', body, JSON_TYPE));

      expectError(res, 400, code);
    });

    it('refuses a PATCH body over 8 KiB with 413', async () => {
      const res = await withoutChange(() =>
        patch('web-01', { group: 'test', pad: 'x'.repeat(MAX_BODY_BYTES) }),
      );

      expectError(res, 413, 'body_too_large');
    });

    it('refuses a PATCH into an unknown group with 400 unknown_group naming group, as POST /v1/agents does', async () => {
      const res = await withoutChange(() => patch('web-01', { group: 'staging' }));

      expectError(res, 400, 'unknown_group', 'group');
      expect(res.body.error.message).toBe(
        (await w.call('POST', '/v1/agents', { agentId: 'new-09', group: 'staging' })).body.error.message,
      );
    });

    it('answers a PATCH of an unknown agent with 404, creating nothing', async () => {
      const res = await withoutChange(() => patch('ghost-01', { group: 'test' }));

      expectError(res, 404, 'not_found');
    });

    it.each([
      ['an unknown agent', 'ghost-01', 'parent: no agent ghost-01'],
      ['the agent itself', 'web-01', 'web-01 -> web-01'],
      ['one that sits behind it', 'sw-02', 'web-01 -> sw-02 -> web-01'],
    ])('refuses a parent that is %s with 400 naming parent', async (_case, parent, shown) => {
      const res = await withoutChange(() => patch('web-01', { parent, group: 'test' }));

      expectError(res, 400, 'invalid_request', 'parent');
      expect(res.body.error.message).toContain(shown);
    });

    it.each([
      ['i- and 9 hex digits', { type: 'ec2', instanceId: 'i-0abc12345' }],
      ['a managed node id, which only ssm takes', { type: 'ec2', instanceId: 'mi-0abc1234def567890' }],
      ['mi- and 8 hex digits', { type: 'ssm', instanceId: 'mi-0abc1234' }],
    ])(
      'refuses POST /v1/agents with an instance id of %s with 400 naming probe.instanceId',
      async (_case, probe) => {
        const res = await withoutChange(() =>
          w.call('POST', '/v1/agents', { agentId: 'new-04', group: 'production', probe }),
        );

        expectError(res, 400, 'invalid_request', 'probe.instanceId');
      },
    );

    it.each([
      ['an unknown agent', { agentId: 'new-03', parent: 'ghost-01' }, 'parent: no agent ghost-01'],
      ['the agent itself', { agentId: 'new-03', parent: 'new-03' }, 'new-03 -> new-03'],
      ['an id with a space', { agentId: 'new-03', parent: 'sw 02' }, 'parent:'],
    ])(
      'refuses POST /v1/agents with a parent that is %s with 400 naming parent',
      async (_case, body, shown) => {
        const res = await withoutChange(() => w.call('POST', '/v1/agents', { group: 'production', ...body }));

        expectError(res, 400, 'invalid_request', 'parent');
        expect(res.body.error.message).toContain(shown);
      },
    );

    it('refuses to clear the probe of an agentless entry with 400 naming probe', async () => {
      const res = await withoutChange(() => patch('sw-03', { probe: null }));

      expectError(res, 400, 'invalid_request', 'probe');
    });

    it('refuses to remove a parent with 409 has_children, naming its children', async () => {
      const res = await withoutChange(() => w.call('DELETE', '/v1/agents/web-01'));

      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        error: { code: 'has_children', message: expect.stringContaining('sw-02'), children: ['sw-02'] },
      });
    });

    it.each(['yes', '1', 'TRUE'])('refuses DELETE with force=%s with 400 naming force', async (force) => {
      const res = await withoutChange(() => w.call('DELETE', `/v1/agents/web-01?force=${force}`));

      expectError(res, 400, 'invalid_request', 'force');
    });
  });

  describe('POST /v1/register enrollment keys', () => {
    const body = { agentId: 'new-01', group: 'production' };

    it('refuses a registration without a key with 401', async () => {
      const res = await withoutChange(() => w.call('POST', '/v1/register', body));

      expectError(res, 401, 'unauthorized');
    });

    it('refuses the enrollment key of another group with 401', async () => {
      const res = await withoutChange(() => w.call('POST', '/v1/register', body, bearer(testKey)));

      expectError(res, 401, 'unauthorized');
    });

    it('refuses an agent token used as an enrollment key with 401', async () => {
      const res = await withoutChange(() => w.call('POST', '/v1/register', body, bearer(web01)));

      expectError(res, 401, 'unauthorized');
    });

    it('validates the body before the key: a bad agentId without a key is a 400 naming agentId', async () => {
      const res = await withoutChange(() =>
        w.call('POST', '/v1/register', { agentId: 'new 01', group: 'production' }),
      );

      expectError(res, 400, 'invalid_request', 'agentId');
    });

    it("registers with the group's own key (the control for the refusals above)", async () => {
      const res = await w.call('POST', '/v1/register', { agentId: 'new-02', group: 'test' }, bearer(testKey));

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        agentId: 'new-02',
        token: expect.stringMatching(/^hbw_/),
        approval: 'pending',
      });
    });
  });

  describe('GET /v1/audit query parameters', () => {
    it('answers a page of the trail for a good since and limit (the control for the refusals below)', async () => {
      const res = await w.call('GET', '/v1/audit?since=2026-01-01T00:00:00Z&limit=2');

      expect(res.status).toBe(200);
      expect(res.body.entries).toHaveLength(2);
    });

    it.each([
      ['since', 'yesterday', 'must be an RFC 3339 time such as 2026-01-31T12:00:00Z'],
      ['since', '2026-02-30T00:00:00Z', 'must be a real date and time'],
      ['limit', '0', 'must be a whole number from 1 to 1000'],
      ['limit', '1001', 'must be a whole number from 1 to 1000'],
      ['limit', 'ten', 'must be a whole number from 1 to 1000'],
    ])('refuses %s=%s with 400 naming the field', async (field, value, says) => {
      const res = await w.call('GET', `/v1/audit?${field}=${encodeURIComponent(value)}`);

      expectError(res, 400, 'invalid_request', field);
      expect(res.body.error.message).toContain(says);
    });
  });

  describe('routes and methods', () => {
    it.each([
      ['GET', '/v1/nope'],
      ['POST', '/v2/heartbeat'],
      ['GET', '/v1/agents/web-01/history'],
      ['POST', '/v1/heartbeat/extra'],
      ['GET', '/v1/agents/ghost-01'],
    ])('answers %s %s with 404 not_found', async (method, path) => {
      const res = await withoutChange(() => w.call(method, path));

      expectError(res, 404, 'not_found');
    });

    it.each([
      ['GET', '/v1/heartbeat', 'POST'],
      ['PUT', '/v1/heartbeats', 'POST'],
      ['DELETE', '/v1/register', 'POST'],
      ['POST', '/v1/status', 'GET'],
      ['PATCH', '/v1/agents', 'GET, POST'],
      ['PUT', '/v1/agents/web-01', 'GET, PATCH, DELETE'],
      ['GET', '/v1/agents/web-01/approve', 'POST'],
      ['POST', '/v1/agents/web-01/maintenance', 'PUT, DELETE'],
      ['GET', '/v1/groups/production/enrollment-key', 'POST'],
    ])('answers %s %s with 405 method_not_allowed and Allow: %s', async (method, path, allow) => {
      const body = method === 'GET' ? undefined : { agentId: 'web-01' };

      const res = await withoutChange(() => w.call(method, path, body, bearer(web01)));

      expectError(res, 405, 'method_not_allowed');
      expect(res.headers.get('allow')).toBe(allow);
    });
  });
});

describe('the admin token of the local watcher', () => {
  const ADMIN = 'x';
  let w: TestWatcher;
  let web01: string;

  beforeAll(async () => {
    w = await startTestWatcher({ adminToken: ADMIN });
    web01 = await w.addAgent('web-01', 'production');
    // GET /v1/status answers the counts of the last scan.
    await w.scanner.scan();
  });
  afterAll(() => w.close());
  beforeEach(() => w.clock.advance(1000));

  // The headers are made when the test runs: the agent's token is known after beforeAll.
  it.each([
    ['no Authorization', () => ({})],
    ['a wrong token', () => bearer('y')],
    ['the token with the wrong scheme', () => ({ authorization: `Basic ${ADMIN}` })],
    ["an agent's token", () => bearer(web01)],
  ])('refuses GET /v1/status with %s with 401', async (_case, headers) => {
    const res = await w.call('GET', '/v1/status', undefined, headers());

    expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('records the changes it lets through as made by admin-token in the audit trail', async () => {
    // web-01 was added in beforeAll, through the token.
    const res = await w.call('GET', '/v1/audit?target=agent:web-01', undefined, adminHeaders(ADMIN));

    expect(res.status).toBe(200);
    expect(res.body.entries).toEqual([
      expect.objectContaining({
        action: 'add',
        target: 'agent:web-01',
        by: 'admin-token',
        sourceIp: '127.0.0.1',
      }),
    ]);
  });

  it('answers GET /v1/status with the admin token', async () => {
    const res = await w.call('GET', '/v1/status', undefined, adminHeaders(ADMIN));

    expect(res.status).toBe(200);
    expect(res.body.agents).toBe(1);
  });

  it('adds no agent for POST /v1/agents without the admin token', async () => {
    const before = await w.storedAgents();

    const res = await w.call('POST', '/v1/agents', { agentId: 'web-02', group: 'production' }, bearer('y'));

    expectError(res, 401, 'unauthorized');
    expect(await w.storedAgents()).toEqual(before);
  });

  it('removes no agent for DELETE /v1/agents/{id} without the admin token', async () => {
    const res = await w.call('DELETE', '/v1/agents/web-01');

    expectError(res, 401, 'unauthorized');
    expect((await w.storedAgents()).map((a) => a.agentId)).toEqual(['web-01']);
  });

  it('takes heartbeats with the agent token alone', async () => {
    const res = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(web01));

    expect(res.status).toBe(200);
    expect((await w.storedAgents())[0]?.lastHeartbeatAt).toBe(w.clock.now());
  });

  it('does not take the admin token as an agent token', async () => {
    const res = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(ADMIN));

    expectError(res, 401, 'unauthorized');
  });

  it('takes registrations with the enrollment key alone', async () => {
    const key = (await w.call('POST', '/v1/groups/test/enrollment-key', undefined, adminHeaders(ADMIN))).body
      .key;

    const res = await w.call('POST', '/v1/register', { agentId: 'lab-01', group: 'test' }, bearer(key));

    expect(res.status).toBe(201);
    expect(res.body.approval).toBe('pending');
  });
});

describe('a bad webhook in the config file', () => {
  const dir = tempDir('hbw-bad-hooks-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A config file whose production group posts to `webhook` alone. */
  function configWith(name: string, webhook: Record<string, unknown>): string {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({ groups: { production: { channels: ['webhook'], webhooks: [webhook] } } }),
    );
    return file;
  }

  it.each([
    [
      'a plain http URL to a host that is not loopback',
      { name: 'ours', format: 'json', url: 'http://hooks.example.com/hbw' },
      'groups.production.webhooks[0].url: must be an https URL (http only to a loopback receiver, in local mode)',
    ],
    [
      'an unknown format',
      { name: 'ours', format: 'xml', url: 'https://hooks.example.com/hbw' },
      'groups.production.webhooks[0].format: must be one of json, slack, teams, pagerduty, opsgenie',
    ],
    [
      'a secret written inline',
      { name: 'oncall', format: 'pagerduty', secretName: 'HBW_PD_KEY', routingKey: 'R0UT1NGKEY' },
      'groups.production.webhooks[0].routingKey: a secret is never written in the config: store it where secretName names it',
    ],
  ])(
    'refuses %s, naming the field, in hbw config check and at the start of hbw local',
    async (name, webhook, says) => {
      const file = configWith(name.replaceAll(' ', '-'), webhook);
      const dataDir = join(dir, `data-${name.replaceAll(' ', '-')}`);

      const check = await hbw(['config', 'check', file]);
      const local = await hbw(['local', '--port', '0', '--config', file, '--data-dir', dataDir]);

      expect(check.code).toBe(1);
      expect(check.err).toContain(says);
      expect(local.code).toBe(1);
      expect(local.err).toContain(says);
      expect(local.out).not.toContain('listening');
      expect(existsSync(dataDir)).toBe(false);
    },
  );
});
