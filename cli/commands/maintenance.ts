import type { ClusterMaintenanceAnswer, GroupMaintenanceAnswer } from '../../lambda/api/contract';
import type { MaintenanceScope } from '../../lambda/domain/maintenance';
import type { Command, CommandContext } from '../command';
import { table } from '../output';
import { MAINTENANCE_OPTION_HELP, MAINTENANCE_OPTIONS, maintenanceCall } from './fleet';

/** What `PUT` and `DELETE /v1/{groups,clusters}/{name}/maintenance` answer. */
export type ScopeMaintenanceAnswer = GroupMaintenanceAnswer | ClusterMaintenanceAnswer;

/** The windows of a group or cluster for people: the one in effect, then the next ones. */
export function renderScopeMaintenance(scope: MaintenanceScope, answer: ScopeMaintenanceAnswer): string {
  const name = `${scope} ${'group' in answer ? answer.group : answer.cluster}`;
  const { current, next } = answer.maintenance;
  const now = current
    ? `${name}: in maintenance until ${current.until} (${current.reason ?? 'no reason'})`
    : `${name}: no maintenance window now`;
  if (next.length === 0) return now;
  const rows = next.map((w) => [w.start, w.until, w.reason ?? '-']);
  return `${now}\n\nnext windows:\n${table(['START', 'UNTIL', 'REASON'], rows)}`;
}

function scopeCommand(scope: MaintenanceScope): Command {
  const arg = scope.toUpperCase();
  const example =
    scope === 'group'
      ? 'hbw maintenance group production --for 2h --reason "kernel updates"'
      : 'hbw maintenance cluster db --for 30m';
  return {
    path: ['maintenance', scope],
    summary: `Start or end a one-off maintenance window for a whole ${scope}: no alert opens for its ${scope === 'group' ? 'agents' : 'members'} while it lasts.`,
    args: [arg],
    remote: true,
    options: MAINTENANCE_OPTIONS,
    optionHelp: MAINTENANCE_OPTION_HELP,
    example,
    jsonHelp: `print the ${scope}'s windows as the watcher answers them`,
    async run(ctx: CommandContext) {
      const name = ctx.args[0]!;
      const path = `/v1/${scope}s/${encodeURIComponent(name)}/maintenance`;
      const answer = await maintenanceCall<ScopeMaintenanceAnswer>(ctx, path);
      ctx.out(ctx.json ? JSON.stringify(answer, null, 2) : renderScopeMaintenance(scope, answer));
      return 0;
    },
  };
}

export const maintenanceCommands: Command[] = [scopeCommand('group'), scopeCommand('cluster')];
