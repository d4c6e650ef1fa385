import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableRole } from '../lambda/adapters/tables';

/** The logical IDs of the stateful tables: fixed, so that no refactoring ever replaces one. */
export const TABLE_LOGICAL_IDS: Record<TableRole, string> = {
  agents: 'AgentsTable',
  state: 'WatcherStateTable',
  alerts: 'AlertsTable',
};

/**
 * The watcher's tables, built from the same definitions local mode and the tests create theirs
 * from: on demand, point-in-time recovery, retained when the stack is deleted.
 */
export class WatcherTables extends Construct {
  readonly agents: dynamodb.Table;
  readonly state: dynamodb.Table;
  readonly alerts: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.agents = this.table('agents');
    this.state = this.table('state');
    this.alerts = this.table('alerts');
  }

  private table(role: TableRole): dynamodb.Table {
    const def: TableDefinition = TABLES[role];
    const table = new dynamodb.Table(this, TABLE_LOGICAL_IDS[role], {
      partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: def.timeToLive,
    });
    if (def.index) {
      table.addGlobalSecondaryIndex({
        indexName: def.index.name,
        partitionKey: { name: def.index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: def.index.sortKey, type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    (table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(TABLE_LOGICAL_IDS[role]);
    return table;
  }
}
