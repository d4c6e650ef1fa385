// The soak's console step (`npm run soak -- --console-poll`): while the agents beat, it reads what an
// open console reads, once a second, and samples the watcher's memory (RSS, both threads) and the size
// of its data dir, so that a watcher that grows with the reads (issue 17 point 12: dynalite kept a
// LevelDB snapshot open for each Scan) misses a goal. The console itself refreshes every 5 s: this is
// five consoles open at once, or one operator's script polling the API.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { median, request, sleep, type WatcherProcess } from './common';
import type { GoalRow } from './soak-reconcile';

/** What one console refresh reads (cli/console/refresh.ts `refresh()`, on its agents view). */
export const CONSOLE_READS = ['/v1/status', '/v1/alerts?status=open', '/v1/agents'] as const;
const POLL_MS = 1000;
const SAMPLE_MS = 10_000;
/** A read waits this long: through a SIGSTOP of the watcher, as a browser would. */
const READ_TIMEOUT_MS = 30_000;

/** The baseline of the growth goal: the figures this long after the start. */
export const GROWTH_BASELINE_SECONDS = 600;
/**
 * The growth goal holds runs at least this long: after the 10-minute baseline, at least as long again
 * for a leak to show. Shorter runs report the figures only: within minutes, LevelDB's log and its
 * compactions move the store by megabytes either way.
 */
export const GROWTH_GOAL_MIN_SECONDS = 1200;
export const GROWTH_LIMIT = 1.2;
/**
 * The chaos of a run with the console step: no restarts (a restart frees what the watcher holds, and
 * would hide its growth), and agent events at a fifth of the usual rate. Each alert is a record the
 * watcher keeps for `resolvedAlertRetentionDays`, data the store is meant to grow by: at the usual
 * 1.2 events a second an hour adds some 2,000 of them, about a third of a 256-agent store, which
 * would drown what the goal looks for, growth beyond the data.
 */
export const CONSOLE_STEP_CHAOS = { restarts: false, eventsPerSecond: 0.25 } as const;
/** A figure's value at a time: the median of its samples over this long up to it (see consolePollRows). */
export const GROWTH_WINDOW_SECONDS = 300;

export interface GrowthSample {
  /** Seconds since the step started (the start of the heartbeat run). */
  readonly at: number;
  readonly rssBytes: number;
  readonly dataDirBytes: number;
  /** The part of the data dir that is LevelDB (dynalite's store); the rest is the outbox. */
  readonly storeBytes: number;
}

export interface ConsolePollResult {
  readonly reads: number;
  /** Reads that failed or were not answered 200 within READ_TIMEOUT_MS. */
  readonly failedReads: number;
  /** Why the first of them failed: the route and its status or error. */
  readonly firstFailure?: string;
  readonly samples: readonly GrowthSample[];
}

export interface ConsolePoll {
  /** Stops the reads and the sampling (after a last sample) and answers what they saw. */
  stop(): Promise<ConsolePollResult>;
}

/** Starts the console's reads of `watcher` over `agent`, and the sampling of its process and `dataDir`. */
export function startConsolePoll(watcher: WatcherProcess, agent: http.Agent, dataDir: string): ConsolePoll {
  const started = Date.now();
  let stopped = false;
  let reads = 0;
  let failedReads = 0;
  let firstFailure: string | undefined;
  const samples: GrowthSample[] = [];
  const sample = () => {
    const rssBytes = processRssBytes(watcher.child?.pid);
    if (rssBytes !== undefined)
      samples.push({
        at: (Date.now() - started) / 1000,
        rssBytes,
        dataDirBytes: treeBytes(dataDir),
        storeBytes: treeBytes(join(dataDir, 'dynamodb')),
      });
  };
  const polling = (async () => {
    for (let next = started; !stopped; ) {
      for (const path of CONSOLE_READS) {
        reads += 1;
        const failure = await request(agent, watcher.port, 'GET', path, { timeoutMs: READ_TIMEOUT_MS }).then(
          (answer) => (answer.status === 200 ? undefined : `HTTP ${answer.status}`),
          (error: Error) => error.message,
        );
        if (failure === undefined) continue;
        failedReads += 1;
        firstFailure ??= `${path}: ${failure}`;
      }
      next += POLL_MS;
      if (next > Date.now()) await sleep(next - Date.now());
      else next = Date.now();
    }
  })();
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  return {
    async stop() {
      stopped = true;
      clearInterval(sampler);
      await polling;
      sample();
      return { reads, failedReads, firstFailure, samples };
    },
  };
}

