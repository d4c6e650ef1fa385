import { createServer, type Server } from 'node:net';
import type { RawConfig } from '../../lambda/domain/config';
import { adminHeaders, bearer, startTestWatcher, TEST_CONFIG, type TestWatcher } from '../support/watcher';

// Local mode has no VPC: an agent whose probes the config sends through a probe network is probed
// from this machine instead, with the real TCP prober, and the log says so once per network.
const CONFIG: RawConfig = {
  ...TEST_CONFIG,
  probe: { attempts: 1, timeoutMs: 200, intervalMs: 0 },
  probeNetworks: {
    'prod-vpc': { subnetIds: ['subnet-0abc1234def567890'], securityGroupIds: ['sg-0123456789abcdef0'] },
  },
  groups: { ...TEST_CONFIG.groups, production: { channels: ['sms', 'email'], probeNetwork: 'prod-vpc' } },
};

const NO_VPC = 'probe network: local mode has no VPC, so its probes run from this machine';

describe('hbw local with a probe network', () => {
  let watcher: TestWatcher;
  let open: Server;
  let closedPort: number;

  beforeEach(async () => {
    watcher = await startTestWatcher({ config: CONFIG });
    open = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
    // A port nothing listens on: taken, then let go.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closedPort = (gone.address() as { port: number }).port;
    await new Promise((resolve) => gone.close(resolve));
  });

  afterEach(async () => {
    await watcher.close();
    await new Promise((resolve) => open.close(resolve));
  });

  async function add(agentId: string, port: number): Promise<string> {
    const res = await watcher.call(
      'POST',
      '/v1/agents',
      { agentId, group: 'production', probe: { type: 'tcp', host: '127.0.0.1', port } },
      adminHeaders(),
    );
    expect(res.status).toBe(201);
    return res.body.token as string;
  }

  it('probes its agents from this machine: a dead host pages host down, a live one waits for the threshold', async () => {
    const dead = await add('db-dead', closedPort);
    const alive = await add('db-alive', (open.address() as { port: number }).port);
    for (const [agentId, token] of [
      ['db-dead', dead],
      ['db-alive', alive],
    ] as const) {
      expect((await watcher.call('POST', '/v1/heartbeat', { agentId }, bearer(token))).status).toBe(200);
    }
    await watcher.scanner.scan();

    // Both fall silent; the next scan past their longest wait (a 30 s heartbeat and 10%) probes them both.
    watcher.clock.advance(34_000);
    await watcher.scanner.scan();
    const afterOne = (await watcher.call('GET', '/v1/alerts?status=open', undefined, adminHeaders())).body;
    expect(afterOne.alerts.map((a: { agentId: string; kind: string }) => `${a.agentId} ${a.kind}`)).toEqual([
      'db-dead host_unreachable',
    ]);

    for (let i = 0; i < 2; i++) {
      watcher.clock.advance(30_000);
      await watcher.scanner.scan();
    }
    const afterThree = (await watcher.call('GET', '/v1/alerts?status=open', undefined, adminHeaders())).body;
    expect(
      afterThree.alerts.map((a: { agentId: string; kind: string }) => `${a.agentId} ${a.kind}`).sort(),
    ).toEqual(['db-alive heartbeat_failure', 'db-dead host_unreachable']);

    const told = watcher.logged.filter((r) => r.msg === NO_VPC);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ level: 'info', probeNetwork: 'prod-vpc' });
  });
});
