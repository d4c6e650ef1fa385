import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoAlertStore } from '../../lambda/adapters/dynamo-alert-store';
import { DynamoWatcherStateStore } from '../../lambda/adapters/dynamo-state-store';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { type AlertKind, type AlertRecord, alertId } from '../../lambda/domain/alert';
import { openTestStore, type TestStore } from '../support/test-store';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
const LEASE = 60_000;

// Over a store of the run's kind: dynalite, or DynamoDB Local (test-store.ts).
let testStore: TestStore;
let client: DynamoDBClient;
let store: DynamoAlertStore;

beforeAll(async () => {
  testStore = await openTestStore();
  client = testStore.newClient();
  await ensureTables(client, LOCAL_TABLE_NAMES);
  store = new DynamoAlertStore(client, LOCAL_TABLE_NAMES.alerts);
});
afterAll(async () => {
  client.destroy();
  await testStore.close();
});

/** A page held by its parent. */
const HELD = { reason: 'parent' as const, by: 'sw-01', since: T0 + 1 };

let serial = 0;
/** A fresh alert of its own agent, so tests sharing the table never touch each other's items. */
function newAlert(overrides: Partial<AlertRecord> = {}, kind: AlertKind = 'heartbeat_failure'): AlertRecord {
  const agentId = `agent-${++serial}`;
  return {
    alertId: alertId('agent', agentId, T0),
    agentId,
    group: 'production',
    kind,
    severity: 'critical',
    status: 'open',
    openedAt: T0 + 90_000,
    incidentStart: T0,
    missedScans: 3,
    detail: 'No heartbeat for 3 scans.',
    channels: ['sms', 'email'],
    openNotice: 'pending',
    recoveryNotice: 'none',
    ...overrides,
  };
}

const consoleOnly = (overrides: Partial<AlertRecord> = {}) =>
  newAlert({ group: 'test', channels: ['console'], openNotice: 'none', ...overrides });

const change = (at = T0 + 300_000) => ({ at, resolution: 'heartbeat' as const, expiresAt: at + 30 * DAY });

async function created(alert: AlertRecord): Promise<AlertRecord> {
  expect(await store.create(alert)).toBe(true);
  return alert;
}

async function queueIds(queue: 'open' | 'recovery'): Promise<string[]> {
  return (await store.listQueue(queue)).map((a) => a.alertId);
}

/** An open paging alert whose opening notice went out at `sentAt`. */
async function sentAlert(sentAt = T0 + 100_000): Promise<AlertRecord> {
  const alert = await created(newAlert());
  expect(await store.claimNotice(alert.alertId, 'opening', sentAt, LEASE)).toBe(true);
  await store.finishNotice(alert.alertId, 'opening', { sentAt });
  return (await store.get(alert.alertId))!;
}

describe('DynamoAlertStore.create', () => {
  it('creates an alert that reads back field for field', async () => {
    const alert = newAlert({ cluster: 'eu-1', agentIds: ['a', 'b'], severity: 'warning' });

    expect(await store.create(alert)).toBe(true);

    expect(await store.get(alert.alertId)).toEqual({
      ...alert,
      notifiedAt: undefined,
      recoveryNotifiedAt: undefined,
      noticeLeaseUntil: undefined,
      noticeAttempts: undefined,
      lastNoticeError: undefined,
      resolvedAt: undefined,
      resolution: undefined,
      acknowledgedAt: undefined,
      acknowledgedBy: undefined,
      ackNote: undefined,
    });
  });

  it('answers false for a second create of the same id and keeps the first', async () => {
    const alert = await created(newAlert());

    const again = await store.create({
      ...alert,
      detail: 'a second scanner saw it too',
      openedAt: T0 + 120_000,
    });

    expect(again).toBe(false);
    expect((await store.get(alert.alertId))?.detail).toBe(alert.detail);
    expect((await store.get(alert.alertId))?.openedAt).toBe(alert.openedAt);
  });

  it('lets exactly one of 10 concurrent creates of the same id win', async () => {
    const alert = newAlert();

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.create({ ...alert, detail: `scanner ${i}` })),
    );

    expect(answers.filter(Boolean)).toHaveLength(1);
    const winner = answers.indexOf(true);
    expect((await store.get(alert.alertId))?.detail).toBe(`scanner ${winner}`);
  });

  it('answers undefined for an alert that does not exist', async () => {
    expect(await store.get('heartbeat_failure.1.nobody')).toBeUndefined();
  });
});

