import { Cron } from 'croner';
import type { ScopeMaintenance as MaintenanceAnswer, StatusAnswer } from '../api/contract';
import { isObject } from './config';
import type { FieldProblem } from './errors';

const DAY_MS = 86_400_000;

/** How far ahead a one-off window may end (`until`). */
export const MAX_ONE_OFF_MS = 30 * DAY_MS;
/** A stretch of windows that touch is followed this far past `now`, and over at most so many steps. */
const STRETCH_HORIZON_MS = 31 * DAY_MS;
const STRETCH_MAX_STEPS = 1000;
/** How many windows ahead the console is shown for each group and cluster. */
export const NEXT_WINDOWS = 3;

/** A recurring window of the config, its duration read: it starts at each time `cron` names in `timezone`. */
export interface RecurringWindow {
  readonly cron: string;
  readonly durationMs: number;
  readonly timezone: string;
  readonly reason?: string;
}

export type MaintenanceScope = 'group' | 'cluster';

/** A one-off window for a whole group or cluster, set through the API and stored: from `since` to `until`. */
export interface FleetWindow {
  readonly scope: MaintenanceScope;
  readonly name: string;
  readonly since: number;
  readonly until: number;
  readonly reason?: string;
}

/**
 * A window as it applies: its start instant is inside, `until` is outside. `by` names whose window it
 * is: the agent's id for its own, `group production` or `cluster db` for a fleet-wide one.
 */
export interface MaintenanceWindow {
  readonly start: number;
  readonly until: number;
  readonly reason?: string;
  readonly by: string;
}

