import { WATCHER_VERSION } from '../lambda/version';
import { type Command, findCommand, type Io, runCommand } from './command';
import { agentSideCommands } from './commands/agent-doctor-relay';
import { alertCommands } from './commands/alerts';
import { auditCommand } from './commands/audit';
import { enrollKeyCommand } from './commands/enroll-key';
import { fleetCommands } from './commands/fleet';
import { configCommands, localCommand } from './commands/local';
import { maintenanceCommands } from './commands/maintenance';
import { statusCommand } from './commands/status';
import { consoleCommand } from './console/command';

export const COMMANDS: readonly Command[] = [
  localCommand,
  statusCommand,
  ...fleetCommands,
  ...agentSideCommands,
  ...alertCommands,
  ...maintenanceCommands,
  enrollKeyCommand,
  auditCommand,
  consoleCommand,
  ...configCommands,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length));
  return [
    'hbw: the heartbeat-watcher command line',
    '',
    'Usage: hbw COMMAND [options]      (hbw COMMAND --help for each)',
    '',
    'Commands:',
    ...COMMANDS.map(
      (c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary.split(': ')[0]!.split('. ')[0]}`,
    ),
    '',
    'Admin commands talk to --endpoint URL (or HBW_ENDPOINT; default http://127.0.0.1:8787).',
    'Exit codes: 0 success, 1 a failure it explains, 2 bad usage.',
  ].join('\n');
}

/** Finds the command that `argv` names and runs it; answers the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.err : io.out)(overview());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    io.out(WATCHER_VERSION);
    return 0;
  }
  const cmd = findCommand(COMMANDS, argv);
  if (!cmd) {
    const group = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === argv[0]);
    if (group.length > 0) {
      const width = Math.max(...group.map((c) => c.path.join(' ').length));
      const text = [
        `Usage: hbw ${argv[0]} COMMAND [options]`,
        '',
        ...group.map((c) => `  hbw ${c.path.join(' ').padEnd(width)}  ${c.summary.split('. ')[0]}`),
      ].join('\n');
      const asked = argv[1] === '--help' || argv[1] === '-h';
      if (asked) io.out(text);
      else
        io.err(
          argv[1] === undefined ? text : `hbw: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${text}`,
        );
      return asked ? 0 : 2;
    }
    io.err(`hbw: unknown command "${argv[0]}"\n\n${overview()}`);
    return 2;
  }
  return runCommand(cmd, argv.slice(cmd.path.length), io);
}