describe('DynamoAlertStore.listQueue', () => {
  it('lists open alerts newest first', async () => {
    const base = T0 + 50 * DAY;
    const [older, newest, middle] = await Promise.all(
      [1, 3, 2].map((k) => created(newAlert({ openedAt: base + k * 1000 }))),
    );

    const ids = await queueIds('open');

    const ours = ids.filter((id) => [older, newest, middle].some((a) => a?.alertId === id));
    expect(ours).toEqual([newest?.alertId, middle?.alertId, older?.alertId]);
    expect(ids.indexOf(newest!.alertId)).toBeLessThan(ids.indexOf(middle!.alertId));
  });

  it('leaves resolved alerts out of the open queue', async () => {
    const alert = await created(newAlert());

    await store.resolve(alert, change());

    expect(await queueIds('open')).not.toContain(alert.alertId);
  });
});

describe('DynamoAlertStore.resolve', () => {
  it('moves a paging alert whose opening was sent to the recovery queue', async () => {
    const alert = await sentAlert();

    const resolved = await store.resolve(alert, change(T0 + 300_000));

    expect(resolved).toMatchObject({
      status: 'resolved',
      resolvedAt: T0 + 300_000,
      resolution: 'heartbeat',
      openNotice: 'sent',
      recoveryNotice: 'pending',
    });
    expect(await queueIds('recovery')).toContain(alert.alertId);
    expect(await queueIds('open')).not.toContain(alert.alertId);
  });

  it('moves a paging alert whose opening is still pending to the recovery queue', async () => {
    const alert = await created(newAlert({ openNotice: 'pending' }));

    const resolved = await store.resolve(alert, change());

    expect(resolved).toMatchObject({ status: 'resolved', openNotice: 'pending', recoveryNotice: 'pending' });
    expect(await queueIds('recovery')).toContain(alert.alertId);
  });

  it('puts a console-only alert in no queue, with no recovery notice', async () => {
    const alert = await created(consoleOnly());

    const resolved = await store.resolve(alert, change());

    expect(resolved).toMatchObject({ status: 'resolved', openNotice: 'none', recoveryNotice: 'none' });
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
    expect(await queueIds('open')).not.toContain(alert.alertId);
  });

  it('suppresses a held opening and puts the alert in no queue', async () => {
    const alert = await created(newAlert());
    expect(await store.holdOpening(alert.alertId, 'pending', HELD)).toBe(true);

    const resolved = await store.resolve({ ...alert, openNotice: 'held' }, change());

    expect(resolved).toMatchObject({ status: 'resolved', openNotice: 'suppressed', recoveryNotice: 'none' });
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
    expect(await queueIds('open')).not.toContain(alert.alertId);
  });

  it('sends no recovery for an alert whose opening failed for good', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);
    await store.finishNotice(alert.alertId, 'opening', { error: 'no topic', retryable: false });

    const resolved = await store.resolve({ ...alert, openNotice: 'failed' }, change());

    expect(resolved).toMatchObject({ status: 'resolved', openNotice: 'failed', recoveryNotice: 'none' });
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
  });

  it('fails, leaving the alert open, when its opening notice moved since it was read', async () => {
    const seen = await created(newAlert({ openNotice: 'pending' }));
    expect(await store.claimNotice(seen.alertId, 'opening', T0, LEASE)).toBe(true);

    const resolved = await store.resolve(seen, change());

    expect(resolved).toBeUndefined();
    expect(await store.get(seen.alertId)).toMatchObject({ status: 'open', openNotice: 'sending' });
  });

  it('fails for an alert that is already resolved', async () => {
    const alert = await created(newAlert());
    expect(await store.resolve(alert, change(T0 + 1000))).toBeDefined();

    expect(await store.resolve(alert, change(T0 + 2000))).toBeUndefined();
    expect((await store.get(alert.alertId))?.resolvedAt).toBe(T0 + 1000);
  });

  it('stamps the expiry in epoch seconds for DynamoDB TTL', async () => {
    const alert = await created(newAlert());
    const expiresAt = T0 + 30 * DAY + 999;

    await store.resolve(alert, { at: T0, resolution: 'heartbeat', expiresAt });

    const raw = await client.send(
      new GetItemCommand({ TableName: LOCAL_TABLE_NAMES.alerts, Key: { alertId: { S: alert.alertId } } }),
    );
    expect(raw.Item?.expiresAt).toEqual({ N: String(Math.floor(expiresAt / 1000)) });
  });
});

