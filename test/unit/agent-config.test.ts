import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentConfigError, readToken, resolveAgentSettings, tokenSourceText } from '../../cli/agent/config';
import { EVENT_CODES, EventThrottle, formatEvent } from '../../cli/agent/events';
import { sortAnswer } from '../../cli/agent/heartbeat-sender';
import { classifyNetworkError, endpointUrl } from '../../cli/agent/http-post';
import { parseListen } from '../../cli/commands/agent-doctor-relay';
import { tempDir, writeTokenFile } from '../support/agent-helpers';
import { hbw } from '../support/run-cli';

const resolve = (values: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, cwd?: string) =>
  resolveAgentSettings(values as never, env, { requireIdentity: true, cwd });

function failure(fn: () => unknown): AgentConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AgentConfigError) return error;
    throw error;
  }
  throw new Error('expected an AgentConfigError');
}

describe('agent settings: flags, then environment, then the config file', () => {
  const dir = tempDir();
  const tokenFile = writeTokenFile(dir, 'hbw_secret');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads everything from flags, with the documented defaults', () => {
    const s = resolve({ id: 'web-01', endpoint: 'https://hbw.example.com/', 'token-file': tokenFile });
    expect(s).toEqual({
      agentId: 'web-01',
      endpoints: ['https://hbw.example.com'],
      failuresBeforeFailover: 3,
      failbackSeconds: 60,
      intervalSeconds: 30,
      timeoutSeconds: 10,
      logFormat: 'text',
      token: { from: 'file', path: tokenFile },
    });
  });

  it('reads the environment: HBW_AGENT_ID, HBW_ENDPOINT, HBW_FAILOVER (comma-separated), HBW_AGENT_TOKEN...', () => {
    const s = resolve(
      {},
      {
        HBW_AGENT_ID: 'db-07',
        HBW_ENDPOINT: 'http://a:8787',
        HBW_FAILOVER: 'http://b:8787, http://c:8787',
        HBW_AGENT_TOKEN: 'hbw_env',
        HBW_FAILURES_BEFORE_FAILOVER: '5',
        HBW_FAILBACK_SECONDS: '120',
        HBW_LOG_FORMAT: 'json',
        HBW_CLUSTER: 'sql-a',
      },
    );
    expect(s).toMatchObject({
      agentId: 'db-07',
      endpoints: ['http://a:8787', 'http://b:8787', 'http://c:8787'],
      failuresBeforeFailover: 5,
      failbackSeconds: 120,
      logFormat: 'json',
      cluster: 'sql-a',
      token: { from: 'env' },
    });
  });

  it('reads a JSON config file; a variable beats the file and a flag beats both', () => {
    const file = join(dir, 'agent.json');
    writeFileSync(
      file,
      JSON.stringify({
        agentId: 'from-file',
        endpoint: 'http://file:8787',
        failover: ['http://file-b:8787'],
        failbackSeconds: 30,
        tokenFile: 'token',
      }),
    );
    const fromFile = resolve({ config: file }, {}, dir);
    expect(fromFile).toMatchObject({
      agentId: 'from-file',
      endpoints: ['http://file:8787', 'http://file-b:8787'],
      failbackSeconds: 30,
      token: { from: 'file', path: tokenFile },
    });
    const layered = resolve(
      { config: file, id: 'from-flag' },
      { HBW_AGENT_ID: 'from-env', HBW_FAILBACK_SECONDS: '90' },
      dir,
    );
    expect(layered).toMatchObject({ agentId: 'from-flag', failbackSeconds: 90 });
    expect(resolve({}, { HBW_AGENT_CONFIG: file, HBW_AGENT_ID: 'from-env' }, dir).agentId).toBe('from-env');
  });

  it('refuses a token in the config file, an unknown key, and a token given two ways', () => {
    const file = join(dir, 'with-token.json');
    writeFileSync(file, JSON.stringify({ agentId: 'a', endpoint: 'http://a', token: 'hbw_x' }));
    expect(failure(() => resolve({ config: file })).message).toContain(
      '"token" is not read from the config file; put the token in a file of its own (mode 600) and name it in "tokenFile"',
    );
    writeFileSync(file, JSON.stringify({ agentId: 'a', endpoint: 'http://a', endpoints: [] }));
    expect(failure(() => resolve({ config: file })).message).toContain('unknown setting "endpoints"');
    const twice = failure(() =>
      resolve({ id: 'a', endpoint: 'http://a', 'token-file': tokenFile }, { HBW_AGENT_TOKEN: 'hbw_x' }),
    );
    expect(twice).toMatchObject({ usage: true });
    expect(twice.message).toContain('give the token one way');
  });

  it('names what is missing or wrong, as bad usage', () => {
    const base = { id: 'web-01', endpoint: 'http://a', 'token-file': tokenFile };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, id: undefined }, 'the agent id is required: --id ID, HBW_AGENT_ID or "agentId"'],
      [{ ...base, id: 'web 01' }, 'the agent id "web 01" may hold 1 to 128 of A-Z a-z 0-9 . _ : -'],
      [{ ...base, endpoint: undefined }, 'the endpoint is required'],
      [{ ...base, endpoint: 'ftp://a' }, '--endpoint must be an http:// or https:// URL, not "ftp://a"'],
      [{ ...base, failover: ['http://a'] }, 'the endpoint http://a is given twice'],
      [
        { ...base, 'failures-before-failover': '0' },
        '--failures-before-failover must be a whole number from 1',
      ],
      [{ ...base, 'failback-seconds': '1.5' }, '--failback-seconds must be a whole number'],
      [{ ...base, 'token-file': undefined }, 'the token is required: --token-file FILE'],
      [{ ...base, endpoint: 'https://user:pw@a' }, 'must not carry a user or password'],
    ];
    for (const [values, message] of cases) {
      const error = failure(() => resolve(values));
      expect(error.message).toContain(message);
      expect(error.usage).toBe(true);
    }
  });

  it('reads the token file, trimmed, and explains one that cannot be read (exit 1, not usage)', () => {
    expect(readToken({ from: 'file', path: tokenFile }, {})).toBe('hbw_secret');
    expect(readToken({ from: 'env' }, { HBW_AGENT_TOKEN: ' hbw_env\n' })).toBe('hbw_env');
    const missing = failure(() => readToken({ from: 'file', path: join(dir, 'nope') }, {}));
    expect(missing.usage).toBe(false);
    expect(missing.message).toContain(`cannot read the token file ${join(dir, 'nope')} (ENOENT)`);
    expect(tokenSourceText({ from: 'file', path: '/etc/hbw/token' })).toBe('the token file /etc/hbw/token');
  });

  it('has no --token flag: the token never shows in ps', async () => {
    const run = await hbw(['agent', 'run', '--id', 'a', '--endpoint', 'http://a', '--token', 'hbw_x']);
    expect(run.code).toBe(2);
    expect(run.err).toContain("Unknown option '--token'");
    const doctor = await hbw(['agent', 'doctor', '--id', 'a', '--endpoint', 'http://a', '--token', 'hbw_x']);
    expect(doctor.code).toBe(2);
  });
});

