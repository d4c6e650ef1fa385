import { adminHeaders, bearer, startTestWatcher, TEST_CONFIG, type TestWatcher } from '../support/watcher';

// Local mode cannot ask AWS: an agent with an ec2 or ssm probe is added and stored as in the cloud,
// its probe answers unknown (the log says why, once per type), and it is never paged host down: a
// silent one is paged as a heartbeat failure at the threshold, as if it had no probe.

const ec2Told =
  'ec2 probe: local mode cannot ask AWS, so its ec2 probes are unknown and never page host down';
const ssmTold =
  'ssm probe: local mode cannot ask AWS, so its ssm probes are unknown and never page host down';

describe('hbw local with ec2 and ssm probes', () => {
  let watcher: TestWatcher;
  beforeEach(async () => {
    watcher = await startTestWatcher({ config: TEST_CONFIG });
  });
  afterEach(async () => {
    await watcher.close();
  });

  const open = async () =>
    (await watcher.call('GET', '/v1/alerts?status=open', undefined, adminHeaders())).body.alerts
      .map((a: { agentId: string; kind: string }) => `${a.agentId} ${a.kind}`)
      .sort();

  it('stores the probes, judges them unknown, and pages a silent agent at the threshold, never as host down', async () => {
    const probes = {
      'web-01': { type: 'ec2', instanceId: 'i-0abc1234def567890' },
      'web-02': { type: 'ssm', instanceId: 'mi-0abc1234def567890' },
    };
    for (const [agentId, probe] of Object.entries(probes)) {
      const added = await watcher.call(
        'POST',
        '/v1/agents',
        { agentId, group: 'production', probe },
        adminHeaders(),
      );
      expect(added.status).toBe(201);
      expect(
        (await watcher.call('POST', '/v1/heartbeat', { agentId }, bearer(added.body.token))).status,
      ).toBe(200);
      expect(
        (await watcher.call('GET', `/v1/agents/${agentId}`, undefined, adminHeaders())).body.probe,
      ).toEqual(probe);
    }
    await watcher.scanner.scan();

    const found: string[][] = [];
    for (let scan = 0; scan < 3; scan++) {
      watcher.clock.advance(30_000);
      await watcher.scanner.scan();
      found.push(await open());
    }

    expect(found).toEqual([[], [], ['web-01 heartbeat_failure', 'web-02 heartbeat_failure']]);
    expect(watcher.logged.filter((r) => r.msg === ec2Told)).toHaveLength(1);
    expect(watcher.logged.filter((r) => r.msg === ssmTold)).toHaveLength(1);
  });
});
