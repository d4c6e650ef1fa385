import { resolve } from 'node:path';
import { configSchema, configWarnings, watcherAlarmsReach } from '../../lambda/domain/config';
import { EnvironmentError, logLevelFromEnv } from '../../lambda/handlers/env';
import { type Command, UsageError } from '../command';
import { CONFIG_FILE, ConfigFileError, loadConfigFile } from '../config-file';
import { untilSignal } from '../signals';

export const localCommand: Command = {
  path: ['local'],
  summary: 'Run the whole watcher on this machine: HTTP API, embedded DynamoDB (dynalite), console at /.',
  options: {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    config: { type: 'string' },
    'data-dir': { type: 'string', default: '.hbw' },
  },
  optionHelp: [
    '--port N            port to listen on (default 8787)',
    '--host ADDR         address to bind (default 127.0.0.1; any other needs HBW_ADMIN_TOKEN)',
    `--config FILE       config file (default ./${CONFIG_FILE} if present, else built-in defaults)`,
    '--data-dir DIR      where the data is kept across restarts (default .hbw)',
  ],
  jsonHelp: 'the start banner as one JSON object, and every log line as JSON with its time',
  example: 'hbw local --port 8787 --data-dir .hbw',
  async run(ctx) {
    const port = Number(ctx.values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be 0 to 65535');
    let logLevel: ReturnType<typeof logLevelFromEnv>;
    try {
      logLevel = logLevelFromEnv(ctx.env);
    } catch (error) {
      if (!(error instanceof EnvironmentError)) throw error;
      ctx.err(`hbw: ${error.message}`);
      return 1;
    }
    let loaded: ReturnType<typeof loadConfigFile>;
    try {
      loaded = loadConfigFile(ctx.values.config as string | undefined);
    } catch (error) {
      if (error instanceof ConfigFileError) {
        ctx.err(`hbw: ${error.message}`);
        return 1;
      }
      throw error;
    }
    const dataDir = resolve(String(ctx.values['data-dir']));
    // Loaded here, not at the top: the agent and the admin commands never need the whole watcher.
    const { LocalWatcherError, localLogger, startLocalWatcher } = await import('../local-watcher');
    let watcher: Awaited<ReturnType<typeof startLocalWatcher>>;
    try {
      watcher = await startLocalWatcher({
        config: loaded.config,
        host: String(ctx.values.host),
        port,
        dataDir,
        adminToken: ctx.env.HBW_ADMIN_TOKEN || undefined,
        print: ctx.out,
        json: ctx.json,
        logLevel,
      });
    } catch (error) {
      if (error instanceof LocalWatcherError) {
        ctx.err(`hbw: ${error.message}`);
        return 1;
      }
      throw error;
    }
    const log = localLogger(ctx.out, ctx.json, logLevel);
    const groups = Object.values(loaded.config.groups).map((g) => ({ name: g.name, channels: g.channels }));
    log.info(
      'listening',
      {
        url: watcher.url,
        console: `${watcher.url}/`,
        dataDir,
        config: loaded.source ?? null,
        groups,
      },
      [
        `heartbeat-watcher listening on ${watcher.url}`,
        `  console   ${watcher.url}/`,
        `  data      ${dataDir}`,
        `  config    ${loaded.source ?? 'built-in defaults'}; groups: ${groups.map((g) => `${g.name} (${g.channels.join('+')})`).join(', ')}`,
        'Stop with Ctrl-C.',
      ].join('\n'),
    );
    // A signal stops it; so does a store that fails (a full disk), with the reason and exit 1.
    const ended = await Promise.race([untilSignal(), watcher.failed]);
    if (ended instanceof LocalWatcherError) {
      ctx.err(`hbw: ${ended.message}`);
      return 1;
    }
    log.info('stopping', { signal: ended }, `${ended}: stopping`);
    await watcher.close();
    return 0;
  },
};

export const configCommands: Command[] = [
  {
    path: ['config', 'check'],
    summary: 'Validate a config file and print the settings each group runs with.',
    args: ['FILE?'],
    options: { config: { type: 'string' } },
    optionHelp: [
      `--config FILE       the file, also given as FILE (default ./${CONFIG_FILE} if present, else built-in defaults)`,
    ],
    jsonHelp: 'the settings each group runs with, as JSON',
    example: 'hbw config check heartbeat-watcher.config.json',
    async run(ctx) {
      const file = checkedFile(ctx.args[0], ctx.values.config as string | undefined);
      try {
        const { config, source } = loadConfigFile(file);
        if (ctx.json) ctx.out(JSON.stringify(config, null, 2));
        else {
          ctx.out(`${source ?? 'built-in defaults'}: valid`);
          for (const g of Object.values(config.groups)) {
            ctx.out(
              `  ${g.name}: ${g.channels.join('+')}, heartbeat ${g.heartbeatIntervalSeconds}s, scan ${g.scanIntervalSeconds}s, alert after ${g.missedScansBeforeAlert} missed scans${g.autoApprove ? ', auto-approve' : ''}`,
            );
          }
          ctx.out(`  the watcher's own alarms (cloud): ${watcherAlarmsReach(config.watcherAlarms)}`);
        }
        for (const warning of configWarnings(config)) ctx.err(`hbw: warning: ${warning.message}`);
        return 0;
      } catch (error) {
        if (!(error instanceof ConfigFileError)) throw error;
        ctx.err(`hbw: ${error.message}`);
        return 1;
      }
    },
  },
  {
    path: ['config', 'schema'],
    summary:
      'Print the JSON Schema of the config file (for editors; committed as heartbeat-watcher.schema.json).',
    jsonHelp: 'accepted: the schema is JSON either way',
    example: 'hbw config schema > heartbeat-watcher.schema.json',
    async run(ctx) {
      ctx.out(JSON.stringify(await configJsonSchema(), null, 2));
      return 0;
    },
  },
];

/** The file `hbw config check` reads: given as FILE or as --config, or both ways when they name the same file. */
function checkedFile(positional: string | undefined, flag: string | undefined): string | undefined {
  if (positional !== undefined && flag !== undefined && resolve(positional) !== resolve(flag)) {
    throw new UsageError(
      `give the file once: FILE (${positional}) or --config (${flag}), not two different files`,
    );
  }
  return positional ?? flag;
}

/** The JSON Schema of the config, generated from the same definition that validates it. */
export async function configJsonSchema() {
  const { toJsonSchema } = await import('@valibot/to-json-schema');
  return {
    ...toJsonSchema(configSchema, { errorMode: 'ignore' }),
    title: 'heartbeat-watcher config',
    description: 'heartbeat-watcher.config.json: thresholds, groups and their notification channels.',
  };
}
