import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RawConfig } from '../../lambda/domain/config';
import { HeartbeatWatcherStack } from '../../lib/heartbeat-watcher-stack';

const HOOKED: RawConfig = {
  groups: {
    production: {
      channels: ['email', 'webhook'],
      subscriptions: { email: ['oncall@example.com'] },
      webhooks: [
        { name: 'chat', format: 'slack', secretName: 'hbw/slack-url' },
        { name: 'oncall', format: 'pagerduty', secretName: 'hbw/pd-routing-key' },
        { name: 'ops', format: 'opsgenie', secretName: 'hbw/opsgenie-key' },
      ],
    },
    platform: {
      channels: ['webhook'],
      webhooks: [{ name: 'ours', format: 'json', url: 'https://hooks.example.com/hbw' }],
    },
    test: { channels: ['console'] },
  },
};

function synth(config: RawConfig) {
  const app = new App();
  return { template: Template.fromStack(new HeartbeatWatcherStack(app, 'Watcher', { config })) };
}

const json = (x: unknown) => JSON.stringify(x);

describe('the stack with webhooks', () => {
  const { template } = synth(HOOKED);

  it('has one bus, and per webhook a Connection, an API destination and a rule of its group and name', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Events::Connection', 4);
    template.resourceCountIs('AWS::Events::ApiDestination', 4);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: {
        source: ['heartbeat-watcher'],
        'detail-type': ['webhook notice'],
        detail: { group: ['production'], webhooks: ['oncall'] },
      },
      Targets: [
        Match.objectLike({
          InputPath: '$.detail.payload.pagerduty',
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { group: ['production'], webhooks: ['ops'] } }),
      Targets: [
        Match.objectLike({
          InputPath: '$.detail.payload.opsgenie',
          HttpParameters: {
            PathParameterValues: ['$.detail.path'],
            QueryStringParameters: { identifierType: 'alias' },
          },
        }),
      ],
    });
  });

  it('takes the secrets from Secrets Manager by name: keys in the Connections, the Slack URL as the endpoint', () => {
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'X-Routing-Key',
          ApiKeyValue: '{{resolve:secretsmanager:hbw/pd-routing-key:SecretString:::}}',
        },
      },
    });
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: '{{resolve:secretsmanager:hbw/slack-url:SecretString:::}}',
      HttpMethod: 'POST',
    });
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://api.opsgenie.com/v2/alerts*',
    });
    expect(json(template.toJSON())).not.toMatch(/hooks\.slack\.com/);
  });

  it('paces every API destination to 5 requests a second, so a storm reaches a chat at a pace it accepts', () => {
    const destinations = Object.values(template.findResources('AWS::Events::ApiDestination'));
    expect(destinations).toHaveLength(4);
    for (const d of destinations) expect(d.Properties.InvocationRateLimitPerSecond).toBe(5);
  });

  it('sends what failed every retry to a dead-letter queue, watched by an alarm', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
    });
  });

  it('lets the scanner PutEvents on that bus only, and tells it the bus', () => {
    const bus = Object.keys(template.findResources('AWS::Events::EventBus'))[0]!;
    const policies = template.findResources('AWS::IAM::Policy');
    const putEvents = Object.values(policies).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter((s) =>
        json(s.Action).includes('events:PutEvents'),
      ),
    );
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]!.Resource).toEqual({ 'Fn::GetAtt': [bus, 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HBW_WEBHOOK_BUS: { Ref: bus } }) },
    });
  });

  it('makes no SNS topic for a group that pages only by webhook', () => {
    const topics = Object.values(template.findResources('AWS::SNS::Topic')).map(
      (t) => t.Properties.TopicName,
    );
    expect(json(topics)).not.toContain('platform');
  });

  it('passes the cdk-nag checks the rest of the stack passes', () => {
    const app = new App();
    new HeartbeatWatcherStack(app, 'Nagged', { config: HOOKED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('the stack without webhooks', () => {
  it('has no bus, rule of its own, Connection, API destination, queue or PutEvents grant', () => {
    const { template } = synth({
      groups: { production: { channels: ['email'] }, test: { channels: ['console'] } },
    });
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Events::Connection', 0);
    template.resourceCountIs('AWS::Events::ApiDestination', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(json(template.findResources('AWS::IAM::Policy'))).not.toContain('events:PutEvents');
  });
});
