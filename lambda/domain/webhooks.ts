import * as v from 'valibot';
import { isLoopbackHost } from '../http/hosts';
import type { FieldProblem } from './errors';
import { nameSchema } from './validation';

export const WEBHOOK_FORMATS = ['json', 'slack', 'teams', 'pagerduty', 'opsgenie'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** One webhook of a group, as it runs: a URL, except where the URL itself is the secret (slack, teams). */
export interface Webhook {
  readonly name: string;
  readonly format: WebhookFormat;
  /** Absent for slack and teams: their URL carries its credential, so `secretName` holds the URL. */
  readonly url?: string;
  /**
   * Where the secret lives, never the secret: the name of an AWS Secrets Manager secret in the cloud,
   * of an environment variable in local mode. Per format it holds the routing key (pagerduty), the API
   * key (opsgenie), the webhook URL (slack, teams), or the value of an `Authorization` header (json).
   */
  readonly secretName?: string;
}

/** The endpoints of the two services whose URL is the same for every customer (EU accounts set their own). */
export const DEFAULT_URLS: Partial<Record<WebhookFormat, string>> = {
  pagerduty: 'https://events.pagerduty.com/v2/enqueue',
  opsgenie: 'https://api.opsgenie.com/v2/alerts',
};

/** What each format's secret is, in words, for the messages. */
const SECRET_OF: Record<WebhookFormat, string | undefined> = {
  json: undefined,
  slack: 'the webhook URL',
  teams: 'the webhook URL',
  pagerduty: 'the routing key',
  opsgenie: 'the API key',
};

/** Formats whose URL is the credential: the config never holds it. */
const URL_IS_SECRET: ReadonlySet<WebhookFormat> = new Set(['slack', 'teams']);

/** A Secrets Manager secret name (its characters), which an environment variable name also fits. */
const secretNameSchema = v.pipe(
  v.string('must be a string'),
  v.regex(
    /^[A-Za-z0-9/_+=.@-]{1,256}$/,
    'must be the name of a secret (local mode: an environment variable), up to 256 of A-Z a-z 0-9 / _ + = . @ -',
  ),
);

export const webhookSchema = v.strictObject(
  {
    name: nameSchema(64),
    format: v.picklist(WEBHOOK_FORMATS, `must be one of ${WEBHOOK_FORMATS.join(', ')}`),
    url: v.optional(
      v.pipe(v.string('must be a string'), v.url('must be a URL such as https://example.com/hook')),
    ),
    secretName: v.optional(secretNameSchema),
  },
  'must be an object',
);

/** Keys that would hold a secret written inline: refused as such, not as an unknown field. */
const SECRET_KEYS = new Set(
  [
    'apiKey',
    'api_key',
    'key',
    'token',
    'routingKey',
    'routing_key',
    'integrationKey',
    'secret',
    'password',
    'authorization',
    'headers',
  ].map((k) => k.toLowerCase()),
);
/** Query parameters that carry a credential (a Teams Workflows URL's `sig`, an Azure `code`...). */
const SECRET_QUERY = new Set([
  'sig',
  'signature',
  'code',
  'token',
  'key',
  'apikey',
  'api_key',
  'secret',
  'access_token',
]);

const INLINE = 'a secret is never written in the config: store it where secretName names it';

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** The webhooks of a document's groups, as written, with the field path of each. */
function eachWebhook(
  groups: unknown,
): { group: string; field: string; index: number; hook: Record<string, unknown> }[] {
  if (!isRecord(groups)) return [];
  const out: { group: string; field: string; index: number; hook: Record<string, unknown> }[] = [];
  for (const [group, g] of Object.entries(groups)) {
    if (!isRecord(g) || !Array.isArray(g.webhooks)) continue;
    for (const [index, hook] of g.webhooks.entries()) {
      if (isRecord(hook)) out.push({ group, field: `groups.${group}.webhooks[${index}]`, index, hook });
    }
  }
  return out;
}

/** The fields of the document that hold a secret written inline (their "unknown field" is said this way instead). */
export function inlineSecretFields(groups: unknown): Set<string> {
  const fields = new Set<string>();
  for (const { field, hook } of eachWebhook(groups)) {
    for (const key of Object.keys(hook))
      if (SECRET_KEYS.has(key.toLowerCase())) fields.add(`${field}.${key}`);
  }
  return fields;
}

/** What is wrong with a webhook's URL beyond its shape, or `undefined`. */
function urlProblem(text: string, format: WebhookFormat | undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined; // the schema says it is no URL
  }
  if (format !== undefined && URL_IS_SECRET.has(format))
    return `a ${format} webhook URL is itself the secret: store the URL where secretName names it, and leave url out`;
  if (url.username !== '' || url.password !== '') return `carries credentials; ${INLINE}`;
  const query = [...url.searchParams.keys()].find((k) => SECRET_QUERY.has(k.toLowerCase()));
  if (query !== undefined) return `carries a credential in "${query}"; ${INLINE}`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must be an https URL (http only to a loopback receiver, in local mode)';
}

