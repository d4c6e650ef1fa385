import { Duration, SecretValue, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WEBHOOK_DETAIL_TYPE, WEBHOOK_EVENT_SOURCE } from '../lambda/adapters/eventbridge-notifier';
import type { GroupSettings } from '../lambda/domain/config';
import type { Webhook } from '../lambda/domain/webhooks';

export interface WebhookDeliveryProps {
  /** The groups with webhooks. */
  readonly groups: readonly GroupSettings[];
  /** The function that puts the notices on the bus (the scanner): it may PutEvents there, nowhere else. */
  readonly publisher: lambda.IFunction;
}

/** How each webhook's secret reaches its destination: a header the Connection adds, or the URL itself. */
function authorization(hook: Webhook): events.Authorization | undefined {
  const secret = () => SecretValue.secretsManager(hook.secretName!);
  switch (hook.format) {
    // PagerDuty takes the routing key as the X-Routing-Key header too, so it stays in the Connection.
    case 'pagerduty':
      return events.Authorization.apiKey('X-Routing-Key', secret());
    case 'opsgenie':
      return events.Authorization.apiKey(
        'Authorization',
        SecretValue.unsafePlainText(`GenieKey ${secret().unsafeUnwrap()}`),
      );
    case 'json':
      return hook.secretName === undefined
        ? undefined
        : events.Authorization.apiKey('Authorization', secret());
    default:
      return undefined;
  }
}

/**
 * The cloud's webhook channel: an event bus for the scanner's webhook events and, per webhook, a
 * Connection (its secret from Secrets Manager, never from the config), an API destination, and a rule
 * matching the webhook's group and name whose input path picks its format's payload; retries for a
 * day, then a dead-letter queue that an alarm watches (`deadLetters`).
 *
 * Slack and Teams carry their secret in the URL, so the URL is the secret: the API destination's
 * endpoint is resolved from the Secrets Manager secret `secretName` names when CloudFormation deploys,
 * and the Connection has nothing to add (an API key header nobody reads, as a Connection needs one).
 * Anyone who may describe the API destination sees that URL, as anyone who may read the secret does.
 */
export class WebhookDelivery extends Construct {
  readonly bus: events.EventBus;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'heartbeat-watcher webhook notices' });
    this.bus.grantPutEventsTo(props.publisher);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    // The rules' targets use it as their dead-letter queue, which cdk-nag cannot see from the queue.
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the webhook rules targets',
    });
    for (const group of props.groups) {
      for (const hook of group.webhooks) this.webhook(group.name, hook);
    }
  }

  private webhook(group: string, hook: Webhook): void {
    const id = `${group}-${hook.name}`;
    const connection = new events.Connection(this, `Connection-${id}`, {
      description: `webhook ${hook.name} of group ${group} (${hook.format})`,
      authorization:
        authorization(hook) ??
        events.Authorization.apiKey('X-Hbw-Webhook', SecretValue.unsafePlainText(hook.name)),
    });
    const url =
      hook.format === 'slack' || hook.format === 'teams'
        ? SecretValue.secretsManager(hook.secretName!).unsafeUnwrap()
        : hook.url!;
    const destination = new events.ApiDestination(this, `Destination-${id}`, {
      connection,
      description: `webhook ${hook.name} of group ${group} (${hook.format})`,
      // Opsgenie's close and acknowledge name the alert in the path: the event's `path` fills the `*`.
      endpoint: hook.format === 'opsgenie' ? `${url}*` : url,
      httpMethod: events.HttpMethod.POST,
      // The destinations' own limit: a storm's notices reach a chat at a pace it accepts.
      rateLimitPerSecond: 5,
    });
    new events.Rule(this, `Rule-${id}`, {
      eventBus: this.bus,
      description: `notices of group ${group} for its webhook ${hook.name}`,
      eventPattern: {
        source: [WEBHOOK_EVENT_SOURCE],
        detailType: [WEBHOOK_DETAIL_TYPE],
        detail: { group: [group], webhooks: [hook.name] },
      },
      targets: [
        new targets.ApiDestination(destination, {
          event: events.RuleTargetInput.fromEventPath(`$.detail.payload.${hook.format}`),
          ...(hook.format === 'opsgenie'
            ? { pathParameterValues: ['$.detail.path'], queryStringParameters: { identifierType: 'alias' } }
            : {}),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });
  }
}
