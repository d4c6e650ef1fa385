import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_CONFIG, parseConfig, type RawConfig } from '../../lambda/domain/config';
import { enrollmentSettings, parseEnrollmentSettings } from '../../lambda/domain/enrollment-settings';
import { heartbeatSettings, parseHeartbeatSettings } from '../../lambda/domain/heartbeat-settings';
import { AWS_PROBE_CALLS_FAILED, METRIC_NAMESPACE } from '../../lambda/handlers/metrics';
import { CloudConfigError, cloudConfig } from '../../lib/cloud-config';
import { HeartbeatWatcherStack } from '../../lib/heartbeat-watcher-stack';
import { version as PACKAGE_VERSION } from '../../package.json';

const THREE_GROUPS: RawConfig = {
  heartbeatIntervalSeconds: 15,
  scanIntervalSeconds: 20,
  missedScansBeforeAlert: 4,
  apiThrottle: { rateLimit: 250, burstLimit: 500 },
  groups: {
    production: {
      channels: ['sms', 'email'],
      subscriptions: { sms: ['+15555550100', '+15555550101'], email: ['oncall@example.com'] },
    },
    staging: {
      channels: ['email'],
      subscriptions: { email: ['staging@example.com'] },
      scanIntervalSeconds: 60,
    },
    test: { channels: ['console'] },
  },
};

const ALARMS_TOPIC = 'Watcher-watcher-alarms';

function synth(config: RawConfig) {
  const app = new App();
  const stack = new HeartbeatWatcherStack(app, 'Watcher', { config });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical ID of the one resource of `type` whose properties match `props`. */
function logicalId(template: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0]!;
}

function functionByHandler(template: Template, envVar: string, value?: string) {
  const fns = template.findResources('AWS::Lambda::Function');
  return Object.entries(fns).filter(([, r]) => {
    const env = r.Properties.Environment?.Variables ?? {};
    return value === undefined ? envVar in env : env[envVar] === value;
  });
}

