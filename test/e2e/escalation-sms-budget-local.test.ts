import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawConfig } from '../../lambda/domain/config';
import { readOutbox } from '../support/outbox';
import { hbwAt } from '../support/run-cli';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

// End to end through `hbw local` (its HTTP API, its scanner on a manual clock, its outbox file):
// a production page nobody acknowledges escalates; a lab group past its SMS budget pages by email.
describe('hbw local: escalation and the SMS budget in the outbox', () => {
  const MIN = 60_000;
  let dir: string;
  let w: TestWatcher;

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
    dir = mkdtempSync(join(tmpdir(), 'hbw-policy-'));
    w = await startTestWatcher({ config: CONFIG, outboxPath: join(dir, 'outbox.jsonl') });
  });
  afterEach(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const outbox = () => readOutbox(join(dir, 'outbox.jsonl'));

  /** Adds `agentId` to `group`, has it beat once, and lets it go silent until it is paged. */
  async function pagedAgent(agentId: string, group: string): Promise<void> {
    const token = await w.addAgent(agentId, group);
    expect((await w.call('POST', '/v1/heartbeat', { agentId }, bearer(token))).status).toBe(200);
    await w.scanner.scan();
    for (let i = 0; i < 3; i++) {
      w.clock.advance(30_000);
      await w.scanner.scan();
    }
  }

  async function scanEveryMinute(minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i++) {
      w.clock.advance(MIN);
      await w.scanner.scan();
    }
  }

  it("escalates an unacknowledged page to managers, with the step's group on the outbox line, and stops at the acknowledgement", async () => {
    await pagedAgent('web-01', 'production');
    const [alert] = (await w.call('GET', '/v1/alerts')).body.alerts;

    await scanEveryMinute(6);
    const acked = await w.call('POST', `/v1/alerts/${alert.alertId}/ack`, { by: 'oncall' });
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
    const [after] = (await w.call('GET', '/v1/alerts')).body.alerts;
    expect(after.delivery.escalations).toEqual([
      { group: 'managers', after: '5m', state: 'sent', sentAt: expect.any(String) },
    ]);
  });

  it('sends lab notices by email alone past its budget, one SMS says so, and hbw status shows what was spent', async () => {
    await pagedAgent('lab-01', 'lab');

    await scanEveryMinute(3);

    const lines = outbox().map((l) => `${l.kind} ${l.channels.join('+')} ${l.smsSkipped ?? '-'}`);
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
    const run = hbwAt(w.url);
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
