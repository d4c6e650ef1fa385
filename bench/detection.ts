import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalWatcher } from '../cli/local-watcher';
import { parseConfig } from '../lambda/domain/config';
import { sleep } from './common';

export interface DetectionResult {
  readonly samples: number;
  readonly missed: number;
  readonly minRatio: number;
  readonly medianRatio: number;
  readonly maxRatio: number;
  readonly bound: number;
  readonly missedScansBeforeAlert: number;
  readonly scanIntervalSeconds: number;
}

/**
 * Local mode with 1 s intervals and 3 missed scans: agents beat every 250 ms and stop at random
 * moments; each one's latency from its last heartbeat to its alert in the outbox, over the threshold.
 */
export async function benchDetection(agents: number, log: (line: string) => void): Promise<DetectionResult> {
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
  try {
    const tokens = new Map<string, string>();
    for (let i = 0; i < agents; i++) {
      const added = await watcher.service.addAgent({ agentId: `d-${i}`, group: 'production' });
      tokens.set(added.agentId, added.token!);
    }
    const lastBeat = new Map<string, number>();
    const stopAt = new Map([...tokens.keys()].map((id) => [id, Date.now() + 1_000 + Math.random() * 4_000]));
    log(`  ${agents} agents stop at random moments over 4 s`);
    while ([...stopAt.values()].some((t) => t > Date.now())) {
      await Promise.all(
        [...tokens].map(async ([agentId, token]) => {
          if (stopAt.get(agentId)! <= Date.now()) return;
          const answer = await watcher.service.heartbeat(token, { agentId });
          lastBeat.set(agentId, Date.parse(answer.body.serverTime));
        }),
      );
      await sleep(250);
    }
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
    const ratios = [...alertedAt]
      .map(([id, at]) => (at - lastBeat.get(id)!) / threshold)
      .sort((a, b) => a - b);
    return {
      samples: ratios.length,
      missed: agents - ratios.length,
      minRatio: ratios[0] ?? Number.NaN,
      medianRatio: ratios[Math.floor(ratios.length / 2)] ?? Number.NaN,
      maxRatio: ratios.at(-1) ?? Number.NaN,
      bound: 1 + 1 / missedScansBeforeAlert,
      missedScansBeforeAlert,
      scanIntervalSeconds,
    };
  } finally {
    await watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