describe('the stack with the default config', () => {
  const { app, template } = synth(DEFAULT_CONFIG);

  it('keeps the stateful tables under fixed logical IDs, on demand, with PITR, retained on deletion', () => {
    for (const [id, key] of [
      ['AgentsTable', 'agentId'],
      ['WatcherStateTable', 'key'],
      ['AlertsTable', 'alertId'],
    ] as const) {
      const table = template.toJSON().Resources[id];
      expect(table?.Type).toBe('AWS::DynamoDB::Table');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it("expires the state table's SMS counters by TTL", () => {
    expect(template.toJSON().Resources.WatcherStateTable.Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('expires resolved alerts by TTL and indexes the alert queue', () => {
    expect(template.toJSON().Resources.AlertsTable.Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byQueue',
          KeySchema: [
            { AttributeName: 'queue', KeyType: 'HASH' },
            { AttributeName: 'openedAt', KeyType: 'RANGE' },
          ],
        },
      ],
    });
  });

  it('keeps the audit trail in a table of its own, keyed by target and entry, indexed by time, expiring by TTL', () => {
    const table = template.toJSON().Resources.AuditTable;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'target', KeyType: 'HASH' },
        { AttributeName: 'entryId', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'trail', KeyType: 'HASH' },
            { AttributeName: 'entryId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('lets the admin function add to the audit trail and query it, never update or delete it', () => {
    const onAudit = policyStatementsOf(template, 'Admin').filter((st: { Resource: unknown }) =>
      JSON.stringify(st.Resource).includes('"AuditTable"'),
    );
    expect(onAudit).toEqual([
      {
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Effect: 'Allow',
        Resource: [{ 'Fn::GetAtt': ['AuditTable', 'Arn'] }, { 'Fn::Join': expect.any(Array) }],
      },
    ]);
    expect(
      policyStatementsOf(template, 'Scanner').some((st: { Resource: unknown }) =>
        JSON.stringify(st.Resource).includes('"AuditTable"'),
      ),
    ).toBe(false);
  });

  it('runs every function on Node.js 24 on arm64, with its own log group kept a month', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    // Ingest, register, installer, admin, scanner, and the AWS health prober.
    expect(fns).toHaveLength(6);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    // One per function, and the API's access log.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, fns.length + 1);
  });

  it('gives ingest only the agents table, and lets it update and read agent items and nothing else', () => {
    const [[id, ingest]] = functionByHandler(template, 'AGENTS_TABLE').filter(
      ([, r]) => !('STATE_TABLE' in r.Properties.Environment.Variables),
    ) as [[string, { Properties: { Role: { 'Fn::GetAtt': [string] } } }]];
    expect(id).toMatch(/^Ingest/);
    const role = ingest.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Effect: 'Allow',
        Resource: [{ 'Fn::GetAtt': ['AgentsTable', 'Arn'] }],
      },
    ]);
  });

  it('lets register create agents and read enrollment keys, and nothing more', () => {
    const statements = policyStatementsOf(template, 'Register');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'dynamodb:PutItem',
          Resource: expect.arrayContaining([{ 'Fn::GetAtt': ['AgentsTable', 'Arn'] }]),
        }),
        expect.objectContaining({
          Action: 'dynamodb:GetItem',
          Resource: expect.arrayContaining([{ 'Fn::GetAtt': ['WatcherStateTable', 'Arn'] }]),
        }),
      ]),
    );
    expect(statements).toHaveLength(2);
  });

  it('gives register the enrollment settings alone, not the whole config, and its two tables', () => {
    const [[id, register]] = functionByHandler(template, 'HBW_ENROLLMENT_SETTINGS') as [
      [string, { Properties: { Environment: { Variables: Record<string, string> } } }],
    ];
    expect(id).toMatch(/^Register/);
    const variables = register.Properties.Environment.Variables;
    expect(variables).not.toHaveProperty('HBW_CONFIG');
    expect(Object.keys(variables).sort()).toEqual([
      'AGENTS_TABLE',
      'HBW_ENROLLMENT_SETTINGS',
      'NODE_OPTIONS',
      'STATE_TABLE',
    ]);
    expect(parseEnrollmentSettings(JSON.parse(variables.HBW_ENROLLMENT_SETTINGS!))).toEqual(
      enrollmentSettings(parseConfig(DEFAULT_CONFIG)),
    );
  });

  it('serves the installers from a function with no table, no config and no grant', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const [, installer] = Object.entries(fns).find(([id]) => id.startsWith('Installer'))!;

    expect(Object.keys(installer.Properties.Environment.Variables)).toEqual(['NODE_OPTIONS']);
    expect(policyStatementsOf(template, 'Installer')).toEqual([]);
    const role = installer.Properties.Role['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[role].Properties.ManagedPolicyArns).toHaveLength(1);
  });

  it('lets the scanner read agents, write alert and scanner state, and publish to its topics', () => {
    const statements = policyStatementsOf(template, 'Scanner');
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'sns:Publish']),
    );
    const onAgents = statements
      .filter((st: { Resource: unknown }) => JSON.stringify(st.Resource).includes('"AgentsTable"'))
      .flatMap((st: { Action: string | string[] }) => [st.Action].flat());
    expect(onAgents).toContain('dynamodb:UpdateItem');
    expect(onAgents).not.toContain('dynamodb:PutItem');
    expect(onAgents).not.toContain('dynamodb:DeleteItem');
    const publish = statements.find((s: { Action: string }) => s.Action === 'sns:Publish');
    expect(publish.Resource).toEqual({ Ref: expect.stringMatching(/^Topicproduction/) });
  });

  it('runs the scanner every minute, one at a time, without retries or stale events', () => {
    const [scannerId] = functionByHandler(template, 'TOPIC_ARNS')[0]!;
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [scannerId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Timeout: 90,
      Environment: { Variables: Match.objectLike({ TOPIC_ARNS: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: scannerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('opens the agent routes to tokens checked by the handler and puts every admin route behind IAM', () => {
    for (const route of [
      'ANY /v1/heartbeat',
      'ANY /v1/heartbeats',
      'ANY /v1/install.ps1',
      'ANY /v1/install.sh',
      'ANY /v1/openapi.json',
      'ANY /v1/register',
    ]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: route,
        AuthorizationType: 'NONE',
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /v1/{proxy+}',
      AuthorizationType: 'AWS_IAM',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 7);
  });

  it.each(['ANY /v1/install.sh', 'ANY /v1/install.ps1', 'ANY /v1/openapi.json'])(
    'serves %s from the installer function, apart from the heartbeats and the enrollment',
    (route) => {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
      const integrations = template.toJSON().Resources;
      /** The logical ID of the function behind `key`'s integration. */
      const functionOf = (key: string) => {
        const target = routes.find((r) => r.Properties.RouteKey === key)?.Properties.Target;
        const integration = JSON.stringify(target).match(/"Ref":"([^"]+)"/)?.[1];
        return integrations[integration!]?.Properties.IntegrationUri['Fn::GetAtt'][0];
      };
      expect(functionOf(route)).toMatch(/^Installer/);
      expect(functionOf('ANY /v1/register')).toMatch(/^Register/);
      expect(functionOf('ANY /v1/heartbeat')).toMatch(/^Ingest/);
    },
  );

  it('bundles every function as one minified ES module, the AWS SDK inside', () => {
    const assembly = app.synth();
    const fns = Object.entries(template.findResources('AWS::Lambda::Function'));
    let versioned = 0;
    for (const [id, fn] of fns) {
      expect(fn.Properties.Handler).toBe('index.handler');
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const dir = join(assembly.directory, `asset.${hash}`);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      // (Booleans, not the code: a failure would print the whole bundle.)
      expect(/export\s*\{[^}]*\bas handler\b/.test(code)).toBe(true);
      // esbuild's stand-in for a `require` it could not bundle, which would throw in an ES module.
      expect(code.includes('Dynamic require of')).toBe(false);
      // The SDK's user agent, which every client it bundles carries: all but the installer's have one.
      expect(code.includes('aws-sdk-js')).toBe(!id.startsWith('Installer'));
      // Minified: the agent store's own functions have lost their names.
      expect(code.includes('agentFromItem')).toBe(false);
      if (code.includes(JSON.stringify(PACKAGE_VERSION))) versioned += 1;
    }
    // The functions that say their version (installer, admin) say the package's, not the sources' `dev`.
    expect(versioned).toBeGreaterThan(0);
  });

  it('throttles the stage as configured and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it("makes one group topic, for production, none for the console-only test group, and the alarms' own", () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Watcher-production' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: ALARMS_TOPIC });
  });

  it('pages the watcher alarms topic when scans stop, treating missing data as breaching', () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', { TopicName: ALARMS_TOPIC });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'HeartbeatWatcher',
      MetricName: 'ScansCompleted',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topic }],
    });
  });

  it('pages on scanner errors, ingest 5xx, ingest throttles and DynamoDB throttles on every table', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5xx',
      Namespace: 'AWS/ApiGateway',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
    });
    const dynamoAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      JSON.stringify(a.Properties.Metrics ?? []).includes('ThrottledRequests'),
    );
    expect(dynamoAlarms).toHaveLength(4);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    }
  });

  it('has a dashboard of heartbeats, agents by state, scan duration and alerts sent', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    for (const words of [
      'Heartbeat requests per minute',
      'Agents by state',
      'Scan duration',
      'AgentsHealthy',
      'NoticesSent',
    ]) {
      expect(body).toContain(words);
    }
  });

  it('graphs what the scanner and the ingest function log as metrics: by group, kind, channel and status', () => {
    const dashboardBody = (t: Template) =>
      JSON.stringify(
        Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
      );
    const body = dashboardBody(template);
    for (const words of [
      'Heartbeats by status',
      'HeartbeatWatcher,Stack,Status',
      'Notices by channel',
      'sms failed',
      'console sent',
      'Open alerts by group',
      'HeartbeatWatcher,Stack,Group,Kind',
      'Scans skipped and blind windows',
      'ScansSkipped',
      'BlindWindows',
      'Agents by state: production',
      'Agents by state: test',
    ]) {
      expect(body).toContain(words);
    }
    // No group has an SMS budget here: no graph of one; with a budget, its group's graph.
    expect(body).not.toContain('SmsSpentToday');
    const budgeted = synth({
      ...DEFAULT_CONFIG,
      groups: {
        ...DEFAULT_CONFIG.groups,
        production: { channels: ['sms', 'email'], smsBudget: { perDay: 50 } },
      },
    });
    expect(dashboardBody(budgeted.template)).toContain('SmsSpentToday');
  });

  it('names the stack to the ingest function, the dimension of its heartbeat counts', () => {
    const [[id, ingest]] = functionByHandler(template, 'AGENTS_TABLE').filter(
      ([, r]) => !('STATE_TABLE' in r.Properties.Environment.Variables),
    ) as [[string, { Properties: { Environment: { Variables: Record<string, unknown> } } }]];
    expect(id).toMatch(/^Ingest/);
    expect(ingest.Properties.Environment.Variables).toMatchObject({ STACK_NAME: 'Watcher' });
  });

  it('gives the ingest function the heartbeat settings alone, not the whole config', () => {
    const [[, ingest]] = functionByHandler(template, 'HBW_HEARTBEAT_SETTINGS') as [
      [string, { Properties: { Environment: { Variables: Record<string, string> } } }],
    ];
    const variables = ingest.Properties.Environment.Variables;
    expect(variables).not.toHaveProperty('HBW_CONFIG');
    expect(parseHeartbeatSettings(JSON.parse(variables.HBW_HEARTBEAT_SETTINGS!))).toEqual(
      heartbeatSettings(parseConfig(DEFAULT_CONFIG)),
    );
  });

  it('outputs the API URL, the table names and the topic ARNs', () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiUrl', 'AgentsTableName', 'AlertsTableName', 'StateTableName']),
    );
    expect(outputs.some((o) => o.startsWith('TopicArnproduction'))).toBe(true);
  });

  it('keeps phone numbers and email addresses out of the functions environment', () => {
    const synthAgain = synth(THREE_GROUPS).template;
    const env = JSON.stringify(
      Object.values(synthAgain.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment),
    );
    expect(env).not.toContain('+15555550100');
    expect(env).not.toContain('oncall@example.com');
  });
});

