import type { ScopeMaintenance, StatusAnswer } from '../../lambda/api/contract';

/**
 * `GET /v1/status` as the console reads it: the watcher's own answer, except that `config`,
 * `maintenance` and `smsBudget` may be missing, since `hbw console` can stand in front of a watcher
 * older than itself.
 */
export type ConsoleStatus = Omit<StatusAnswer, 'config' | 'maintenance' | 'smsBudget'> &
  Partial<Pick<StatusAnswer, 'config' | 'maintenance' | 'smsBudget'>>;

/** A group's or cluster's maintenance windows: the one in effect (null outside one) and the next ones. */
export type ReportedMaintenance = ScopeMaintenance;

/** One maintenance window as the API shows it. */
export type ReportedWindow = ReportedMaintenance['next'][number];
