import { Annotations, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { snsChannels } from '../lambda/adapters/sns-notifier';
import { OPEN_PATHS } from '../lambda/api/contract';
import {
  configWarnings,
  type RawConfig,
  type Subscriptions,
  type WatcherConfig,
  watcherAlarmsReach,
} from '../lambda/domain/config';
import { enrollmentSettings } from '../lambda/domain/enrollment-settings';
import { heartbeatSettings } from '../lambda/domain/heartbeat-settings';
import { AWS_PROBER_VARIABLE, PROBERS_VARIABLE, WEBHOOK_BUS_VARIABLE } from '../lambda/handlers/service-env';
import { TABLE_VARIABLES, type TableKey } from '../lambda/handlers/table-variables';
import { AdminPolicies } from './admin-policies';
import { cloudConfig } from './cloud-config';
import { WatcherAlarms, type WatcherAlarmsProps } from './watcher-alarms';
import { WatcherFunction } from './watcher-function';
import { WatcherTables } from './watcher-tables';
import { WebhookDelivery } from './webhook-delivery';

export interface HeartbeatWatcherStackProps extends StackProps {
  /** The config document (heartbeat-watcher.config.json), validated here for the cloud. */
  readonly config: RawConfig;
}

/** The heartbeat routes: no authorizer, the ingest function checks the agent's token in the same write. */
export const AGENT_ROUTES = ['/v1/heartbeat', '/v1/heartbeats'] as const;
/** The enrollment, served by the register function: no authorizer, it checks the group's enrollment key. */
export const REGISTER_ROUTES = ['/v1/register'] as const;
/**
 * The other routes that are not admin routes, served by the installer function: the installers and
 * the API's document, which hold nothing secret. Apart from the heartbeats and the enrollment, so
 * that neither the ingest nor the register function's bundle carries the installers' text or the
 * document, and so that what anyone may fetch is served by a function that holds no grant at all.
 */
export const INSTALLER_ROUTES = OPEN_PATHS.filter(
  (path) => !([...AGENT_ROUTES, ...REGISTER_ROUTES] as readonly string[]).includes(path),
);
/** Everything else under /v1 is an admin route, behind IAM. */
export const ADMIN_ROUTE = '/v1/{proxy+}';

/** What the functions get of the config, each as JSON: the whole of it, and the parts the lean ones read. */
interface FunctionSettings {
  /** The config document for the functions (`HBW_CONFIG`: admin, scanner). */
  readonly config: string;
  /** `HBW_HEARTBEAT_SETTINGS`: the ingest function's. */
  readonly heartbeats: string;
  /** `HBW_ENROLLMENT_SETTINGS`: the register function's. */
  readonly enrollment: string;
}

/** The watcher's functions behind the API, and the scanner. */
interface Functions {
  readonly ingest: WatcherFunction;
  readonly register: WatcherFunction;
  readonly installer: WatcherFunction;
  readonly admin: WatcherFunction;
  readonly scanner: WatcherFunction;
}

/**
 * The whole watcher: the HTTP API, the ingest, register, installer, admin and scanner functions (and
 * the probers), the tables, a topic per paging group, and the alarms that watch the watcher, with a
 * topic of their own.
 */
export class HeartbeatWatcherStack extends Stack {
  constructor(scope: Construct, id: string, props: HeartbeatWatcherStackProps) {
    super(scope, id, props);
    const { config, forFunctions } = cloudConfig(props.config);
    for (const warning of configWarnings(config)) {
      Annotations.of(this).addWarningV2('hbw:heartbeat-longer-than-scan', warning.message);
    }
    const tables = new WatcherTables(this, 'Tables', config.capacity);
    const topics = this.groupTopics(config);
    const fns = this.functions(
      {
        config: JSON.stringify(forFunctions),
        heartbeats: JSON.stringify(heartbeatSettings(config)),
        enrollment: JSON.stringify(enrollmentSettings(config)),
      },
      tables,
      topics,
    );
    this.scanSchedule(fns.scanner);
    const probers = { byNetwork: this.probers(config, fns.scanner), aws: this.awsProber(fns.scanner) };
    const webhooks = this.webhookDelivery(config, fns.scanner);
    const { api, stage } = this.httpApi(config, fns);
    this.acknowledgeChecks(api, fns);
    this.watcherAlarms(config, api, { ...fns, probers }, tables, webhooks?.deadLetters);

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Point agents and hbw --endpoint here' });
    new CfnOutput(this, 'AgentsTableName', { value: tables.agents.tableName });
    new CfnOutput(this, 'AlertsTableName', { value: tables.alerts.tableName });
    new CfnOutput(this, 'StateTableName', { value: tables.state.tableName });
    new CfnOutput(this, 'AuditTableName', { value: tables.audit.tableName });
  }

  /** The webhook channel's bus, rules and API destinations, when a group has webhooks; the scanner puts its notices there. */
  private webhookDelivery(config: WatcherConfig, scanner: WatcherFunction): WebhookDelivery | undefined {
    const groups = Object.values(config.groups).filter((g) => g.webhooks.length > 0);
    if (groups.length === 0) return undefined;
    const delivery = new WebhookDelivery(this, 'Webhooks', { groups, publisher: scanner.fn });
    scanner.fn.addEnvironment(WEBHOOK_BUS_VARIABLE, delivery.bus.eventBusName);
    return delivery;
  }

  /**
   * A prober function per probe network, attached to its subnets and security groups. It probes TCP
   * and HTTP only and calls no AWS API, so the subnets need no NAT and no VPC endpoint. Returns
   * them by network.
   */
  private probers(config: WatcherConfig, scanner: WatcherFunction): Record<string, lambda.IFunction> {
    const probers: Record<string, lambda.IFunction> = {};
    for (const [network, attachment] of Object.entries(config.probeNetworks)) {
      const prober = new WatcherFunction(this, `Prober-${network}`, {
        handler: 'prober',
        // A batch's probes run at once: as long as one probe of the slowest settings, within reason.
        timeout: Duration.seconds(30),
        environment: {},
        network: attachment,
      });
      this.letInvoke(scanner, prober, `the prober of probe network ${network}`);
      probers[network] = prober.fn;
    }
    const names = Object.fromEntries(
      Object.entries(probers).map(([network, fn]) => [network, fn.functionName]),
    );
    if (Object.keys(names).length > 0) scanner.fn.addEnvironment(PROBERS_VARIABLE, JSON.stringify(names));
    return probers;
  }

  /**
   * The AWS health prober, which answers the ec2 and ssm probes from EC2's status checks and the SSM
   * Agent's ping. Always there, as agents with those probes may be added at any time; it costs
   * nothing while no probe asks it. Outside any VPC: it needs AWS's endpoints, not the hosts. It may
   * call those two read-only APIs and nothing else.
   */
  private awsProber(scanner: WatcherFunction): lambda.IFunction {
    const prober = new WatcherFunction(this, 'AwsProber', {
      handler: 'aws-prober',
      // The SDK's retries of a throttled call, within the scanner's wait for the answer.
      timeout: Duration.seconds(30),
      // The dimension of its metric of failed EC2 and SSM calls (AwsProberErrors counts it).
      environment: { STACK_NAME: this.stackName },
    });
    prober.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeInstanceStatus', 'ssm:DescribeInstanceInformation'],
        resources: ['*'],
      }),
    );
    Validations.of(prober.fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeInstanceStatus and ssm:DescribeInstanceInformation support no resource-level permissions (the Service Authorization Reference gives neither a resource type), so "*" is the only resource they take; both only read.',
    });
    this.letInvoke(scanner, prober, 'the AWS health prober');
    scanner.fn.addEnvironment(AWS_PROBER_VARIABLE, prober.fn.functionName);
    return prober.fn;
  }

  /** Lets the scanner invoke `prober`, and no other function: the grant covers it, its versions and its aliases. */
  private letInvoke(scanner: WatcherFunction, prober: WatcherFunction, what: string): void {
    prober.fn.grantInvoke(scanner.fn);
    const logicalId = this.getLogicalId(prober.fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(scanner.fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: `The scanner invokes ${what}; the grant covers that function (its versions and aliases) only.`,
    });
  }

  /** One topic per group that pages by SMS or email, named after it, with the subscriptions the config lists. */
  private groupTopics(config: WatcherConfig): Record<string, sns.Topic> {
    const topics: Record<string, sns.Topic> = {};
    for (const group of Object.values(config.groups)) {
      if (!snsChannels(group.channels)) continue;
      const topic = this.topic(
        `Topic-${group.name}`,
        group.name,
        {
          sms: group.channels.includes('sms') ? group.subscriptions.sms : [],
          email: group.channels.includes('email') ? group.subscriptions.email : [],
        },
        true,
      );
      topics[group.name] = topic;
      new CfnOutput(this, `TopicArn-${group.name}`, {
        value: topic.topicArn,
        description: `SNS topic of group ${group.name}`,
      });
    }
    return topics;
  }

  /** Each function gets the variables of what it may touch, and the grants that go with them. */
  private functions(
    json: FunctionSettings,
    tables: WatcherTables,
    topics: Record<string, sns.Topic>,
  ): Functions {
    const tableEnv = (...keys: TableKey[]) =>
      Object.fromEntries(keys.map((key) => [TABLE_VARIABLES[key], tables[key].tableName]));
    // Ingest takes only what judging a heartbeat needs of the config: its cold start parses no more.
    const ingest = new WatcherFunction(this, 'Ingest', {
      handler: 'ingest',
      environment: {
        HBW_HEARTBEAT_SETTINGS: json.heartbeats,
        STACK_NAME: this.stackName,
        ...tableEnv('agents'),
      },
    });
    tables.agents.grant(ingest.fn, 'dynamodb:UpdateItem', 'dynamodb:GetItem');

    // Register takes only the groups and their autoApprove, and may only create agents and read keys.
    const register = new WatcherFunction(this, 'Register', {
      handler: 'register',
      environment: {
        HBW_ENROLLMENT_SETTINGS: json.enrollment,
        ...tableEnv('agents', 'state'),
      },
    });
    tables.agents.grant(register.fn, 'dynamodb:PutItem');
    tables.state.grant(register.fn, 'dynamodb:GetItem');

    // What anyone may fetch (the installers, the document) is served by a function with no table
    // and no grant: least privilege, and none of it in the function that may create agents.
    const installer = new WatcherFunction(this, 'Installer', { handler: 'installer', environment: {} });

    const admin = new WatcherFunction(this, 'Admin', {
      handler: 'admin',
      timeout: Duration.seconds(29),
      environment: {
        HBW_CONFIG: json.config,
        ...tableEnv('agents', 'state', 'alerts', 'audit'),
      },
    });
    tables.agents.grantReadWriteData(admin.fn);
    tables.state.grantReadWriteData(admin.fn);
    tables.alerts.grantReadWriteData(admin.fn);
    // The trail is only added to and read: no update or delete, so an admin call cannot rewrite it.
    tables.audit.grant(admin.fn, 'dynamodb:PutItem', 'dynamodb:Query');

    const scanner = new WatcherFunction(this, 'Scanner', {
      handler: 'scanner',
      memorySize: 512,
      // One invocation runs the scans of its minute; the last may start at second 50 and probe.
      timeout: Duration.seconds(90),
      reservedConcurrentExecutions: 1,
      environment: {
        HBW_CONFIG: json.config,
        STACK_NAME: this.stackName,
        ...tableEnv('agents', 'state', 'alerts'),
        TOPIC_ARNS: JSON.stringify(
          Object.fromEntries(Object.entries(topics).map(([g, t]) => [g, t.topicArn])),
        ),
      },
    });
    tables.agents.grantReadData(scanner.fn);
    tables.agents.grant(scanner.fn, 'dynamodb:UpdateItem');
    tables.state.grantReadWriteData(scanner.fn);
    tables.alerts.grantReadWriteData(scanner.fn);
    for (const topic of Object.values(topics)) topic.grantPublish(scanner.fn);
    scanner.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    return { ingest, register, installer, admin, scanner };
  }

  /** Every minute, the scanner; it loops the scans of that minute inside. */
  private scanSchedule(scanner: WatcherFunction): void {
    new events.Rule(this, 'ScanSchedule', {
      description: 'Runs the scanner every minute; it loops the scans of that minute inside',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(scanner.fn, { retryAttempts: 0, maxEventAge: Duration.seconds(60) }),
      ],
    });
  }

  /** The HTTP API: agent routes open (token checked by the handler), admin routes behind IAM. */
  private httpApi(config: WatcherConfig, fns: Functions): { api: apigw.HttpApi; stage: apigw.HttpStage } {
    const api = new apigw.HttpApi(this, 'Api', {
      description: 'heartbeat-watcher: agent heartbeats and the admin API',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiThrottle.rateLimit, burstLimit: config.apiThrottle.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            bytes: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const ingestIntegration = new HttpLambdaIntegration('IngestIntegration', fns.ingest.fn);
    for (const path of AGENT_ROUTES)
      api.addRoutes({ path, methods: [apigw.HttpMethod.ANY], integration: ingestIntegration });
    const registerIntegration = new HttpLambdaIntegration('RegisterIntegration', fns.register.fn);
    for (const path of REGISTER_ROUTES)
      api.addRoutes({ path, methods: [apigw.HttpMethod.ANY], integration: registerIntegration });
    const installerIntegration = new HttpLambdaIntegration('InstallerIntegration', fns.installer.fn);
    for (const path of INSTALLER_ROUTES)
      api.addRoutes({ path, methods: [apigw.HttpMethod.ANY], integration: installerIntegration });
    api.addRoutes({
      path: ADMIN_ROUTE,
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('AdminIntegration', fns.admin.fn),
      authorizer: new HttpIamAuthorizer(),
    });
    new AdminPolicies(this, 'AdminPolicies', api);
    return { api, stage };
  }

  /** The cdk-nag findings these resources answer on purpose, each with its reason. */
  private acknowledgeChecks(api: apigw.HttpApi, fns: Functions): void {
    for (const route of api.node.children) {
      if (!(route instanceof apigw.HttpRoute) || route.node.id.includes('proxy')) continue;
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: INSTALLER_ROUTES.includes(route.path ?? '')
          ? 'The installers and the API document hold nothing secret and change nothing; a server being installed fetches them before it has any credential, and the function that serves them holds no table and no grant.'
          : 'Agent routes authenticate each agent by its own bearer token, checked by the handler in the same conditional DynamoDB write (register by the group enrollment key); IAM here would put AWS credentials on every monitored server.',
      });
    }
    for (const fn of [fns.admin.fn, fns.scanner.fn]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::<AlertsTable.Arn>/index/*]',
        reason:
          "The alerts table's one index (byQueue) is what the scanner and the alert routes query; the grant covers that index only.",
      });
    }
    Validations.of(fns.admin.fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::<AuditTable.Arn>/index/*]',
      reason:
        "The audit table's one index (byTime) is what GET /v1/audit queries for every target; the grant covers that index only.",
    });
  }

  /**
   * The watcher's own alarms page through a topic of their own: when a group's topic, its
   * subscriptions or the account's SMS spend limit are the trouble, they must still be heard.
   */
  private watcherAlarms(
    config: WatcherConfig,
    api: apigw.HttpApi,
    fns: Functions & Pick<WatcherAlarmsProps, 'probers'>,
    tables: WatcherTables,
    webhookDeadLetters: sqs.IQueue | undefined,
  ): void {
    const alarmTopic = this.topic('WatcherAlarmsTopic', 'watcher-alarms', config.watcherAlarms.subscriptions);
    new WatcherAlarms(this, 'Alarms', {
      stackName: this.stackName,
      api,
      ingest: fns.ingest.fn,
      scanner: fns.scanner.fn,
      probers: fns.probers,
      tables: [tables.agents, tables.state, tables.alerts, tables.audit],
      alarmTopic,
      groups: Object.values(config.groups).map((g) => ({
        name: g.name,
        smsBudget: g.smsBudget !== undefined,
      })),
      webhookDeadLetters,
    });
    new CfnOutput(this, 'WatcherAlarmsTopicArn', {
      value: alarmTopic.topicArn,
      description: "SNS topic of the watcher's own alarms",
    });
    const { sms, email } = config.watcherAlarms.subscriptions;
    if (sms.length === 0 && email.length === 0) {
      Annotations.of(this).addWarningV2(
        'hbw:watcher-alarms-unheard',
        `the watcher's own alarms reach ${watcherAlarmsReach(config.watcherAlarms)}: list people under watcherAlarms.subscriptions in the config, or subscribe them to the topic of the output WatcherAlarmsTopicArn`,
      );
    }
  }

  /**
   * A topic named `<stack>-<name>`, TLS only, with `subscribers` subscribed. `byChannel` (a group's
   * topic): each subscription takes only the notices whose `channels` attribute lists its channel,
   * so a notice past the group's SMS budget reaches no phone. The alarms' topic has no filter:
   * CloudWatch publishes without attributes.
   */
  private topic(id: string, name: string, subscribers: Subscriptions, byChannel = false): sns.Topic {
    const topic = new sns.Topic(this, id, {
      topicName: `${this.stackName}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 256),
      displayName: `hbw ${name}`.slice(0, 100),
      enforceSSL: true,
    });
    const only = (channel: string) =>
      byChannel
        ? { filterPolicy: { channels: sns.SubscriptionFilter.stringFilter({ allowlist: [channel] }) } }
        : {};
    for (const phone of subscribers.sms) topic.addSubscription(new subs.SmsSubscription(phone, only('sms')));
    for (const email of subscribers.email)
      topic.addSubscription(new subs.EmailSubscription(email, only('email')));
    return topic;
  }
}