function policyStatementsOf(template: Template, prefix: string) {
  const fns = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(fns).find(([id]) => id.startsWith(prefix))!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('the stack with three groups and custom intervals', () => {
  const { template } = synth(THREE_GROUPS);

  it('makes a topic per paging group, named after it, and none for console-only groups', () => {
    template.resourceCountIs('AWS::SNS::Topic', 3);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Watcher-production' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Watcher-staging' });
  });

  it("gives each subscription of a group's topic only the notices that list its channel", () => {
    const policies = Object.values(template.findResources('AWS::SNS::Subscription'))
      .filter((sub) => sub.Properties.Endpoint !== undefined && sub.Properties.FilterPolicy !== undefined)
      .map((sub) => `${sub.Properties.Protocol} ${JSON.stringify(sub.Properties.FilterPolicy)}`);

    expect(policies.sort()).toEqual([
      'email {"channels":["email"]}',
      'email {"channels":["email"]}',
      'sms {"channels":["sms"]}',
      'sms {"channels":["sms"]}',
    ]);
  });

  it('subscribes the configured phones and emails to their group topic', () => {
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'sms' }, 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+15555550100' });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'staging@example.com',
    });
  });

  it('lets the scanner publish to both topics', () => {
    const publish = policyStatementsOf(template, 'Scanner').filter(
      (s: { Action: string }) => s.Action === 'sns:Publish',
    );
    expect(publish).toHaveLength(2);
  });

  it('passes the intervals to the functions and throttles the stage as configured', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 250, ThrottlingBurstLimit: 500 },
    });
    const [, scanner] = functionByHandler(template, 'TOPIC_ARNS')[0]!;
    const config = JSON.parse(scanner.Properties.Environment.Variables.HBW_CONFIG);
    expect(config).toMatchObject({ scanIntervalSeconds: 20, missedScansBeforeAlert: 4 });
    expect(config.groups.staging.scanIntervalSeconds).toBe(60);
  });
});

