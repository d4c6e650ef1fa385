import { appendFile, readFile } from 'node:fs/promises';
import { settingsFor, type WatcherConfig } from '../domain/config';
import type { Notification } from '../domain/messages';
import { type WebhookMessage, webhookMessages } from '../domain/webhook-payloads';
import type { Webhook } from '../domain/webhooks';
import { type Notifier, NotifierError } from '../ports';

/** The secret of each webhook that names one, by `group\nname`: read once, at start. */
export type WebhookSecrets = ReadonlyMap<string, string>;

const hookKey = (group: string, name: string) => `${group}\n${name}`;

/** A webhook's secret is missing from the environment: the message names the field and the variable. */
export class WebhookSecretError extends Error {
  constructor(
    readonly field: string,
    readonly variable: string,
  ) {
    super(
      `${field}: environment variable ${variable} is not set (local mode reads the webhook's secret from the variable secretName names)`,
    );
    this.name = 'WebhookSecretError';
  }
}

/**
 * Local mode's webhook secrets: each `secretName` is the name of an environment variable. Throws a
 * {@link WebhookSecretError} for the first one that is not set, so the watcher does not start.
 */
export function webhookSecretsFromEnv(config: WatcherConfig, env: NodeJS.ProcessEnv): WebhookSecrets {
  const secrets = new Map<string, string>();
  for (const group of Object.values(config.groups)) {
    for (const [i, hook] of group.webhooks.entries()) {
      if (hook.secretName === undefined) continue;
      const value = env[hook.secretName];
      if (!value)
        throw new WebhookSecretError(`groups.${group.name}.webhooks[${i}].secretName`, hook.secretName);
      secrets.set(hookKey(group.name, hook.name), value);
    }
  }
  return secrets;
}

