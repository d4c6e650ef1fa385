// The `hbw` command (dist/hbw.js). The agent's own commands (`hbw agent run`, `hbw agent goodbye`)
// run from this small bundle, which loads only what an agent needs: its memory is paid on every
// monitored server. Every other command loads the whole CLI (dist/hbw-cli.js, beside this file) first.
import { setFlagsFromString } from 'node:v8';
import { findCommand, runCommand } from '../cli/command';
import { agentRunCommands } from '../cli/commands/agent-run';
import { launch } from '../cli/launch';

const agentCommand = findCommand(agentRunCommands, process.argv.slice(2));
if (agentCommand) {
  // The agent runs a few milliseconds of code per heartbeat: V8's baseline and optimizing compilers
  // would make it no faster that matters, and their first use costs about 4 MiB of memory for good.
  setFlagsFromString('--no-opt --no-sparkplug');
  launch((argv, io) => runCommand(agentCommand, argv.slice(agentCommand.path.length), io));
} else require('./hbw-cli.js');
