import type { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NoticeCounter } from '../lambda/adapters/counted-notifier';
import { type AdminAccess, guardAdmin } from '../lambda/http/admin-routes';
import { resource } from '../lambda/http/door';
import type { ScanReport } from '../lambda/scanner';

/** What the metrics read of the watcher when scraped: the last scan's counts, and the open alerts. */
export interface MetricsSource {
  status(): Promise<{
    readonly groups: Readonly<Record<string, Readonly<Record<string, number>>>>;
    readonly smsBudget?: Readonly<Record<string, { readonly spentToday: number; readonly perDay: number }>>;
  }>;
  listAlerts(query: {
    status: 'open';
  }): Promise<readonly { readonly group: string; readonly kind: string }[]>;
}

/**
 * Local mode's metrics, in the Prometheus text format (`GET /metrics`), through prom-client. The
 * gauges are set as a scrape asks for them, from one read of the status and one of the open alerts'
 * queue; the counters and the histogram are fed by the heartbeat routes, the scan loop and
 * the notifier as things happen. Counters start at zero with each start of `hbw local`, as
 * Prometheus expects of a process.
 */
export class WatcherMetrics {
  readonly registry = new Registry();
  private readonly heartbeats: Counter<'status'>;
  private readonly scanSeconds: Histogram;
  private readonly scansSkipped: Counter;
  private readonly blindWindows: Counter;
  private readonly notices: Counter<'channel' | 'outcome'>;

  private readonly agents: Gauge<'group' | 'state'>;
  private readonly openAlerts: Gauge<'group' | 'kind'>;
  private readonly smsSpent: Gauge<'group'>;
  private readonly smsBudget: Gauge<'group'>;

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    this.agents = new Gauge({
      name: 'hbw_agents',
      help: 'Agents by group and state, as of the last scan',
      labelNames: ['group', 'state'],
      registers,
    });
    this.openAlerts = new Gauge({
      name: 'hbw_open_alerts',
      help: 'Open alerts by group and kind',
      labelNames: ['group', 'kind'],
      registers,
    });
    this.smsSpent = new Gauge({
      name: 'hbw_sms_spent_today',
      help: "SMS sent today (UTC) by groups with an SMS budget, against the budget's hbw_sms_budget_per_day",
      labelNames: ['group'],
      registers,
    });
    this.smsBudget = new Gauge({
      name: 'hbw_sms_budget_per_day',
      help: 'The SMS budget of each group that has one',
      labelNames: ['group'],
      registers,
    });
    this.heartbeats = new Counter({
      name: 'hbw_heartbeats_total',
      help: "Heartbeats by the status they were answered with (a relay's batch: each item's)",
      labelNames: ['status'],
      registers,
    });
    this.scanSeconds = new Histogram({
      name: 'hbw_scan_duration_seconds',
      help: 'How long each scan took',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.scansSkipped = new Counter({
      name: 'hbw_scans_skipped_total',
      help: 'Scan boundaries passed with no scan, as the scan before was still running',
      registers,
    });
    this.blindWindows = new Counter({
      name: 'hbw_blind_windows_total',
      help: 'Stretches in which the watcher was not watching (stopped, paused, restarted), found by a scan',
      registers,
    });
    this.notices = new Counter({
      name: 'hbw_notices_total',
      help: 'Notices by channel and outcome (sent, failed)',
      labelNames: ['channel', 'outcome'],
      registers,
    });
  }

  /** A heartbeat answered with `status` (a {@link HeartbeatObserver}). */
  readonly heartbeat = (status: number): void => {
    this.heartbeats.inc({ status: String(status) });
  };

  scanned(report: Pick<ScanReport, 'durationMs' | 'blindWindowAdded'>): void {
    this.scanSeconds.observe(report.durationMs / 1000);
    if (report.blindWindowAdded) this.blindWindows.inc();
  }

  skipped(boundaries: number): void {
    this.scansSkipped.inc(boundaries);
  }

  /** A notice sent or failed (a {@link NoticeCounter}). */
  readonly notice: NoticeCounter = (channels, outcome) => {
    for (const channel of channels) this.notices.inc({ channel, outcome });
  };

  /** The text a scrape gets, and its content type: the gauges from one status read and the open alerts. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    const [status, open] = await Promise.all([
      this.source.status(),
      this.source.listAlerts({ status: 'open' }),
    ]);
    for (const gauge of [this.agents, this.openAlerts, this.smsSpent, this.smsBudget]) gauge.reset();
    for (const [group, states] of Object.entries(status.groups))
      for (const [state, count] of Object.entries(states)) this.agents.set({ group, state }, count);
    for (const alert of open) this.openAlerts.inc({ group: alert.group, kind: alert.kind });
    for (const [group, budget] of Object.entries(status.smsBudget ?? {})) {
      this.smsSpent.set({ group }, budget.spentToday);
      this.smsBudget.set({ group }, budget.perDay);
    }
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** `GET /metrics`, guarded as the admin routes are: loopback, or the admin token when it is set. */
export function addMetricsRoute(app: Hono, metrics: WatcherMetrics, access: AdminAccess): void {
  guardAdmin(app, '/metrics', access);
  resource(app, '/metrics', {
    GET: async (c) => {
      const { text, contentType } = await metrics.scrape();
      return c.body(text, 200, { 'content-type': contentType });
    },
  });
}