/** Why a cron expression is refused, in croner's words; `undefined` when it is one that comes. */
function cronProblem(pattern: string): string | undefined {
  try {
    return new Cron(pattern).nextRun() === null ? 'it never comes' : undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/**
 * The config's cron expressions that croner refuses or that never come, each as a problem naming its
 * field. The config's schema (domain/config.ts) checks a window's shape; this checks what its cron
 * means, for the readers that use the windows: the CLI (local mode, `hbw config check`), the stack
 * at synth, the scanner and the admin function at cold start. The ingest and register functions,
 * which never read the windows, read their settings instead of the config, and so carry no cron parser.
 */
export function cronProblems(raw: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isObject(raw)) return problems;
  for (const key of ['groups', 'clusters'] as const) {
    const entries = raw[key];
    if (!isObject(entries) || Array.isArray(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      const windows = isObject(entry) ? entry.maintenance : undefined;
      if (!Array.isArray(windows)) continue;
      windows.forEach((window: unknown, i) => {
        const cron = isObject(window) ? window.cron : undefined;
        // Anything but a string is the schema's to refuse.
        const problem = typeof cron === 'string' ? cronProblem(cron) : undefined;
        if (problem === undefined) return;
        const field = `${key}.${name}.maintenance[${i}].cron`;
        problems.push({
          field,
          message: `${field}: must be a cron expression such as "0 2 * * 0" (${problem})`,
        });
      });
    }
  }
  return problems;
}

/** A stretch of time windows come from: those in effect at an instant, and the next that starts. */
interface WindowSource {
  /** The windows with `start <= t < until`. */
  covering(t: number): MaintenanceWindow[];
  /** The first start strictly after `t`, if any. */
  nextStartAfter(t: number): number | undefined;
}

function recurringSource(window: RecurringWindow, by: string): WindowSource {
  const cron = new Cron(window.cron, { timezone: window.timezone });
  const D = window.durationMs;
  const at = (start: number): MaintenanceWindow => ({ start, until: start + D, reason: window.reason, by });
  return {
    covering(t) {
      // The earliest start in (t - D, t] and the latest at or before t: the windows between lie within them.
      const earliest = cron.nextRun(new Date(t - D))?.getTime();
      if (earliest === undefined || earliest > t) return [];
      const latest = cron.previousRuns(1, new Date(t + 1))[0]?.getTime() ?? earliest;
      return latest === earliest ? [at(earliest)] : [at(earliest), at(latest)];
    },
    nextStartAfter: (t) => cron.nextRun(new Date(t))?.getTime(),
  };
}

function fixedSource(window: MaintenanceWindow): WindowSource {
  return {
    covering: (t) => (window.start <= t && t < window.until ? [window] : []),
    nextStartAfter: (t) => (window.start > t ? window.start : undefined),
  };
}

/**
 * The stretch of maintenance in effect at `t`: the window that started first of those in effect, its
 * `until` carried to the end of every window that overlaps or touches it in turn (followed at most
 * {@link STRETCH_HORIZON_MS} ahead, in at most {@link STRETCH_MAX_STEPS} steps: a cron of every
 * second with windows of a second would take millions). `undefined` when no window is in effect.
 */
function stretchAt(sources: readonly WindowSource[], t: number): MaintenanceWindow | undefined {
  const now = sources.flatMap((s) => s.covering(t));
  if (now.length === 0) return undefined;
  const first = now.reduce((a, b) => (b.start < a.start ? b : a));
  let until = Math.max(...now.map((w) => w.until));
  for (let step = 0; step < STRETCH_MAX_STEPS && until < t + STRETCH_HORIZON_MS; step++) {
    const further = Math.max(until, ...sources.flatMap((s) => s.covering(until)).map((w) => w.until));
    if (further === until) break;
    until = further;
  }
  return { ...first, until };
}

/** The next `count` stretches that start after `t` (the one in effect at `t` not among them). */
function stretchesAfter(sources: readonly WindowSource[], t: number, count: number): MaintenanceWindow[] {
  const out: MaintenanceWindow[] = [];
  let from = stretchAt(sources, t)?.until ?? t;
  while (out.length < count) {
    const starts = sources.map((s) => s.nextStartAfter(from)).filter((x) => x !== undefined);
    if (starts.length === 0) break;
    const stretch = stretchAt(sources, Math.min(...starts));
    if (!stretch) break;
    out.push(stretch);
    from = stretch.until;
  }
  return out;
}

/** The settings a group or cluster brings: its name and its recurring windows. */
interface Scoped {
  readonly name: string;
  readonly maintenance: readonly RecurringWindow[];
}

/** What a group or cluster shows of its own windows: the one in effect and the next ones. */
export interface ScopeMaintenance {
  readonly current?: MaintenanceWindow;
  readonly next: readonly MaintenanceWindow[];
}

/**
 * Every window of the fleet at one instant, `now`: each group's and cluster's recurring windows of
 * the config and the one-off windows stored. Built once per scan or request; each group's and each
 * cluster's windows are read once and kept.
 */
export class MaintenanceCalendar {
  private readonly sources = new Map<string, WindowSource[]>();
  private readonly fleet = new Map<string, MaintenanceWindow | undefined>();

  constructor(
    private readonly config: {
      readonly groups: Readonly<Record<string, Scoped>>;
      readonly clusters: Readonly<Record<string, Scoped>>;
    },
    private readonly oneOffs: readonly FleetWindow[],
    readonly now: number,
  ) {}

  /** The windows of one group or cluster: its recurring ones, and its one-off window if it has one. */
  private sourcesOf(scope: MaintenanceScope, name: string): WindowSource[] {
    const key = `${scope} ${name}`;
    let found = this.sources.get(key);
    if (!found) {
      const settings = scope === 'group' ? this.config.groups : this.config.clusters;
      const recurring = Object.hasOwn(settings, name) ? settings[name]!.maintenance : [];
      const oneOff = this.oneOffs.find((w) => w.scope === scope && w.name === name && w.until > this.now);
      found = [
        ...recurring.map((w) => recurringSource(w, key)),
        ...(oneOff
          ? [fixedSource({ start: oneOff.since, until: oneOff.until, reason: oneOff.reason, by: key })]
          : []),
      ];
      this.sources.set(key, found);
    }
    return found;
  }

  /** The window of a group or cluster in effect now, and its next ones. */
  scope(scope: MaintenanceScope, name: string, count = NEXT_WINDOWS): ScopeMaintenance {
    const sources = this.sourcesOf(scope, name);
    return { current: stretchAt(sources, this.now), next: stretchesAfter(sources, this.now, count) };
  }

  /** The window of a cluster in effect now (a `cluster_down` alert waits for its end). */
  cluster(name: string): MaintenanceWindow | undefined {
    return stretchAt(this.sourcesOf('cluster', name), this.now);
  }

  /**
   * The window that applies to an agent now: its own, its group's or its cluster's, merged where they
   * overlap or touch; `undefined` when none does.
   */
  agent(agent: {
    readonly agentId: string;
    readonly group: string;
    readonly cluster?: string;
    readonly maintenanceUntil?: number;
    readonly maintenanceReason?: string;
  }): MaintenanceWindow | undefined {
    const hasOwn = agent.maintenanceUntil !== undefined && agent.maintenanceUntil > this.now;
    // Every agent of a group and cluster shares their windows: worked out once per pair (a scan asks
    // for each of its agents).
    const key = `${agent.group}\n${agent.cluster ?? ''}`;
    if (!hasOwn && this.fleet.has(key)) return this.fleet.get(key);
    const own = hasOwn
      ? // The agent's own window keeps no start: it counts as in effect since before any other.
        [
          fixedSource({
            start: 0,
            until: agent.maintenanceUntil!,
            reason: agent.maintenanceReason,
            by: agent.agentId,
          }),
        ]
      : [];
    const sources = [
      ...own,
      ...this.sourcesOf('group', agent.group),
      ...(agent.cluster === undefined ? [] : this.sourcesOf('cluster', agent.cluster)),
    ];
    const window = stretchAt(sources, this.now);
    if (!hasOwn) this.fleet.set(key, window);
    return window;
  }
}

/** The windows of every group and every cluster, as `GET /v1/status` shows them. */
export function fleetMaintenance(
  calendar: MaintenanceCalendar,
  config: {
    readonly groups: Readonly<Record<string, unknown>>;
    readonly clusters: Readonly<Record<string, unknown>>;
  },
): StatusAnswer['maintenance'] {
  const of = (scope: MaintenanceScope, names: string[]) =>
    Object.fromEntries(names.map((name) => [name, maintenanceView(calendar.scope(scope, name))]));
  return {
    groups: of('group', Object.keys(config.groups)),
    clusters: of('cluster', Object.keys(config.clusters)),
  };
}

const windowView = (w: MaintenanceWindow) => ({
  start: new Date(w.start).toISOString(),
  until: new Date(w.until).toISOString(),
  reason: w.reason,
  by: w.by,
});

/** A group's or cluster's windows as the API shows them: RFC 3339 times; `current` null outside one. */
export function maintenanceView(m: ScopeMaintenance): MaintenanceAnswer {
  return { current: m.current ? windowView(m.current) : null, next: m.next.map(windowView) };
}
