import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logger';
import { DynamoAgentStore } from './dynamo-agent-store';
import { DynamoAlertStore } from './dynamo-alert-store';
import { DynamoAuditStore } from './dynamo-audit-store';
import { DynamoWatcherStateStore } from './dynamo-state-store';
import type { TableNames } from './tables';

/** The stores over one client: what every door wires into the service and the scanner. */
export function dynamoStores(client: DynamoDBClient, names: TableNames, log?: Logger) {
  return {
    agents: new DynamoAgentStore(client, names.agents, log),
    alerts: new DynamoAlertStore(client, names.alerts),
    state: new DynamoWatcherStateStore(client, names.state, log),
    audit: new DynamoAuditStore(client, names.audit),
  };
}
