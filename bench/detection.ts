import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson } from '../cli/agent/http-post';
import { startRelay } from '../cli/agent/relay';
import { startLocalWatcher } from '../cli/local-watcher';
import { parseConfig } from '../lambda/domain/config';
import { median, sleep } from './common';

export interface DetectionResult {
  readonly samples: number;
  readonly missed: number;
  readonly minRatio: number;
  readonly medianRatio: number;
  readonly maxRatio: number;
  readonly bound: number;
  readonly missedScansBeforeAlert: number;
  readonly scanIntervalSeconds: number;
  /** How often each agent beat. */
  readonly beatMs: number;
  /** Through `hbw agent relay`: the heartbeats the agents sent, and the ones the watcher wrote. */
  readonly relay?: {
    readonly flushMs: number;
    readonly sentPerAgentScan: number;
    readonly writesPerAgentScan: number;
    /**
     * The same without each agent's first heartbeat, which goes at once (the relay learns the agent's
     * pace from the watcher's answer to it), and its last, which the relay held and sent once the
     * agent had stopped: what the relay's pacing holds an agent to while it runs.
     */
    readonly pacedWritesPerAgentScan: number;
    /**
     * The most the watcher's time of an agent's last heartbeat came after the agent sent it: the way
     * from agent to relay to watcher and the item's wait for the writes of its batch before it, the
     * relay's hold being dated back (`heldMs`).
     */
    readonly datedLateMaxMs: number;
  };
}

/**
 * Through the relay, agents beat 3 times a scan interval, as MOM's defaults do (10 s heartbeats, 30 s
 * scans), and the relay waits at most 50 ms for a fuller batch: its 1 s default, scaled as the scans
 * are (30 s to 1 s) so that the batching delay weighs here what it weighs in a fleet.
 */
const RELAYED = { beatMs: 333, flushMs: 50 } as const;

/**
 * Local mode with 1 s intervals and 3 missed scans: agents beat (every 250 ms, or through the relay
 * as {@link RELAYED} says) and stop at random moments; each one's latency from its last heartbeat
 * (the watcher's time of it) to its alert in the outbox, over the threshold. Through the relay, also
 * how much later than the agent sent it the watcher dated that heartbeat.
 */
export async function benchDetection(
  agents: number,
  log: (line: string) => void,
  throughRelay = false,
): Promise<DetectionResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hbw-detect-'));
  const missedScansBeforeAlert = 3;
  const scanIntervalSeconds = 1;
  const watcher = await startLocalWatcher({
    config: parseConfig({
      heartbeatIntervalSeconds: 1,
      scanIntervalSeconds,
      missedScansBeforeAlert,
      stormMinAgents: 1_000_000,
      groups: { production: { channels: ['sms', 'email'] } },
    }),
    port: 0,
    dataDir,
    print: () => {},
  });
  const relay = throughRelay
    ? await startRelay({ port: 0, endpoint: watcher.url, flushMs: RELAYED.flushMs, log: () => {} })
    : undefined;
  const keepAlive = new http.Agent({ keepAlive: true });
  const beatMs = relay ? RELAYED.beatMs : 250;
  try {
    const tokens = new Map<string, string>();
    for (let i = 0; i < agents; i++) {
      const added = await watcher.service.addAgent({ agentId: `d-${i}`, group: 'production' });
      tokens.set(added.agentId, added.token!);
    }
    const lastBeat = new Map<string, number>();
    const sent = new Map<string, number>();
    const startedAt = Date.now();
    const stopAt = new Map([...tokens.keys()].map((id) => [id, startedAt + 1_000 + Math.random() * 4_000]));
    log(
      `  ${agents} agents beat every ${beatMs} ms${relay ? ' through the relay' : ''} and stop at random moments over 4 s`,
    );
    const beat = async (agentId: string, token: string): Promise<number> => {
      const seq = (sent.get(agentId) ?? 0) + 1;
      sent.set(agentId, seq);
      if (!relay)
        return Date.parse((await watcher.service.heartbeat(token, { agentId, seq })).body.serverTime);
      const at = Date.now();
      const answer = await postJson(
        `${relay.url}/v1/heartbeat`,
        { agentId, seq, sentAt: new Date(at).toISOString() },
        { token, timeoutMs: 10_000, agent: keepAlive },
      );
      if (answer.status !== 200) throw new Error(`the relay answered ${answer.status} to ${agentId}`);
      return at;
    };
    // Each agent on its own clock, as on its own host: a slow answer to one holds no other back.
    await Promise.all(
      [...tokens].map(async ([agentId, token]) => {
        while (stopAt.get(agentId)! > Date.now()) {
          const due = Date.now() + beatMs;
          lastBeat.set(agentId, await beat(agentId, token));
          await sleep(Math.max(0, due - Date.now()));
        }
      }),
    );
    const deadline = Date.now() + (missedScansBeforeAlert + 3) * scanIntervalSeconds * 1000;
    const alertedAt = new Map<string, number>();
    while (alertedAt.size < agents && Date.now() < deadline) {
      await sleep(200);
      let text = '';
      try {
        text = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').filter(Boolean)) {
        const notice = JSON.parse(line) as { kind: string; time: string; agentIds: string[] };
        if (notice.kind === 'recovery') continue;
        for (const id of notice.agentIds) if (!alertedAt.has(id)) alertedAt.set(id, Date.parse(notice.time));
      }
    }
    const threshold = missedScansBeforeAlert * scanIntervalSeconds * 1000;
    // Each agent's time alive, in scan intervals: what its heartbeats and the writes are counted over.
    const agentScans = [...stopAt.values()].reduce(
      (sum, stop) => sum + (stop - startedAt) / (scanIntervalSeconds * 1000),
      0,
    );
    const heartbeatsSent = [...sent.values()].reduce((a, b) => a + b, 0);
    // Through the relay, the watcher's own time of each agent's last heartbeat, as direct: the
    // scanner counts from it. How far it lies from when the agent sent it is measured apart.
    const recorded = new Map<string, number>();
    if (relay) {
      for (const id of tokens.keys()) {
        const at = (await watcher.service.getAgent(id)).lastHeartbeatAt;
        if (at !== undefined) recorded.set(id, Date.parse(at));
      }
    }
    const lastHeard = (id: string) => recorded.get(id) ?? lastBeat.get(id)!;
    const ratios = [...alertedAt].map(([id, at]) => (at - lastHeard(id)) / threshold).sort((a, b) => a - b);
    const datedLateMaxMs = Math.max(...[...recorded].map(([id, at]) => at - lastBeat.get(id)!));
    return {
      samples: ratios.length,
      missed: agents - ratios.length,
      minRatio: ratios[0] ?? Number.NaN,
      medianRatio: median(ratios),
      maxRatio: ratios.at(-1) ?? Number.NaN,
      bound: 1 + 1 / missedScansBeforeAlert,
      missedScansBeforeAlert,
      scanIntervalSeconds,
      beatMs,
      ...(relay
        ? {
            relay: {
              flushMs: RELAYED.flushMs,
              sentPerAgentScan: heartbeatsSent / agentScans,
              writesPerAgentScan: relay.stats.accepted / agentScans,
              pacedWritesPerAgentScan: (relay.stats.accepted - 2 * agents) / agentScans,
              datedLateMaxMs,
            },
          }
        : {}),
    };
  } finally {
    keepAlive.destroy();
    await relay?.close({ flushMs: 1000 });
    await watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