describe('agent CLI usage', () => {
  it('hbw agent run --help documents the exit codes, the token sources and the log format', async () => {
    const help = await hbw(['agent', 'run', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain(
      'Exit codes: 0 stopped by SIGTERM or SIGINT, 1 cannot start (explained), 2 bad usage.',
    );
    expect(help.out).toContain('--token-file FILE');
    expect(help.out).toContain('HBW_AGENT_TOKEN. Never a flag');
    expect(help.out).toContain('--log-format F');
    expect((await hbw(['agent', 'doctor', '--help'])).out).toContain(
      'Exit codes: 0 every step that applies passed, 1 a step failed, 2 bad usage.',
    );
    expect((await hbw(['agent', 'relay', '--help'])).out).toContain('--listen HOST:PORT');
  });

  it('hbw agent lists run, doctor and relay', async () => {
    const group = await hbw(['agent', '--help']);
    expect(group.code).toBe(0);
    expect(group.out).toContain('hbw agent run');
    expect(group.out).toContain('hbw agent doctor');
    expect(group.out).toContain('hbw agent relay');
  });

  it('exits 2 with the reason on bad usage, and 1 when the token file cannot be read', async () => {
    const noToken = await hbw(['agent', 'run', '--id', 'web-01', '--endpoint', 'http://127.0.0.1:9']);
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('the token is required');
    const badFile = await hbw([
      'agent',
      'run',
      '--id',
      'web-01',
      '--endpoint',
      'http://127.0.0.1:9',
      '--token-file',
      '/nonexistent/token',
    ]);
    expect(badFile.code).toBe(1);
    expect(badFile.err).toContain('cannot read the token file /nonexistent/token (ENOENT)');
    const badListen = await hbw(['agent', 'relay', '--endpoint', 'http://a', '--listen', 'nowhere']);
    expect(badListen.code).toBe(2);
    expect(badListen.err).toContain('--listen must be HOST:PORT');
  });

  it('parses --listen as HOST:PORT, [IPv6]:PORT or a port alone', () => {
    expect(parseListen('0.0.0.0:8788')).toEqual({ host: '0.0.0.0', port: 8788 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('8788')).toEqual({ host: '127.0.0.1', port: 8788 });
  });
});

describe('the heartbeat answer, the network errors, the log line', () => {
  it('sorts answers: 200/202 with a state accepted, 401/403 refused, anything else a failure', () => {
    expect(sortAnswer(200, '{"state":"healthy","heartbeatIntervalSeconds":30,"serverTime":"x"}')).toEqual({
      kind: 'accepted',
      status: 200,
      answer: { state: 'healthy', heartbeatIntervalSeconds: 30, serverTime: 'x' },
    });
    expect(sortAnswer(202, '{"state":"pending"}')).toMatchObject({
      kind: 'accepted',
      answer: { state: 'pending' },
    });
    expect(sortAnswer(401, '{"error":{"code":"unauthorized","message":"no"}}')).toEqual({
      kind: 'refused',
      status: 401,
      message: 'no',
    });
    expect(sortAnswer(403, '')).toMatchObject({ kind: 'refused', status: 403 });
    expect(sortAnswer(200, '<html>')).toMatchObject({
      kind: 'failed',
      reason: 'http',
      code: 'not_the_watcher',
    });
    expect(sortAnswer(503, '{"error":{"code":"unavailable","message":"busy"}}')).toMatchObject({
      kind: 'failed',
      reason: 'http',
      code: 'unavailable',
      status: 503,
      detail: 'answered 503 (busy)',
    });
  });

  it('classifies network errors as the agent event codes do: DNS, connect, TLS, timeout', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(classifyNetworkError(err('ENOTFOUND')).reason).toBe('dns');
    expect(classifyNetworkError(err('EAI_AGAIN')).reason).toBe('dns');
    expect(classifyNetworkError(err('ECONNREFUSED')).reason).toBe('connect');
    expect(classifyNetworkError(err('EHOSTUNREACH')).reason).toBe('connect');
    expect(classifyNetworkError(err('CERT_HAS_EXPIRED')).reason).toBe('tls');
    expect(classifyNetworkError(err('ERR_TLS_CERT_ALTNAME_INVALID')).reason).toBe('tls');
    expect(classifyNetworkError(err('DEPTH_ZERO_SELF_SIGNED_CERT')).reason).toBe('tls');
    expect(classifyNetworkError(err('ETIMEDOUT')).reason).toBe('timeout');
  });

  it('keeps a path prefix of the endpoint (an API Gateway stage)', () => {
    expect(endpointUrl('https://x.execute-api.eu-west-1.amazonaws.com/prod', 'v1/heartbeat')).toBe(
      'https://x.execute-api.eu-west-1.amazonaws.com/prod/v1/heartbeat',
    );
    expect(endpointUrl('http://127.0.0.1:8787', '/v1/heartbeats')).toBe(
      'http://127.0.0.1:8787/v1/heartbeats',
    );
  });

  it('writes one line per event: text for people, JSON for machines', () => {
    const event = {
      code: 'HBW2006',
      level: 'error' as const,
      msg: 'could not connect',
      fields: { agentId: 'web-01', failures: 1 },
    };
    const at = Date.parse('2026-11-23T12:00:00Z');
    expect(formatEvent(event, 'text', at)).toBe('2026-11-23T12:00:00.000Z ERROR HBW2006 could not connect');
    expect(JSON.parse(formatEvent(event, 'json', at))).toEqual({
      time: '2026-11-23T12:00:00.000Z',
      level: 'error',
      code: 'HBW2006',
      msg: 'could not connect',
      agentId: 'web-01',
      failures: 1,
    });
    expect(Object.keys(EVENT_CODES).every((c) => /^HBW[23]\d{3}$/.test(c))).toBe(true);
  });

  it('throttles a key to once per window, counting what it held back, until cleared', () => {
    const t = new EventThrottle(1000);
    expect(t.admit('a', 0)).toEqual({ log: true, held: 0 });
    expect(t.admit('a', 500).log).toBe(false);
    expect(t.admit('a', 999).log).toBe(false);
    expect(t.admit('a', 1000)).toEqual({ log: true, held: 2 });
    t.clear('a');
    expect(t.admit('a', 1001)).toEqual({ log: true, held: 0 });
  });
});
