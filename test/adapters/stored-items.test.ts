import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { DynamoAlertStore } from '../../lambda/adapters/dynamo-alert-store';
import { DynamoWatcherStateStore } from '../../lambda/adapters/dynamo-state-store';
import { ensureTables, LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { lossHour } from '../../lambda/domain/loss';
import { openTestStore, type TestStore } from '../support/test-store';

// The items already in users' tables were written by stores that mapped each attribute by hand. The
// stores now map them with the SDK's marshall/unmarshall: these items, written as those stores wrote
// them, must read the same, and what the stores write now must keep each attribute's name and type.

type Item = Record<string, AttributeValue>;

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const HOUR = lossHour(T0);

let testStore: TestStore;
let client: DynamoDBClient;
let agents: DynamoAgentStore;
let alerts: DynamoAlertStore;
let state: DynamoWatcherStateStore;

beforeAll(async () => {
  testStore = await openTestStore();
  client = testStore.newClient();
  await ensureTables(client, LOCAL_TABLE_NAMES);
  agents = new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents);
  alerts = new DynamoAlertStore(client, LOCAL_TABLE_NAMES.alerts);
  state = new DynamoWatcherStateStore(client, LOCAL_TABLE_NAMES.state);
});
afterAll(async () => {
  client.destroy();
  await testStore.close();
});

