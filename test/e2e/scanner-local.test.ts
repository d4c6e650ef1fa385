import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalWatcher } from '../../cli/local-watcher';
import { parseConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { readOutbox } from '../support/outbox';
import { startCheckedWatcher } from '../support/watcher';

// End to end: the local watcher on a real clock with 1-second scans, its
// scan loop, the real TCP prober and the outbox file; agents beat over HTTP from this test.
const CONFIG = parseConfig({
  heartbeatIntervalSeconds: 1,
  scanIntervalSeconds: 1,
  missedScansBeforeAlert: 3,
  probe: { attempts: 1, timeoutMs: 200, intervalMs: 0 },
  groups: {
    production: { channels: ['sms', 'email'] },
    test: { channels: ['console'] },
  },
});

const KIND_WORDS: Record<string, string> = {
  'heartbeat failure': 'heartbeat_failure',
  'host unreachable': 'host_unreachable',
};

/** Each (agent, kind) a notice speaks of; a mixed summary names each agent's kind in its text. */
function events(notice: Notification): { agentId: string; kind: string }[] {
  if (notice.kind !== 'summary') return notice.agentIds.map((agentId) => ({ agentId, kind: notice.kind }));
  return [...notice.messages.default.matchAll(/^- ([^:]+): (heartbeat failure|host unreachable)/gm)].map(
    (m) => ({
      agentId: m[1]!,
      kind: KIND_WORDS[m[2]!]!,
    }),
  );
}

async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface AlertJson {
  alertId: string;
  agentId: string;
  group: string;
  kind: string;
  status: string;
  resolution?: string;
}

describe('the local watcher scanning on a real clock', () => {
  let dataDir: string;
  let watcher: LocalWatcher;
  let probeTarget: Server;
  const printed: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hbw-scan-'));
    probeTarget = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => probeTarget.listen(0, '127.0.0.1', resolve));
    watcher = await startCheckedWatcher({
      config: CONFIG,
      port: 0,
      dataDir,
      print: (line) => printed.push(line),
    });
  });
  let closed = false;
  const closeWatcher = async () => {
    if (closed) return;
    closed = true;
    await watcher.close();
  };
  afterAll(async () => {
    await closeWatcher();
    if (probeTarget.listening) await new Promise((r) => probeTarget.close(r));
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
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const outbox = (): Notification[] => readOutbox(join(dataDir, 'outbox.jsonl'));
  const alerts = async (query: string) =>
    (await api('GET', `/v1/alerts?${query}`)).body.alerts as AlertJson[];

  it('pages exactly the production incidents, records the test ones, recovers them when heartbeats resume, and never alerts a healthy agent', async () => {
    const port = (probeTarget.address() as { port: number }).port;
    const agents: Record<string, { group: string; probe?: unknown }> = {
      'prod-up': { group: 'production' },
      'prod-stop': { group: 'production' },
      'prod-probe': { group: 'production', probe: { type: 'tcp', host: '127.0.0.1', port } },
      'test-up': { group: 'test' },
      'test-stop': { group: 'test' },
    };
    const tokens = new Map<string, string>();
    for (const [agentId, spec] of Object.entries(agents)) {
      const res = await api('POST', '/v1/agents', { agentId, ...spec });
      expect(res.status).toBe(201);
      tokens.set(agentId, res.body.token as string);
    }

    const beating = new Set(tokens.keys());
    const failures: string[] = [];
    let stopped = false;
    let inFlight: Promise<unknown> = Promise.resolve();
    let recorded: AlertJson[] = [];
    const beatAll = () => {
      inFlight = Promise.all(
        [...beating].map(async (agentId) => {
          try {
            const res = await api('POST', '/v1/heartbeat', { agentId }, tokens.get(agentId));
            if (res.status !== 200 && !stopped) failures.push(`${agentId}: ${res.status}`);
          } catch (error) {
            if (!stopped) failures.push(`${agentId}: ${String(error)}`);
          }
        }),
      );
    };
    beatAll();
    const timer = setInterval(beatAll, 300);

    try {
      // Everyone beats for a few scans: nothing is alerted.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await alerts('status=all')).toEqual([]);
      expect(outbox()).toEqual([]);

      // Three agents stop; the probed one's host goes down with it.
      for (const id of ['prod-stop', 'prod-probe', 'test-stop']) beating.delete(id);
      await new Promise((r) => probeTarget.close(r));

      // One alert per incident: the dead host is host_unreachable, and stays that one alert.
      const expectedOpen = [
        'prod-probe host_unreachable',
        'prod-stop heartbeat_failure',
        'test-stop heartbeat_failure',
      ];
      const openKinds = async () => (await alerts('status=open')).map((a) => `${a.agentId} ${a.kind}`).sort();
      await waitFor(
        'the alerts of the silent agents',
        async () => (await openKinds()).includes('test-stop heartbeat_failure'),
        9_000,
      );
      // A scan past the threshold of the dead host: it opens no second alert.
      await new Promise((r) => setTimeout(r, 1_200));
      expect(await openKinds()).toEqual(expectedOpen);
      const pagedOpenings = () =>
        outbox()
          .flatMap(events)
          .filter((e) => e.kind !== 'recovery');
      await waitFor('their pages', () => pagedOpenings().length >= 2, 3_000);

      // They beat again: every alert resolves, each paged agent gets its recovery.
      for (const id of ['prod-stop', 'prod-probe', 'test-stop']) beating.add(id);
      await waitFor('the recoveries', async () => (await alerts('status=open')).length === 0, 5_000);
      const recovered = () =>
        outbox()
          .flatMap(events)
          .filter((e) => e.kind === 'recovery');
      await waitFor('the recovery pages', () => recovered().length >= 2, 3_000);
      await new Promise((r) => setTimeout(r, 1_200)); // one more scan: nothing more is sent
      recorded = await alerts('status=all');
    } finally {
      stopped = true;
      await closeWatcher();
      clearInterval(timer);
      await inFlight;
    }

    expect(failures).toEqual([]);
    const lines = outbox();
    for (const line of lines) expect(line).toMatchObject({ group: 'production', channels: ['sms', 'email'] });
    const sequence = (agentId: string) =>
      lines
        .flatMap(events)
        .filter((e) => e.agentId === agentId)
        .map((e) => e.kind);
    expect(sequence('prod-probe')).toEqual(['host_unreachable', 'recovery']);
    expect(sequence('prod-stop')).toEqual(['heartbeat_failure', 'recovery']);
    expect(
      lines
        .flatMap(events)
        .map((e) => e.agentId)
        .sort(),
    ).toEqual(['prod-probe', 'prod-probe', 'prod-stop', 'prod-stop']);
    // The test group's incident is recorded like the others, and never sent; healthy agents never alerted.
    expect(recorded.map((a) => `${a.agentId} ${a.kind} ${a.status} ${a.resolution}`).sort()).toEqual([
      'prod-probe host_unreachable resolved heartbeat',
      'prod-stop heartbeat_failure resolved heartbeat',
      'test-stop heartbeat_failure resolved heartbeat',
    ]);
    expect(lines.some((l) => l.agentIds.some((id) => id.startsWith('test-')))).toBe(false);
    const unreachable = lines.find((l) => events(l).some((e) => e.kind === 'host_unreachable'));
    expect(unreachable?.messages.default).toContain(`tcp 127.0.0.1:${port}`);
  }, 20_000);
});
