import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookSender, webhookSecretsFromEnv } from '../../lambda/adapters/webhook-sender';
import { parseConfig } from '../../lambda/domain/config';
import { NotifierError } from '../../lambda/ports';
import { OPENING_ALERT, OPENING_NOTICE } from '../support/notices';

const config = parseConfig({
  groups: {
    production: {
      channels: ['sms', 'email', 'webhook'],
      webhooks: [
        { name: 'chat', format: 'slack', secretName: 'SLACK_URL' },
        { name: 'oncall', format: 'pagerduty', url: 'https://pd.example/v2/enqueue', secretName: 'PD_KEY' },
        { name: 'ops', format: 'opsgenie', secretName: 'OG_KEY' },
      ],
    },
  },
});
const secrets = webhookSecretsFromEnv(config, {
  SLACK_URL: 'https://hooks.slack.test/services/T/B/X',
  PD_KEY: 'pd-key',
  OG_KEY: 'og-key',
});
const notice = { ...OPENING_NOTICE, channels: ['sms', 'email', 'webhook'] as const };

/** A fetch that answers from a script per URL (200 once the script runs out), recording each call. */
function scriptedFetch(script: Record<string, number[]> = {}) {
  const calls: { url: string; headers: Record<string, string>; body: Record<string, unknown> }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) });
    const status = script[url]?.shift() ?? 200;
    return new Response('{}', { status });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hbw-hooks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sender = (fetcher: typeof fetch, sentPath?: string) =>
  new WebhookSender(config, secrets, { fetch: fetcher, sentPath, sleep: async () => {}, attempts: 3 });

describe('WebhookSender', () => {
  it("posts each webhook's format where it goes, with its secret where the format wants it", async () => {
    const { fn, calls } = scriptedFetch();
    await sender(fn).publish(notice);

    expect(calls.map((c) => c.url)).toEqual([
      'https://hooks.slack.test/services/T/B/X',
      'https://pd.example/v2/enqueue',
      'https://api.opsgenie.com/v2/alerts',
    ]);
    expect(calls[1]!.body).toMatchObject({ routing_key: 'pd-key', dedup_key: OPENING_ALERT.alertId });
    expect(calls[2]!.headers.authorization).toBe('GenieKey og-key');
    expect(calls[2]!.body).toMatchObject({ alias: OPENING_ALERT.alertId });
  });

  it('retries a 500 with backoff within the publish, and a 400 not at all, failing for good', async () => {
    const waits: number[] = [];
    const { fn, calls } = scriptedFetch({ 'https://pd.example/v2/enqueue': [500, 503] });
    await new WebhookSender(config, secrets, {
      fetch: fn,
      sleep: async (ms) => void waits.push(ms),
      backoffMs: 100,
    }).publish(notice);
    expect(calls.filter((c) => c.url.includes('pd.example'))).toHaveLength(3);
    expect(waits).toEqual([100, 200]);

    const bad = scriptedFetch({ 'https://api.opsgenie.com/v2/alerts': [400] });
    const error = await sender(bad.fn)
      .publish(notice)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifierError);
    expect(error).toMatchObject({ retryable: false, message: 'webhook production/ops (opsgenie): HTTP 400' });
    expect(bad.calls.filter((c) => c.url.includes('opsgenie'))).toHaveLength(1);
  });

  it('sends again only what did not go out, after a restart too, and never names a secret URL', async () => {
    const sentPath = join(dir, 'webhooks-sent.jsonl');
    const first = scriptedFetch({ 'https://pd.example/v2/enqueue': [500, 500, 500] });
    const error = await sender(first.fn, sentPath)
      .publish(notice)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      retryable: true,
      message: 'webhook production/oncall (pagerduty): HTTP 500',
    });
    expect(String((error as Error).message)).not.toContain('hooks.slack.test');

    const again = scriptedFetch();
    await sender(again.fn, sentPath).publish(notice);
    expect(again.calls.map((c) => c.url)).toEqual(['https://pd.example/v2/enqueue']);

    const third = scriptedFetch();
    await sender(third.fn, sentPath).publish(notice);
    expect(third.calls).toEqual([]);
  });

  it('ignores notices that are not on the webhook channel', async () => {
    const { fn, calls } = scriptedFetch();
    await sender(fn).publish(OPENING_NOTICE);
    expect(calls).toEqual([]);
  });
});
