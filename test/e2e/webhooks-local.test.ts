import { readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  buildCli,
  freePort,
  type HbwProcess,
  localCaller,
  removeBuiltCli,
  spawnHbw,
  tempDir,
  waitFor,
} from '../support/agent-helpers';

interface Received {
  readonly path: string;
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the receiver keeps whatever JSON the watcher posted
  readonly body: any;
}

/** A stand-in for Slack and PagerDuty on loopback: records every request; `failNext` answers 500s first. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  failNext: Map<string, number>;
  server: Server;
}> {
  const received: Received[] = [];
  const failNext = new Map<string, number>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      const path = req.url ?? '';
      const failing = failNext.get(path) ?? 0;
      const status = failing > 0 ? 500 : path === '/pd' ? 202 : 200;
      if (failing > 0) failNext.set(path, failing - 1);
      received.push({ path, status, body: JSON.parse(text) });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, failNext, server };
}

/**
 * `hbw local` with a Slack and a PagerDuty webhook, both a local receiver: the opening reaches both
 * (PagerDuty after a 500 and a retry), the watcher is killed the moment it records the PagerDuty
 * trigger as sent and started again, and nothing is posted twice; an acknowledgement reaches PagerDuty
 * as `acknowledge`, the recovery as `resolve`, each with the alertId as dedup_key.
 */
describe('hbw local with webhooks', () => {
  const dirs: string[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    receiver.server.close();
    await removeBuiltCli();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const configIn = (dataDir: string) => {
    const file = join(dataDir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        heartbeatIntervalSeconds: 1,
        scanIntervalSeconds: 1,
        missedScansBeforeAlert: 2,
        groups: {
          production: {
            channels: ['webhook'],
            webhooks: [
              { name: 'chat', format: 'slack', secretName: 'HBW_TEST_SLACK_URL' },
              {
                name: 'oncall',
                format: 'pagerduty',
                url: `${receiver.url}/pd`,
                secretName: 'HBW_TEST_PD_KEY',
              },
            ],
          },
        },
      }),
    );
    return file;
  };

  it('refuses to start when a secretName names no environment variable, naming the field and the variable', async () => {
    const script = await buildCli();
    const dataDir = tempDir('hbw-hooks-');
    dirs.push(dataDir);
    const p = spawnHbw(
      script,
      ['local', '--port', String(await freePort()), '--data-dir', dataDir, '--config', configIn(dataDir)],
      {
        HBW_TEST_SLACK_URL: `${receiver.url}/slack`,
      },
    );
    expect(await p.exited).not.toBe(0);
    expect(p.stderr()).toContain(
      'groups.production.webhooks[1].secretName: environment variable HBW_TEST_PD_KEY is not set',
    );
  }, 60_000);

  it('posts the opening, the acknowledgement and the recovery once each, across a 500 and a restart', async () => {
    const script = await buildCli();
    const dataDir = tempDir('hbw-hooks-');
    dirs.push(dataDir);
    const configFile = configIn(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      HBW_TEST_SLACK_URL: `${receiver.url}/slack`,
      HBW_TEST_PD_KEY: 'R0UT1NGKEY0F32CHARACTERSXXXXXXXX',
    };
    const start = async (): Promise<HbwProcess> => {
      const p = spawnHbw(
        script,
        ['local', '--port', String(port), '--data-dir', dataDir, '--config', configFile],
        env,
      );
      await waitFor(() => p.stdout().includes('listening'), 'hbw local to listen', 20_000);
      return p;
    };
    const call = localCaller(url);
    const sentFile = join(dataDir, 'webhooks-sent.jsonl');
    const recorded = () => {
      try {
        return readFileSync(sentFile, 'utf8');
      } catch {
        return '';
      }
    };
    const at = (path: string) => receiver.received.filter((r) => r.path === path);
    const accepted = (path: string) => at(path).filter((r) => r.status < 300);
    receiver.failNext.set('/pd', 1);

    let watcher = await start();
    try {
      const { token } = (await call('POST', '/v1/agents', { agentId: 'web-01', group: 'production' })) as {
        token: string;
      };
      await call('POST', '/v1/heartbeat', { agentId: 'web-01' }, token);

      // Silent from here: kill the watcher the moment it records the PagerDuty trigger as sent, before
      // it can record the notice as sent in its store.
      const killed = watcher;
      const watching = watch(dataDir, () => {
        if (recorded().includes('oncall')) killed.child.kill('SIGKILL');
      });
      try {
        await killed.exited;
      } finally {
        watching.close();
      }
      expect(at('/pd').map((r) => r.status)).toEqual([500, 202]);

      watcher = await start();
      const delivery = async () => {
        const { alerts } = (await call('GET', '/v1/alerts?status=all')) as {
          alerts: { alertId: string; delivery?: Record<string, string> }[];
        };
        return alerts[0];
      };
      // The killed watcher's claim runs out (at least 10 s); the retry finds both requests recorded.
      await waitFor(
        async () => (await delivery())?.delivery?.opening === 'sent',
        'the retried opening',
        45_000,
      );
      const alertId = (await delivery())!.alertId;
      expect(accepted('/slack')).toHaveLength(1);
      expect(accepted('/pd').map((r) => r.body)).toEqual([
        expect.objectContaining({
          routing_key: env.HBW_TEST_PD_KEY,
          event_action: 'trigger',
          dedup_key: alertId,
          payload: expect.objectContaining({ source: 'web-01', severity: 'critical' }),
        }),
      ]);

      await call('POST', `/v1/alerts/${alertId}/ack`, { by: 'ana' });
      await waitFor(() => accepted('/pd').length >= 2, 'the acknowledgement', 20_000);
      expect(accepted('/pd')[1]!.body).toEqual({
        routing_key: env.HBW_TEST_PD_KEY,
        event_action: 'acknowledge',
        dedup_key: alertId,
      });

      await call('POST', '/v1/heartbeat', { agentId: 'web-01' }, token);
      await waitFor(() => accepted('/pd').length >= 3, 'the recovery', 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(accepted('/pd').map((r) => r.body.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
      expect(accepted('/pd')[2]!.body.dedup_key).toBe(alertId);
      expect(accepted('/slack').map((r) => r.body.text as string)).toEqual([
        expect.stringMatching(/^CRITICAL heartbeat failure: web-01/),
        expect.stringMatching(/^ACKNOWLEDGED heartbeat failure: web-01 \(production\) by ana/),
        expect.stringMatching(/^RECOVERED web-01/),
      ]);
    } finally {
      watcher.child.kill('SIGTERM');
      await watcher.exited;
    }
  }, 120_000);
});
