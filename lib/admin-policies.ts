import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The admin routes as IAM sees them: a method and a path, each path parameter a `*`. API Gateway
 * checks a signed call against `execute-api:Invoke` on
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path as called>`, whatever route
 * serves it (here one `/v1/{proxy+}`). test/infra/admin-policies.test.ts holds this list to the
 * routes the admin function serves, so that a new route cannot be left out of both roles.
 */
export const ADMIN_API_ROUTES = [
  ['GET', '/v1/status'],
  ['GET', '/v1/audit'],
  ['GET', '/v1/agents'],
  ['POST', '/v1/agents'],
  ['GET', '/v1/agents/*'],
  ['PATCH', '/v1/agents/*'],
  ['DELETE', '/v1/agents/*'],
  ['POST', '/v1/agents/*/approve'],
  ['POST', '/v1/agents/*/reject'],
  ['POST', '/v1/agents/*/rotate-token'],
  ['PUT', '/v1/agents/*/maintenance'],
  ['DELETE', '/v1/agents/*/maintenance'],
  ['GET', '/v1/alerts'],
  ['POST', '/v1/alerts/*/ack'],
  ['PUT', '/v1/groups/*/maintenance'],
  ['DELETE', '/v1/groups/*/maintenance'],
  ['PUT', '/v1/clusters/*/maintenance'],
  ['DELETE', '/v1/clusters/*/maintenance'],
  ['POST', '/v1/groups/*/enrollment-key'],
] as const;

/**
 * Two managed policies for the people who run the watcher, each a role away: `HbwReadOnly` may call
 * the admin routes that read (GET), `HbwOperator` every admin route. Their ARNs are outputs; a team
 * attaches one to its role (README, "Roles").
 */
export class AdminPolicies extends Construct {
  readonly readOnly: iam.ManagedPolicy;
  readonly operator: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, api: apigw.HttpApi) {
    super(scope, id);
    // Any stage: the stack has one ($default), and a policy that named it would break on a rename.
    const arns = (routes: readonly (readonly [string, string])[]) =>
      routes.map(([method, path]) => api.arnForExecuteApi(method, path, '*'));
    const invoke = (routes: readonly (readonly [string, string])[]) =>
      new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: arns(routes) });
    const stackName = Stack.of(this).stackName;
    this.readOnly = new iam.ManagedPolicy(this, 'ReadOnly', {
      managedPolicyName: `${stackName}-HbwReadOnly`,
      description: 'heartbeat-watcher: the admin API routes that read (GET)',
      statements: [invoke(ADMIN_API_ROUTES.filter(([method]) => method === 'GET'))],
    });
    this.operator = new iam.ManagedPolicy(this, 'Operator', {
      managedPolicyName: `${stackName}-HbwOperator`,
      description: 'heartbeat-watcher: every admin API route',
      statements: [invoke(ADMIN_API_ROUTES)],
    });
    // cdk-nag reads a `*` in each ARN as a wildcard grant: the stage (any) and the path parameters
    // (an agent id, an alert id, a group or a cluster name) are what they stand for.
    const stack = Stack.of(this);
    const apiId = stack.resolve(stack.getLogicalId(api.node.defaultChild as apigw.CfnApi));
    for (const [policy, routes] of [
      [this.readOnly, ADMIN_API_ROUTES.filter(([method]) => method === 'GET')],
      [this.operator, ADMIN_API_ROUTES],
    ] as const) {
      for (const [method, path] of routes)
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/*/${method}${path}]`,
          reason:
            'One admin route of this API in any stage; a * in its path is one path parameter (an agent, alert, group or cluster).',
        });
    }
    new CfnOutput(scope, 'HbwReadOnlyPolicyArn', {
      value: this.readOnly.managedPolicyArn,
      description: 'Attach to a role that may read the watcher (hbw status, agents list, alerts list)',
    });
    new CfnOutput(scope, 'HbwOperatorPolicyArn', {
      value: this.operator.managedPolicyArn,
      description: 'Attach to a role that may change the watcher (add, approve, maintenance, acknowledge...)',
    });
  }
}
