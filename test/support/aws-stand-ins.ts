import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsHealthProber, answerBatch } from '../../lambda/adapters/aws-health-prober';
import { LambdaProber } from '../../lambda/adapters/lambda-prober';
import type { AwsProbe } from '../../lambda/domain/agent';
import type { ProbeBatch } from '../../lambda/domain/probe-batch';
import { lambdaStandIn } from './lambda-stand-in';

// Local HTTP endpoints standing in for EC2 (its query protocol: a form body, an XML answer) and for
// Systems Manager (JSON 1.1), reached through the real SDK clients, as the AWS health prober's are
// when AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL_SSM point at them.

/** What EC2 says of an instance: its state and its two status checks. */
export interface Ec2Instance {
  readonly state: string;
  readonly system?: string;
  readonly instance?: string;
}

/** What Systems Manager says of a managed node. */
export interface SsmNode {
  readonly ping: string;
  /** Epoch seconds. */
  readonly lastPing?: number;
}

/** An error the stand-in answers in place of a page: the SDK's retries see the status and code. */
export interface StandInError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

interface Served {
  readonly status: number;
  readonly body: string;
  readonly type: string;
}

async function serve(handle: (req: IncomingMessage, body: string) => Served) {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const answer = handle(req, body);
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The ids the stand-in gives one page of: fewer than a call may ask, so that NextToken is followed. */
function page<T>(items: readonly T[], token: string | undefined, size: number) {
  const start = token ? Number(token) : 0;
  const next = start + size < items.length ? String(start + size) : undefined;
  return { items: items.slice(start, start + size), next };
}

/**
 * EC2's DescribeInstanceStatus over `instances`: each call's ids (at most 100, as EC2 allows), a page
 * of `pageSize` at a time, only the running ones unless IncludeAllInstances is asked; an id it does not hold fails the whole call with
 * `InvalidInstanceID.NotFound`, naming the ids, as EC2 does. `fail` answers an error in place of the
 * next calls, while it returns one.
 */
export async function ec2StandIn(
  instances: ReadonlyMap<string, Ec2Instance>,
  options: { pageSize?: number; fail?: () => StandInError | undefined } = {},
) {
  const calls: { ids: string[]; includeAll: boolean; nextToken?: string }[] = [];
  const xmlError = (e: StandInError): Served => ({
    status: e.status,
    type: 'text/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
  });
  const endpoint = await serve((_req, body) => {
    const form = new URLSearchParams(body);
    const ids = [...form.entries()].filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
    const nextToken = form.get('NextToken') ?? undefined;
    const includeAll = form.get('IncludeAllInstances') === 'true';
    calls.push({ ids, includeAll, nextToken });
    if (form.get('Action') !== 'DescribeInstanceStatus')
      return xmlError({ status: 400, code: 'InvalidAction', message: `not ${form.get('Action')}` });
    const failure = options.fail?.();
    if (failure) return xmlError(failure);
    if (ids.length > 100)
      return xmlError({ status: 400, code: 'InvalidParameterValue', message: 'at most 100 instance ids' });
    const missing = ids.filter((id) => !instances.has(id));
    if (missing.length > 0)
      return xmlError({
        status: 400,
        code: 'InvalidInstanceID.NotFound',
        message:
          missing.length === 1
            ? `The instance ID '${missing[0]}' does not exist`
            : `The instance IDs '${missing.join(', ')}' do not exist`,
      });
    // Without IncludeAllInstances, EC2 describes running instances only.
    const described = ids.filter((i) => includeAll || instances.get(i)!.state === 'running');
    const { items, next } = page(described, nextToken, options.pageSize ?? 1_000);
    const check = (name: 'systemStatus' | 'instanceStatus', status: string | undefined) =>
      status ? `<${name}><status>${status}</status></${name}>` : '';
    const listed = items.map((id) => {
      const i = instances.get(id)!;
      return `<item><instanceId>${id}</instanceId><availabilityZone>us-east-1a</availabilityZone><instanceState><code>0</code><name>${i.state}</name></instanceState>${check('systemStatus', i.system)}${check('instanceStatus', i.instance)}</item>`;
    });
    return {
      status: 200,
      type: 'text/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?><DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><instanceStatusSet>${listed.join('')}</instanceStatusSet>${next ? `<nextToken>${next}</nextToken>` : ''}</DescribeInstanceStatusResponse>`,
    };
  });
  return { ...endpoint, calls };
}

/**
 * Systems Manager's DescribeInstanceInformation over `nodes`, filtered by the InstanceIds filter, a
 * page of at most the asked MaxResults (5 to 50) at a time; an id it does not hold is left out of
 * the list, as the Filters form of the call does. `fail` answers an error in place of the next calls.
 */
export async function ssmStandIn(
  nodes: ReadonlyMap<string, SsmNode>,
  options: { fail?: () => StandInError | undefined } = {},
) {
  const calls: { target: string; ids: string[]; maxResults?: number; nextToken?: string }[] = [];
  const endpoint = await serve((req, body) => {
    const asked = JSON.parse(body) as {
      Filters?: { Key: string; Values: string[] }[];
      MaxResults?: number;
      NextToken?: string;
    };
    const ids = asked.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
    const target = String(req.headers['x-amz-target']);
    calls.push({ target, ids, maxResults: asked.MaxResults, nextToken: asked.NextToken });
    const failure =
      target === 'AmazonSSM.DescribeInstanceInformation'
        ? options.fail?.()
        : { status: 400, code: 'UnknownOperationException', message: target };
    if (failure)
      return {
        status: failure.status,
        type: 'application/x-amz-json-1.1',
        body: JSON.stringify({ __type: failure.code, message: failure.message }),
      };
    const known = ids.filter((id) => nodes.has(id));
    const { items, next } = page(known, asked.NextToken, Math.min(asked.MaxResults ?? 50, 50));
    return {
      status: 200,
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({
        InstanceInformationList: items.map((id) => ({
          InstanceId: id,
          PingStatus: nodes.get(id)!.ping,
          ...(nodes.get(id)!.lastPing ? { LastPingDateTime: nodes.get(id)!.lastPing } : {}),
        })),
        ...(next ? { NextToken: next } : {}),
      }),
    };
  });
  return { ...endpoint, calls };
}

/**
 * Points the SDK's clients made from now on at the stand-ins, as the endpoint variables
 * AWS_ENDPOINT_URL_EC2, _SSM and _LAMBDA do, with a region and letters-only keys.
 */
export function pointSdkAt(endpoints: { ec2?: string; ssm?: string; lambda?: string }): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'standin',
    AWS_SECRET_ACCESS_KEY: 'standin',
    ...(endpoints.ec2 ? { AWS_ENDPOINT_URL_EC2: endpoints.ec2 } : {}),
    ...(endpoints.ssm ? { AWS_ENDPOINT_URL_SSM: endpoints.ssm } : {}),
    ...(endpoints.lambda ? { AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda } : {}),
  });
}