export interface WebhookSenderOptions {
  /** Where the requests that went out are recorded, one JSON line each; in memory when absent. */
  readonly sentPath?: string;
  /** Tries of one request within a publish, the first included. @default 3 */
  readonly attempts?: number;
  /** The wait before the second try; it doubles before each next one. @default 500 ms */
  readonly backoffMs?: number;
  /** How long one request may take. @default 10 s */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Statuses a later try may cure: a timeout, too early, too many requests, the server's own trouble. */
const retryableStatus = (status: number) =>
  status === 408 || status === 425 || status === 429 || status >= 500;

/** The requests remembered against a repeat: far more than a scan's retries can reach back to. */
const REMEMBERED = 10_000;

/**
 * Local mode's webhook channel: posts each notice on the `webhook` channel to its group's webhooks,
 * in each one's format, with node's fetch. A request that fails with a status a retry may cure (or
 * no answer) is tried again with a doubling backoff; one that still fails makes the publish throw a
 * retryable {@link NotifierError}, so delivery puts the notice back and the next scan tries again.
 *
 * Exactly once across those retries and restarts: each request that a webhook accepted (2xx) is
 * recorded, by group, webhook, notice id and alert, in `sentPath` before the publish goes on, and a
 * request recorded is never made again. A notice claimed but not recorded sent before a crash is
 * retried when its claim runs out (as every notice is), and only the requests not yet recorded go
 * out: a Slack message that went before PagerDuty failed is not posted twice. What this cannot
 * close is a crash between a webhook's 2xx and the record's append; PagerDuty and Opsgenie would
 * fold that repeat into the same incident (same dedup_key, same alias).
 */
export class WebhookSender implements Notifier {
  private sent: Set<string> | undefined;
  /** One publish at a time, so that a check and its record are never interleaved with another's. */
  private queue: Promise<void> = Promise.resolve();
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: WatcherConfig,
    private readonly secrets: WebhookSecrets,
    private readonly options: WebhookSenderOptions = {},
  ) {
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  publish(notification: Notification): Promise<void> {
    const run = this.queue.then(() => this.send(notification));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async send(notice: Notification): Promise<void> {
    if (!notice.channels.includes('webhook')) return;
    const sent = await this.load();
    const failures: NotifierError[] = [];
    for (const hook of settingsFor(this.config, notice.group).webhooks) {
      const secret = this.secrets.get(hookKey(notice.group, hook.name));
      const routingKey = hook.format === 'pagerduty' ? secret : undefined;
      for (const message of webhookMessages(hook.format, notice, routingKey)) {
        const key = [notice.group, hook.name, notice.noticeId, message.alertId ?? ''].join('\n');
        if (sent.has(key)) continue;
        const failure = await this.post(hook, message, secret, notice.group);
        if (failure) {
          failures.push(failure);
          continue;
        }
        await this.record(key);
      }
    }
    if (failures.length === 0) return;
    // Retried as long as any failure may heal: what went out is recorded and is not sent again.
    const retryable = failures.some((f) => f.retryable);
    throw new NotifierError(failures.map((f) => f.message).join('; '), retryable, { cause: failures[0] });
  }

  /** Makes one request, with its retries; answers why it failed, or `undefined` once it went out. */
  private async post(
    hook: Webhook,
    message: WebhookMessage,
    secret: string | undefined,
    group: string,
  ): Promise<NotifierError | undefined> {
    // The name, never the URL: a Slack or Teams URL is its own secret.
    const name = `webhook ${group}/${hook.name} (${hook.format})`;
    const { url, headers } = request(hook, message, secret);
    const attempts = this.options.attempts ?? 3;
    let wait = this.options.backoffMs ?? 500;
    let last: NotifierError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(wait);
        wait *= 2;
      }
      try {
        const res = await this.fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(message.body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        // The answer is read and dropped, so the connection is free for the next request.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return undefined;
        last = new NotifierError(`${name}: HTTP ${res.status}`, retryableStatus(res.status));
        if (!last.retryable) return last;
      } catch (error) {
        last = new NotifierError(`${name}: ${(error as Error).name}`, true, { cause: error });
      }
    }
    return last;
  }

  private async load(): Promise<Set<string>> {
    if (this.sent) return this.sent;
    const sent = new Set<string>();
    if (this.options.sentPath !== undefined) {
      let text = '';
      try {
        text = await readFile(this.options.sentPath, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new NotifierError(`cannot read ${this.options.sentPath}: ${(error as Error).message}`, true);
      }
      for (const line of text.split('\n')) {
        try {
          const key = (JSON.parse(line) as { key?: unknown }).key;
          if (typeof key === 'string') sent.add(key);
        } catch {
          // A line torn by a crash: its request is made again.
        }
      }
    }
    this.sent = new Set([...sent].slice(-REMEMBERED));
    return this.sent;
  }

  private async record(key: string): Promise<void> {
    const sent = this.sent!;
    if (this.options.sentPath !== undefined) {
      try {
        // A torn last line is never glued to this one: it starts with a newline of its own.
        await appendFile(
          this.options.sentPath,
          `\n${JSON.stringify({ key, at: new Date().toISOString() })}`,
          {
            encoding: 'utf8',
            mode: 0o600,
          },
        );
      } catch (error) {
        throw new NotifierError(
          `cannot record a sent webhook in ${this.options.sentPath}: ${(error as Error).message}`,
          true,
        );
      }
    }
    sent.add(key);
    if (sent.size > REMEMBERED) sent.delete(sent.values().next().value!);
  }
}

/**
 * Where a request goes and its headers, per format: Slack and Teams post to the URL their secret
 * holds; Opsgenie sends its key as `GenieKey`, and names the alert by alias in the path of a close
 * or an acknowledge; json sends its secret, when it has one, as the `Authorization` header; PagerDuty
 * carries its routing key in the body.
 */
function request(
  hook: Webhook,
  message: WebhookMessage,
  secret: string | undefined,
): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  switch (hook.format) {
    case 'slack':
    case 'teams':
      return { url: secret!, headers };
    case 'opsgenie':
      headers.authorization = `GenieKey ${secret}`;
      return { url: `${hook.url}${message.path}${message.path ? '?identifierType=alias' : ''}`, headers };
    case 'json':
      if (secret !== undefined) headers.authorization = secret;
      return { url: hook.url!, headers };
    case 'pagerduty':
      return { url: hook.url!, headers };
  }
}
