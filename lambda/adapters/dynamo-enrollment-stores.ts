import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AgentRecord } from '../domain/agent';
import type { EnrollmentKeyStore, NewAgentStore } from '../ports';
import { fromItem, type Item, KeyedTable, text, toItem } from './dynamo';

// What registration reads and writes of the tables, and nothing more: all the register function
// needs of them, so its bundle holds neither the scans of the agent store nor the rest of the state
// store. The full stores (DynamoAgentStore, DynamoWatcherStateStore) answer these two through these.

/** The state table's key of a group's enrollment key hash. */
export const enrollKey = (group: string) => `enroll#${group}`;

/** The enrollment key hashes of the state table, one item per group. */
export class DynamoEnrollmentKeyStore implements EnrollmentKeyStore {
  private readonly table: KeyedTable;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new KeyedTable(client, tableName, 'key');
  }

  async getEnrollmentKeyHash(group: string) {
    const item = await this.table.get('get enrollment key', enrollKey(group));
    return item ? text(fromItem(item).keyHash) : undefined;
  }
}

/** A new agent's item: what registration sets (the probe as JSON text, `agentless` only when true). */
function agentToItem(agent: AgentRecord): Item {
  return toItem({
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    approval: agent.approval,
    tokenHash: agent.tokenHash,
    createdAt: agent.createdAt,
    agentless: agent.agentless ? true : undefined,
    probe: agent.probe === undefined ? undefined : JSON.stringify(agent.probe),
    parent: agent.parent,
    probeNetwork: agent.probeNetwork,
  });
}

/** The creation of agents in the agents table. */
export class DynamoNewAgentStore implements NewAgentStore {
  private readonly table: KeyedTable;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new KeyedTable(client, tableName, 'agentId');
  }

  create(agent: AgentRecord) {
    return this.table.putIfAbsent('create agent', agentToItem(agent));
  }
}