/** What the stand-ins for EC2 (over `instances`) and SSM (over `options.nodes`) may be told. */
export interface StandInOptions {
  readonly nodes?: ReadonlyMap<string, SsmNode>;
  readonly ec2PageSize?: number;
  readonly ec2Fail?: () => StandInError | undefined;
  readonly ssmFail?: () => StandInError | undefined;
  /** The scanner-side prober's gather window (awsProberChain). @default the prober's own */
  readonly gatherMs?: number;
}

/** The AWS health prober over stand-ins for EC2 and SSM, its clients made from the environment. */
export async function awsHealthOverStandIns(
  instances: ReadonlyMap<string, Ec2Instance>,
  options: StandInOptions = {},
) {
  const ec2 = await ec2StandIn(instances, { pageSize: options.ec2PageSize, fail: options.ec2Fail });
  const ssm = await ssmStandIn(options.nodes ?? new Map(), { fail: options.ssmFail });
  pointSdkAt({ ec2: ec2.url, ssm: ssm.url });
  const clients = { ec2: new EC2Client({}), ssm: new SSMClient({}) };
  return {
    ec2,
    ssm,
    health: new AwsHealthProber(clients),
    close: async () => {
      clients.ec2.destroy();
      clients.ssm.destroy();
      await Promise.all([ec2.close(), ssm.close()]);
    },
  };
}

/**
 * The ec2 and ssm probes' whole path as the cloud runs it, over stand-ins: the scanner's prober
 * invokes the AWS health prober function (the handler's own answer, behind a stand-in for Lambda),
 * which asks EC2 and Systems Manager (see {@link awsHealthOverStandIns}). Every client is made from
 * the environment, pointed at its stand-in by AWS_ENDPOINT_URL_LAMBDA, _EC2 and _SSM.
 */
export async function awsProberChain(
  instances: ReadonlyMap<string, Ec2Instance>,
  options: StandInOptions = {},
) {
  const aws = await awsHealthOverStandIns(instances, options);
  const lambda = await lambdaStandIn(async (batch: ProbeBatch) => ({
    body: JSON.stringify(await answerBatch(aws.health, batch)),
  }));
  pointSdkAt({ lambda: lambda.endpoint });
  const invoker = new LambdaClient({});
  return {
    ec2: aws.ec2,
    lambda,
    aws: new LambdaProber<AwsProbe>(invoker, {
      name: 'the AWS health prober',
      functionName: 'hbw-aws-prober',
      gatherMs: options.gatherMs,
    }),
    close: async () => {
      invoker.destroy();
      await Promise.all([aws.close(), lambda.close()]);
    },
  };
}