describe("the watcher's own alarms", () => {
  /** `protocol:endpoint` of every subscription to the topic `topic` (a logical ID). */
  const subscribersOf = (template: Template, topic: string) =>
    Object.values(template.findResources('AWS::SNS::Subscription'))
      .filter((sub) => sub.Properties.TopicArn.Ref === topic)
      .map((sub) => `${sub.Properties.Protocol}:${sub.Properties.Endpoint}`)
      .sort();
  const alarmsTopicOf = (template: Template) =>
    logicalId(template, 'AWS::SNS::Topic', { TopicName: ALARMS_TOPIC });
  const WITH_ALARM_SUBSCRIBERS: RawConfig = {
    ...THREE_GROUPS,
    watcherAlarms: { subscriptions: { sms: ['+15555550199'], email: ['watcher@example.com'] } },
  };

  it.each([
    ['the default config', DEFAULT_CONFIG],
    ['three groups', THREE_GROUPS],
    ['their own subscribers', WITH_ALARM_SUBSCRIBERS],
  ])('all page, and say OK, through a topic of their own and no group topic, with %s', (_case, config) => {
    const { template } = synth(config);
    const topic = alarmsTopicOf(template);

    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    expect(alarms).toHaveLength(9);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  describe('on the probers', () => {
    const TWO_NETWORKS: RawConfig = {
      ...THREE_GROUPS,
      probeNetworks: {
        'prod-vpc': { subnetIds: ['subnet-0abc1234def567890'], securityGroupIds: ['sg-0123456789abcdef0'] },
        lab: { subnetIds: ['subnet-11112222'], securityGroupIds: ['sg-33334444'] },
      },
    };
    /** A metric as an alarm names it: in its own properties, or in a query of its math. */
    type Metric = {
      readonly Namespace?: string;
      readonly MetricName?: string;
      readonly Dimensions?: readonly { readonly Name: string; readonly Value: { readonly Ref?: string } }[];
    };
    type Alarm = {
      readonly Properties: Metric & {
        readonly Metrics?: readonly { readonly MetricStat?: { readonly Metric: Metric } }[];
        readonly [key: string]: unknown;
      };
    };
    /** The logical IDs of the functions whose AWS/Lambda metric `name` the alarm watches, alone or in its math. */
    const watchedBy = (alarm: Alarm, name: string): (string | undefined)[] =>
      (
        alarm.Properties.Metrics?.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : [])) ?? [
          alarm.Properties,
        ]
      )
        .filter((m) => m.Namespace === 'AWS/Lambda' && m.MetricName === name)
        .map((m) => m.Dimensions?.find((d) => d.Name === 'FunctionName')?.Value.Ref);
    const alarmsOf = (template: Template): Alarm[] =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
    /** The function of the resource whose properties match `props`, by its logical ID. */
    const functionWith = (template: Template, props: Record<string, unknown>) =>
      logicalId(template, 'AWS::Lambda::Function', props);
    const scannerOf = (template: Template) => functionWith(template, { ReservedConcurrentExecutions: 1 });
    const awsProberOf = (template: Template) =>
      Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('AwsProber'))!;

    it("alarms on each network's prober and on the AWS health prober, each on its own Errors and Throttles, through the alarms' topic", () => {
      const { template } = synth(TWO_NETWORKS);
      const topic = alarmsTopicOf(template);
      const named = [
        [
          functionWith(template, {
            VpcConfig: Match.objectLike({ SubnetIds: ['subnet-0abc1234def567890'] }),
          }),
          'probe network prod-vpc',
        ],
        [
          functionWith(template, { VpcConfig: Match.objectLike({ SubnetIds: ['subnet-11112222'] }) }),
          'probe network lab',
        ],
        [awsProberOf(template), 'AWS health prober'],
      ] as const;
      const probers = named.map(([fn]) => fn);

      const onErrors = alarmsOf(template).flatMap((alarm) =>
        watchedBy(alarm, 'Errors').map((fn) => ({ fn, alarm })),
      );

      expect(onErrors.map(({ fn }) => fn).sort()).toEqual([scannerOf(template), ...probers].sort());
      for (const [prober, what] of named) {
        const { alarm } = onErrors.find(({ fn }) => fn === prober)!;
        expect(watchedBy(alarm, 'Throttles')).toEqual([prober]);
        expect(alarm.Properties).toMatchObject({
          AlarmDescription: expect.stringContaining(what),
          Threshold: 1,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: topic }],
          OKActions: [{ Ref: topic }],
        });
      }
    });

    it("counts the AWS health prober's failed EC2 and SSM calls in its alarm, as the metric it writes them under", () => {
      const { template, stack } = synth(DEFAULT_CONFIG);
      const prober = awsProberOf(template);
      const { alarm } = alarmsOf(template)
        .flatMap((a) => watchedBy(a, 'Errors').map((fn) => ({ fn, alarm: a })))
        .find(({ fn }) => fn === prober)!;

      const failedCalls = alarm.Properties.Metrics?.flatMap((m) =>
        m.MetricStat ? [m.MetricStat.Metric] : [],
      ).filter((m) => m.Namespace === METRIC_NAMESPACE && m.MetricName === AWS_PROBE_CALLS_FAILED);
      expect(failedCalls).toEqual([
        expect.objectContaining({ Dimensions: [{ Name: 'Stack', Value: stack.stackName }] }),
      ]);
      expect(JSON.stringify(alarm.Properties.Metrics)).toContain('FILL(calls, 0)');
      const env = (template.toJSON().Resources[prober].Properties as { Environment: { Variables: object } })
        .Environment.Variables;
      expect(env).toMatchObject({ STACK_NAME: stack.stackName });
    });

    it("alarms on the AWS health prober's Errors, and on no other prober's, without probe networks", () => {
      const { template } = synth(DEFAULT_CONFIG);

      const onErrors = alarmsOf(template).flatMap((alarm) => watchedBy(alarm, 'Errors'));

      expect(onErrors.sort()).toEqual([awsProberOf(template), scannerOf(template)].sort());
    });
  });

  it('subscribes watcherAlarms.subscriptions to their topic, and to no group topic', () => {
    const { template } = synth(WITH_ALARM_SUBSCRIBERS);

    expect(subscribersOf(template, alarmsTopicOf(template))).toEqual([
      'email:watcher@example.com',
      'sms:+15555550199',
    ]);
    const production = logicalId(template, 'AWS::SNS::Topic', { TopicName: 'Watcher-production' });
    expect(subscribersOf(template, production)).toEqual([
      'email:oncall@example.com',
      'sms:+15555550100',
      'sms:+15555550101',
    ]);
  });

  it("falls back to the production group's emails, not its phones, without watcherAlarms", () => {
    const { template } = synth(THREE_GROUPS);

    expect(subscribersOf(template, alarmsTopicOf(template))).toEqual(['email:oncall@example.com']);
  });

  it('falls back to the emails of every group that pages by email when there is no production group', () => {
    const { template } = synth({
      groups: {
        eu: {
          channels: ['sms', 'email'],
          subscriptions: { sms: ['+15555550100'], email: ['eu@example.com'] },
        },
        us: { channels: ['email'], subscriptions: { email: ['us@example.com', 'eu@example.com'] } },
        test: { channels: ['console'] },
      },
    });

    expect(subscribersOf(template, alarmsTopicOf(template))).toEqual([
      'email:eu@example.com',
      'email:us@example.com',
    ]);
  });

  it('warns at synth when nobody would hear them, naming the config field and the output', () => {
    const { stack } = synth(DEFAULT_CONFIG);

    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('watcherAlarms\\.subscriptions.*WatcherAlarmsTopicArn'),
    );
    Annotations.fromStack(synth(THREE_GROUPS).stack).hasNoWarning(
      '*',
      Match.stringLikeRegexp('watcherAlarms'),
    );
  });

  it('outputs their topic as WatcherAlarmsTopicArn', () => {
    const { template } = synth(DEFAULT_CONFIG);

    template.hasOutput('WatcherAlarmsTopicArn', { Value: { Ref: alarmsTopicOf(template) } });
  });

  it('keeps their subscribers out of the functions environment', () => {
    const env = JSON.stringify(
      Object.values(synth(WITH_ALARM_SUBSCRIBERS).template.findResources('AWS::Lambda::Function')).map(
        (f) => f.Properties.Environment,
      ),
    );

    expect(env).not.toContain('watcher@example.com');
    expect(env).not.toContain('+15555550199');
  });

  it('keeps cdk-nag clean with their own subscribers', () => {
    const app = new App();
    new HeartbeatWatcherStack(app, 'Watcher', { config: WITH_ALARM_SUBSCRIBERS });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});

