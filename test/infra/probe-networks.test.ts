import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_CONFIG, type RawConfig } from '../../lambda/domain/config';
import { CloudConfigError } from '../../lib/cloud-config';
import { HeartbeatWatcherStack } from '../../lib/heartbeat-watcher-stack';

const PROD_VPC = {
  subnetIds: ['subnet-0abc1234def567890', 'subnet-0fed4321cba098765'],
  securityGroupIds: ['sg-0123456789abcdef0'],
};
const LAB = { subnetIds: ['subnet-11112222'], securityGroupIds: ['sg-33334444', 'sg-55556666'] };

const WITH_NETWORKS: RawConfig = {
  probeNetworks: { 'prod-vpc': PROD_VPC, lab: LAB },
  groups: {
    production: { channels: ['email'], probeNetwork: 'prod-vpc' },
    test: { channels: ['console'] },
  },
};

function synth(config: RawConfig, nag = false) {
  const app = new App();
  const stack = new HeartbeatWatcherStack(app, 'Watcher', { config });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, template: Template.fromStack(stack) };
}

// biome-ignore lint/suspicious/noExplicitAny: a template's resources are whatever CloudFormation takes
type Resource = { Properties: Record<string, any> };
const functions = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>);
const scannerOf = (template: Template) =>
  functions(template).find(([, r]) => r.Properties.ReservedConcurrentExecutions === 1)!;
const probersOf = (template: Template) => functions(template).filter(([, r]) => r.Properties.VpcConfig);
const awsProberOf = (template: Template) => functions(template).find(([id]) => id.startsWith('AwsProber'))!;

/** The functions the scanner may invoke, by logical id. */
function invokedByScanner(template: Template): string[] {
  const [scannerId] = scannerOf(template);
  const invokes = statementsOf(template, scannerId).filter((s) =>
    [s.Action].flat().includes('lambda:InvokeFunction'),
  );
  const resources = invokes.flatMap((s) => [s.Resource].flat());
  return [
    ...new Set(resources.map((r) => JSON.stringify(r).match(/"(\w+Function\w+)"/)?.[1] ?? JSON.stringify(r))),
  ].sort();
}

/** Every statement of the policies attached to the role of function `fnId`. */
// biome-ignore lint/suspicious/noExplicitAny: IAM statements as the template writes them
function statementsOf(template: Template, fnId: string): Record<string, any>[] {
  const role = functions(template).find(([id]) => id === fnId)![1].Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('the stack with probe networks', () => {
  const { template } = synth(WITH_NETWORKS);

  it("attaches one prober function to each network's subnets and security groups", () => {
    const attached = probersOf(template).map(([, r]) => r.Properties.VpcConfig);

    expect(attached).toHaveLength(2);
    expect(attached).toEqual(
      expect.arrayContaining([
        { SubnetIds: PROD_VPC.subnetIds, SecurityGroupIds: PROD_VPC.securityGroupIds },
        { SubnetIds: LAB.subnetIds, SecurityGroupIds: LAB.securityGroupIds },
      ]),
    );
    for (const [, r] of probersOf(template)) expect(r.Properties.Handler).toBe('index.handler');
  });

  it('imports the networks by id: it creates no VPC, subnet or security group', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it("gives the probers Lambda's network interface policy in their subnets, and no other grant", () => {
    for (const [id, r] of probersOf(template)) {
      const role = r.Properties.Role['Fn::GetAtt'][0];
      expect(JSON.stringify(template.toJSON().Resources[role].Properties.ManagedPolicyArns)).toContain(
        'service-role/AWSLambdaVPCAccessExecutionRole',
      );
      expect(statementsOf(template, id)).toEqual([]);
    }
  });

  it('lets the scanner invoke the probers and the AWS health prober, no other function, and names them to it', () => {
    const [, scanner] = scannerOf(template);
    const probers = probersOf(template).map(([id]) => id);
    const [awsProber] = awsProberOf(template);

    expect(invokedByScanner(template)).toEqual([...probers, awsProber].sort());
    const names = JSON.stringify(scanner.Properties.Environment.Variables.HBW_PROBERS);
    expect(names).toContain('prod-vpc');
    expect(names).toContain('lab');
    for (const id of probers) expect(names).toContain(id);
    expect(JSON.stringify(scanner.Properties.Environment.Variables.HBW_AWS_PROBER)).toContain(awsProber);
  });

  it('keeps cdk-nag clean', () => {
    const { app } = synth(WITH_NETWORKS, true);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('the stack without probe networks', () => {
  const { template } = synth(DEFAULT_CONFIG);

  it('has no prober in a VPC, and a scanner that may invoke the AWS health prober alone', () => {
    expect(functions(template)).toHaveLength(6);
    expect(probersOf(template)).toEqual([]);
    const [, scanner] = scannerOf(template);
    expect(scanner.Properties.Environment.Variables.HBW_PROBERS).toBeUndefined();
    expect(invokedByScanner(template)).toEqual([awsProberOf(template)[0]]);
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.anyValue() })]) },
      6,
    );
  });
});

describe('the AWS health prober', () => {
  const { template } = synth(DEFAULT_CONFIG);

  it('runs outside any VPC, from its own handler', () => {
    const [, prober] = awsProberOf(template);

    expect(prober.Properties.VpcConfig).toBeUndefined();
    expect(prober.Properties.Timeout).toBe(30);
  });

  it('may call DescribeInstanceStatus and DescribeInstanceInformation, which take no resource but "*", and nothing else', () => {
    const [id] = awsProberOf(template);

    expect(statementsOf(template, id)).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:DescribeInstanceStatus', 'ssm:DescribeInstanceInformation'],
        Resource: '*',
      },
    ]);
  });

  it('keeps cdk-nag clean with its acknowledged "*"', () => {
    const { app } = synth(DEFAULT_CONFIG, true);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('probe networks the cloud refuses', () => {
  it('names the field of a group whose network the config does not define', () => {
    const config: RawConfig = { groups: { production: { channels: ['email'], probeNetwork: 'prod-vpc' } } };

    expect(() => synth(config)).toThrow(CloudConfigError);
    expect(() => synth(config)).toThrow(/groups\.production\.probeNetwork: unknown probe network "prod-vpc"/);
  });
});
