import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableRole } from '../lambda/adapters/tables';
import type { Capacity, ProvisionedCapacity } from '../lambda/domain/capacity';

/** The logical IDs of the stateful tables: fixed, so that no refactoring ever replaces one. */
export const TABLE_LOGICAL_IDS: Record<TableRole, string> = {
  agents: 'AgentsTable',
  state: 'WatcherStateTable',
  alerts: 'AlertsTable',
  audit: 'AuditTable',
};

/**
 * The watcher's tables, built from the same definitions local mode and the tests create theirs
 * from: point-in-time recovery, retained when the stack is deleted, on demand but for the agents
 * table in `provisioned` capacity mode, which auto scaling keeps at its target utilization.
 */
export class WatcherTables extends Construct {
  readonly agents: dynamodb.Table;
  readonly state: dynamodb.Table;
  readonly alerts: dynamodb.Table;
  readonly audit: dynamodb.Table;

  constructor(scope: Construct, id: string, capacity: Capacity) {
    super(scope, id);
    this.agents = this.table('agents', capacity.mode === 'provisioned' ? capacity.agentsTable : undefined);
    this.state = this.table('state');
    this.alerts = this.table('alerts');
    this.audit = this.table('audit');
  }

  private table(role: TableRole, provisioned?: ProvisionedCapacity): dynamodb.Table {
    const def: TableDefinition = TABLES[role];
    const table = new dynamodb.Table(this, TABLE_LOGICAL_IDS[role], {
      partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: def.sortKey ? { name: def.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      ...(provisioned
        ? {
            billingMode: dynamodb.BillingMode.PROVISIONED,
            writeCapacity: provisioned.minWriteUnits,
            readCapacity: provisioned.minReadUnits,
          }
        : { billingMode: dynamodb.BillingMode.PAY_PER_REQUEST }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: def.timeToLive,
    });
    if (provisioned) {
      // Target tracking on each side; the scanner's reads come in bursts once a scan, which the
      // table's burst capacity (up to 300 s of unused units) carries between them.
      const targetUtilizationPercent = Math.round(provisioned.targetUtilization * 100);
      table
        .autoScaleWriteCapacity({
          minCapacity: provisioned.minWriteUnits,
          maxCapacity: provisioned.maxWriteUnits,
        })
        .scaleOnUtilization({ targetUtilizationPercent });
      table
        .autoScaleReadCapacity({
          minCapacity: provisioned.minReadUnits,
          maxCapacity: provisioned.maxReadUnits,
        })
        .scaleOnUtilization({ targetUtilizationPercent });
    }
    if (def.index) {
      table.addGlobalSecondaryIndex({
        indexName: def.index.name,
        partitionKey: { name: def.index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: {
          name: def.index.sortKey,
          type: def.index.sortKeyType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING,
        },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    (table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(TABLE_LOGICAL_IDS[role]);
    return table;
  }
}
