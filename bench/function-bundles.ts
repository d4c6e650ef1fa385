import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { FLOOR_SOURCE, LAMBDA_BUILD, stats, timeImports } from './ingest-bundle';
import { waitForQuiet } from './machine';

/**
 * The scanner's floor: the four clients it sends through, one call each, nothing else. DynamoDB and
 * SNS page; Lambda invokes the probe networks' prober functions and the AWS health prober (the stack
 * always sets HBW_AWS_PROBER); EventBridge puts the webhook notices. One bundle serves every config,
 * so each is in the scanner's bundle whether or not the config uses it.
 */
const SCANNER_FLOOR_SOURCE = `${FLOOR_SOURCE}
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
const sns = new SNSClient({});
const lambda = new LambdaClient({});
const events = new EventBridgeClient({});
export const publish = () => sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN, Message: '{}' }));
export const invoke = () => lambda.send(new InvokeCommand({ FunctionName: process.env.HBW_AWS_PROBER, Payload: '{}' }));
export const put = () => events.send(new PutEventsCommand({ Entries: [{ Source: 'hbw', DetailType: 'notice', Detail: '{}' }] }));
`;

/** The AWS health prober's floor: the EC2 and SSM clients, one call each, nothing else. */
const AWS_PROBER_FLOOR_SOURCE = `
import { EC2Client, DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { SSMClient, DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
const ec2 = new EC2Client({});
const ssm = new SSMClient({});
export const handler = async (event) => Promise.all([
  ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: event.ec2, IncludeAllInstances: true })),
  ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: event.ssm }] })),
]);
`;

/**
 * Each handler and the floor it is held to: the SDK clients it cannot do without. The installer and a
 * probe network's prober hold no SDK client, so there is no floor to hold them to: their size and
 * cold import are shown alone.
 */
const HANDLERS = [
  { handler: 'ingest', floor: 'dynamodb' },
  { handler: 'register', floor: 'dynamodb' },
  { handler: 'admin', floor: 'dynamodb' },
  { handler: 'scanner', floor: 'dynamodb+sns+lambda+events' },
  { handler: 'aws-prober', floor: 'ec2+ssm' },
  { handler: 'installer', floor: undefined },
  { handler: 'prober', floor: undefined },
] as const;
const FLOORS = {
  dynamodb: FLOOR_SOURCE,
  'dynamodb+sns+lambda+events': SCANNER_FLOOR_SOURCE,
  'ec2+ssm': AWS_PROBER_FLOOR_SOURCE,
} as const;
type FloorName = keyof typeof FLOORS;

export interface FloorStats {
  readonly name: FloorName;
  readonly bytes: number;
  readonly importMs: number;
}

export interface FunctionBundleRow {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly importMs: number;
  /** The floor it is held to, and its size and import over the floor's; absent for a function with no SDK client. */
  readonly floor?: { readonly name: FloorName; readonly sizeRatio: number; readonly importRatio: number };
}

/**
 * Every Lambda handler bundled as the stack bundles it (one minified ES module, the SDK inside), its size
 * and cold import beside its SDK-only floor (`HANDLERS`), built and timed in the same run.
 */
export async function benchFunctionBundles(
  imports: number,
  log: (line: string) => void,
): Promise<{ floors: FloorStats[]; rows: FunctionBundleRow[] }> {
  const root = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'hbw-functions-'));
  try {
    const files: string[] = [];
    const metas: Metafile[] = [];
    for (const { handler } of HANDLERS) {
      const outfile = join(dir, `${handler}.mjs`);
      const out = await build({
        ...LAMBDA_BUILD,
        entryPoints: [join(root, `lambda/handlers/${handler}.ts`)],
        outfile,
      });
      files.push(outfile);
      metas.push(out.metafile!);
    }
    const floorNames = Object.keys(FLOORS) as FloorName[];
    for (const name of floorNames) {
      const outfile = join(dir, `floor-${name}.mjs`);
      const out = await build({
        ...LAMBDA_BUILD,
        stdin: { contents: FLOORS[name], resolveDir: root, sourcefile: `floor-${name}.mjs`, loader: 'js' },
        outfile,
      });
      files.push(outfile);
      metas.push(out.metafile!);
    }
    log(`  ${imports} cold imports of each of ${HANDLERS.length} handlers and ${floorNames.length} floors`);
    await waitForQuiet();
    const times = timeImports(files, imports);
    const all = files.map((file, i) => stats(file, metas[i]!, times[i]!));
    const floors = floorNames.map((name, k) => {
      const f = all[HANDLERS.length + k]!;
      return { name, bytes: f.bytes, importMs: f.importMs };
    });
    const rows = HANDLERS.map(({ handler, floor: floorName }, i): FunctionBundleRow => {
      const s = all[i]!;
      const floor = floors.find((f) => f.name === floorName);
      return {
        handler,
        bytes: s.bytes,
        gzipBytes: s.gzipBytes,
        importMs: s.importMs,
        floor: floor && {
          name: floor.name,
          sizeRatio: s.bytes / floor.bytes,
          importRatio: s.importMs / floor.importMs,
        },
      };
    });
    return { floors, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
