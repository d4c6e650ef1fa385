import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ADMIN_API_ROUTES } from '../../lambda/api/contract';
import { createAdminApp } from '../../lambda/http/admin-routes';
import type { WatcherService } from '../../lambda/service';
import { HeartbeatWatcherStack } from '../../lib/heartbeat-watcher-stack';
import { TEST_CONFIG } from '../support/watcher';

/** The routes the admin function serves, as IAM sees them: each path parameter a `*`. */
function servedAdminRoutes(): string[] {
  // Registering the routes calls nothing on the service.
  const app = createAdminApp({} as WatcherService, { caller: () => ({ by: 'test' }) });
  return app.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:[^/]+/g, '*')}`)
    .sort();
}

let synthesized: ReturnType<typeof synthPolicies> | undefined;
/** One synth for the file: bundling the functions is the slow part. */
const policies = () => {
  synthesized ??= synthPolicies();
  return synthesized;
};

function synthPolicies() {
  const template = Template.fromStack(
    new HeartbeatWatcherStack(new App(), 'Watcher', { config: TEST_CONFIG }),
  );
  const byName = (name: string) => {
    const found = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find(
      (policy) => policy.Properties.ManagedPolicyName === `Watcher-${name}`,
    );
    if (!found) throw new Error(`no managed policy Watcher-${name}`);
    const [statement, ...more] = found.Properties.PolicyDocument.Statement;
    expect(more).toEqual([]);
    expect(statement.Action).toBe('execute-api:Invoke');
    expect(statement.Effect).toBe('Allow');
    // Each resource: arn:<partition>:execute-api:<region>:<account>:<api id>/*/<METHOD><path>.
    return (statement.Resource as { 'Fn::Join': [string, unknown[]] }[])
      .map((arn) => {
        const parts = arn['Fn::Join'][1];
        const tail = String(parts.at(-1));
        expect(tail).toMatch(/^\/\*\/[A-Z]+\//);
        const [, , method, ...path] = tail.split('/');
        return `${method} /${path.join('/')}`;
      })
      .sort();
  };
  return { template, readOnly: byName('HbwReadOnly'), operator: byName('HbwOperator') };
}

describe('the roles through IAM', () => {
  it('lists exactly the routes the admin function serves', () => {
    expect(ADMIN_API_ROUTES.map(([method, path]) => `${method} ${path}`).sort()).toEqual(servedAdminRoutes());
  });

  it('lets HbwReadOnly invoke the GET admin routes alone, and HbwOperator every admin route', () => {
    const { readOnly, operator } = policies();
    expect(readOnly).toEqual(servedAdminRoutes().filter((route) => route.startsWith('GET ')));
    expect(readOnly).toEqual([
      'GET /v1/agents',
      'GET /v1/agents/*',
      'GET /v1/alerts',
      'GET /v1/audit',
      'GET /v1/status',
    ]);
    expect(operator).toEqual(servedAdminRoutes());
  });

  it('outputs the ARN of each policy', () => {
    const { template } = policies();
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['HbwReadOnlyPolicyArn', 'HbwOperatorPolicyArn']),
    );
    expect(outputs.HbwReadOnlyPolicyArn!.Value).toEqual({
      Ref: expect.stringMatching(/^AdminPoliciesReadOnly/),
    });
  });
});