describe('scan intervals the cloud cannot keep', () => {
  it.each([5, 7, 45, 90])('refuses %i s with a message that names the field and says why', (seconds) => {
    const config: RawConfig = {
      ...DEFAULT_CONFIG,
      groups: { production: { channels: ['sms'], scanIntervalSeconds: seconds } },
    };
    expect(() => cloudConfig(config)).toThrow(CloudConfigError);
    expect(() => cloudConfig(config)).toThrow(
      /groups\.production\.scanIntervalSeconds: .*(below 10 s|neither divides a minute)/,
    );
  });

  it('accepts 10, 15, 30, 60 and 300 s', () => {
    for (const seconds of [10, 15, 30, 60, 300])
      expect(() => cloudConfig({ ...DEFAULT_CONFIG, scanIntervalSeconds: seconds })).not.toThrow();
  });
});

describe('heartbeats longer than their scan interval', () => {
  it('warn at synth, naming the group and its field; the defaults do not', () => {
    const slow: RawConfig = {
      ...DEFAULT_CONFIG,
      groups: { production: { channels: ['sms'], heartbeatIntervalSeconds: 60, scanIntervalSeconds: 30 } },
    };

    Annotations.fromStack(synth(slow).stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'groups\\.production\\.heartbeatIntervalSeconds: the heartbeat \\(60 s\\) is longer than the scan interval \\(30 s\\)',
      ),
    );
    Annotations.fromStack(synth(DEFAULT_CONFIG).stack).hasNoWarning(
      '*',
      Match.stringLikeRegexp('longer than the scan interval'),
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const app = new App();
    new HeartbeatWatcherStack(app, 'Watcher', { config: THREE_GROUPS });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('does find an unauthenticated route added without a reason', () => {
    const app = new App();
    const stack = new HeartbeatWatcherStack(app, 'Watcher', { config: DEFAULT_CONFIG });
    const api = stack.node.findChild('Api') as apigw.HttpApi;
    const fn = stack.node.findChild('Admin').node.findChild('Function') as never;
    api.addRoutes({ path: '/v1/open-door', integration: new HttpLambdaIntegration('Door', fn) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/APIG4/);
  });
});

describe('capacity mode provisioned', () => {
  const app = new App();
  const stack = new HeartbeatWatcherStack(app, 'Watcher', {
    config: {
      ...THREE_GROUPS,
      capacity: {
        mode: 'provisioned',
        agentsTable: { minWriteUnits: 40, maxWriteUnits: 400, minReadUnits: 10, targetUtilization: 0.6 },
      },
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);

  it('provisions the agents table at its minimum units, and leaves the other tables on demand', () => {
    const resources = template.toJSON().Resources;
    expect(resources.AgentsTable.Properties.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 10,
      WriteCapacityUnits: 40,
    });
    expect(resources.AgentsTable.Properties.BillingMode).not.toBe('PAY_PER_REQUEST');
    expect(resources.WatcherStateTable.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(resources.AlertsTable.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('scales the agents table’s writes and reads between their bounds, aiming at the target utilization', () => {
    for (const [dimension, min, max, metric] of [
      ['WriteCapacityUnits', 40, 400, 'DynamoDBWriteCapacityUtilization'],
      ['ReadCapacityUnits', 10, 10_000, 'DynamoDBReadCapacityUtilization'],
    ] as const) {
      const target = logicalId(template, 'AWS::ApplicationAutoScaling::ScalableTarget', {
        ScalableDimension: `dynamodb:table:${dimension}`,
        MinCapacity: min,
        MaxCapacity: max,
        ResourceId: Match.anyValue(),
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        ScalingTargetId: { Ref: target },
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: metric },
          TargetValue: 60,
        },
      });
    }
  });

  it('keeps cdk-nag clean', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