describe('DynamoAlertStore.claimNotice', () => {
  it('lets exactly one of two concurrent claims of a pending opening win', async () => {
    const alert = await created(newAlert());

    const answers = await Promise.all([
      store.claimNotice(alert.alertId, 'opening', T0, LEASE),
      store.claimNotice(alert.alertId, 'opening', T0, LEASE),
    ]);

    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await store.get(alert.alertId)).toMatchObject({
      openNotice: 'sending',
      noticeLeaseUntil: T0 + LEASE,
    });
  });

  it('refuses a claim while the lease runs, up to its last millisecond', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);

    expect(await store.claimNotice(alert.alertId, 'opening', T0 + LEASE - 1, LEASE)).toBe(false);
    expect(await store.claimNotice(alert.alertId, 'opening', T0 + LEASE, LEASE)).toBe(false);
  });

  it('lets another scanner take a claim whose lease ran out, with a new lease', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);

    const taken = await store.claimNotice(alert.alertId, 'opening', T0 + LEASE + 1, LEASE);

    expect(taken).toBe(true);
    expect((await store.get(alert.alertId))?.noticeLeaseUntil).toBe(T0 + 2 * LEASE + 1);
  });

  it.each(['none', 'held'] as const)('refuses an opening notice in state %s', async (openNotice) => {
    const alert = await created(newAlert({ openNotice }));

    expect(await store.claimNotice(alert.alertId, 'opening', T0, LEASE)).toBe(false);
  });

  it('refuses an opening notice that was sent', async () => {
    const alert = await sentAlert();

    expect(await store.claimNotice(alert.alertId, 'opening', T0 + DAY, LEASE)).toBe(false);
  });

  it('refuses a claim of an alert that does not exist', async () => {
    expect(await store.claimNotice('heartbeat_failure.1.nobody', 'opening', T0, LEASE)).toBe(false);
  });

  it('refuses a recovery claim until the opening was sent', async () => {
    const alert = await created(newAlert());
    await store.resolve(alert, change());

    const early = await store.claimNotice(alert.alertId, 'recovery', T0 + 400_000, LEASE);
    await store.claimNotice(alert.alertId, 'opening', T0 + 400_000, LEASE);
    await store.finishNotice(alert.alertId, 'opening', { sentAt: T0 + 400_000 });
    const late = await store.claimNotice(alert.alertId, 'recovery', T0 + 400_001, LEASE);

    expect(early).toBe(false);
    expect(late).toBe(true);
    expect(await store.get(alert.alertId)).toMatchObject({ openNotice: 'sent', recoveryNotice: 'sending' });
  });

  it('lets exactly one of two concurrent recovery claims win', async () => {
    const alert = await sentAlert();
    await store.resolve(alert, change());

    const answers = await Promise.all([
      store.claimNotice(alert.alertId, 'recovery', T0 + DAY, LEASE),
      store.claimNotice(alert.alertId, 'recovery', T0 + DAY, LEASE),
    ]);

    expect(answers.filter(Boolean)).toHaveLength(1);
  });
});

