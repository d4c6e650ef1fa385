import type { StatusAnswer as WatcherStatus } from '../../lambda/api/contract';
import { STATE_DISPLAY_ORDER } from '../../lambda/domain/agent-states';
import { scanLag } from '../../lambda/domain/scan';
import type { Command, CommandContext } from '../command';
import { age, paint, STATE_COLOURS, table, useColour } from '../output';
import { untilSignal } from '../signals';

/**
 * What `hbw status` reads of `GET /v1/status`: a watcher older than the CLI may leave out `countsAt`
 * (it counted at the call), `openAlerts`, `smsBudget` and `config`.
 */
export type StatusAnswer = Pick<WatcherStatus, 'version' | 'serverTime' | 'lastScanAt' | 'agents'> &
  Partial<Pick<WatcherStatus, 'countsAt' | 'openAlerts' | 'smsBudget'>> & {
    groups: Record<string, Partial<WatcherStatus['groups'][string]>>;
    config?: Pick<WatcherStatus['config'], 'scanTickSeconds'>;
  };

/** One line per group with an SMS budget: spent today of the budget, and once reached, since when. */
function budgetLines(s: StatusAnswer, colour: boolean): string {
  const lines = Object.entries(s.smsBudget ?? {}).map(([group, b]) => {
    const text = `SMS today ${group}: ${b.spentToday}/${b.perDay}`;
    return b.reachedAt === undefined
      ? text
      : paint(`${text}, reached at ${b.reachedAt}: more in email and the console`, 'yellow', colour);
  });
  return lines.length === 0 ? '' : `\n\n${lines.join('\n')}`;
}

/** How often `hbw status --watch` asks again. */
const WATCH_INTERVAL_MS = 2000;

/** `hbw status` for people: a summary line and a row per group, coloured when `colour`. */
export function renderStatus(s: StatusAnswer, endpoint: string, colour: boolean): string {
  const now = Date.parse(s.serverTime);
  const scan = s.lastScanAt === null ? 'none yet' : `${s.lastScanAt} (${age(s.lastScanAt, now)})`;
  const open =
    s.openAlerts === undefined || s.openAlerts === null
      ? ''
      : `, ${s.openAlerts} open alert${s.openAlerts === 1 ? '' : 's'}`;
  const alerts = s.openAlerts ? paint(open, 'red', colour) : open;
  const tick = s.config?.scanTickSeconds;
  const lag =
    tick === undefined || s.lastScanAt === null ? undefined : scanLag(Date.parse(s.lastScanAt), now, tick);
  const behind = lag?.behind
    ? `\n${paint(`WARNING: the watcher is behind: its last scan was ${lag.ageMs / 1000} s ago, more than three scan intervals (${lag.limitMs / 1000} s), so no alert can open`, 'red', colour)}`
    : '';
  const head = `watcher ${s.version} at ${endpoint}: `;
  if (s.agents === null) {
    return `${head}no counts yet (the first scan counts the agents), last scan ${scan}${behind}${budgetLines(s, colour)}`;
  }
  // A watcher that counts in its scans says which one; an older one counted at the call.
  const counted = s.countsAt === undefined ? '' : ' as of the last scan';
  return (
    `${head}${s.agents} agents${counted}, last scan ${scan}${alerts}${behind}\n\n` +
    table(
      ['GROUP', ...STATE_DISPLAY_ORDER.map((x) => x.toUpperCase())],
      Object.entries(s.groups).map(([g, counts]) => [
        g,
        ...STATE_DISPLAY_ORDER.map((x) => String(counts[x] ?? 0)),
      ]),
      (text, _row, column) => {
        if (column === 0) return paint(text, 'bold', colour);
        const state = STATE_DISPLAY_ORDER[column - 1] ?? '';
        return text === '0'
          ? paint(text, 'dim', colour)
          : paint(text, STATE_COLOURS[state] ?? 'bold', colour);
      },
    ) +
    budgetLines(s, colour)
  );
}

/** Clears a terminal screen and puts the cursor home, so each --watch frame replaces the last. */
const CLEAR = '\u001b[H\u001b[2J';

export interface WatchOptions {
  readonly intervalMs: number;
  /** Resolves when watching should stop (Ctrl-C). */
  readonly stopped: Promise<void>;
  readonly colour: boolean;
  /** Clear the screen before each frame (a terminal); otherwise frames follow each other. */
  readonly clear: boolean;
}

/** Renders the status every `intervalMs` until `stopped`; a watcher that does not answer is said, and asked again. */
export async function watchStatus(ctx: CommandContext, options: WatchOptions): Promise<number> {
  let stop = false;
  void options.stopped.then(() => {
    stop = true;
  });
  const client = ctx.client();
  while (!stop) {
    let frame: string;
    try {
      const s = await client.request<StatusAnswer>('GET', '/v1/status');
      frame = ctx.json ? JSON.stringify(s) : renderStatus(s, client.endpoint, options.colour);
    } catch (error) {
      frame = `hbw: ${(error as Error).message} (asking again every ${options.intervalMs / 1000} s)`;
    }
    if (stop) break;
    if (ctx.json) ctx.out(frame);
    else
      ctx.out(
        options.clear
          ? `${CLEAR}${frame}\n\n${paint(`every ${options.intervalMs / 1000} s; Ctrl-C stops`, 'dim', options.colour)}`
          : `${frame}\n`,
      );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      options.stopped,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.intervalMs);
      }),
    ]);
    clearTimeout(timer);
  }
  return 0;
}

export const statusCommand: Command = {
  path: ['status'],
  summary: 'Counts of agents by group and state, the time of the last scan, the watcher version.',
  remote: true,
  options: { watch: { type: 'boolean', default: false } },
  optionHelp: ['--watch             ask again every 2 s until Ctrl-C (with --json: one JSON object a line)'],
  example: 'hbw status --watch',
  async run(ctx) {
    if (ctx.values.watch === true) {
      const tty = process.stdout.isTTY === true;
      return watchStatus(ctx, {
        intervalMs: WATCH_INTERVAL_MS,
        stopped: untilSignal().then(() => undefined),
        colour: useColour(ctx.env),
        clear: tty && !ctx.json,
      });
    }
    const s = await ctx.client().request<StatusAnswer>('GET', '/v1/status');
    if (ctx.json) {
      ctx.out(JSON.stringify(s, null, 2));
      return 0;
    }
    ctx.out(renderStatus(s, ctx.client().endpoint, useColour(ctx.env)));
    return 0;
  },
};