/** The resident memory of a process, from /proc (undefined where there is none). */
function processRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** The bytes of every file under `dir`; a file that goes while it is counted (a compaction) counts 0. */
function treeBytes(dir: string): number {
  let bytes = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      bytes += stat.isDirectory() ? treeBytes(path) : stat.size;
    } catch {
      // gone meanwhile
    }
  }
  return bytes;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The goal rows of the step: the console's reads; the watcher's RSS and its LevelDB store, each held
 * to at most 1.2x its value at the baseline (10 minutes in, or half-way through a shorter run) for
 * the rest of the run, in runs of GROWTH_GOAL_MIN_SECONDS or more; and the outbox, reported.
 *
 * A figure's value at a time is the median of its samples over the five minutes up to it
 * (GROWTH_WINDOW_SECONDS), not one sample: LevelDB's log fills to 4 MB and is emptied into a table
 * every minute or so, and the heap saws between collections by a fifth, so one sample may catch
 * either at its low and another at its high. The outbox has no growth goal: it is the record of
 * every page, one line each, and grows with the pages by design (the soak pages far more often than
 * a fleet would).
 */
export function consolePollRows(result: ConsolePollResult, runSeconds: number): GoalRow[] {
  const goalHolds = runSeconds >= GROWTH_GOAL_MIN_SECONDS;
  const baselineAt = Math.min(GROWTH_BASELINE_SECONDS, runSeconds / 2);
  const window = Math.min(GROWTH_WINDOW_SECONDS, baselineAt);
  const minute = Math.round(baselineAt / 60);
  const valueAt = (at: number, figure: (s: GrowthSample) => number) =>
    median(result.samples.filter((s) => s.at > at - window && s.at <= at).map(figure));
  const later = result.samples.filter((s) => s.at > baselineAt);
  const baselined = result.samples.some((s) => s.at <= baselineAt) && later.length > 0;
  const outbox = (s: GrowthSample) => s.dataDirBytes - s.storeBytes;
  const growthRow = (what: string, figure: (s: GrowthSample) => number): GoalRow => {
    const measure = `${what}, median of ${window / 60} min: at minute ${minute} / highest after / at the end`;
    const goal = goalHolds
      ? `<= ${GROWTH_LIMIT}x its minute-${minute} value`
      : `- (<= ${GROWTH_LIMIT}x in runs of ${GROWTH_GOAL_MIN_SECONDS / 60} minutes or more)`;
    if (!baselined) return { measure, result: 'no samples', goal, met: goalHolds ? false : undefined };
    const base = valueAt(baselineAt, figure);
    const values = later.map((s) => valueAt(s.at, figure));
    const highest = Math.max(...values);
    const ratio = highest / base;
    return {
      measure,
      result: `${mb(base)} / ${mb(highest)} (${ratio.toFixed(2)}x) / ${mb(values[values.length - 1]!)}`,
      goal,
      met: goalHolds ? ratio <= GROWTH_LIMIT : undefined,
    };
  };
  const first = result.samples[0];
  const last = result.samples[result.samples.length - 1];
  return [
    {
      measure: `console reads (${CONSOLE_READS.join(', ')}, once a second): made / failed`,
      result: `${result.reads} / ${result.failedReads}${result.firstFailure ? ` (first: ${result.firstFailure})` : ''}`,
      goal: '0 failed',
      met: result.failedReads === 0,
    },
    growthRow('watcher RSS (both threads)', (s) => s.rssBytes),
    growthRow('data dir: LevelDB (dynalite)', (s) => s.storeBytes),
    {
      measure: `data dir: outbox (one line a page, appended): at minute ${minute} / at the end`,
      result: baselined && last ? `${mb(valueAt(baselineAt, outbox))} / ${mb(outbox(last))}` : 'no samples',
      goal: '-',
    },
    {
      measure: 'data dir, whole: at the start / at the end',
      result: first && last ? `${mb(first.dataDirBytes)} / ${mb(last.dataDirBytes)}` : 'no samples',
      goal: '-',
    },
  ];
}