describe('DynamoAlertStore acknowledgement notices', () => {
  const acked = async () => {
    const alert = await sentAlert();
    await store.acknowledge(alert.alertId, T0 + 200_000, 'ana');
    return alert;
  };

  it('lets exactly one of two concurrent claims of an acknowledgement win, the first claim of it', async () => {
    const alert = await acked();

    const answers = await Promise.all([
      store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_000, LEASE),
      store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_000, LEASE),
    ]);

    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await store.get(alert.alertId)).toMatchObject({
      ackNotice: 'sending',
      ackLeaseUntil: T0 + 300_000 + LEASE,
    });
  });

  it('refuses an acknowledgement of an alert nobody acknowledged, or whose page never went out', async () => {
    const unacked = await sentAlert();
    const unsent = await created(newAlert());
    await store.acknowledge(unsent.alertId, T0 + 200_000, 'ana');

    expect(await store.claimNotice(unacked.alertId, 'acknowledgement', T0 + 300_000, LEASE)).toBe(false);
    expect(await store.claimNotice(unsent.alertId, 'acknowledgement', T0 + 300_000, LEASE)).toBe(false);
  });

  it('sends it once: sent, it is never claimed again; a retryable failure is claimed again', async () => {
    const alert = await acked();
    await store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_000, LEASE);
    await store.finishNotice(alert.alertId, 'acknowledgement', { error: 'HTTP 500', retryable: true });
    expect(await store.get(alert.alertId)).toMatchObject({
      ackNotice: 'pending',
      lastNoticeError: 'HTTP 500',
    });

    expect(await store.claimNotice(alert.alertId, 'acknowledgement', T0 + 400_000, LEASE)).toBe(true);
    await store.finishNotice(alert.alertId, 'acknowledgement', { sentAt: T0 + 400_000 });

    expect(await store.claimNotice(alert.alertId, 'acknowledgement', T0 + DAY, LEASE)).toBe(false);
    expect(await store.get(alert.alertId)).toMatchObject({ ackNotice: 'sent', ackNotifiedAt: T0 + 400_000 });
  });

  it('keeps its own lease while the recovery is claimed and finished beside it', async () => {
    const alert = await acked();
    await store.resolve(alert, change(T0 + 250_000));
    await store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_000, LEASE);
    await store.claimNotice(alert.alertId, 'recovery', T0 + 300_000, LEASE);
    await store.finishNotice(alert.alertId, 'recovery', { sentAt: T0 + 300_000 });

    // Still claimed: a second scanner within the lease does not take it.
    expect(await store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_001, LEASE)).toBe(false);
    expect(await store.claimNotice(alert.alertId, 'acknowledgement', T0 + 300_001 + LEASE, LEASE)).toBe(true);
  });
});

