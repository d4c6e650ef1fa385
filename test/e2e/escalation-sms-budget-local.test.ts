import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalWatcher, startLocalWatcher } from '../../cli/local-watcher';
import { parseConfig, type RawConfig } from '../../lambda/domain/config';
import { hbwAt } from '../support/run-cli';
import { ManualClock } from '../support/watcher';

// End to end through `hbw local` (its HTTP API, its scanner on a manual clock, its outbox file):
// a production page nobody acknowledges escalates; a lab group past its SMS budget pages by email.
describe('hbw local: escalation and the SMS budget in the outbox', () => {
  const MIN = 60_000;
  let dataDir: string;
  let watcher: LocalWatcher;
  let clock: ManualClock;

  const CONFIG: RawConfig = {
    heartbeatIntervalSeconds: 10,
    scanIntervalSeconds: 30,
    missedScansBeforeAlert: 3,
    groups: {
      production: {
        channels: ['sms', 'email'],
        escalation: [
          { after: '5m', group: 'managers' },
          { after: '20m', group: 'directors' },
        ],
      },
      managers: { channels: ['email'] },
      directors: { channels: ['sms', 'email'] },
      lab: { channels: ['sms', 'email'], renotifyMinutes: 1, smsBudget: { perDay: 2 } },
    },
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hbw-policy-'));
    clock = new ManualClock();
    watcher = await startLocalWatcher({
      config: parseConfig(CONFIG),
      port: 0,
      dataDir,
      clock,
      scanning: false,
      print: () => {},
    });
  });
  afterEach(async () => {
    await watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown, token?: string) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await fetch(watcher.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON the watcher answered
    return { status: res.status, body: (await res.json()) as any };
  }

  /** Every outbox line, parsed. */
  const outbox = (): Record<string, unknown>[] => {
    let text = '';
    try {
      text = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
  };

  /** Adds `agentId` to `group`, has it beat once, and lets it go silent until it is paged. */
  async function pagedAgent(agentId: string, group: string): Promise<void> {
    const added = await api('POST', '/v1/agents', { agentId, group });
    expect(added.status).toBe(201);
    expect((await api('POST', '/v1/heartbeat', { agentId }, added.body.token)).status).toBe(200);
    await watcher.scanner.scan();
    for (let i = 0; i < 3; i++) {
      clock.advance(30_000);
      await watcher.scanner.scan();
    }
  }

  async function scanEveryMinute(minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i++) {
      clock.advance(MIN);
      await watcher.scanner.scan();
    }
  }

  it("escalates an unacknowledged page to managers, with the step's group on the outbox line, and stops at the acknowledgement", async () => {
    await pagedAgent('web-01', 'production');
    const [alert] = (await api('GET', '/v1/alerts')).body.alerts;

    await scanEveryMinute(6);
    const acked = await api('POST', `/v1/alerts/${alert.alertId}/ack`, { by: 'oncall' });
    await scanEveryMinute(30);

    expect(acked.status).toBe(200);
    const lines = outbox().map((l) => ({
      group: l.group,
      kind: l.kind,
      channels: l.channels,
      escalation: l.escalation,
    }));
    expect(lines).toEqual([
      { group: 'production', kind: 'heartbeat_failure', channels: ['sms', 'email'], escalation: undefined },
      {
        group: 'managers',
        kind: 'escalation',
        channels: ['email'],
        escalation: { from: 'production', after: '5m' },
      },
    ]);
    const [after] = (await api('GET', '/v1/alerts')).body.alerts;
    expect(after.delivery.escalations).toEqual([
      { group: 'managers', after: '5m', state: 'sent', sentAt: expect.any(String) },
    ]);
  });

  it('sends lab notices by email alone past its budget, one SMS says so, and hbw status shows what was spent', async () => {
    await pagedAgent('lab-01', 'lab');

    await scanEveryMinute(3);

    const lines = outbox().map(
      (l) => `${l.kind} ${(l.channels as string[]).join('+')} ${l.smsSkipped ?? '-'}`,
    );
    expect(lines).toEqual([
      'heartbeat_failure sms+email -',
      'reminder sms+email -',
      'reminder email budget',
      'sms_budget sms -',
      'reminder email budget',
    ]);
    expect(outbox()[3]).toMatchObject({
      group: 'lab',
      messages: { sms: 'SMS budget of 2/day reached for lab; more in email and the console' },
    });
    const run = hbwAt(watcher.url);
    const status = await run('status');
    const json = await run('status', '--json');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(
      /SMS today lab: 2\/2, reached at 2026-11-23T12:\d\d:\d\d.\d{3}Z: more in email and the console/,
    );
    expect(json.json().smsBudget).toEqual({
      lab: { day: '2026-11-23', perDay: 2, spentToday: 2, reachedAt: expect.any(String) },
    });
  });
});
