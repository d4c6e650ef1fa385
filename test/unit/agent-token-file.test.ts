import { chmodSync, rmSync } from 'node:fs';
import { resolveAgentSettings, tokenFileWarning } from '../../cli/agent/config';
import { runAgent } from '../../cli/agent/run-agent';
import { tempDir, writeTokenFile } from '../support/agent-helpers';

const posixOnly = process.platform === 'win32' ? describe.skip : describe;

posixOnly('a token file that other users of the host may read', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['644', '640', '604', '660'])('is warned about (HBW2092) when its mode is %s', (octal) => {
    const mode = Number.parseInt(octal, 8);
    const path = writeTokenFile(dir, 'hbw_secret', `token-${octal}`);
    chmodSync(path, mode);
    expect(tokenFileWarning({ from: 'file', path }, 'web-01')).toEqual({
      code: 'HBW2092',
      level: 'warn',
      msg: `other users of this host may read the token file ${path} (mode ${octal}): chmod 600 ${path}`,
      fields: { agentId: 'web-01' },
    });
  });

  it('is not warned about when only its owner may read it (600, 400), nor for a token from the environment', () => {
    for (const mode of [0o600, 0o400]) {
      const path = writeTokenFile(dir, 'hbw_secret', `token-${mode.toString(8)}`);
      chmodSync(path, mode);
      expect(tokenFileWarning({ from: 'file', path }, 'web-01')).toBeUndefined();
    }
    expect(tokenFileWarning({ from: 'env' }, 'web-01')).toBeUndefined();
  });

  it('is warned about once by a running agent, after it says it started, however many heartbeats it sends', async () => {
    const path = writeTokenFile(dir, 'hbw_secret', 'token-run');
    chmodSync(path, 0o644);
    const settings = resolveAgentSettings(
      { id: 'web-01', endpoint: 'http://127.0.0.1:1', 'token-file': path, 'interval-seconds': '1' } as never,
      {},
      { requireIdentity: true },
    );
    const lines: string[] = [];
    const controller = new AbortController();
    let beats = 0;
    let now = Date.parse('2026-11-23T12:00:00Z');
    await runAgent(settings, {
      env: {},
      write: (line) => lines.push(line),
      signal: controller.signal,
      now: () => now,
      send: async () => {
        now += 1000;
        if (++beats === 3) controller.abort('SIGTERM');
        return { kind: 'accepted', status: 200, answer: { state: 'healthy', heartbeatIntervalSeconds: 1 } };
      },
    });
    const codes = lines.map((line) => /\b(HBW\d{4})\b/.exec(line)?.[1]);
    expect(beats).toBe(3);
    expect(codes.slice(0, 2)).toEqual(['HBW2000', 'HBW2092']);
    expect(codes.filter((c) => c === 'HBW2092')).toHaveLength(1);
  });
});