describe('DynamoAlertStore.finishNotice', () => {
  it('records a sent opening: sent, when, one attempt, no lease left', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);

    await store.finishNotice(alert.alertId, 'opening', { sentAt: T0 + 5 });

    expect(await store.get(alert.alertId)).toMatchObject({
      openNotice: 'sent',
      notifiedAt: T0 + 5,
      noticeAttempts: 1,
      noticeLeaseUntil: undefined,
      lastNoticeError: undefined,
      status: 'open',
    });
    expect(await queueIds('open')).toContain(alert.alertId);
  });

  it('puts a notice that may succeed later back to pending with the error, counting attempts', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);
    await store.finishNotice(alert.alertId, 'opening', { error: 'Throttling', retryable: true });
    await store.claimNotice(alert.alertId, 'opening', T0 + 1, LEASE);
    await store.finishNotice(alert.alertId, 'opening', { error: 'Throttling again', retryable: true });

    expect(await store.get(alert.alertId)).toMatchObject({
      openNotice: 'pending',
      lastNoticeError: 'Throttling again',
      noticeAttempts: 2,
      noticeLeaseUntil: undefined,
    });
    expect(await store.claimNotice(alert.alertId, 'opening', T0 + 2, LEASE)).toBe(true);
  });

  it('clears the last error once the notice is sent', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);
    await store.finishNotice(alert.alertId, 'opening', { error: 'Throttling', retryable: true });
    await store.claimNotice(alert.alertId, 'opening', T0 + 1, LEASE);

    await store.finishNotice(alert.alertId, 'opening', { sentAt: T0 + 1 });

    expect(await store.get(alert.alertId)).toMatchObject({ openNotice: 'sent', lastNoticeError: undefined });
  });

  it('marks a notice that cannot succeed failed for good', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);

    await store.finishNotice(alert.alertId, 'opening', {
      error: 'AuthorizationErrorException',
      retryable: false,
    });

    expect(await store.get(alert.alertId)).toMatchObject({
      openNotice: 'failed',
      lastNoticeError: 'AuthorizationErrorException',
    });
    expect(await store.claimNotice(alert.alertId, 'opening', T0 + DAY, LEASE)).toBe(false);
  });

  it('keeps at most 500 characters of an error', async () => {
    const alert = await created(newAlert());
    await store.claimNotice(alert.alertId, 'opening', T0, LEASE);

    await store.finishNotice(alert.alertId, 'opening', { error: 'e'.repeat(2000), retryable: true });

    expect((await store.get(alert.alertId))?.lastNoticeError).toHaveLength(500);
  });

  it('changes nothing for a notice that is no longer being sent', async () => {
    const alert = await sentAlert(T0 + 10);

    await store.finishNotice(alert.alertId, 'opening', { error: 'late loser', retryable: true });

    expect(await store.get(alert.alertId)).toMatchObject({ openNotice: 'sent', notifiedAt: T0 + 10 });
  });

  it('records a sent recovery and takes the alert off the recovery queue', async () => {
    const alert = await sentAlert();
    await store.resolve(alert, change());
    await store.claimNotice(alert.alertId, 'recovery', T0 + DAY, LEASE);

    await store.finishNotice(alert.alertId, 'recovery', { sentAt: T0 + DAY });

    expect(await store.get(alert.alertId)).toMatchObject({
      recoveryNotice: 'sent',
      recoveryNotifiedAt: T0 + DAY,
      noticeLeaseUntil: undefined,
    });
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
  });

  it('puts a recovery that may succeed later back to pending, still on the recovery queue', async () => {
    const alert = await sentAlert();
    await store.resolve(alert, change());
    await store.claimNotice(alert.alertId, 'recovery', T0 + DAY, LEASE);

    await store.finishNotice(alert.alertId, 'recovery', { error: 'Throttling', retryable: true });

    expect((await store.get(alert.alertId))?.recoveryNotice).toBe('pending');
    expect(await queueIds('recovery')).toContain(alert.alertId);
  });

  it('takes a recovery that failed for good off the recovery queue', async () => {
    const alert = await sentAlert();
    await store.resolve(alert, change());
    await store.claimNotice(alert.alertId, 'recovery', T0 + DAY, LEASE);

    await store.finishNotice(alert.alertId, 'recovery', { error: 'NotFoundException', retryable: false });

    expect((await store.get(alert.alertId))?.recoveryNotice).toBe('failed');
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
  });

  it('takes an alert off the recovery queue when its opening fails for good after it resolved', async () => {
    const alert = await created(newAlert());
    await store.resolve(alert, change());
    await store.claimNotice(alert.alertId, 'opening', T0 + DAY, LEASE);

    await store.finishNotice(alert.alertId, 'opening', { error: 'NotFoundException', retryable: false });

    // The recovery can never be claimed now (it needs the opening sent), so nothing is left to send.
    expect(await store.claimNotice(alert.alertId, 'recovery', T0 + 2 * DAY, LEASE)).toBe(false);
    expect(await queueIds('recovery')).not.toContain(alert.alertId);
  });
});

describe('DynamoAlertStore.changeKind', () => {
  const shift = (at: number) => ({
    kind: 'host_unreachable' as const,
    severity: 'critical' as const,
    detail: 'No heartbeat and the host does not answer its probe.',
    missedScans: 4,
    at,
  });

  it('gives an open alert a new verdict, keeps its notices, and appends to its kind history', async () => {
    const alert = newAlert({
      openNotice: 'sent',
      notifiedAt: T0 + 90_000,
      kindHistory: [{ kind: 'heartbeat_failure', at: T0 + 90_000 }],
    });
    await store.create(alert);

    const changed = await store.changeKind(alert, shift(T0 + 120_000));

    expect(changed).toMatchObject({
      kind: 'host_unreachable',
      severity: 'critical',
      missedScans: 4,
      openNotice: 'sent',
    });
    expect((await store.get(alert.alertId))?.kindHistory).toEqual([
      { kind: 'heartbeat_failure', at: T0 + 90_000 },
      { kind: 'host_unreachable', at: T0 + 120_000 },
    ]);
  });

  it('starts the history of an alert stored without one from its opening', async () => {
    const alert = newAlert();
    await store.create(alert);

    await store.changeKind(alert, shift(T0 + 120_000));

    expect((await store.get(alert.alertId))?.kindHistory?.map((k) => k.kind)).toEqual([
      'heartbeat_failure',
      'host_unreachable',
    ]);
  });

  it('lets exactly one of two concurrent changes from the same verdict win', async () => {
    const alert = newAlert();
    await store.create(alert);

    const results = await Promise.all([
      store.changeKind(alert, shift(T0 + 1)),
      store.changeKind(alert, shift(T0 + 2)),
    ]);

    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect((await store.get(alert.alertId))?.kindHistory).toHaveLength(2);
  });

  it('changes nothing on an alert that was resolved meanwhile', async () => {
    const alert = newAlert();
    await store.create(alert);
    await store.resolve(alert, { at: T0 + 1, resolution: 'heartbeat', expiresAt: T0 + 86_400_000 });

    expect(await store.changeKind(alert, shift(T0 + 2))).toBeUndefined();
    expect((await store.get(alert.alertId))?.kind).toBe('heartbeat_failure');
  });
});