const put = (table: string, Item: Item) => client.send(new PutItemCommand({ TableName: table, Item }));
const raw = async (table: string, key: Item) =>
  (await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

const PROBE = { type: 'tcp', host: '10.0.0.9', port: 22 };
const RESTART = {
  at: T0 - 60_000,
  fromBoot: 'boot-a',
  toBoot: 'boot-b',
  downtimeSeconds: 40,
  expected: false,
};

/** An agent item with every attribute the hand-written mapping knew, as it wrote them. */
const OLD_AGENT: Item = {
  agentId: { S: 'old-01' },
  group: { S: 'production' },
  cluster: { S: 'eu' },
  approval: { S: 'approved' },
  tokenHash: { S: 'ab'.repeat(32) },
  createdAt: { N: String(T0 - 86_400_000) },
  lastHeartbeatAt: { N: String(T0) },
  lastSentAt: { N: String(T0 - 150) },
  clockSkewSeconds: { N: '-0.15' },
  seq: { N: '41' },
  bootId: { S: 'boot-b' },
  endpoint: { S: 'https://old-01.example:8443' },
  version: { S: '1.4.0' },
  maintenanceUntil: { N: String(T0 + 3_600_000) },
  maintenanceReason: { S: 'kernel update' },
  agentless: { BOOL: true },
  probe: { S: JSON.stringify(PROBE) },
  parent: { S: 'sw-01' },
  lastRecoveredAt: { N: String(T0 - 7_200_000) },
  outageEndedAt: { N: String(T0 - 7_100_000) },
  recentOpenings: { S: JSON.stringify([T0 - 9_000_000, T0 - 8_000_000]) },
  flappingEndedAt: { N: String(T0 - 6_000_000) },
  awayUntil: { N: String(T0 + 600_000) },
  awayReason: { S: 'reboot' },
  restarts: { N: '2' },
  lastRestart: { S: JSON.stringify(RESTART) },
  restartRecordedAt: { N: String(T0 - 50_000) },
  bootFirstSeq: { N: '1' },
  bootBeats: { N: '40' },
  [`lossFirstSeq_${HOUR}`]: { N: '3' },
  [`lossLastSeq_${HOUR}`]: { N: '41' },
  [`lossBeats_${HOUR}`]: { N: '38' },
};

describe('items written by the hand-written mapping', () => {
  it('an agent item reads as the record it stood for, field by field', async () => {
    await put(LOCAL_TABLE_NAMES.agents, OLD_AGENT);

    expect(await agents.get('old-01')).toEqual({
      agentId: 'old-01',
      group: 'production',
      cluster: 'eu',
      approval: 'approved',
      tokenHash: 'ab'.repeat(32),
      createdAt: T0 - 86_400_000,
      lastHeartbeatAt: T0,
      lastSentAt: T0 - 150,
      clockSkewSeconds: -0.15,
      seq: 41,
      bootId: 'boot-b',
      endpoint: 'https://old-01.example:8443',
      version: '1.4.0',
      maintenanceUntil: T0 + 3_600_000,
      maintenanceReason: 'kernel update',
      agentless: true,
      probe: PROBE,
      parent: 'sw-01',
      lastRecoveredAt: T0 - 7_200_000,
      outageEndedAt: T0 - 7_100_000,
      recentOpenings: [T0 - 9_000_000, T0 - 8_000_000],
      flappingEndedAt: T0 - 6_000_000,
      awayUntil: T0 + 600_000,
      awayReason: 'reboot',
      restarts: 2,
      lastRestart: RESTART,
      restartRecordedAt: T0 - 50_000,
      bootFirstSeq: 1,
      bootBeats: 40,
      lossBuckets: [{ hour: HOUR, firstSeq: 3, lastSeq: 41, beats: 38 }],
    });
  });

  it('an attribute of another type than the mapping wrote is read as absent, as it was', async () => {
    await put(LOCAL_TABLE_NAMES.agents, {
      ...OLD_AGENT,
      agentId: { S: 'old-02' },
      seq: { S: '41' },
      version: { N: '2' },
      agentless: { S: 'true' },
    });

    const agent = await agents.get('old-02');

    expect(agent).toMatchObject({ agentId: 'old-02', bootId: 'boot-b' });
    expect(agent?.seq).toBeUndefined();
    expect(agent?.version).toBeUndefined();
    expect(agent?.agentless).toBeUndefined();
  });

  it('an alert item reads as the record it stood for, field by field', async () => {
    const suppressed = { reason: 'parent', by: 'sw-01', since: T0 + 1 };
    const steps = [{ step: 0, after: 'PT15M', channels: ['sms'], state: 'sent', at: T0 + 900_000 }];
    await put(LOCAL_TABLE_NAMES.alerts, {
      alertId: { S: 'agent#old-01#1' },
      agentId: { S: 'old-01' },
      group: { S: 'production' },
      cluster: { S: 'eu' },
      kind: { S: 'host_unreachable' },
      severity: { S: 'critical' },
      status: { S: 'resolved' },
      openedAt: { N: String(T0 + 90_000) },
      kindHistory: { S: JSON.stringify([{ kind: 'heartbeat_failure', at: T0 + 90_000 }]) },
      incidentStart: { N: String(T0) },
      missedScans: { N: '3' },
      detail: { S: 'No heartbeat for 3 scans.' },
      channels: { S: '["sms","email"]' },
      agentIds: { S: '["old-01","old-02"]' },
      openNotice: { S: 'sent' },
      suppressed: { S: JSON.stringify(suppressed) },
      notifiedAt: { N: String(T0 + 95_000) },
      pagedAt: { N: String(T0 + 95_000) },
      escalations: { S: JSON.stringify(steps) },
      recoveryNotice: { S: 'pending' },
      recoveryNotifiedAt: { N: String(T0 + 400_000) },
      noticeLeaseUntil: { N: String(T0 + 460_000) },
      noticeAttempts: { N: '2' },
      lastNoticeError: { S: 'throttled' },
      resolvedAt: { N: String(T0 + 300_000) },
      resolution: { S: 'heartbeat' },
      acknowledgedAt: { N: String(T0 + 200_000) },
      acknowledgedBy: { S: 'ops@example.com' },
      ackNote: { S: 'on it' },
      freshSince: { N: String(T0 + 250_000) },
      stableSince: { N: String(T0 + 260_000) },
      queue: { S: 'recovery' },
      expiresAt: { N: String(Math.floor(T0 / 1000) + 2_592_000) },
    });

    expect(await alerts.get('agent#old-01#1')).toEqual({
      alertId: 'agent#old-01#1',
      agentId: 'old-01',
      group: 'production',
      cluster: 'eu',
      kind: 'host_unreachable',
      severity: 'critical',
      status: 'resolved',
      openedAt: T0 + 90_000,
      kindHistory: [{ kind: 'heartbeat_failure', at: T0 + 90_000 }],
      incidentStart: T0,
      missedScans: 3,
      detail: 'No heartbeat for 3 scans.',
      channels: ['sms', 'email'],
      agentIds: ['old-01', 'old-02'],
      openNotice: 'sent',
      suppressed,
      notifiedAt: T0 + 95_000,
      pagedAt: T0 + 95_000,
      escalations: steps,
      recoveryNotice: 'pending',
      recoveryNotifiedAt: T0 + 400_000,
      noticeLeaseUntil: T0 + 460_000,
      noticeAttempts: 2,
      lastNoticeError: 'throttled',
      resolvedAt: T0 + 300_000,
      resolution: 'heartbeat',
      acknowledgedAt: T0 + 200_000,
      acknowledgedBy: 'ops@example.com',
      ackNote: 'on it',
      freshSince: T0 + 250_000,
      stableSince: T0 + 260_000,
    });
  });

  it('the scanner state, an enrollment key and an SMS counter read as they were written', async () => {
    const fleet = { at: T0, agents: 0, groups: {} };
    const blind = [{ from: T0 - 600_000, to: T0 - 300_000 }];
    await put(LOCAL_TABLE_NAMES.state, {
      key: { S: 'scanner' },
      lastScanAt: { N: String(T0) },
      lastCompletedAt: { N: String(T0 + 900) },
      blindWindows: { S: JSON.stringify(blind) },
      stormSince: { N: String(T0 - 60_000) },
      fleet: { S: JSON.stringify(fleet) },
    });
    await put(LOCAL_TABLE_NAMES.state, {
      key: { S: 'enroll#production' },
      keyHash: { S: 'cd'.repeat(32) },
      createdAt: { N: String(T0) },
    });
    await put(LOCAL_TABLE_NAMES.state, {
      key: { S: 'sms#production#2026-11-23' },
      group: { S: 'production' },
      day: { S: '2026-11-23' },
      expiresAt: { N: '1795500000' },
      spent: { N: '7' },
      reachedAt: { N: String(T0 + 1) },
    });

    expect(await state.getScannerState()).toMatchObject({
      lastScanAt: T0,
      lastCompletedAt: T0 + 900,
      blindWindows: blind,
      stormSince: T0 - 60_000,
    });
    expect(await state.getEnrollmentKeyHash('production')).toBe('cd'.repeat(32));
    expect(await state.smsSpent('production', '2026-11-23')).toEqual({ spent: 7, reachedAt: T0 + 1 });
  });
});

describe('items the stores write now', () => {
  it('an agent keeps the names and types of the hand-written mapping: strings, numbers, JSON text, a BOOL', async () => {
    await agents.create({
      agentId: 'new-01',
      group: 'production',
      cluster: 'eu',
      approval: 'approved',
      tokenHash: 'ef'.repeat(32),
      createdAt: T0,
      agentless: true,
      probe: { type: 'tcp', host: '10.0.0.9', port: 22 },
      parent: 'sw-01',
    });
    await agents.recordHeartbeat(
      {
        agentId: 'new-01',
        at: T0 + 1000,
        sentAt: T0 + 900,
        clockSkewSeconds: -0.1,
        seq: 5,
        bootId: 'boot-a',
        coalesced: 2,
        endpoint: 'https://new-01.example',
        version: '1.5.0',
        goodbye: { until: T0 + 60_000, reason: 'patching' },
      },
      'ef'.repeat(32),
    );

    expect(await raw(LOCAL_TABLE_NAMES.agents, { agentId: { S: 'new-01' } })).toEqual({
      agentId: { S: 'new-01' },
      group: { S: 'production' },
      cluster: { S: 'eu' },
      approval: { S: 'approved' },
      tokenHash: { S: 'ef'.repeat(32) },
      createdAt: { N: String(T0) },
      agentless: { BOOL: true },
      probe: { S: JSON.stringify({ type: 'tcp', host: '10.0.0.9', port: 22 }) },
      parent: { S: 'sw-01' },
      lastHeartbeatAt: { N: String(T0 + 1000) },
      lastSentAt: { N: String(T0 + 900) },
      clockSkewSeconds: { N: '-0.1' },
      seq: { N: '5' },
      bootId: { S: 'boot-a' },
      endpoint: { S: 'https://new-01.example' },
      version: { S: '1.5.0' },
      awayUntil: { N: String(T0 + 60_000) },
      awayReason: { S: 'patching' },
      bootFirstSeq: { N: '4' },
      bootBeats: { N: '2' },
      [`lossFirstSeq_${HOUR}`]: { N: '4' },
      [`lossLastSeq_${HOUR}`]: { N: '5' },
      [`lossBeats_${HOUR}`]: { N: '2' },
    });
  });

  it('an alert keeps them too, and a finished notice counts its attempt as a number', async () => {
    const alertId = 'agent#new-01#1';
    await alerts.create({
      alertId,
      agentId: 'new-01',
      group: 'production',
      kind: 'heartbeat_failure',
      severity: 'critical',
      status: 'open',
      openedAt: T0 + 90_000,
      incidentStart: T0,
      missedScans: 3,
      detail: 'No heartbeat for 3 scans.',
      channels: ['sms', 'email'],
      openNotice: 'pending',
      recoveryNotice: 'none',
    });
    expect(await alerts.claimNotice(alertId, 'opening', T0 + 91_000, 60_000)).toBe(true);
    await alerts.finishNotice(alertId, 'opening', { sentAt: T0 + 92_000 });

    expect(await raw(LOCAL_TABLE_NAMES.alerts, { alertId: { S: alertId } })).toEqual({
      alertId: { S: alertId },
      agentId: { S: 'new-01' },
      group: { S: 'production' },
      kind: { S: 'heartbeat_failure' },
      severity: { S: 'critical' },
      status: { S: 'open' },
      queue: { S: 'open' },
      openedAt: { N: String(T0 + 90_000) },
      incidentStart: { N: String(T0) },
      missedScans: { N: '3' },
      detail: { S: 'No heartbeat for 3 scans.' },
      channels: { S: '["sms","email"]' },
      openNotice: { S: 'sent' },
      recoveryNotice: { S: 'none' },
      notifiedAt: { N: String(T0 + 92_000) },
      pagedAt: { N: String(T0 + 92_000) },
      noticeAttempts: { N: '1' },
    });
  });

  it('an SMS counter counts with ADD from nothing, and gives back with ADD', async () => {
    expect(await state.spendSms('lab', '2026-11-23', 5, 1795500000)).toBe(true);
    expect(await state.spendSms('lab', '2026-11-23', 5, 1795500000)).toBe(true);
    await state.refundSms('lab', '2026-11-23');

    expect(await raw(LOCAL_TABLE_NAMES.state, { key: { S: 'sms#lab#2026-11-23' } })).toEqual({
      key: { S: 'sms#lab#2026-11-23' },
      group: { S: 'lab' },
      day: { S: '2026-11-23' },
      expiresAt: { N: '1795500000' },
      spent: { N: '1' },
    });
  });
});
