import type { AgentView, AlertView, AuditEntryView } from '../../lambda/api/contract';
import type { ConsoleStatus, ReportedMaintenance } from './types';

/** How often the page asks the watcher again. */
export const REFRESH_MS = 5000;
/** Agents a page of `GET /v1/agents` holds, and rows the agents table adds at a time. */
export const PAGE_ROWS = 100;
/** Members a cluster's card names; the agents view, filtered by the cluster, lists them all. */
export const MEMBER_ROWS = 50;
/** The default scan interval, used when the watcher neither reports its own nor has been seen to scan twice. */
export const DEFAULT_SCAN_SECONDS = 30;
/** The share of heartbeats lost over the last hour that the agents table flags. */
export const LOSS_WARNING_PERCENT = 5;

export const VIEWS = ['overview', 'agents', 'clusters', 'pending', 'alerts', 'audit', 'agent'];
export const TITLES: Record<string, string> = {
  overview: 'Overview',
  agents: 'Agents',
  clusters: 'Clusters',
  pending: 'Pending',
  alerts: 'Alerts',
  audit: 'Audit trail',
  agent: 'Agent',
};

/** One agent's page: its record, its alerts, its parent and the agents behind it. */
interface AgentDetail {
  agentId: string;
  agent: AgentView | null;
  alerts: AlertView[];
  /** Its parent's view; `null` when the parent it names is no agent. */
  parent?: AgentView | null;
  children: AgentView[];
}

/** What the page knows of the watcher, and where the operator is: one object every module reads. */
export const app = {
  status: undefined as ConsoleStatus | undefined,
  openAlerts: [] as AlertView[],
  agents: undefined as AgentView[] | undefined,
  pendingAgents: undefined as AgentView[] | undefined,
  rejectedAgents: [] as AgentView[],
  alertList: undefined as { query: string; alerts: AlertView[] } | undefined,
  detail: undefined as AgentDetail | undefined,
  /**
   * The audit view's trail: `auditPages` pages of `GET /v1/audit` (PAGE_ROWS entries each) read
   * on each refresh, one more by its button or as the operator scrolls to it; `cursor` is where the
   * next page starts (undefined: none left).
   */
  audit: undefined as { query: string; entries: AuditEntryView[]; cursor?: string } | undefined,
  auditPages: 1,
  view: 'overview',
  detailId: '',
  sortKey: 'agentId',
  sortDir: 1,
  /** Rows the agents table shows. */
  limit: PAGE_ROWS,
  /**
   * The agents view reads the fleet a page at a time (`GET /v1/agents?limit=`), filtered by the
   * watcher: `agentPages` pages are read on each refresh, one more as the operator scrolls to the end,
   * and `agentsCursor` is where the next one starts (undefined: none left).
   */
  agentPages: 1,
  agentsCursor: undefined as string | undefined,
  /**
   * A group's windows as its own PUT or DELETE answered them: `GET /v1/status` shows the windows the
   * last scan read, so these stand in until a newer scan (another `countsAt`) has read them too.
   */
  windowsAnswered: new Map<string, { maintenance: ReportedMaintenance; countsAt?: string | null }>(),
  observedTickSeconds: undefined as number | undefined,
  /** The watcher's clock minus this browser's, from the last status answer. */
  offset: 0,
  /** The last answer asked for the admin token. */
  needToken: false,
};

export const serverNow = () => Date.now() + app.offset;

/** Seconds between scans: reported by the watcher, else seen between two refreshes, else the default. */
export function scanTick(): { seconds: number; source: 'reported' | 'observed' | 'assumed' } {
  const reported = app.status?.config?.scanTickSeconds;
  if (reported) return { seconds: reported, source: 'reported' };
  if (app.observedTickSeconds) return { seconds: app.observedTickSeconds, source: 'observed' };
  return { seconds: DEFAULT_SCAN_SECONDS, source: 'assumed' };
}

/** A group's windows: as the console last set them, until a scan after that read them. */
export function groupWindows(group: string): ReportedMaintenance | undefined {
  const answered = app.windowsAnswered.get(group);
  if (answered && answered.countsAt === app.status?.countsAt) return answered.maintenance;
  app.windowsAnswered.delete(group);
  return app.status?.maintenance?.groups[group];
}

export function windowSet(group: string, maintenance: ReportedMaintenance): void {
  app.windowsAnswered.set(group, { maintenance, countsAt: app.status?.countsAt });
}