describe('DynamoAlertStore.holdOpening and releaseOpening', () => {
  it('holds a pending page saying why, and releases it, each only from the state it expects', async () => {
    const alert = await created(newAlert());

    expect(await store.holdOpening(alert.alertId, 'pending', HELD)).toBe(true);
    expect(await store.holdOpening(alert.alertId, 'pending', HELD)).toBe(false);
    expect(await store.get(alert.alertId)).toMatchObject({ openNotice: 'held', suppressed: HELD });
    expect(await store.releaseOpening(alert.alertId)).toBe(true);
    expect(await store.releaseOpening(alert.alertId)).toBe(false);
    const released = await store.get(alert.alertId);
    expect(released?.openNotice).toBe('pending');
    expect(released?.suppressed).toBeUndefined();
  });

  it('gives a held page a new reason only from held', async () => {
    const alert = await created(newAlert());
    await store.holdOpening(alert.alertId, 'pending', HELD);
    const byCluster = { reason: 'cluster' as const, by: 'db', since: T0 + 5 };

    expect(await store.holdOpening(alert.alertId, 'held', byCluster)).toBe(true);
    expect((await store.get(alert.alertId))?.suppressed).toEqual(byCluster);
  });

  it('lets exactly one of two concurrent holds of a pending page win', async () => {
    const alert = await created(newAlert());

    const results = await Promise.all([
      store.holdOpening(alert.alertId, 'pending', HELD),
      store.holdOpening(alert.alertId, 'pending', { ...HELD, reason: 'storm', by: 'production' }),
    ]);

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('does not hold the page of an alert that resolved meanwhile', async () => {
    const alert = await created(newAlert());
    await store.resolve(alert, change());

    expect(await store.holdOpening(alert.alertId, 'pending', HELD)).toBe(false);
  });
});

describe('DynamoAlertStore.claimReminder', () => {
  it('lets exactly one of two concurrent reminder claims win and moves notifiedAt', async () => {
    const alert = await sentAlert(T0 + 100);

    const answers = await Promise.all([
      store.claimReminder(alert.alertId, T0 + 100, T0 + DAY),
      store.claimReminder(alert.alertId, T0 + 100, T0 + DAY),
    ]);

    expect(answers.filter(Boolean)).toHaveLength(1);
    expect((await store.get(alert.alertId))?.notifiedAt).toBe(T0 + DAY);
  });

  it('refuses a claim from a notifiedAt that has moved on', async () => {
    const alert = await sentAlert(T0 + 100);
    await store.claimReminder(alert.alertId, T0 + 100, T0 + DAY);

    expect(await store.claimReminder(alert.alertId, T0 + 100, T0 + 2 * DAY)).toBe(false);
  });

  it('refuses a reminder of a resolved alert', async () => {
    const alert = await sentAlert(T0 + 100);
    await store.resolve(alert, change());

    expect(await store.claimReminder(alert.alertId, T0 + 100, T0 + DAY)).toBe(false);
  });
});

describe('DynamoAlertStore.acknowledge', () => {
  it('records who acknowledged, when, and the note', async () => {
    const alert = await created(newAlert());

    const acked = await store.acknowledge(alert.alertId, T0 + 1000, 'alice', 'on it');

    expect(acked).toMatchObject({ acknowledgedAt: T0 + 1000, acknowledgedBy: 'alice', ackNote: 'on it' });
  });

  it('keeps the first acknowledgement and answers it to a second one', async () => {
    const alert = await created(newAlert());
    await store.acknowledge(alert.alertId, T0 + 1000, 'alice', 'on it');

    const second = await store.acknowledge(alert.alertId, T0 + 2000, 'bob', 'me too');

    expect(second).toMatchObject({ acknowledgedAt: T0 + 1000, acknowledgedBy: 'alice', ackNote: 'on it' });
    expect(await store.get(alert.alertId)).toMatchObject({
      acknowledgedAt: T0 + 1000,
      acknowledgedBy: 'alice',
    });
  });

  it('answers undefined for an alert that does not exist, creating nothing', async () => {
    const id = 'heartbeat_failure.1.nobody-to-ack';

    expect(await store.acknowledge(id, T0, 'alice')).toBeUndefined();
    expect(await store.get(id)).toBeUndefined();
  });
});

describe('DynamoWatcherStateStore', () => {
  let tables = 0;
  /** A state store on a table of its own: the scanner state is one item. */
  async function freshStateStore(): Promise<DynamoWatcherStateStore> {
    const names = { ...LOCAL_TABLE_NAMES, state: `hbw-state-test-${++tables}` };
    await ensureTables(client, names);
    return new DynamoWatcherStateStore(client, names.state);
  }

  const scan = (lastScanAt: number) => ({
    lastScanAt,
    lastCompletedAt: lastScanAt + 2000,
    blindWindows: [{ start: lastScanAt - 600_000, end: lastScanAt }],
    fleet: {
      groups: { production: { healthy: 3, late: 1 }, lab: { pending: 1 } },
      openAlerts: 1,
      windows: [
        { scope: 'group' as const, name: 'lab', since: lastScanAt - 1000, until: lastScanAt + 60_000 },
      ],
      sms: { production: { day: '2026-11-23', spent: 2 } },
    },
  });

  it('starts with no scan, no blind windows and no fleet summary', async () => {
    const state = await freshStateStore();

    expect(await state.getScannerState()).toEqual({
      lastScanAt: undefined,
      lastCompletedAt: undefined,
      blindWindows: [],
      stormSince: undefined,
      fleet: undefined,
    });
  });

  it('records a completed scan with its blind windows and what it found of the fleet', async () => {
    const state = await freshStateStore();

    expect(await state.completeScan(scan(T0))).toBe(true);

    expect(await state.getScannerState()).toEqual({ ...scan(T0), stormSince: undefined });
  });

  it('records a later scan over an earlier one', async () => {
    const state = await freshStateStore();
    await state.completeScan(scan(T0));

    expect(await state.completeScan(scan(T0 + 30_000))).toBe(true);

    expect((await state.getScannerState()).lastScanAt).toBe(T0 + 30_000);
  });

  it.each([
    ['earlier', -1],
    ['the same', 0],
  ])('refuses a scan with %s lastScanAt and keeps what was recorded', async (_, deltaMs) => {
    const state = await freshStateStore();
    await state.completeScan(scan(T0));

    const recorded = await state.completeScan({ ...scan(T0 + deltaMs), lastCompletedAt: T0 + 9000 });

    expect(recorded).toBe(false);
    expect(await state.getScannerState()).toMatchObject({ lastScanAt: T0, lastCompletedAt: T0 + 2000 });
  });

  it('leaves the storm mark alone when recording a scan', async () => {
    const state = await freshStateStore();
    await state.setStorm(undefined, T0);

    await state.completeScan(scan(T0 + 1000));

    expect((await state.getScannerState()).stormSince).toBe(T0);
  });

  it('starts a storm only when none is marked', async () => {
    const state = await freshStateStore();

    expect(await state.setStorm(undefined, T0)).toBe(true);
    expect(await state.setStorm(undefined, T0 + 1000)).toBe(false);
    expect((await state.getScannerState()).stormSince).toBe(T0);
  });

  it('lets exactly one of two concurrent storm starts win', async () => {
    const state = await freshStateStore();

    const answers = await Promise.all([state.setStorm(undefined, T0), state.setStorm(undefined, T0 + 1)]);

    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('clears a storm only from the mark it expects, once', async () => {
    const state = await freshStateStore();
    await state.setStorm(undefined, T0);

    expect(await state.setStorm(T0 + 1, undefined)).toBe(false);
    expect((await state.getScannerState()).stormSince).toBe(T0);
    expect(await state.setStorm(T0, undefined)).toBe(true);
    expect((await state.getScannerState()).stormSince).toBeUndefined();
    expect(await state.setStorm(T0, undefined)).toBe(false);
  });
});
