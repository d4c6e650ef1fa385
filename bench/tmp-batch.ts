import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalWatcher } from '../cli/local-watcher';
import { DEFAULT_CONFIG, parseConfig } from '../lambda/domain/config';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hbw-tb-'));
  process.chdir(dir);
  const w = await startLocalWatcher({
    config: parseConfig(DEFAULT_CONFIG),
    port: 0,
    scanning: false,
    json: true,
    print: () => {},
    outboxPath: join(dir, 'outbox.jsonl'),
  } as never);
  const ids: { agentId: string; token: string }[] = [];
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${w.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: `a-${i}`, group: 'production' }),
    });
    const b = (await r.json()) as { token: string };
    ids.push({ agentId: `a-${i}`, token: b.token });
  }
  let seq = 0;
  const batch = async () => {
    seq++;
    const body = JSON.stringify({
      heartbeats: ids.map((a) => ({
        agentId: a.agentId,
        token: a.token,
        seq,
        bootId: 'b1',
        sentAt: new Date().toISOString(),
      })),
    });
    const t = performance.now();
    const r = await fetch(`${w.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const j = (await r.json()) as { results: { status: string }[] };
    if (j.results.some((x) => x.status !== 'ok')) throw new Error(JSON.stringify(j.results[0]));
    return performance.now() - t;
  };
  for (let i = 0; i < 50; i++) await batch();
  const prof = process.argv.includes('--prof');
  const s = new Session();
  if (prof) {
    s.connect();
    await s.post('Profiler.enable');
    await s.post('Profiler.start');
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const lat: number[] = [];
  const N = Number(process.env.N ?? 200);
  for (let i = 0; i < N; i++) lat.push(await batch());
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (prof) {
    const { profile } = await s.post('Profiler.stop');
    writeFileSync('/tmp/batch.cpuprofile', JSON.stringify(profile));
  }
  lat.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      batches: N,
      wallMsPerBatch: wall / N,
      p50: lat[N >> 1],
      p99: lat[Math.floor(N * 0.99)],
      processCpuMsPerHb: (cpu.user + cpu.system) / 1000 / N / 100,
    }),
  );
  await w.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
