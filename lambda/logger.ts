/**
 * The one logger of every layer: the Lambda functions, the local watcher, the stores, the HTTP doors,
 * the scanner and the console proxy all write through a {@link Logger}, which each is given (so a test
 * can capture what it writes).
 *
 * A record is one JSON object, `{ time, level, msg, ...fields }`, written as one line: the shape
 * CloudWatch Logs Insights reads field by field, and the shape of the Embedded Metric Format documents
 * the scanner writes beside them ({@link Logger.metrics}). Local mode writes the same records, as
 * JSON lines with `--json` or as a line for people (see cli/local-watcher.ts).
 *
 * Records below the logger's level (`LOG_LEVEL`, default `info`) are dropped. Secrets are redacted
 * before a record reaches its sink, whoever built the fields: see {@link isSecretName} and
 * {@link redactText}.
 *
 * Our own module rather than the Powertools Logger (@aws-lambda-powertools/logger): that one adds about
 * 23 KB (minified) to each function's bundle, which would take the ingest bundle from about 407 KB to
 * its 430 KB ceiling, for what is here a hundred lines: levels, one JSON line a record, redaction. Its
 * Lambda context fields (request id, cold start) would be welcome, but our functions log only
 * failures and a scan's summary, not per request.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A record's fields: any object (its own enumerable properties are written). */
export type LogFields = object;

/** One record as a sink receives it: redacted, with its time and level. */
export interface LogRecord {
  readonly time: string;
  readonly level: LogLevel;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * Where records go. `text` is a line for people that the caller gave beside the record (local mode
 * prints it in place of the JSON when not `--json`); a JSON sink ignores it.
 */
export type LogSink = (record: LogRecord, text?: string) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields, text?: string): void;
  info(msg: string, fields?: LogFields, text?: string): void;
  warn(msg: string, fields?: LogFields, text?: string): void;
  error(msg: string, fields?: LogFields, text?: string): void;
  /**
   * An Embedded Metric Format document (its `_aws` and its members at the top level), written as an
   * `info` record whatever the level: the alarms count on its metrics, so `LOG_LEVEL=error` must not
   * silence them. CloudWatch reads the record's other fields (time, level, msg) as plain properties.
   */
  metrics(msg: string, document: LogFields): void;
}

export interface LoggerOptions {
  /** @default info */
  readonly level?: LogLevel;
  /** @default {@link stdoutSink} */
  readonly sink?: LogSink;
  /** @default the system clock */
  readonly now?: () => number;
}

export const REDACTED = '[redacted]';

/**
 * The field names whose values never reach a sink, compared in lower case without `-` and `_`: a
 * name that contains `token`, `secret`, `password`, `authorization`, `cookie` or `credential`
 * (`token`, `adminToken`, `tokenHash`, `HBW_ADMIN_TOKEN`, `Authorization`, `set-cookie`), or that
 * ends in `key` or `keyhash` (`key`, `enrollmentKey`, `apiKey`, `x-api-key`, `keyHash`). Hashes of
 * secrets are redacted too: they are what a stolen table would be checked against.
 */
const SECRET_PART = /token|secret|password|authorization|cookie|credential/;
const SECRET_END = /key(hash)?$/;

export function isSecretName(name: string): boolean {
  const folded = name.toLowerCase().replace(/[-_]/g, '');
  return SECRET_PART.test(folded) || SECRET_END.test(folded);
}

/**
 * Secrets inside free text (an error message that quotes a header, a URL): a bearer credential, and
 * the watcher's own tokens and enrollment keys (`hbw_` or `hbwk_` and 43 base64url characters).
 */
const SECRET_TEXT = /\b(Bearer\s+)[A-Za-z0-9._~+/-]+=*|\bhbwk?_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/gi;

export function redactText(text: string): string {
  return text.replace(SECRET_TEXT, (_match, bearer: string | undefined) =>
    bearer === undefined ? REDACTED : `${bearer}${REDACTED}`,
  );
}

/** `value` with every secret field (at any depth) and every secret in text replaced by {@link REDACTED}. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return redactText(String(value.stack ?? value));
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    return value; // a Date, a Map: JSON.stringify says what it says of them
  }
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) out[name] = isSecretName(name) ? REDACTED : redact(v, seen);
  return out;
}

/** Reads a level's name (`LOG_LEVEL`), in any case; `undefined` for one that is not a level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const folded = text.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === folded);
}

/**
 * One JSON line a record: warnings and errors on stderr, the rest on stdout (as the Powertools Logger
 * does). Written to the streams, not through `console`: the Lambda runtime's `console` puts a time
 * and request id before each line, and a line must be the JSON object alone to be read as one.
 */
export const stdoutSink: LogSink = (record) => {
  const stream = record.level === 'warn' || record.level === 'error' ? process.stderr : process.stdout;
  stream.write(`${JSON.stringify(record)}\n`);
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const sink = options.sink ?? stdoutSink;
  const now = options.now ?? Date.now;
  const write = (level: LogLevel, msg: string, fields: LogFields = {}, text?: string) =>
    sink({ time: new Date(now()).toISOString(), level, msg, ...(redact(fields) as LogFields) }, text);
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields, text?: string): void => {
      if (LOG_LEVELS.indexOf(level) >= threshold) write(level, msg, fields, text);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    metrics: (msg, document) => write('info', msg, document),
  };
}