/**
 * The webhook rules the schema cannot say: no secret inline (a secret-named field, credentials in the
 * URL, a URL that is itself the secret), https (a loopback http receiver is allowed here, local mode;
 * the cloud refuses it apart), a secret named where the format needs one, a URL where it needs one,
 * names unique in a group, and the `webhook` channel if and only if the group has webhooks.
 */
export function webhookProblems(groups: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const say = (field: string, message: string) => problems.push({ field, message: `${field}: ${message}` });
  for (const field of inlineSecretFields(groups)) say(field, INLINE);
  const names = new Map<string, number>();
  for (const { group, field, index, hook } of eachWebhook(groups)) {
    const format = WEBHOOK_FORMATS.find((f) => f === hook.format);
    if (typeof hook.url === 'string') {
      const problem = urlProblem(hook.url, format);
      if (problem) say(`${field}.url`, problem);
    } else if (format === 'json') say(`${field}.url`, 'is required for json');
    const secret = format === undefined ? undefined : SECRET_OF[format];
    if (secret !== undefined && hook.secretName === undefined)
      say(`${field}.secretName`, `is required for ${format}: the name of the secret that holds ${secret}`);
    if (typeof hook.name === 'string') {
      const key = `${group}\n${hook.name}`;
      const first = names.get(key);
      if (first !== undefined)
        say(`${field}.name`, `"${hook.name}" is webhooks[${first}] already; names are unique in a group`);
      else names.set(key, index);
    }
  }
  if (!isRecord(groups)) return problems;
  for (const [name, g] of Object.entries(groups)) {
    if (!isRecord(g) || !Array.isArray(g.channels)) continue;
    const has = Array.isArray(g.webhooks) && g.webhooks.length > 0;
    const pages = g.channels.includes('webhook');
    if (has && !pages)
      say(
        `groups.${name}.webhooks`,
        'the group has no webhook channel, so these webhooks would never be called',
      );
    if (pages && !has)
      say(`groups.${name}.channels`, 'the webhook channel needs at least one entry in webhooks');
  }
  return problems;
}

/** What the cloud refuses beyond local mode: a webhook over plain http (API destinations are https only). */
export function cloudWebhookProblems(groups: unknown): FieldProblem[] {
  return eachWebhook(groups)
    .filter(({ hook }) => typeof hook.url === 'string' && hook.url.toLowerCase().startsWith('http:'))
    .map(({ field }) => ({
      field: `${field}.url`,
      message: `${field}.url: must be an https URL in the cloud (http to a loopback receiver is for local mode)`,
    }));
}

/** A group's webhooks as they run: pagerduty and opsgenie get their service's URL when none is given. */
export function webhookSettings(
  raw: readonly v.InferOutput<typeof webhookSchema>[] | undefined,
): readonly Webhook[] {
  return (raw ?? []).map((w) => {
    const url = w.url ?? DEFAULT_URLS[w.format];
    return {
      name: w.name,
      format: w.format,
      ...(url === undefined ? {} : { url }),
      ...(w.secretName === undefined ? {} : { secretName: w.secretName }),
    };
  });
}
