import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG, parseConfig, type RawConfig, type WatcherConfig } from '../lambda/domain/config';
import { type FieldProblem, ValidationError } from '../lambda/domain/errors';
import { cronProblems } from '../lambda/domain/maintenance';
import { describeProblems } from '../lambda/domain/validation';

export const CONFIG_FILE = 'heartbeat-watcher.config.json';

/** Thrown for a config file that is missing, not JSON, or invalid; the message names file and field. */
export class ConfigFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

export interface LoadedConfig {
  readonly config: WatcherConfig;
  /** The document as written (the defaults when there was no file), for passing on unchanged. */
  readonly raw: RawConfig;
  /** The file it came from, or `undefined` for the built-in defaults. */
  readonly source?: string;
}

export interface LoadOptions {
  /** @default the working directory */
  readonly cwd?: string;
  /** The problems of a stricter reader (the cloud's), listed with the file's own. */
  readonly more?: (raw: unknown) => readonly FieldProblem[];
}

/**
 * Loads the config: `explicitPath` must exist; without it, `heartbeat-watcher.config.json` in `cwd`
 * is used when present, and the built-in defaults otherwise. An invalid file is a
 * {@link ConfigFileError} that lists every problem, each with its field.
 */
export function loadConfigFile(explicitPath?: string, options: LoadOptions = {}): LoadedConfig {
  const { cwd = process.cwd() } = options;
  const more = (raw: unknown) => [...cronProblems(raw), ...(options.more?.(raw) ?? [])];
  const path = resolve(cwd, explicitPath ?? CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicitPath === undefined) {
      return { config: parseConfig(DEFAULT_CONFIG, more), raw: DEFAULT_CONFIG };
    }
    throw new ConfigFileError(`${path}: cannot read the config file (${(error as Error).message})`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  try {
    return { config: parseConfig(raw, more), raw: raw as RawConfig, source: path };
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ConfigFileError(`${path}: ${describeProblems(error.problems)}`, { cause: error });
    throw error;
  }
}
