import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Notification } from '../../lambda/domain/messages';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

// End to end: the local watcher (hbw local) on a manual clock, agents beating over HTTP, the pages
// read back from its outbox file. Scans every 30 s, a failure after 3 missed scans.
describe('flapping and recoverAfterScans through hbw local and its outbox', () => {
  let dir: string;
  let w: TestWatcher;
  const outbox = () => join(dir, 'outbox.jsonl');
  const pages = (): Notification[] => {
    let text = '';
    try {
      text = readFileSync(outbox(), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Notification);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-flap-'));
    w = await startTestWatcher({
      outboxPath: outbox(),
      config: {
        heartbeatIntervalSeconds: 10,
        scanIntervalSeconds: 30,
        missedScansBeforeAlert: 3,
        groups: {
          production: {
            channels: ['sms', 'email'],
            flapping: { changes: 3, window: '30m', stableFor: '2m' },
          },
          db: { channels: ['email'], recoverAfterScans: 2 },
        },
      },
    });
  });
  afterEach(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function agent(agentId: string, group: string) {
    const token = await w.addAgent(agentId, group);
    const beat = async () => {
      const res = await w.call('POST', '/v1/heartbeat', { agentId }, bearer(token));
      expect(res.status).toBe(200);
    };
    await beat();
    return beat;
  }

  const scanAfter = async (beat?: () => Promise<void>) => {
    w.clock.advance(30_000);
    if (beat) await beat();
    await w.scanner.scan();
  };

  it('pages a flapping agent once, holds its own pages, and sends one recovery when it is stable', async () => {
    const beat = await agent('web-01', 'production');
    await w.scanner.scan();
    for (let incident = 0; incident < 4; incident++) {
      for (let i = 0; i < 3; i++) await scanAfter();
      await scanAfter(beat);
    }
    for (let i = 0; i < 4; i++) await scanAfter(beat);

    expect(pages().map((p) => p.kind)).toEqual([
      'heartbeat_failure',
      'recovery',
      'heartbeat_failure',
      'recovery',
      'flapping',
      'recovery',
    ]);
    expect(pages().at(-1)!.subject).toBe('RECOVERED web-01 (production): flapping resolved');
    const { body } = await w.call('GET', '/v1/alerts?status=all');
    const incidents = (body.alerts as { kind: string; suppressed?: { reason: string } }[]).filter(
      (a) => a.kind === 'heartbeat_failure',
    );
    expect(incidents.map((a) => a.suppressed?.reason)).toEqual([
      'flapping',
      'flapping',
      undefined,
      undefined,
    ]);
  });

  it('resolves an alert of a recoverAfterScans 2 group at the second fresh scan, not the first', async () => {
    const beat = await agent('db-01', 'db');
    await w.scanner.scan();
    for (let i = 0; i < 3; i++) await scanAfter();
    expect(pages().map((p) => p.kind)).toEqual(['heartbeat_failure']);

    await scanAfter(beat);
    expect(pages()).toHaveLength(1);
    await scanAfter(beat);

    expect(pages().map((p) => p.kind)).toEqual(['heartbeat_failure', 'recovery']);
  });
});
