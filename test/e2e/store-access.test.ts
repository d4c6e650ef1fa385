import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import http from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { hashSecret } from '../../lambda/domain/secrets';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/** Where something listens: a TCP port on this machine or a Unix socket path. */
type Listener = { readonly port: number } | { readonly socketPath: string };

/** The inodes of the sockets this process holds open. */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Every TCP port and Unix socket this process listens on (Linux: /proc/net). */
function listeners(): Listener[] {
  const own = ownSocketInodes();
  const out: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local address, state 0A (LISTEN), inode
      if (cols.length > 9 && cols[3] === '0A' && own.has(cols[9]!)) {
        out.push({ port: Number.parseInt(cols[1]!.split(':')[1]!, 16) });
      }
    }
  }
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Flags 00010000: accepting connections; a path of its own (not an abstract name)
    if (cols.length > 7 && cols[3] === '00010000' && own.has(cols[6]!) && cols[7]!.startsWith('/')) {
      out.push({ socketPath: cols[7]! });
    }
  }
  return out;
}

const key = (l: Listener) => ('port' in l ? `tcp:${l.port}` : `unix:${l.socketPath}`);

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function send(
  to: Listener,
  request: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...('port' in to ? { host: '127.0.0.1', port: to.port } : { socketPath: to.socketPath }),
        method: request.method,
        path: '/',
        headers: request.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A DynamoDB API call as the SDK puts it on the wire, signed with `credentials` (or not at all). */
async function dynamoCall(
  target: string,
  body: unknown,
  credentials?: { accessKeyId: string; secretAccessKey: string },
  signingDate = new Date(),
) {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = {
    host: 'localhost',
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${target}`,
  };
  if (credentials === undefined) return { method: 'POST', headers, body: text };
  const signer = new SignatureV4({ service: 'dynamodb', region: 'local', credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: 'localhost',
      path: '/',
      headers,
      body: text,
    },
    { signingDate },
  );
  return { method: 'POST', headers: signed.headers as Record<string, string>, body: text };
}

const strangerKey = () => ({
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(30).toString('base64'),
});

/** The key dynalite took for any key before: a well-formed header with a made-up signature. */
const LOCAL_KEY = { accessKeyId: 'local', secretAccessKey: 'local' };

const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

linuxOnly('the embedded DynamoDB, from anything but the watcher itself', () => {
  let w: TestWatcher;
  let opened: Listener[];
  let token: string;
  beforeAll(async () => {
    const before = new Set(listeners().map(key));
    w = await startTestWatcher();
    opened = listeners().filter((l) => !before.has(key(l)));
    token = await w.addAgent('web-01');
  });
  afterAll(() => w.close());

  it('listens on no TCP port but the watcher’s own HTTP port, and on one socket of its own', () => {
    expect(opened.map(key).sort()).toEqual(
      [`tcp:${new URL(w.url).port}`, `unix:${w.dynamoConnection.socketPath}`].sort(),
    );
    const dir = w.dynamoConnection.socketPath.slice(0, w.dynamoConnection.socketPath.lastIndexOf('/'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses ListTables, a Scan and an UpdateItem of the agents table unless they are signed with the watcher’s own key, on every port and socket the watcher opened', async () => {
    expect(opened.length).toBeGreaterThan(0);
    const chosen = 'hbw_chosen-by-the-attacker';
    const attempts = [
      await dynamoCall('ListTables', {}),
      await dynamoCall('ListTables', {}, LOCAL_KEY),
      await dynamoCall('ListTables', {}, strangerKey()),
      await dynamoCall('Scan', { TableName: 'hbw-agents' }, LOCAL_KEY),
      await dynamoCall(
        'UpdateItem',
        {
          TableName: 'hbw-agents',
          Key: { agentId: { S: 'web-01' } },
          UpdateExpression: 'SET tokenHash = :h',
          ExpressionAttributeValues: { ':h': { S: hashSecret(chosen) } },
        },
        strangerKey(),
      ),
    ];
    const before = await w.storedAgents();
    const answered: string[] = [];
    for (const to of opened) {
      for (const attempt of attempts) {
        const answer = await send(to, attempt);
        if (answer.status < 400 || /TableNames|tokenHash/.test(answer.body)) {
          answered.push(
            `${key(to)} ${attempt.headers['x-amz-target']}: ${answer.status} ${answer.body.slice(0, 80)}`,
          );
        }
      }
    }
    expect(answered).toEqual([]);
    // The same request signed with the watcher's own key is answered: the refusals are the key's.
    const own = { socketPath: w.dynamoConnection.socketPath };
    const signed = await send(own, await dynamoCall('ListTables', {}, w.dynamoConnection.credentials));
    expect(signed.status).toBe(200);
    expect(signed.body).toContain('hbw-agents');
    expect(await w.storedAgents()).toEqual(before);
    const beat = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(chosen));
    expect(beat.status).toBe(401);
    const beatOwn = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(token));
    expect(beatOwn.status).toBe(200);
  });

  it('answers a web page’s preflight and its request with no CORS header, on every port and socket the watcher opened', async () => {
    const origin = 'https://evil.example';
    const preflight = {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-amz-target,x-amz-date',
      },
    };
    const listTables = await dynamoCall('ListTables', {}, LOCAL_KEY);
    const fromPage = { ...listTables, headers: { ...listTables.headers, origin } };
    const answered: string[] = [];
    for (const to of opened) {
      for (const attempt of [preflight, fromPage]) {
        const answer = await send(to, attempt);
        const cors = Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'));
        if (answer.status < 400 || cors.length > 0 || answer.body.includes('TableNames')) {
          answered.push(`${key(to)} ${attempt.method}: ${answer.status} ${cors.join(',')}`);
        }
      }
    }
    expect(answered).toEqual([]);
  });

  it('refuses a request signed with the watcher’s own key when its body was changed after signing, or it was signed 10 minutes ago', async () => {
    const own = { socketPath: w.dynamoConnection.socketPath };
    const key = w.dynamoConnection.credentials;
    const scan = await dynamoCall('Scan', { TableName: 'hbw-alerts' }, key);
    const changed = { ...scan, body: JSON.stringify({ TableName: 'hbw-agents' }) };
    const old = await dynamoCall(
      'Scan',
      { TableName: 'hbw-agents' },
      key,
      new Date(Date.now() - 10 * 60_000),
    );
    const answers = [await send(own, changed), await send(own, old)];
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    expect(answers.map((a) => JSON.parse(a.body).message)).toEqual([
      'the signature does not match',
      'the signature has expired',
    ]);
  });
});
