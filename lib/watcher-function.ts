import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ProbeNetwork } from '../lambda/domain/config';
import { LAMBDA_BUNDLING } from './lambda-bundling';

export interface WatcherFunctionProps {
  /** The handler file under lambda/handlers, without extension. */
  readonly handler: 'ingest' | 'register' | 'installer' | 'admin' | 'scanner' | 'prober' | 'aws-prober';
  readonly environment: Record<string, string>;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default none (unreserved) */
  readonly reservedConcurrentExecutions?: number;
  /** The private subnets and security groups to attach the function to. @default none (outside any VPC) */
  readonly network?: ProbeNetwork;
}

const ROOT = join(__dirname, '..');

/**
 * One of the watcher's functions, with the defaults they share: Node.js 24 on arm64, bundled by the
 * local esbuild as {@link LAMBDA_BUNDLING} says (one minified ES module, the AWS SDK inside), source
 * maps on, its own log group kept a month.
 */
export class WatcherFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: WatcherFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'lambda', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: LAMBDA_BUNDLING.format as OutputFormat,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourcemap,
        target: LAMBDA_BUNDLING.target,
        loader: LAMBDA_BUNDLING.loader,
        define: LAMBDA_BUNDLING.define,
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    if (props.network) this.attach(props.network);
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The basic execution role only lets the function write its own logs to CloudWatch Logs; a hand-written copy of it would say the same thing.',
    });
  }

  /**
   * Attaches the function to existing subnets and security groups, by id: the VPC is not looked up
   * (synth runs offline), and CloudFormation needs no more than the ids. The role gets the network
   * interfaces Lambda creates there.
   */
  private attach(network: ProbeNetwork): void {
    const cfn = this.fn.node.defaultChild as lambda.CfnFunction;
    cfn.vpcConfig = {
      subnetIds: [...network.subnetIds],
      securityGroupIds: [...network.securityGroupIds],
    };
    this.fn.role!.addManagedPolicy(
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
    );
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        "Lambda's own policy for the network interfaces a function in a VPC needs in its subnets; a hand-written copy would say the same thing.",
    });
  }
}
